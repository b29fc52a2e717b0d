import Foundation
import Testing
@testable import FaultlineNetShims

/// The nftables faults use one `inet` table, so IPv6 peers are handled by the same batch.
@Suite("Partition of IPv6 peers")
struct IPv6PartitionTests {
    static func udp6Socket(in namespace: NetNamespace, bind address: String, port: UInt16) throws -> Int32 {
        try NamespaceThread.run(in: .namespace(namespace)) {
            let fd = socket(AF_INET6, Int32(SOCK_DGRAM.rawValue), 0)
            guard fd >= 0 else { throw NetShimError.lastErrno("socket(AF_INET6)") }
            var addr = sockaddr_in6()
            addr.sin6_family = sa_family_t(AF_INET6)
            addr.sin6_port = port.bigEndian
            inet_pton(AF_INET6, address, &addr.sin6_addr)
            let bound = withUnsafePointer(to: &addr) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) }
            }
            guard bound == 0 else { close(fd); throw NetShimError.lastErrno("bind([\(address)]:\(port))") }
            return fd
        }
    }

    static func delivered(_ count: Int, from sender: Int32, to address: String, port: UInt16, receiver: Int32) -> Int {
        var addr = sockaddr_in6()
        addr.sin6_family = sa_family_t(AF_INET6)
        addr.sin6_port = port.bigEndian
        inet_pton(AF_INET6, address, &addr.sin6_addr)
        for _ in 0..<count {
            _ = withUnsafePointer(to: &addr) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    sendto(sender, [UInt8](repeating: 1, count: 32), 32, 0, $0, socklen_t(MemoryLayout<sockaddr_in6>.size))
                }
            }
        }
        return Traffic.drain(receiver, waitMilliseconds: 150)
    }

    @Test("an IPv6 peer is cut off; IPv4 from the same host is untouched")
    func ipv6() throws {
        let net = try TestNetwork.make()
        defer { net.destroy() }
        try net.ip(["-n", net.aName, "addr", "add", "fd00:fa17::1/64", "dev", net.vethA, "nodad"])
        try net.ip(["-n", net.bName, "addr", "add", "fd00:fa17::2/64", "dev", net.vethB, "nodad"])
        let before = try net.kernelState(net.bName)
        let sender = try Self.udp6Socket(in: net.a, bind: "fd00:fa17::1", port: 7950)
        let receiver = try Self.udp6Socket(in: net.b, bind: "fd00:fa17::2", port: 7950)
        let sender4 = try Traffic.udpSocket(in: net.a, bind: net.addressA, port: 7951)
        let receiver4 = try Traffic.udpSocket(in: net.b, bind: net.addressB, port: 7951)
        defer { close(sender); close(receiver); close(sender4); close(receiver4) }
        #expect(Self.delivered(50, from: sender, to: "fd00:fa17::2", port: 7950, receiver: receiver) == 50)

        let shim = PartitionShim()
        let undo = try shim.apply(PartitionSpec(namespace: net.b, match: InboundMatch(peers: [try IPNetwork("fd00:fa17::1")]),
                                                exemptions: []), for: net.faultID("v6"))
        #expect(Self.delivered(50, from: sender, to: "fd00:fa17::2", port: 7950, receiver: receiver) == 0)
        #expect(Traffic.udpDelivered(count: 50, from: sender4, to: net.addressB, port: 7951, receiver: receiver4) == 50)
        try shim.revert(undo)
        #expect(Self.delivered(50, from: sender, to: "fd00:fa17::2", port: 7950, receiver: receiver) == 50)
        expectSameState(before, try net.kernelState(net.bName))
    }
}
