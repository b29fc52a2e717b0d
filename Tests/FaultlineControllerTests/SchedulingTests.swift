import Testing
@testable import FaultlineController

@Suite("Scheduling: guards' grace, repeat, leases, outcome")
struct SchedulingTests {
    @Test func aGuardWithoutGraceTripsOnTheFirstFailure() {
        var g = GuardState(graceSeconds: 0)
        do { let r = g.record(ok: true, at: 0); #expect(!r) }
        do { let r = g.record(ok: false, at: 1); #expect(r) }
        do { let r = g.record(ok: false, at: 2); #expect(!r, "trips once") }
    }

    @Test func graceToleratesFailuresUntilTheyHaveLastedThatLong() {
        var g = GuardState(graceSeconds: 3)
        do { let r = g.record(ok: false, at: 10); #expect(!r) }
        do { let r = g.record(ok: false, at: 11); #expect(!r) }
        do { let r = g.record(ok: true, at: 12); #expect(!r, "a pass ends the failing run") }
        do { let r = g.record(ok: false, at: 13); #expect(!r) }
        do { let r = g.record(ok: false, at: 15.9); #expect(!r) }
        do { let r = g.record(ok: false, at: 16); #expect(r) }
        #expect(g.failingSince == 13)
    }

    @Test func repeatWithEveryKeepsItsScheduleUnlessAnIterationOverruns() {
        #expect(RepeatSchedule.nextStart(previousStart: 0, previousEnd: 2, every: 5) == 5)
        #expect(RepeatSchedule.nextStart(previousStart: 5, previousEnd: 12, every: 5) == 12)
        #expect(RepeatSchedule.nextStart(previousStart: 5, previousEnd: 7, every: nil) == 7)
    }

    @Test func leasesAreRenewedEveryThirdOfTheLeaseInOneCallPerAgent() {
        #expect(LeaseSchedule.interval(leaseSeconds: 9) == 3)
        #expect(LeaseSchedule.interval(leaseSeconds: 0.1) == 0.1)
        let b = LeaseSchedule.batches([("n1", "a"), ("n2", "b"), ("n1", "c")])
        #expect(b.map(\.host) == ["n1", "n2"])
        #expect(b.map(\.ids) == [["a", "c"], ["b"]])
    }

    @Test func deviationBeforeTheMethodIsExitOneNotZero() {
        var f = OutcomeFacts()
        f.deviatedBefore = ["every member healthy"]
        let (outcome, reason) = OutcomeDecision.decide(f)
        #expect(outcome == .deviated)
        #expect(outcome.exitCode == 1)
        #expect(reason.contains("'every member healthy'"))
        #expect(reason.contains("nothing was injected"))
    }

    @Test func outcomePrecedence() {
        var f = OutcomeFacts()
        #expect(OutcomeDecision.decide(f).0 == .held)
        f.deviatedAfter = ["p"]
        #expect(OutcomeDecision.decide(f).0 == .deviated)
        f.abortReason = "guard 'g' tripped"
        #expect(OutcomeDecision.decide(f) == (.aborted, "guard 'g' tripped"))
        f.agentFailure = "n1 refused"
        #expect(OutcomeDecision.decide(f).0 == .couldNotRun)
        var c = OutcomeFacts()
        c.consistencyViolations = ["writes: linearizable"]
        #expect(OutcomeDecision.decide(c).0 == .deviated)
        #expect(OutcomeDecision.decide(c).1.contains("writes: linearizable"))
    }
}
