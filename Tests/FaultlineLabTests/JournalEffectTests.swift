import Foundation
import Testing
@testable import FaultlineLab
@testable import FaultlinePlan

/// Issue 8: each etcd plan's measured effect appears in its journal. Every test runs the
/// plan from Experiments/ with `faultline run` through real agents against a real
/// 3-member etcd lab, then reads the journal (JSON) and checks that the probes recorded
/// what the fault does: a write outage after a leader kill, latency that rises by the
/// injected delay, slow answers under loss, a member's clock an hour ahead.
@Suite(.serialized) struct JournalEffectTests {
    static func runInEtcdLab(_ plan: String) async throws -> (TestLab, EffectJournal, EffectRun) {
        let lab = try TestLab()
        do {
            _ = try await Lab.up(lab.options(hosts: 3, service: .etcd, agents: true))
            let run = try EffectRun.run(plan, lab: lab)
            #expect(run.status == 0, "\(run.output.suffix(3000))")
            let journal = try run.journal()
            #expect(journal.outcome == "held", "\(journal.reason ?? "")")
            return (lab, journal, run)
        } catch {
            lab.remove()
            throw error
        }
    }

    @Test(.enabled(if: EndToEndTests.ready, "faultline and faultline-agent must be built (swift build --build-tests builds both)"))
    func memberKillShowsTheWriteOutageUntilANewLeader() async throws {
        let (lab, journal, _) = try await Self.runInEtcdLab("Experiments/etcd-member-kill.yaml")
        defer { lab.remove() }
        let kill = try journal.fault("kill")
        let killedAt = try #require(kill.appliedAt)
        let writes = try journal.samples("writes through each member").filter { $0.phase == "method" }
        #expect(writes.filter { $0.t < kill.requestedAt }.count >= 6)
        #expect(writes.filter { $0.t < kill.requestedAt }.allSatisfy { $0.ok }, "writes succeed before the kill")

        // The killed member answers nothing until the rollback restarts it.
        let victim = writes.filter { $0.host == kill.host && $0.t >= killedAt }
        #expect(victim.count >= 10 && victim.allSatisfy { !$0.ok }, "\(victim.filter(\.ok).map(\.detail))")

        // The survivors fail while they still follow the dead leader, then recover for good.
        let survivors = writes.filter { $0.host != kill.host && $0.t >= killedAt }
        let lastFailure = try #require(survivors.last { !$0.ok }, "no survivor write failed: the outage was not observed")
        let outage = lastFailure.t + lastFailure.durationSeconds - killedAt
        #expect(outage > 0.3 && outage < 6, "an election after etcd's 1 s election timeout")
        let recovered = survivors.filter { $0.t > lastFailure.t }
        #expect(recovered.count >= 10 && recovered.allSatisfy { $0.ok })

        let after = try journal.samples("every member healthy").filter { $0.phase == "after" }
        #expect(after.count == 3 && after.allSatisfy { $0.ok }, "all three healthy after the restart")
        print("etcd-member-kill: leader \(kill.host) killed; writes through the survivors failed until +\(outage.s2), "
              + "\(survivors.filter { !$0.ok }.count) failed samples")
    }

    @Test(.enabled(if: EndToEndTests.ready, "faultline and faultline-agent must be built (swift build --build-tests builds both)"))
    func latencyBetweenMembersRaisesHealthLatencyByTheDelay() async throws {
        let (lab, journal, _) = try await Self.runInEtcdLab("Experiments/etcd-latency-between-members.yaml")
        defer { lab.remove() }
        let faults = journal.faults("latency")
        #expect(faults.count == 3, "one per member")
        let applied = try #require(faults.compactMap(\.appliedAt).max()), reverted = try #require(faults.compactMap(\.revertedAt).min())
        let firstRequest = try #require(faults.map(\.requestedAt).min()), lastRevert = try #require(faults.compactMap(\.revertedAt).max())
        let samples = try journal.samples("every member healthy")
        // Samples sent while the delay held on every member, and those sent with none.
        let during = samples.filter { $0.t >= applied + 0.2 && $0.t + $0.durationSeconds <= reverted }.compactMap(\.value)
        let baseline = samples.filter { $0.t + $0.durationSeconds < firstRequest || $0.t > lastRevert + 0.2 }.compactMap(\.value)
        #expect(during.count >= 30 && baseline.count >= 12, "\(during.count) samples during, \(baseline.count) outside")
        let rise = try #require(during.median) - (try #require(baseline.median))
        #expect(rise >= 80 && rise < 900, "the median /health rose by \(rise.ms), injected 100 ms ± 10 ms")
        #expect(samples.allSatisfy { $0.ok }, "stable: every answer within 1 s")
        print("etcd-latency-between-members: /health median \(baseline.median!.ms) without, \(during.median!.ms) with 100 ms between members "
              + "(+\(rise.ms)); max \(during.max()!.ms)")
    }

    @Test(.enabled(if: EndToEndTests.ready, "faultline and faultline-agent must be built (swift build --build-tests builds both)"))
    func lossOnOneMemberSlowsItsAnswers() async throws {
        let (lab, journal, _) = try await Self.runInEtcdLab("Experiments/etcd-loss-one-member.yaml")
        defer { lab.remove() }
        let loss = try journal.fault("loss")
        let applied = try #require(loss.appliedAt), reverted = try #require(loss.revertedAt)
        let samples = try journal.samples("the lossy member answers quickly").filter { $0.phase == "method" }
        #expect(samples.allSatisfy { $0.host == loss.host }, "the probe follows the same pick as the fault")
        let during = samples.filter { $0.t >= applied && $0.t + $0.durationSeconds <= reverted }
        let outside = samples.filter { $0.t + $0.durationSeconds < loss.requestedAt || $0.t > reverted + 0.3 }
        // Sampled one after the other: a slow answer (up to etcd's own 1 s health deadline) delays the next.
        #expect(during.count >= 8 && outside.count >= 4, "\(during.count) samples during, \(outside.count) outside")
        let slowDuring = Double(during.filter { !$0.ok }.count) / Double(during.count)
        let slowOutside = Double(outside.filter { !$0.ok }.count) / Double(max(1, outside.count))
        #expect(during.filter { !$0.ok }.count >= 3, "retransmissions show as answers over 150 ms, or the member reports itself unhealthy")
        #expect(slowDuring >= slowOutside + 0.1, "slow: \(Int(slowDuring * 100)) % with the loss, \(Int(slowOutside * 100)) % without")
        let consistency = try journal.samples("writes stay linearizable")
        #expect(!consistency.isEmpty && consistency.allSatisfy { $0.ok })
        let ms = during.compactMap(\.value).sorted()
        let unhealthy = during.filter { $0.detail.hasPrefix("status ") }.count
        print("etcd-loss-one-member: \(loss.host) 30 % inbound loss; \(Int(slowDuring * 100)) % of its /health answers slow (over 150 ms) "
              + "or failing (\(unhealthy) of \(during.count) answered an error status) "
              + "(\(Int(slowOutside * 100)) % without); median \(ms.median?.ms ?? "-"), max \(ms.last?.ms ?? "-"); "
              + "e.g. \(during.first { !$0.ok }?.detail ?? "-")")
    }

    @Test(.enabled(if: EndToEndTests.ready, "faultline and faultline-agent must be built (swift build --build-tests builds both)"))
    func clockSkewIsSeenInTheSkewedMembersDateHeader() async throws {
        let (lab, journal, _) = try await Self.runInEtcdLab("Experiments/etcd-clock-skew.yaml")
        defer { lab.remove() }
        let clock = try journal.fault("clock")
        let applied = try #require(clock.appliedAt), reverted = try #require(clock.revertedAt)
        let samples = try journal.samples("every member's clock agrees with the controller's")
        let during = samples.filter { $0.t >= applied && $0.t + $0.durationSeconds <= reverted }
        let outside = samples.filter { $0.t + $0.durationSeconds < clock.requestedAt || $0.t > reverted + 0.5 }
        #expect(during.count >= 5 && outside.count >= 3)
        #expect(outside.allSatisfy { $0.ok }, "every clock agrees before and after: \(outside.filter { !$0.ok }.map(\.detail))")
        // Each sample during the skew names the skewed member and an offset of about an hour.
        let pattern = try NSRegularExpression(pattern: "\(clock.host) clock \\+([0-9]+) s")
        var offsets: [Double] = []
        for s in during {
            #expect(!s.ok && s.value == 1, "\(s.detail)")
            let range = NSRange(s.detail.startIndex..., in: s.detail)
            if let m = pattern.firstMatch(in: s.detail, range: range), let r = Range(m.range(at: 1), in: s.detail) { offsets.append(Double(s.detail[r])!) }
        }
        #expect(offsets.count == during.count, "\(during.map(\.detail))")
        #expect(offsets.allSatisfy { abs($0 - 3600) <= 2 }, "\(offsets)")
        #expect(during.allSatisfy { s in ["n1", "n2", "n3"].filter { $0 != clock.host }.allSatisfy { !s.detail.contains("\($0) clock") } })
        print("etcd-clock-skew: \(clock.host)'s Date header read +\(offsets.median.map { String(format: "%.0f", $0) } ?? "-") s "
              + "in \(during.count) samples during the fault, ±0 s before and after")
    }
}
