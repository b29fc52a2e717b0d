import FaultlineAgent
import FaultlineAgentAPI
import FaultlineCore
import FaultlineTestSupport
import Foundation
import Testing

/// Issue 14: the agent as an attacker with a valid certificate would try it. Each test
/// fails on the agent before the fix (the first hung forever on a FIFO pidfile with the
/// service lock held, so a 2 s lease was still in the kernel 10 s later).
@Suite("faultline-agent under hostile input", .serialized)
struct AgentHostileInputTests {
    static let fullPartition = Fault.partition(Partition(topology: .inbound))

    static func pause(pidfile: String) -> String {
        #"{"fault":{"kind":"pause","parameters":{"process":{"pidfile":"\#(pidfile)"},"mechanism":"sigstop"}},"lease":"5s"}"#
    }

    static func rssKilobytes(_ pid: Int32) -> Int {
        let status = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? ""
        return Int(line.split(separator: " ").dropFirst().first ?? "") ?? -1
    }

    @Test("a partition with a 2 s lease is gone within lease + 1 s while a request names a FIFO as pidfile; health answers throughout")
    func fifoPidfileCannotHoldTheLease() async throws {
        let agent = try AgentUnderTest(tag: "hf")
        defer { agent.destroy() }
        try await agent.waitUntilServing()
        let fifo = agent.directory.path + "/agent.pid"
        #expect(mkfifo(fifo, 0o600) == 0)
        let client = try agent.client()
        defer { client.close() }
        let applied = Date()
        _ = try await client.apply(id: "short", fault: Self.fullPartition, lease: .seconds(2))

        let stuck = try agent.client(timeout: 5)
        defer { stuck.close() }
        let answer = Task { try await stuck.send(method: "PUT", path: "/v1/faults/fifo", body: Array(Self.pause(pidfile: fifo).utf8)) }
        var gone: Double?
        while Date().timeIntervalSince(applied) < 6 {
            #expect(try await client.health().status == "ok")
            if try !agent.host.nftTables().contains("fl_short") { gone = Date().timeIntervalSince(applied); break }
            try await Task.sleep(for: .milliseconds(100))
        }
        let elapsed = try #require(gone, "the partition was still applied 6 s after its 2 s lease")
        #expect(elapsed <= 3.0, "reverted after \(elapsed) s for a 2 s lease")
        let response = try await answer.value
        let text = String(decoding: response.body, as: UTF8.self)
        #expect(response.status == 422, "\(text)")
        #expect(text.contains("not a regular file"), "\(text)")
    }

    @Test("/dev/zero, a symlink and a secret file as pidfile are refused at once, unread and never echoed")
    func pidfilesAreReadSafely() async throws {
        let agent = try AgentUnderTest(tag: "hp")
        defer { agent.destroy() }
        try await agent.waitUntilServing()
        let client = try agent.client()
        defer { client.close() }
        let secret = "fl-secret-\(UInt64.random(in: 1...UInt64.max))"
        let small = agent.directory.path + "/small"
        let large = agent.directory.path + "/large"
        try secret.write(toFile: small, atomically: true, encoding: .utf8)
        try String(repeating: secret + "\n", count: 50).write(toFile: large, atomically: true, encoding: .utf8)
        let link = agent.directory.path + "/link.pid"
        try "\(getpid())\n".write(toFile: agent.directory.path + "/real.pid", atomically: true, encoding: .utf8)
        #expect(symlink(agent.directory.path + "/real.pid", link) == 0)
        let cases: [(String, String)] = [
            ("/dev/zero", "not a regular file"), (small, "does not start with a positive pid"),
            (large, "a pidfile holds at most 64"), (link, "Too many levels of symbolic links"),
        ]
        for (path, reason) in cases {
            let started = Date()
            let response = try await client.send(method: "PUT", path: "/v1/faults/pf", body: Array(Self.pause(pidfile: path).utf8))
            let text = String(decoding: response.body, as: UTF8.self)
            #expect(response.status == 422, "\(path): \(text)")
            #expect(text.contains(reason), "\(path): \(text)")
            #expect(!text.contains("fl-secret"), "the file's contents came back: \(text)")
            #expect(Date().timeIntervalSince(started) < 1, "\(path) took \(Date().timeIntervalSince(started)) s")
        }
        let rss = Self.rssKilobytes(agent.process.pid)
        #expect(rss > 0 && rss < 200_000, "agent RSS \(rss) kB after reading /dev/zero as a pidfile")
        #expect(try await client.faults().isEmpty)
    }

    @Test("a catastrophic-backtracking pattern answers at once, and matches as a regular expression would")
    func backtrackingPatternIsLinear() async throws {
        let agent = try AgentUnderTest(tag: "hr")
        defer { agent.destroy() }
        try await agent.waitUntilServing()
        let marker = String(repeating: "a", count: 40) + "!"
        let victim = try SpawnedProcess(["/usr/sbin/ip", "netns", "exec", agent.host.name, "/usr/bin/python3", "-c",
                                         "import time; time.sleep(600)", marker], logPath: agent.directory.path + "/victim.log")
        defer { victim.kill() }
        try await Task.sleep(for: .milliseconds(300))
        let client = try agent.client(timeout: 10)
        defer { client.close() }
        let started = Date()
        // Exponential for a backtracking engine on 40 a's followed by '!'; no match.
        #expect(try await client.processes(matching: .commandLine("(a+)+$")).isEmpty)
        #expect(Date().timeIntervalSince(started) < 2, "took \(Date().timeIntervalSince(started)) s")
        #expect(try await client.processes(matching: .commandLine("(a+)+!$")).map(\.pid) == [victim.pid])
        let refused = try await client.send(method: "POST", path: "/v1/processes", body: Array(#"{"process":{"command-line":"(a)\\1"}}"#.utf8))
        #expect(refused.status == 422 && String(decoding: refused.body, as: UTF8.self).contains("backreferences"),
                "\(String(decoding: refused.body, as: UTF8.self))")
    }

    @Test("a cgroup selector reaching outside the agent's namespace is neither frozen nor previewed")
    func cgroupOutsideTheScope() async throws {
        let freezer = "/sys/fs/cgroup/freezer"
        guard FileManager.default.fileExists(atPath: freezer + "/cgroup.procs") else {
            Issue.record("no cgroup v1 freezer at \(freezer): this machine was expected to have one")
            return
        }
        let agent = try AgentUnderTest(tag: "hc", keepMounts: true)
        let name = "fl-hc-\(UniqueName.random4())"
        let outside = try SpawnedProcess(["/usr/bin/sleep", "600"], logPath: agent.directory.path + "/outside.log")
        defer {
            outside.kill()
            _ = try? "THAWED".write(toFile: "\(freezer)/\(name)/freezer.state", atomically: false, encoding: .utf8)
            usleep(100_000)
            rmdir("\(freezer)/\(name)")
            agent.destroy()
        }
        #expect(mkdir("\(freezer)/\(name)", 0o755) == 0)
        try "\(outside.pid)".write(toFile: "\(freezer)/\(name)/cgroup.procs", atomically: false, encoding: .utf8)
        try await agent.waitUntilServing()
        let client = try agent.client()
        defer { client.close() }
        #expect(try await client.processes(matching: .cgroup("/\(name)")).isEmpty)
        let body = #"{"fault":{"kind":"pause","parameters":{"process":{"cgroup":"/\#(name)"},"mechanism":"freezer"}},"lease":"5s"}"#
        let response = try await client.send(method: "PUT", path: "/v1/faults/cg", body: Array(body.utf8))
        let text = String(decoding: response.body, as: UTF8.self)
        #expect(response.status == 422 && text.contains("outside this agent's network namespace"), "\(text)")
        let state = try String(contentsOfFile: "\(freezer)/\(name)/freezer.state", encoding: .utf8)
        #expect(state.hasPrefix("THAWED"), "the cgroup is \(state)")
        #expect(AgentProcessFaultTests.state(outside.pid) == "S")
    }

    @Test("unknown fields, reasons and query parameters get a 400 naming them and change nothing")
    func unknownFieldsAreRefused() async throws {
        let agent = try AgentUnderTest(tag: "hu")
        defer { agent.destroy() }
        try await agent.waitUntilServing()
        let client = try agent.client()
        defer { client.close() }
        let cases: [(String, String, String, String)] = [
            ("PUT", "/v1/faults/u1", #"{"fault":{"kind":"loss","parameters":{"percent":5}},"leese":"5s"}"#, "unknown field 'leese'"),
            ("PUT", "/v1/faults/u2", #"{"fault":{"kind":"loss","parameters":{"percent":5,"percnt":9}},"lease":"5s"}"#, "unknown field 'fault.parameters.percnt'"),
            ("PUT", "/v1/faults/u3", #"{"fault":{"kind":"loss","parameters":{"percent":5},"extra":1},"lease":"5s"}"#, "unknown field 'fault.extra'"),
            ("POST", "/v1/leases", #"{"ids":["a"],"all":true}"#, "unknown field 'all'"),
            ("DELETE", "/v1/faults/u1?reason=lease-expired", "", "invalid revert reason"),
            ("DELETE", "/v1/faults?force=1", "", "unknown query parameter 'force'"),
        ]
        for (method, path, body, reason) in cases {
            let response = try await client.send(method: method, path: path, body: Array(body.utf8))
            let text = String(decoding: response.body, as: UTF8.self)
            #expect(response.status == 400 && text.contains(reason), "\(method) \(path): \(text)")
        }
        #expect(try await client.faults().isEmpty)
        #expect(try !agent.host.nftTables().contains("fl_"))
    }

    @Test("reverts carry the reason the caller named and the agent's time; lease expiry is the agent's own reason")
    func revertReasons() async throws {
        let agent = try AgentUnderTest(tag: "hn")
        defer { agent.destroy() }
        try await agent.waitUntilServing()
        let client = try agent.client()
        defer { client.close() }
        _ = try await client.apply(id: "d", fault: .loss(Loss(percent: Percent(points: 5))), lease: .seconds(30))
        _ = try await client.apply(id: "l", fault: Self.fullPartition, lease: .seconds(1))
        let reverted = try #require(try await client.revert(id: "d", reason: .duration))
        #expect(reverted.reason == .duration && reverted.kind == "loss")
        try await Task.sleep(for: .milliseconds(1800))
        let state = try await client.faultsAndReverts()
        #expect(state.faults.isEmpty)
        #expect(state.reverted.map(\.id) == ["d", "l"])
        #expect(state.reverted.map(\.reason) == [.duration, .leaseExpired])
        #expect(state.reverted.allSatisfy { $0.revertedAt.hasSuffix("Z") && $0.revertedAt.count == 24 }, "\(state.reverted)")
        _ = try await client.apply(id: "h", fault: Self.fullPartition, lease: .seconds(30))
        let halted = try await client.revertAll(reason: .halt)
        #expect(halted.map(\.id) == ["h"] && halted.map(\.reason) == [.halt])
    }

    @Test("a crafted ledger's restart command is never run: restart argv comes from the config")
    func craftedLedgerRunsNothing() async throws {
        let marker = "/tmp/fl-hl-pwned-\(UniqueName.random4())"
        defer { unlink(marker) }
        // A kill of a long-dead process whose record carries its own "restart" argv, as an
        // older agent wrote it (or an attacker with write access to the ledger would).
        let undo = #"{"kill":{"_0":{"signal":{"number":9},"targets":[{"pid":4194000,"startTime":1}]},"names":["sleep"],"restart":{"sleep":["/usr/bin/touch","\#(marker)"]}}}"#
        let fault = Fault.kill(Kill(process: .name("sleep"), signal: .kill))
        let record = LedgerRecord.applying(id: "crafted", fault: fault, undo: Data(undo.utf8), leaseSeconds: 5)
        let agent = try AgentUnderTest(tag: "hl", ledger: LedgerCodec.encode(record))
        defer { agent.destroy() }
        try await agent.waitUntilServing()
        try await Task.sleep(for: .milliseconds(300))
        #expect(!FileManager.default.fileExists(atPath: marker), "the ledger's argv ran as root")
        #expect(await agent.logEventually(contains: "revert id=crafted kind=kill reason=recovery result=reverted"), "\(agent.log)")
    }

    @Test("a damaged ledger still starts the agent, reverts what it can read and says so")
    func damagedLedgerIsSalvaged() async throws {
        let agent = try AgentUnderTest(tag: "hd")
        defer { agent.destroy() }
        try await agent.waitUntilServing()
        let client = try agent.client()
        defer { client.close() }
        _ = try await client.apply(id: "first", fault: Self.fullPartition, lease: .seconds(60))
        _ = try await client.apply(id: "second", fault: .loss(Loss(percent: Percent(points: 3))), lease: .seconds(60))
        agent.crash()
        // Damage a line that is not the last: today's agent refused to start with both applied.
        var lines = try String(contentsOfFile: agent.ledgerPath, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        lines.insert("00000000 {\"garbage\":", at: 1)
        try lines.joined(separator: "\n").write(toFile: agent.ledgerPath, atomically: true, encoding: .utf8)
        try await agent.restart()
        let left = try agent.host.nftTables()
        #expect(!left.contains("fl_"), "left: \(left)")
        #expect(agent.log.contains("damaged line(s) skipped (line 2)"), "\(agent.log)")
        #expect(FileManager.default.fileExists(atPath: agent.ledgerPath + ".damaged"))
        #expect(try await client.faults().isEmpty)
    }
}
