#if canImport(Glibc)
import Glibc
#endif
import FaultlineAgentAPI
import FaultlineCore
import Foundation
import Synchronization
import Testing
@testable import FaultlineController

/// The journal is written as the run goes (issue 15): `JournalBook` syncs its sink at
/// every event and fault change and at most a second after a sample; `JournalFile`
/// replaces the file atomically, so a reader at any moment finds a complete journal.
struct JournalFileTests {
    /// A clock the test moves by hand.
    final class HandClock: RunClock, Sendable {
        let t = Mutex(0.0)
        let start = Date(timeIntervalSince1970: 1_795_000_000)
        func now() -> Double { t.withLock { $0 } }
        func wall() -> Date { start.addingTimeInterval(now()) }
        func sleep(seconds: Double) async throws { t.withLock { $0 += seconds } }
        func advance(_ s: Double) { t.withLock { $0 += s } }
    }

    /// Counts writes and keeps the last journal written.
    final class CountingSink: JournalSink, Sendable {
        let state = Mutex<(count: Int, last: Journal?)>((0, nil))
        func write(_ journal: Journal) throws { state.withLock { $0.count += 1; $0.last = journal } }
        var count: Int { state.withLock { $0.count } }
        var last: Journal? { state.withLock { $0.last } }
    }

    static func journal() -> Journal {
        var j = Journal(plan: PlanSummary(file: "p.yaml", title: "t", description: nil, tags: []), seed: 1, startedAt: Date(timeIntervalSince1970: 1_795_000_000))
        j.probes = [ProbeRecord(name: "p", kind: "http", role: .hypothesis, timings: ["during"])]
        return j
    }

    @Test func everyEventAndFaultChangeIsSyncedAndSamplesAtMostOnceASecond() async throws {
        let clock = HandClock(), sink = CountingSink()
        let book = JournalBook(journal: Self.journal(), clock: clock, observer: nil, sink: sink)
        await book.enter(.method)
        #expect(sink.count == 1 && sink.last?.events.last?.phase == .method)
        await book.addFault(FaultRecord(id: "f1", step: "method[0]", stepName: nil, host: "h1",
                                        fault: .loss(Loss(percent: Percent(points: 10))), requestedAt: 0))
        #expect(sink.count == 2 && sink.last?.faults.count == 1)
        await book.updateFault("f1") { $0.appliedAt = 0.01 }
        #expect(sink.count == 3 && sink.last?.faults.first?.appliedAt == 0.01)

        // Ten samples within 0.9 s: none written at once after the last sync (0.0 s)…
        let o = ProbeObservation(host: "h1", ok: true, value: 200, detail: "status 200", durationSeconds: 0.003)
        for _ in 0..<10 {
            clock.advance(0.09)
            await book.sample(0, o, sentAt: clock.now() - 0.003)
        }
        #expect(sink.count == 3, "samples within a second of the last sync wait for the next")
        // …the one after a second has passed carries all eleven.
        clock.advance(0.2)
        await book.sample(0, o, sentAt: clock.now() - 0.003)
        #expect(sink.count == 4 && sink.last?.probes[0].samples.count == 11)

        // The agent's revert record: reason and time as the agent said, on the run clock.
        clock.advance(1)
        let agentTime = clock.wall().addingTimeInterval(-0.4)
        await book.reverted("f1", as: RevertedFault(id: "f1", kind: "loss", reason: .halt, revertedAt: RenderFormat.wall(agentTime)))
        let f = try #require(sink.last?.faults.first)
        #expect(sink.count == 5 && f.revertReason == .halt && f.agentRevertedAt == RenderFormat.wall(agentTime))
        #expect(abs((f.revertedAt ?? 0) - (clock.now() - 0.4)) < 0.002, "\(f.revertedAt ?? -1) vs \(clock.now() - 0.4)")
        // A time before the apply (a host clock behind) is kept at the apply.
        await book.addFault(FaultRecord(id: "f2", step: "method[1]", stepName: nil, host: "h2",
                                        fault: .loss(Loss(percent: Percent(points: 10))), requestedAt: clock.now()))
        let applied = clock.now()
        await book.updateFault("f2") { $0.appliedAt = applied }
        clock.advance(0.5)
        await book.reverted("f2", as: RevertedFault(id: "f2", kind: "loss", reason: .recovery, revertedAt: RenderFormat.wall(clock.wall().addingTimeInterval(-3600))))
        #expect(sink.last?.faults.last?.revertedAt == applied)
    }

    @Test func samplesAreStampedWithTheirSendTime() async throws {
        let clock = HandClock()
        let book = JournalBook(journal: Self.journal(), clock: clock, observer: nil)
        clock.advance(5)
        await book.sample(0, ProbeObservation(host: nil, ok: true, value: 1, detail: "ok", durationSeconds: 1.5), sentAt: 3.5)
        let s = try #require(await book.journal.probes[0].samples.first)
        #expect(s.t == 3.5 && s.durationSeconds == 1.5)
        #expect(s.wall == clock.start.addingTimeInterval(3.5))
    }

    /// The real file: readable and complete after every sync, replaced atomically (no
    /// temporary left behind), and unchanged by a failed write.
    @Test func theFileIsAlwaysACompleteJournal() throws {
        var template = Array("/tmp/fl-journal-XXXXXX".utf8CString)
        let dir = try #require(template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }.map { String(cString: $0) })
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let file = JournalFile(path: dir + "/journal.json")
        var j = Self.journal()
        for i in 0..<50 {
            j.events.append(JournalEvent(t: Double(i), wall: j.startedAt, kind: .note, message: "event \(i)"))
            try file.write(j)
            let read = try Journal.decode(try Data(contentsOf: URL(fileURLWithPath: file.path)))
            #expect(read.events.count == i + 1)
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["journal.json"])
        // A folder that cannot take the temporary file: the error says so and the old journal stays.
        let blocked = JournalFile(path: dir + "/missing/journal.json")
        #expect(throws: JournalFileError.self) { try blocked.write(j) }
        #expect(try Journal.decode(try Data(contentsOf: URL(fileURLWithPath: file.path))).events.count == 50)
    }
}
