import Foundation
import Testing
@testable import FaultlinePlan

/// Every file under Malformed/ is a plan a person could type at 3 a.m. Each ends with
/// `# expect: LINE:COLUMN FIELD | MESSAGE-PREFIX` lines: the diagnostics it must produce,
/// exactly those and no others (FIELD `-` means the whole document).
struct MalformedCorpusTests {
    static let folder = repositoryRoot.appendingPathComponent("Tests/FaultlinePlanTests/Malformed")
    static let files: [String] = ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? [])
        .filter { $0.hasSuffix(".yaml") }.sorted()

    struct Expectation: CustomStringConvertible {
        var line: Int, column: Int, field: String, message: String
        var description: String { "\(line):\(column) \(field) | \(message)" }
    }

    static func expectations(in text: String) -> [Expectation] {
        text.split(separator: "\n").compactMap { line in
            guard line.hasPrefix("# expect: ") else { return nil }
            let body = line.dropFirst("# expect: ".count)
            let parts = body.split(separator: "|", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            let head = parts[0].split(separator: " ")
            let position = head[0].split(separator: ":").map { Int($0)! }
            return Expectation(line: position[0], column: position[1], field: head[1] == "-" ? "" : String(head[1]), message: parts[1])
        }
    }

    @Test func corpusIsLargeEnough() {
        #expect(Self.files.count >= 30, "the issue asks for at least 30 malformed plans")
    }

    @Test(arguments: files)
    func malformedPlanGivesItsExpectedDiagnostics(file: String) throws {
        let path = Self.folder.appendingPathComponent(file).path
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let expected = Self.expectations(in: text)
        try #require(!expected.isEmpty, "\(file) has no '# expect:' line")
        guard case .failure(let error) = PlanParser.load(path: path) else {
            Issue.record("\(file) was accepted")
            return
        }
        for d in error.diagnostics {
            #expect(d.file == path)
            #expect(d.description.hasPrefix("\(path):\(d.line):\(d.column): error: "))
        }
        let unmatched = error.diagnostics.filter { d in
            !expected.contains { $0.line == d.line && $0.column == d.column && $0.field == d.field && d.message.hasPrefix($0.message) }
        }
        let missing = expected.filter { e in
            !error.diagnostics.contains { e.line == $0.line && e.column == $0.column && e.field == $0.field && $0.message.hasPrefix(e.message) }
        }
        #expect(missing.isEmpty, "\(file): expected but not reported: \(missing)")
        #expect(unmatched.isEmpty, "\(file): reported but not expected: \(unmatched)")
    }

    @Test func misspeltNamesGetSuggestions() {
        let cases: [(String, String)] = [
            ("misspelt-top-level-key.yaml", "title"),
            ("misspelt-fault-kind.yaml", "latency"),
            ("unknown-target.yaml", "etcd"),
            ("misspelt-signal.yaml", "KILL"),
        ]
        for (file, suggestion) in cases {
            guard case .failure(let e) = PlanParser.load(path: Self.folder.appendingPathComponent(file).path) else {
                Issue.record("\(file) accepted"); continue
            }
            #expect(e.diagnostics.contains { $0.suggestion == suggestion }, "\(file) should suggest \(suggestion): \(e.diagnostics)")
            #expect(e.description.contains("(did you mean '\(suggestion)'?)"))
        }
    }
}
