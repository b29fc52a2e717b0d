import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing
@testable import FaultlineController

/// The JUnit file: what it says, and that a real JUnit reader (junitparser from PyPI, in
/// a virtual environment of this test's own) reads the same testcases, failures and skips.
struct RenderJUnitTests {
    @Test func deviatedRunHasOneTestcasePerProbeTimingGuardAndVerdict() {
        let xml = JUnitWriter.render(RenderFixtures.deviated())
        #expect(xml.hasPrefix("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites "))
        for name in ["classname=\"hypothesis.before\" name=\"every member healthy\"",
                     "classname=\"hypothesis.after\" name=\"every member healthy\"",
                     "classname=\"hypothesis.during\" name=\"write latency p99\"",
                     "classname=\"guard\" name=\"error rate below 5%\"",
                     "classname=\"consistency\" name=\"writes stay linearizable: linearizable\"",
                     "classname=\"run\" name=\"errors\""] {
            #expect(xml.contains(name), "missing \(name)")
        }
        // The failure says what deviated, where, expected vs observed.
        #expect(xml.contains("<failure message=\"deviated in 1 of 3 samples; first at t+28.110s on n2 (after): status 503, expected 200\" type=\"deviation\">"))
        #expect(xml.contains("<property name=\"seed\" value=\"424242\"/>"))
        #expect(xml.contains("<property name=\"plan\" value=\"Experiments/etcd-leader-partition.yaml\"/>"))
        #expect(xml.contains("<property name=\"outcome\" value=\"deviated\"/>"))
        #expect(xml.contains("<property name=\"exit-code\" value=\"1\"/>"))
        #expect(xml.contains("<skipped message=\"the checker could not decide (unknown): timed out after 10s\"/>"))
    }

    @Test func abortedRunSkipsTheAfterCheckAndSaysWhy() {
        let xml = JUnitWriter.render(RenderFixtures.aborted())
        #expect(xml.contains("<testcase classname=\"hypothesis.after\" name=\"every member healthy\" time=\"0.000\">\n      <skipped message=\"the after phase did not run: the run ended aborted (guard &#39;error rate below 5%&#39; tripped: 0.31, expected below 0.05)\"/>"))
        #expect(xml.contains("<testcase classname=\"hypothesis.before\" name=\"every member healthy\" time=\"0.012\"/>"))
        #expect(xml.contains("first at t+9.600s (method): 0.31, expected below 0.05"))
    }

    /// `continuous` is before, during and after: three verdicts, each from its own phase.
    @Test func continuousProbeIsJudgedPerPhase() {
        var journal = RenderFixtures.aborted()
        journal.probes[0].timings = ["continuous"]
        journal.probes[0].samples.append(RenderFixtures.sample(5, .method, host: "n2", ok: false, value: 503, "status 503, expected 200"))
        let xml = JUnitWriter.render(journal)
        #expect(xml.contains("<testcase classname=\"hypothesis.before\" name=\"every member healthy\" time=\"0.012\"/>"))
        #expect(xml.contains("<testcase classname=\"hypothesis.during\" name=\"every member healthy\" time=\"0.004\">\n      <failure message=\"deviated in its only sample; first at t+5.000s on n2 (method): status 503, expected 200\""))
        #expect(xml.contains("<testcase classname=\"hypothesis.after\" name=\"every member healthy\" time=\"0.000\">\n      <skipped message=\"the after phase did not run"))
        #expect(!xml.contains("hypothesis.continuous"))
    }

    @Test func hostileTextIsEscapedAndTheDocumentStaysWellFormed() throws {
        let xml = JUnitWriter.render(RenderFixtures.hostileJournal())
        #expect(!xml.contains("]]>"), "a raw CDATA end survived")
        #expect(!xml.unicodeScalars.contains { $0.value < 0x20 && $0 != "\n" }, "a raw control character survived")
        #expect(!xml.contains("\u{FFFF}") && !xml.contains("\u{7F}") && !xml.contains("\u{85}"))
        #expect(!xml.contains("<b>bold</b>") && !xml.contains("<script>"))
        #expect(xml.contains("weird ]]&gt; &quot;probe&quot; &amp; &#39;x&#39; &lt;b&gt;bold&lt;/b&gt; \\u{0}\\u{1B}[31mred\\u{7F}\\u{85}\\u{FFFF} end"))
        // Foundation's XML parser must accept it (a second, independent reader).
        let parser = XMLParser(data: Data(xml.utf8))
        #expect(parser.parse(), "XMLParser: \(String(describing: parser.parserError))")
    }

    @Test func deterministic() {
        #expect(JUnitWriter.render(RenderFixtures.deviated()) == JUnitWriter.render(RenderFixtures.deviated()))
    }

    /// The reader CI systems use: junitparser from PyPI. Fails (with the reason) when
    /// python3-venv or PyPI is unavailable, never skips.
    @Test func junitparserReadsTestcasesFailuresAndSkips() throws {
        let directory = try RenderSupport.TemporaryDirectory("junit")
        defer { directory.remove() }
        let python = try RenderSupport.virtualEnvironment(in: directory.path, packages: ["junitparser"])
        var files: [String: String] = [:]
        for (name, journal) in [("deviated", RenderFixtures.deviated()), ("aborted", RenderFixtures.aborted()), ("hostile", RenderFixtures.hostileJournal())] {
            let path = directory.path + "/\(name).xml"
            let xml = JUnitWriter.render(journal)
            try xml.write(toFile: path, atomically: true, encoding: .utf8)
            try xml.write(to: try RenderSupport.artifactDirectory().appendingPathComponent("junit-\(name).xml"), atomically: true, encoding: .utf8)
            files[name] = path
        }
        func read(_ name: String) throws -> JUnitDump {
            let output = try RenderSupport.python(python, script: Self.dumpScript, arguments: [files[name]!], in: directory.path)
            return try JSONDecoder().decode(JUnitDump.self, from: Data(output.utf8))
        }

        let deviated = try read("deviated")
        let suite = try #require(deviated.suites.first)
        #expect(suite.properties["seed"] == "424242")
        #expect(suite.properties["outcome"] == "deviated")
        #expect(suite.properties["plan"] == "Experiments/etcd-leader-partition.yaml")
        #expect(suite.cases.map { "\($0.classname)/\($0.name)" } == [
            "hypothesis.before/every member healthy", "hypothesis.after/every member healthy",
            "hypothesis.during/write latency p99",
            "guard/error rate below 5%",
            "consistency/writes stay linearizable: linearizable", "consistency/writes stay linearizable: lost-writes",
            "consistency/writes stay linearizable: convergence", "run/errors",
        ])
        func result(_ suite: JUnitDump.Suite, _ classname: String, _ name: String) -> [JUnitDump.Result] {
            suite.cases.first { $0.classname == classname && $0.name == name }?.result ?? []
        }
        #expect(result(suite, "hypothesis.before", "every member healthy").isEmpty)
        let after = result(suite, "hypothesis.after", "every member healthy")
        #expect(after.map(\.type) == ["Failure"])
        #expect(after.first?.message?.contains("on n2 (after): status 503, expected 200") == true)
        let during = result(suite, "hypothesis.during", "write latency p99")
        #expect(during.first?.message == "deviated in 4 of 13 samples; first at t+19.000s (method): 500 ms, expected below 500")
        #expect(during.first?.text?.split(separator: "\n").count == 4)
        #expect(result(suite, "guard", "error rate below 5%").isEmpty)
        #expect(result(suite, "consistency", "writes stay linearizable: linearizable").first?.message?.hasPrefix("linearizable violated: key k3: read of 7") == true)
        #expect(result(suite, "consistency", "writes stay linearizable: convergence").map(\.type) == ["Skipped"])
        #expect(result(suite, "run", "errors").map(\.type) == ["Error"])
        // A consistency probe is its verdicts: no "during" testcase skipped for want of samples.
        #expect(suite.tests == 8 && suite.failures == 3 && suite.skipped == 1 && suite.errors == 1,
                "tests \(suite.tests), failures \(suite.failures), skipped \(suite.skipped), errors \(suite.errors)")

        let aborted = try #require(try read("aborted").suites.first)
        let skipped = result(aborted, "hypothesis.after", "every member healthy")
        #expect(skipped.map(\.type) == ["Skipped"])
        #expect(skipped.first?.message == "the after phase did not run: the run ended aborted (guard 'error rate below 5%' tripped: 0.31, expected below 0.05)")
        #expect(result(aborted, "guard", "error rate below 5%").first?.message == "deviated in 1 of 9 samples; first at t+9.600s (method): 0.31, expected below 0.05")

        // Hostile strings come back exactly as the journal had them, less the characters XML cannot carry.
        let hostile = try #require(try read("hostile").suites.first)
        let visible = RenderFixtures.hostile.replacingOccurrences(of: "\u{0}", with: "\\u{0}").replacingOccurrences(of: "\u{1B}", with: "\\u{1B}")
            .replacingOccurrences(of: "\u{7F}", with: "\\u{7F}").replacingOccurrences(of: "\u{85}", with: "\\u{85}").replacingOccurrences(of: "\u{FFFF}", with: "\\u{FFFF}")
        #expect(hostile.name == "faultline: title " + visible)
        #expect(hostile.cases.contains { $0.name == "probe " + visible && $0.classname == "hypothesis.after" })
        #expect(hostile.properties["reason"] == "reason " + visible)
        #expect(result(hostile, "hypothesis.after", "probe " + visible).first?.text?.contains("detail " + visible + " <script>alert(1)</script>") == true)
    }

    struct JUnitDump: Decodable {
        struct Result: Decodable { var type: String; var message: String?; var text: String? }
        struct Case: Decodable { var classname: String; var name: String; var time: Double; var result: [Result] }
        struct Suite: Decodable {
            var name: String; var tests: Int; var failures: Int; var errors: Int; var skipped: Int
            var properties: [String: String]; var cases: [Case]
        }
        var suites: [Suite]
    }

    static let dumpScript = """
    import json, sys
    from junitparser import JUnitXml, TestSuite
    xml = JUnitXml.fromfile(sys.argv[1])
    suites = [xml] if isinstance(xml, TestSuite) else list(xml)
    out = {"suites": []}
    for suite in suites:
        s = {"name": suite.name, "tests": suite.tests, "failures": suite.failures, "errors": suite.errors,
             "skipped": suite.skipped, "properties": {p.name: p.value for p in suite.properties()}, "cases": []}
        for case in suite:
            s["cases"].append({"classname": case.classname, "name": case.name, "time": case.time,
                               "result": [{"type": type(r).__name__, "message": r.message, "text": r.text} for r in case.result]})
        out["suites"].append(s)
    print(json.dumps(out))
    """
}
