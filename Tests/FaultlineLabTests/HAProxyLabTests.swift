#if canImport(Glibc)
import Glibc
#endif
import FaultlineTestSupport
import Foundation
import Testing
@testable import FaultlineLab
@testable import FaultlinePlan

/// `lab up --service haproxy`: a real HAProxy on n1 in front of real HTTP backends on n2
/// and n3, round-robin, a killed backend taken out by HAProxy's health checks (the
/// detection time measured), `restart` bringing it back, `status` saying all of it, and
/// `down` leaving nothing.
@Suite(.serialized) struct HAProxyLabTests {
    @Test func balancesDetectsAKilledBackendAndRestartBringsItBack() async throws {
        let lab = try TestLab()
        defer { lab.remove() }
        let summary = try await Lab.up(lab.options(hosts: 3, service: .haproxy, agents: false))
        print("lab up (3 hosts, haproxy): \(summary.seconds.s2)")
        let a = lab.addressing, proxy = a.address(ofHost: 1)

        let inventory = try String(contentsOfFile: lab.directory + "/inventory.yaml", encoding: .utf8)
        #expect(inventory.components(separatedBy: "labels: { role: haproxy }").count == 2, "\(inventory)")
        #expect(inventory.components(separatedBy: "labels: { role: backend }").count == 3, "\(inventory)")

        // Round robin over both backends, each naming itself.
        var answers: [String: Int] = [:]
        for _ in 0..<10 {
            let r = try LabHTTP.request("GET", address: proxy, port: LabHAProxy.frontendPort, path: "/", timeout: 2)
            #expect(r.status == 200)
            answers[r.body, default: 0] += 1
        }
        #expect(answers == ["backend n2\n": 5, "backend n3\n": 5])

        let state = try #require(try LabState.load(directory: lab.directory))
        #expect(Set(state.processes.map { "\($0.role)@\($0.host)" }) == ["haproxy@n1", "backend@n2", "backend@n3"])
        let victim = try #require(state.processes.first { $0.role == "backend" && $0.host == "n2" })
        // The process name plans kill and the agents' policy allows.
        #expect(try String(contentsOfFile: "/proc/\(victim.pid)/comm", encoding: .utf8) == LabHAProxy.backendProcessName + "\n")
        #expect(LabAgents.processNames.contains(LabHAProxy.backendProcessName))

        let healthy = try await Lab.status(directory: lab.directory)
        #expect(healthy.isHealthy, "\(healthy)")
        #expect(healthy.description.contains("checks: n2 UP, n3 UP"), "\(healthy)")

        // Kill n2: until HAProxy's checks take it out, requests routed to it fail (503).
        let killedAt = Date()
        #expect(LabProcesses.kill(victim.pid, marker: victim.marker, startTime: victim.startTime))
        var failed = 0, detected: TimeInterval?
        while Date().timeIntervalSince(killedAt) < 10 {
            if let r = try? LabHTTP.request("GET", address: proxy, port: LabHAProxy.frontendPort, path: "/", timeout: 1), r.status != 200 {
                #expect(r.status == 503)
                failed += 1
            }
            if try LabHAProxy.serverStatus(addressing: a)["n2"] == "DOWN" { detected = Date().timeIntervalSince(killedAt); break }
            try await Task.sleep(for: .milliseconds(20))
        }
        let seconds = try #require(detected, "HAProxy did not mark n2 DOWN within 10 s")
        print("haproxy: backend SIGKILLed → marked DOWN in \(seconds.s2); \(failed) requests failed meanwhile")
        #expect(seconds < 2.5, "inter 500ms × fall 2, plus one interval of phase")
        #expect(failed > 0, "requests went to the dead backend until it was detected")
        for _ in 0..<6 {
            let r = try LabHTTP.request("GET", address: proxy, port: LabHAProxy.frontendPort, path: "/", timeout: 2)
            #expect(r.status == 200 && r.body == "backend n3\n")
        }
        let log = try String(contentsOfFile: LabHAProxy.proxyLogPath(lab.directory), encoding: .utf8)
        #expect(log.contains("Server backends/n2 is DOWN"), "\(log.suffix(1500))")

        let degraded = try await Lab.status(directory: lab.directory)
        #expect(!degraded.isHealthy)
        #expect(degraded.description.contains("backend NOT RUNNING"), "\(degraded)")

        let lines = try await Lab.restart(service: .haproxy, host: nil, directory: lab.directory)
        #expect(lines.filter { $0.contains("restarted") } == lines.filter { $0.hasPrefix("n2: backend restarted") }, "\(lines)")
        #expect(lines.count == 3 && lines.filter { $0.contains("running") }.count == 2, "\(lines)")
        let after = try await Lab.status(directory: lab.directory)
        #expect(after.isHealthy, "\(after)")

        let report = try Lab.down(addressing: a, directory: lab.directory)
        #expect(report.killed.count == 3, "\(report)")
        #expect(lab.leftovers().isEmpty, "\(lab.leftovers())")
    }

    @Test func haproxyAcceptsTheConfigurationTheLabWrites() throws {
        let dir = try TemporaryDirectory("haproxycfg")
        defer { dir.remove() }
        let config = LabHAProxy.config(hosts: 5, addressing: .standard, labDirectory: dir.path)
        try LabFiles.write(config, to: dir.path + "/haproxy.cfg")
        let check = try Spawn.run([LabHAProxy.binary, "-c", "-f", dir.path + "/haproxy.cfg"])
        #expect(check.status == 0, "\(check.stdout)\(check.stderr)")
        #expect((1...5).filter { config.contains("server n\($0) ") } == [2, 3, 4, 5])
    }

    @Test func tooFewHostsIsRefusedBeforeAnythingIsTouched() async throws {
        let lab = try TestLab()
        defer { lab.remove() }
        await #expect {
            try await Lab.up(lab.options(hosts: 2, service: .haproxy))
        } throws: { error in
            "\(error)".contains("--service haproxy needs --hosts 3 or more")
        }
        #expect(!FileManager.default.fileExists(atPath: lab.directory))
        #expect(lab.leftovers().isEmpty)
    }

    @Test func statisticsCSVIsReadByServerName() {
        // The header and rows as HAProxy 2.6 writes them (shortened after `status`).
        let csv = """
        # pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,dreq,dresp,ereq,econ,eresp,wretr,wredis,status,weight
        web,FRONTEND,,,0,1,262121,4,420,800,0,0,0,,,,,OPEN,
        backends,n2,0,0,0,1,,2,200,400,,0,,0,0,0,0,DOWN,1
        backends,n3,0,0,0,1,,2,200,400,,0,,0,0,0,0,UP 1/2,1
        backends,BACKEND,0,0,0,1,26213,4,420,800,0,0,,0,0,0,0,UP,1
        """
        #expect(LabHAProxy.parseServerStatus(csv: csv) == ["n2": "DOWN", "n3": "UP 1/2"])
        #expect(LabHAProxy.parseServerStatus(csv: "not csv").isEmpty)
    }
}
