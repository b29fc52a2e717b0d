import FaultlineChecker
import Foundation
import Testing
@testable import FaultlineController

/// The JUnit file validates against Jenkins' junit-10.xsd (Tests/Fixtures/junit, written out
/// from the public schema; see its header) with xmllint, and each testcase carries the time
/// it really took, consistency verdicts included.
struct JUnitSchemaTests {
    static let schema = RenderSupport.repositoryRoot.appendingPathComponent("Tests/Fixtures/junit/jenkins-junit-10.xsd").path
    static let xmllint = "/usr/bin/xmllint"

    /// xmllint's verdict on `xml`: (exit status, its messages). Fails, never skips, without
    /// xmllint (libxml2-utils, installed by `make test`).
    static func validate(_ xml: String, name: String) throws -> (Int32, String) {
        try #require(FileManager.default.isExecutableFile(atPath: xmllint), "xmllint is missing: apt-get install libxml2-utils (make test does)")
        let directory = try RenderSupport.TemporaryDirectory("junit-xsd")
        defer { directory.remove() }
        let path = directory.path + "/\(name).junit.xml"
        try xml.write(toFile: path, atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: xmllint)
        process.arguments = ["--noout", "--schema", schema, path]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, text)
    }

    @Test(arguments: ["deviated", "aborted", "hostile", "unfinished"])
    func validatesAgainstTheJenkinsSchema(_ name: String) throws {
        var journal: Journal
        switch name {
        case "deviated": journal = RenderFixtures.deviated()
        case "aborted": journal = RenderFixtures.aborted()
        case "hostile": journal = RenderFixtures.hostileJournal()
        default:
            journal = RenderFixtures.deviated()
            journal.outcome = nil
        }
        let (status, messages) = try Self.validate(JUnitWriter.render(journal), name: name)
        #expect(status == 0, "\(messages)")
    }

    @Test func theSchemaRejectsWhatTheOldWriterWrote() throws {
        // The check must be able to fail: a `skipped` count on <testsuites> is outside it.
        let old = JUnitWriter.render(RenderFixtures.deviated())
            .replacingOccurrences(of: "<testsuites name=\"faultline: ", with: "<testsuites skipped=\"1\" name=\"faultline: ")
        let (status, messages) = try Self.validate(old, name: "old")
        #expect(status != 0)
        #expect(messages.contains("attribute 'skipped': The attribute 'skipped' is not allowed"), "\(messages)")
    }

    @Test func consistencyTestcasesCarryTheirChecksTime() {
        var journal = RenderFixtures.deviated()
        journal.consistency[0].verdicts[0].checkSeconds = 2.5
        journal.consistency[0].verdicts[1].checkSeconds = 0.0123
        let xml = JUnitWriter.render(journal)
        #expect(xml.contains("<testcase classname=\"consistency\" name=\"writes stay linearizable: linearizable\" time=\"2.500\">"))
        #expect(xml.contains("<testcase classname=\"consistency\" name=\"writes stay linearizable: lost-writes\" time=\"0.012\"/>"))
        // A journal from before checks were timed still renders (time 0).
        #expect(xml.contains("<testcase classname=\"consistency\" name=\"writes stay linearizable: convergence\" time=\"0.000\">"))
        let suites = xml.split(separator: "\n")[1]
        #expect(suites.hasPrefix("<testsuites ") && !suites.contains("skipped="), "\(suites)")
    }

    /// The runner times each check it makes: a real history, really checked.
    @Test func judgeTimesEveryCheck() {
        var generator = HistoryGenerator(object: .register, clients: 8, operations: 4_000, keys: 4)
        generator.infoRate = 0.01
        let history = generator.generate(seed: 3)
        let clock = ContinuousClock()
        let started = clock.now
        let verdicts = ConsistencyProbeRunner.judge(history, checks: [.linearizable, .lostWrites, .convergence], budget: .seconds(10))
        let total = (clock.now - started) / .seconds(1)
        #expect(verdicts.map(\.check) == ["linearizable", "lost-writes", "convergence"])
        #expect(verdicts.allSatisfy { ($0.checkSeconds ?? -1) >= 0 }, "\(verdicts)")
        let sum = verdicts.reduce(0) { $0 + ($1.checkSeconds ?? 0) }
        #expect(sum > 0 && sum <= total, "checks \(sum) s of \(total) s")
    }
}
