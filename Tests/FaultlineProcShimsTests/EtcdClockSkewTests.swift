#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Testing
@testable import FaultlineProcShims

/// A real etcd member (Debian's /usr/bin/etcd, a Go binary) skewed +3600 s, observed
/// through what etcd itself reports: the Date header Go's net/http writes from time.Now().
@Suite struct EtcdClockSkewTests {
    static let etcdPath = "/usr/bin/etcd"

    @Test("etcd member: Date header skewed +3600 s, restored, still healthy",
          .enabled(if: FileManager.default.isExecutableFile(atPath: etcdPath), "Debian etcd-server not installed"))
    func skewsEtcd() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let clientPort = try HTTPProbe.freePort()
        let peerPort = try HTTPProbe.freePort()
        let name = "fl-t\(UniqueName.random4())-etcd"
        let etcd = try ChildProcess([
            Self.etcdPath, "--name", name, "--data-dir", dir.path + "/data",
            "--listen-client-urls", "http://127.0.0.1:\(clientPort)",
            "--advertise-client-urls", "http://127.0.0.1:\(clientPort)",
            "--listen-peer-urls", "http://127.0.0.1:\(peerPort)",
            "--initial-advertise-peer-urls", "http://127.0.0.1:\(peerPort)",
            "--initial-cluster", "\(name)=http://127.0.0.1:\(peerPort)",
            "--initial-cluster-state", "new",
        ], outputFile: dir.path + "/etcd.log")
        defer { etcd.terminate() }

        func healthy() -> Bool {
            guard let response = try? HTTPProbe.get(port: clientPort, path: "/health") else { return false }
            return response.status == 200 && response.body.contains("\"true\"")
        }
        func serverTime() throws -> Double {
            let response = try HTTPProbe.get(port: clientPort, path: "/version")
            #expect(response.status == 200)
            guard let date = response.headers["date"] else { throw TestFailure("no Date header") }
            return try HTTPProbe.epochSeconds(ofDateHeader: date)
        }
        var waited = 0
        while !healthy() {
            waited += 1
            if waited > 200 || etcd.reapIfExited() {
                let log = (try? String(contentsOfFile: dir.path + "/etcd.log", encoding: .utf8)) ?? ""
                throw TestFailure("etcd not healthy within 20 s: \(log.suffix(600))")
            }
            usleep(100_000)
        }
        #expect(abs(try serverTime() - ClockSkewVDSOTests.hostRealtime()) < 3)

        let skew = VDSOClockSkew()
        let spec = VDSOClockSkew.Spec(target: try etcd.identity, offset: .seconds(3600))
        let undo = try skew.prepare(spec)
        _ = try skew.apply(spec, undo: undo)
        let skewed = try serverTime()
        #expect(abs(skewed - (ClockSkewVDSOTests.hostRealtime() + 3600)) < 3, "etcd reports \(skewed)")
        #expect(healthy(), "etcd keeps serving while skewed")

        #expect(try skew.revert(undo).entries.map(\.outcome) == [.reverted])
        #expect(abs(try serverTime() - ClockSkewVDSOTests.hostRealtime()) < 3)
        #expect(healthy(), "etcd healthy after restore")
        #expect(try ClockSkewVDSOTests.entryBytes(undo) == undo.entries.map(\.originalBytes))

        // Stop it by pid through the kill mechanism.
        let kill = KillFault()
        let killSpec = KillFault.Spec(targets: [try etcd.identity], signal: .kill, waitForExit: .seconds(5))
        let applied = try kill.apply(killSpec, undo: try kill.prepare(killSpec))
        #expect(applied.outcomes.values.allSatisfy { $0 == .exited })
    }
}
