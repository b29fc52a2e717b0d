import FaultlineAgentAPI
import FaultlineCore
import FaultlineTestSupport
import Foundation
import Testing

/// Process faults through the agent: selectors reach only processes of the agent's host
/// (its network namespace), and a reverted kill restarts by the policy's command.
@Suite("faultline-agent process faults")
struct AgentProcessFaultTests {
    /// /proc/PID/stat's state letter: T when stopped.
    static func state(_ pid: Int32) -> Character? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return nil }
        return stat[stat.index(close, offsetBy: 2)]
    }

    static func sleepers(named marker: String) -> [Int32] {
        ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap(Int32.init).filter { pid in
            let cmdline = (try? String(contentsOfFile: "/proc/\(pid)/cmdline", encoding: .utf8)) ?? ""
            return cmdline.replacingOccurrences(of: "\0", with: " ").contains(marker)
        }
    }

    @Test("a selector previews, pauses and kills only the host's processes; revert resumes; a reverted kill restarts by policy")
    func pauseKillRestart() async throws {
        // A marker only this test's sleepers carry, so the restart can be found.
        let seconds = "\(Int.random(in: 100_000...999_999))"
        let agent = try AgentUnderTest(tag: "aq", extraConfig: "restart: { sleep: [/usr/bin/sleep, \"\(seconds)\"] }")
        defer {
            for pid in Self.sleepers(named: "sleep \(seconds)") { kill(pid, SIGKILL) }
            agent.destroy()
        }
        try await agent.waitUntilServing()
        let inside = try SpawnedProcess(["/usr/sbin/ip", "netns", "exec", agent.host.name, "/usr/bin/sleep", seconds],
                                        logPath: agent.directory.path + "/inside.log")
        let outside = try SpawnedProcess(["/usr/bin/sleep", seconds], logPath: agent.directory.path + "/outside.log")
        defer { inside.kill(); outside.kill() }
        try await Task.sleep(for: .milliseconds(200))

        let client = try agent.client()
        defer { client.close() }
        // The preview `faultline plan --ask-agents` shows: only the host's own process.
        let preview = try await client.processes(matching: .name("sleep"))
        #expect(preview.map(\.pid) == [inside.pid], "preview: \(preview)")
        #expect(preview.first?.commandLine == "/usr/bin/sleep \(seconds)")
        _ = try await client.apply(id: "freeze", fault: .pause(Pause(process: .name("sleep"), mechanism: .sigstop)), lease: .seconds(30))
        #expect(Self.state(inside.pid) == "T", "the host's sleep must be stopped")
        #expect(Self.state(outside.pid) == "S", "a process outside the host's namespace must not be touched")
        #expect(try await client.revert(id: "freeze"))
        #expect(Self.state(inside.pid) == "S", "revert must resume it")

        _ = try await client.apply(id: "boom", fault: .kill(Kill(process: .name("sleep"), signal: .kill)), lease: .seconds(30))
        try await Task.sleep(for: .milliseconds(200))
        #expect(inside.hasExited, "the host's sleep must be dead")
        #expect(!outside.hasExited, "the outside sleep must live")
        #expect(try await client.revert(id: "boom"))
        try await Task.sleep(for: .milliseconds(300))
        let restarted = Self.sleepers(named: "sleep \(seconds)").filter { $0 != outside.pid && $0 != inside.pid }
        #expect(restarted.count == 1, "the policy's restart command must have run once, found \(restarted)")

        let metrics = try await client.call("GET", "/metrics")
        let text = String(decoding: metrics.body, as: UTF8.self)
        #expect(metrics.status == 200)
        #expect(text.contains(#"faultline_agent_faults_applied_total{kind="pause"} 1"#), "\(text.prefix(600))")
        #expect(text.contains(#"faultline_agent_faults_applied_total{kind="kill"} 1"#))
        #expect(text.contains("faultline_agent_apply_seconds_bucket"))
    }

    @Test("kill -9 of the agent while a process is paused: the restarted agent resumes it")
    func pausedProcessSurvivesAgentCrash() async throws {
        let seconds = "\(Int.random(in: 100_000...999_999))"
        let agent = try AgentUnderTest(tag: "ar")
        defer { agent.destroy() }
        try await agent.waitUntilServing()
        let sleeper = try SpawnedProcess(["/usr/sbin/ip", "netns", "exec", agent.host.name, "/usr/bin/sleep", seconds],
                                         logPath: agent.directory.path + "/sleeper.log")
        defer { sleeper.kill() }
        try await Task.sleep(for: .milliseconds(200))
        let client = try agent.client()
        defer { client.close() }
        _ = try await client.apply(id: "frozen", fault: .pause(Pause(process: .pid(sleeper.pid), mechanism: .sigstop)), lease: .seconds(60))
        #expect(Self.state(sleeper.pid) == "T")
        agent.crash()
        try await Task.sleep(for: .milliseconds(300))
        #expect(Self.state(sleeper.pid) == "T", "nothing but the next agent resumes it")
        try await agent.restart()
        #expect(Self.state(sleeper.pid) == "S", "the restarted agent must resume the paused process")
        #expect(await agent.logEventually(contains: "revert id=frozen kind=pause reason=recovery result=reverted"))
    }
}
