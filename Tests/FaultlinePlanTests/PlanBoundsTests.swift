#if canImport(Glibc)
import Glibc
#endif
import FaultlineCore
import Foundation
import Testing
@testable import FaultlinePlan

/// What a plan may expand to, and what files the controller agrees to read: each of these
/// hung or exhausted `faultline plan`/`validate` before (nested repeats took 1.5 GB in 8 s,
/// repeat × every wrapped into negative start times, a FIFO as plan path blocked forever).
struct PlanBoundsTests {
    let head = """
    version: 1
    title: bounds
    inventory: lab
    targets:
      etcd: { labels: { role: etcd } }
    method:

    """

    @Test func nestedRepeatsThatMultiplyPastTheBoundAreRefusedAtTheOuterTimes() {
        let text = head + """
          - repeat:
              times: 10000
              steps:
                - repeat:
                    times: 10000
                    steps:
                      - repeat:
                          times: 10000
                          steps:
                            - pause: 1ms
        """
        let started = ContinuousClock.now
        let d = diagnostics(text)
        #expect(ContinuousClock.now - started < .seconds(1))
        #expect(d.count == 1, "\(d)")
        // The middle repeat already unrolls to 10^8: it is the one named.
        #expect(d.first?.field == "method[0].repeat.steps[0].repeat.times", "\(d)")
        #expect(d.first?.message.contains("more than 100000 steps") == true, "\(d)")
        #expect(d.first?.line == 11, "\(d)")
    }

    @Test func repeatTimesEveryPastAWeekIsRefusedNotWrapped() {
        let text = head + """
          - repeat:
              times: 10000
              every: 1000h
              steps:
                - pause: 1s
        """
        let d = diagnostics(text)
        #expect(d.count == 1, "\(d)")
        #expect(d.first?.field == "method[0].repeat.times")
        #expect(d.first?.message.contains("lasts longer than 168h") == true, "\(d)")
    }

    @Test func manyRepeatsInARowAreBoundedTogether() {
        let one = """
          - repeat: { times: 10000, steps: [ { pause: 1ms } ] }

        """
        let d = diagnostics(head + String(repeating: one, count: 11))
        #expect(d.count == 1, "\(d)")
        #expect(d.first?.field == "method" && d.first?.message.contains("split it into several plans") == true, "\(d)")
    }

    @Test func aRepeatInsideTheBoundsLaysOutWithoutWrapping() throws {
        let text = head + """
          - repeat:
              times: 1000
              every: 10m
              steps:
                - latency: { target: etcd, delay: 10ms, duration: 1s }
        """
        guard case .success(let plan) = parse(text) else { Issue.record("\(diagnostics(text))"); return }
        let timeline = Timeline(method: plan.method)
        #expect(timeline.entries.count == 1000)
        #expect(timeline.entries.allSatisfy { $0.start >= .zero })
        #expect(timeline.total == TimeSpan.seconds(999 * 600 + 1))
        #expect(PlanBounds.duration(plan.method) == timeline.total)
    }

    @Test func aNamedPipeAsPlanOrInventoryIsRefusedWithoutBlocking() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("fl-bounds-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let fifo = dir.appendingPathComponent("plan.yaml").path
        #expect(mkfifo(fifo, 0o600) == 0)
        let started = ContinuousClock.now
        guard case .failure(let e) = PlanParser.load(path: fifo) else { Issue.record("a FIFO was read as a plan"); return }
        guard case .failure(let i) = PlanParser.loadInventory(path: fifo) else { Issue.record("a FIFO was read as an inventory"); return }
        #expect(ContinuousClock.now - started < .seconds(1))
        #expect(e.diagnostics.first?.message.contains("named pipe, not a regular file; a plan file must be one") == true, "\(e)")
        #expect(i.diagnostics.first?.message.contains("an inventory file must be one") == true, "\(i)")
        guard case .failure(let device) = PlanParser.load(path: "/dev/zero") else { Issue.record("/dev/zero was read as a plan"); return }
        #expect(device.diagnostics.first?.message.contains("not a regular file") == true, "\(device)")
    }

    @Test func leaseAndAgentTimeoutWithoutRenewalMarginWarnButStillParse() throws {
        let text = head + """
          - latency: { target: etcd, delay: 10ms, duration: 5s }
        settings: { lease: 3s, agent-timeout: 2s }
        """
        guard case .success(let plan) = parse(text) else { Issue.record("\(diagnostics(text))"); return }
        let w = try #require(plan.warnings.first)
        #expect(plan.warnings.count == 1)
        #expect(w.severity == .warning && w.field == "settings.agent-timeout")
        #expect(w.description.contains(": warning: settings.agent-timeout: with lease 3s"), "\(w)")
        #expect(w.message.contains("keep agent-timeout below 2s"), "\(w)")
        // The defaults (lease 10s, agent-timeout 5s) and a sensible pair stay quiet.
        guard case .success(let quiet) = parse(head + "  - latency: { target: etcd, delay: 10ms, duration: 5s }\nsettings: { lease: 6s, agent-timeout: 1s }\n"),
              case .success(let defaults) = parse(head + "  - latency: { target: etcd, delay: 10ms, duration: 5s }\n") else {
            Issue.record("plans without a margin problem did not parse"); return
        }
        #expect(quiet.warnings.isEmpty && defaults.warnings.isEmpty)
    }
}
