import Foundation
import Testing
@testable import FaultlineController

/// The deviated and aborted journals render to exactly the bytes in Tests/Fixtures/render/.
/// A change to a renderer shows up here as a diff to review; after reviewing it, rewrite
/// the files with `FAULTLINE_UPDATE_GOLDEN=1 swift test --filter RenderGolden`.
struct RenderGoldenTests {
    static let folder = RenderSupport.repositoryRoot.appendingPathComponent("Tests/Fixtures/render")

    static func check(_ rendered: String, _ name: String) throws {
        let url = folder.appendingPathComponent(name)
        if ProcessInfo.processInfo.environment["FAULTLINE_UPDATE_GOLDEN"] == "1" {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            try rendered.write(to: url, atomically: true, encoding: .utf8)
            return
        }
        let golden = try String(contentsOf: url, encoding: .utf8)
        guard golden != rendered else { return }
        // Point at the first line that differs rather than dumping two whole files.
        let a = golden.split(separator: "\n", omittingEmptySubsequences: false)
        let b = rendered.split(separator: "\n", omittingEmptySubsequences: false)
        let line = (0..<min(a.count, b.count)).first { a[$0] != b[$0] } ?? min(a.count, b.count)
        Issue.record("\(name) differs from the golden file at line \(line + 1):\n golden:   \(line < a.count ? String(a[line]) : "(end)")\n rendered: \(line < b.count ? String(b[line]) : "(end)")")
    }

    @Test func junitMatchesGoldenFiles() throws {
        try Self.check(JUnitWriter.render(RenderFixtures.deviated()), "deviated.junit.xml")
        try Self.check(JUnitWriter.render(RenderFixtures.aborted()), "aborted.junit.xml")
    }

    @Test func htmlMatchesGoldenFiles() throws {
        try Self.check(HTMLReport.render(RenderFixtures.deviated()), "deviated.html")
        try Self.check(HTMLReport.render(RenderFixtures.aborted()), "aborted.html")
    }
}
