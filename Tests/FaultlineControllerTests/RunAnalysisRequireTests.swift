import Foundation
import Testing
@testable import FaultlineController

/// A guard or probe with `require:` is judged in the report and JUnit as the engine judged
/// it: round by round (the calls sent together), not "any failing sample fails".
struct RunAnalysisRequireTests {
    static func journal(require: String?, failingPerRound: [Int]) -> Journal {
        var j = RenderFixtures.base(title: "majority")
        j.events = [RenderFixtures.event(0, .phase, "method", phase: .method), RenderFixtures.event(10, .phase, "done", phase: .done)]
        var g = ProbeRecord(name: "a majority answers", kind: "tcp", role: .guard, timings: [])
        g.require = require
        for (round, failing) in failingPerRound.enumerated() {
            for (i, host) in RenderFixtures.hostNames.enumerated() {
                let ok = i >= failing
                g.samples.append(RenderFixtures.sample(Double(round) + 1, .method, host: host, ok: ok, value: nil, ok ? "connected" : "refused"))
            }
        }
        j.probes = [g]
        return j
    }

    static func guardStatus(_ j: Journal) -> RunAnalysis.Check.Status? { RunAnalysis(j).checks.first { $0.group == "guard" }?.status }

    @Test func oneHostDownOfThreeHoldsAMajorityGuard() {
        #expect(Self.guardStatus(Self.journal(require: "majority", failingPerRound: [0, 1, 1, 0])) == .passed)
        // Every host: the same samples deviate.
        guard case .failed = Self.guardStatus(Self.journal(require: nil, failingPerRound: [0, 1, 1, 0])) else { Issue.record("all: should fail"); return }
    }

    @Test func twoHostsDownFailsTheMajorityInThoseRoundsOnly() throws {
        guard case .failed(let message, let details) = Self.guardStatus(Self.journal(require: "majority", failingPerRound: [0, 2, 1, 2])) else {
            Issue.record("should fail"); return
        }
        #expect(message.hasPrefix("majority of the hosts did not pass in 2 of 4 rounds; first at t+2.000s on n1"), "\(message)")
        #expect(details.count == 4, "the failing samples of the two failing rounds: \(details)")
        #expect(Self.guardStatus(Self.journal(require: "at-least 3", failingPerRound: [0, 1])) != .passed)
        #expect(Self.guardStatus(Self.journal(require: "any", failingPerRound: [2, 2])) == .passed)
    }
}
