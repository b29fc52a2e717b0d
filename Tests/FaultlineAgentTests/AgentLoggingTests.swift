import FaultlineAgent
import FaultlineAgentAPI
import FaultlineCore
import FaultlineTestSupport
import Foundation
import Logging
import Testing

/// The agent's log as operators ship it: swift-log records at levels, as text or one JSON
/// object a line on stderr, written without ever holding up a revert.
@Suite("faultline-agent log", .serialized)
struct AgentLoggingTests {
    static let levels = Set(Logger.Level.allCases.map(\.rawValue))

    /// Every line of `text` as a JSON object, or a failure naming the line.
    static func records(_ text: String) throws -> [[String: Any]] {
        try text.split(separator: "\n").map { line in
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
                throw TestFailure("not a JSON object: \(line)")
            }
            return object
        }
    }

    @Test("log-format json: every stderr line is a JSON object with ts (RFC 3339, ms, UTC), level, label, message, host; info hides debug")
    func jsonLinesAtInfo() async throws {
        let agent = try AgentUnderTest(tag: "lj", extraConfig: "log-format: json")
        defer { agent.destroy() }
        try await agent.waitUntilServing()
        let client = try agent.client()
        defer { client.close() }
        _ = try await client.apply(id: "logged", fault: .partition(Partition(topology: .inbound)), lease: .seconds(30))
        _ = try await client.revert(id: "logged")
        agent.signal(SIGTERM)
        #expect(agent.process.waitForExit(seconds: 10) == 0, "\(agent.log)")

        let text = try String(contentsOfFile: agent.logPath, encoding: .utf8)
        let records = try Self.records(text)
        #expect(records.count >= 8, "\(text)")
        for record in records {
            let ts = record["ts"] as? String ?? ""
            #expect(ts.wholeMatch(of: /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/) != nil, "ts \(ts) in \(record)")
            #expect(Self.levels.contains(record["level"] as? String ?? ""), "\(record)")
            #expect(record["label"] as? String == "faultline-agent", "\(record)")
            #expect(record["message"] is String, "\(record)")
            #expect(record["host"] as? String == agent.host.name, "\(record)")
        }
        // The timestamp is now's, in UTC.
        let first = try #require(records.first?["ts"] as? String)
        let parsed = try #require(ISO8601DateFormatter.withFractionalSeconds.date(from: first))
        #expect(abs(parsed.timeIntervalSinceNow) < 60, "\(first)")

        func record(_ prefix: String) -> [String: Any]? { records.first { ($0["message"] as? String)?.hasPrefix(prefix) == true } }
        // Audit records keep their content and have their levels.
        let call = try #require(records.first { ($0["message"] as? String)?.contains("caller=test-controller action=GET /v1/health result=200") == true }, "\(text)")
        #expect((call["message"] as? String)?.contains("call peer=\(agent.host.controllerAddress):") == true)
        #expect(call["level"] as? String == "info")
        #expect(record("apply id=logged kind=partition")?["level"] as? String == "notice", "\(text)")
        #expect(record("revert id=logged kind=partition reason=")?["level"] as? String == "notice", "\(text)")
        #expect(record("listening on")?["level"] as? String == "notice")
        #expect(record("received SIGTERM")?["level"] as? String == "notice", "the last lines are flushed before exit: \(text)")
        // At info (the default) no debug record is written.
        #expect(!records.contains { $0["level"] as? String == "debug" || $0["level"] as? String == "trace" }, "\(text)")
        #expect(record("first-use warm-up took") == nil)
    }

    @Test("log-level debug in the config shows the debug records; --log-level and --log-format override the config")
    func levelsFilterAndFlagsOverride() async throws {
        let debug = try AgentUnderTest(tag: "ld", extraConfig: "log-level: debug")
        defer { debug.destroy() }
        try await debug.waitUntilServing()
        #expect(await debug.logEventually(contains: " debug first-use warm-up took "), "\(debug.log)")
        #expect(debug.log.contains(" debug configuration: listen \(debug.host.hostAddress):7433"), "\(debug.log)")
        #expect(debug.log.contains(" notice listening on "), "text lines carry the level: \(debug.log)")
        debug.destroy()

        // The config says debug and text; the flags say warning and json.
        let quiet = try AgentUnderTest(tag: "lw", extraConfig: "log-level: debug\nlog-format: text",
                                       arguments: ["--log-level", "warning", "--log-format", "json"])
        defer { quiet.destroy() }
        try await quiet.waitUntilServing()
        let client = try quiet.client()
        defer { client.close() }
        _ = try await client.health()
        quiet.signal(SIGTERM)
        #expect(quiet.process.waitForExit(seconds: 10) == 0)
        let text = try String(contentsOfFile: quiet.logPath, encoding: .utf8)
        let records = try Self.records(text)
        // Nothing at warning or above happens in a clean start and stop of a TLS agent.
        #expect(records.allSatisfy { ["warning", "error", "critical"].contains($0["level"] as? String ?? "") }, "\(text)")
        #expect(!text.contains("action=GET /v1/health"), "info records are filtered out at warning: \(text)")
    }

    @Test("bad log-level and log-format values are refused with the field, the value and what is accepted")
    func badValuesAreRefused() throws {
        for (yaml, expected) in [
            ("tls: { insecure: true }\nlog-level: loud", "agent.yaml: log-level: 'loud' is not a log level; expected one of trace, debug, info, notice, warning, error, critical (line 2)"),
            ("tls: { insecure: true }\nlog-level: [info]", "agent.yaml: log-level: expected one of trace, debug, info"),
            ("tls: { insecure: true }\nlog-format: xml", "agent.yaml: log-format: 'xml' is not a log format; expected one of text, json (line 2)"),
            ("tls: { insecure: true }\nlog-format: JSON", "agent.yaml: log-format: 'JSON' is not a log format"),
        ] {
            do {
                _ = try AgentConfiguration.parse(yaml, file: "agent.yaml")
                Issue.record("accepted: \(yaml)")
            } catch {
                #expect(error.description.hasPrefix(expected), "\(error)")
            }
        }
        let config = try AgentConfiguration.parse("tls: { insecure: true }\nlog-level: trace\nlog-format: json", file: "agent.yaml")
        #expect(config.logLevel == .trace && config.logFormat == .json)
        let defaults = try AgentConfiguration.parse("tls: { insecure: true }", file: "agent.yaml")
        #expect(defaults.logLevel == .info && defaults.logFormat == .text)
    }

    @Test("a bad --log-level or --log-format exits 64 with the flag named, before the config is read")
    func badFlagsAreRefused() throws {
        let directory = try TemporaryDirectory("lf")
        defer { directory.remove() }
        for (flags, expected) in [(["--log-level", "loud"], "--log-level: 'loud' is not a log level; expected one of trace, debug, info, notice, warning, error, critical"),
                                  (["--log-format", "xml"], "--log-format: 'xml' is not a log format; expected one of text, json")] {
            let log = directory.path + "/\(flags[0]).log"
            let process = try SpawnedProcess([AgentUnderTest.agentBinary, "--config", directory.path + "/absent.yaml"] + flags, logPath: log)
            #expect(process.waitForExit(seconds: 10) == 64)
            #expect(process.logTail().contains(expected), "\(process.logTail())")
        }
    }

    @Test("stderr that nobody reads (a stalled journald) does not hold up a lease's revert; dropped lines are counted")
    func unreadStderrDoesNotBlockTheReaper() async throws {
        let agent = try AgentUnderTest(tag: "lu", stderrUnread: true)
        defer { agent.destroy() }
        try await agent.waitUntilServing()
        let client = try agent.client()
        defer { client.close() }
        // 80 calls with 16 KiB paths: 1.3 MB of log lines, more than the pipe's 64 KiB (a
        // direct write(2) from the worker, then from the reaper, would block) and more than
        // the writer's 1 MiB buffer (so lines are dropped).
        let long = "/v1/" + String(repeating: "x", count: 16384)
        for _ in 0..<80 { #expect(try await client.call("GET", long).status == 404) }
        let applied = Date()
        _ = try await client.apply(id: "stalled", fault: .partition(Partition(topology: .inbound)), lease: .seconds(1))
        #expect(try agent.host.nftTables().contains("fl_stalled"))
        var reverted: Double?
        while Date().timeIntervalSince(applied) < 4 {
            if try !agent.host.nftTables().contains("fl_stalled") { reverted = Date().timeIntervalSince(applied); break }
            try await Task.sleep(for: .milliseconds(50))
        }
        let elapsed = try #require(reverted, "the 1 s lease's partition was still applied after 4 s with stderr full")
        #expect(elapsed <= 2.0, "reverted after \(elapsed) s")

        // Once stderr is read again, the writer catches up and says how much it dropped.
        var text = ""
        let deadline = Date().addingTimeInterval(5)
        while Date() < deadline && !text.contains("log line(s) dropped") {
            text += agent.drainUnreadStderr()
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(text.contains("log line(s) dropped: stderr was not being read fast enough"), "\(text.suffix(600))")
        _ = try await client.health()
        let after = Date().addingTimeInterval(3)
        while Date() < after && !text.contains("action=GET /v1/health result=200") {
            text += agent.drainUnreadStderr()
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(text.contains("action=GET /v1/health result=200"), "logging resumes: \(text.suffix(600))")
    }
}

extension ISO8601DateFormatter {
    static var withFractionalSeconds: ISO8601DateFormatter {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter
    }
}
