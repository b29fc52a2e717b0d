import Foundation
@testable import FaultlineNetShims

/// A UDP echo server on a thread of its own, and a prober that measures round-trip times.
final class UDPEcho: @unchecked Sendable {
    let fd: Int32
    private let stop = Flag()
    private let thread: Thread

    init(in namespace: NetNamespace, address: String, port: UInt16) throws {
        let fd = try Traffic.udpSocket(in: namespace, bind: address, port: port)
        self.fd = fd
        let stop = self.stop
        thread = Thread {
            var buffer = [UInt8](repeating: 0, count: 2048)
            var peer = sockaddr_storage()
            while !stop.isSet {
                var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                guard poll(&pfd, 1, 20) == 1 else { continue }
                var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
                let got = withUnsafeMutablePointer(to: &peer) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { recvfrom(fd, &buffer, buffer.count, 0, $0, &length) }
                }
                if got > 0 {
                    _ = withUnsafePointer(to: &peer) {
                        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { sendto(fd, buffer, got, 0, $0, length) }
                    }
                }
            }
        }
        thread.start()
    }

    func close() {
        stop.set()
        usleep(50_000)
        _ = Glibc.close(fd)
    }

    /// Sends `count` probes `spacing` apart from `client` and returns the RTTs (ms) of those
    /// that came back within `wait` seconds after the last one.
    static func roundTrips(client: Int32, to address: String, port: UInt16, count: Int,
                           spacing: Double = 0.002, wait: Double = 0.5) -> [Double] {
        var sent = [UInt64](repeating: 0, count: count)
        var rtts: [Double] = []
        var buffer = [UInt8](repeating: 0, count: 2048)
        func collect(until deadline: UInt64) {
            while DelayEngine.now() < deadline {
                var pfd = pollfd(fd: client, events: Int16(POLLIN), revents: 0)
                let remainingMs = Int32((deadline - min(deadline, DelayEngine.now())) / 1_000_000)
                guard poll(&pfd, 1, max(remainingMs, 0)) == 1 else { continue }
                let got = recv(client, &buffer, buffer.count, Int32(MSG_DONTWAIT))
                let now = DelayEngine.now()
                if got >= 4 {
                    let index = Int(buffer[0]) | Int(buffer[1]) << 8 | Int(buffer[2]) << 16
                    if index < count && sent[index] != 0 {
                        rtts.append(Double(now - sent[index]) / 1e6)
                        sent[index] = 0
                    }
                }
            }
        }
        for index in 0..<count {
            let payload: [UInt8] = [UInt8(index & 0xFF), UInt8((index >> 8) & 0xFF), UInt8(index >> 16), 0] + Array(repeating: 0, count: 60)
            sent[index] = DelayEngine.now()
            Traffic.send(client, to: address, port: port, payload: payload)
            collect(until: DelayEngine.now() + UInt64(spacing * 1e9))
        }
        collect(until: DelayEngine.now() + UInt64(wait * 1e9))
        return rtts
    }
}

func percentile(_ values: [Double], _ p: Double) -> Double {
    guard !values.isEmpty else { return .nan }
    let sorted = values.sorted()
    return sorted[min(sorted.count - 1, Int(Double(sorted.count - 1) * p + 0.5))]
}
