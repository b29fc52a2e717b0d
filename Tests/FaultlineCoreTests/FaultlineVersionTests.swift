import FaultlineCore
import Foundation
import Testing

/// The version lives in two places that must agree: `FaultlineVersion.current` (what the
/// binaries print and the agent reports) and the repository's VERSION file (what the
/// Makefile's `make deb` names the package after).
struct FaultlineVersionTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test func versionFileMatchesTheConstant() throws {
        let file = try String(contentsOf: Self.root.appendingPathComponent("VERSION"), encoding: .utf8)
        #expect(file == FaultlineVersion.current + "\n", "VERSION holds '\(file)', FaultlineVersion.current is '\(FaultlineVersion.current)'")
    }

    /// dpkg's version grammar (upstream part): digits first, then only [A-Za-z0-9.+~-].
    @Test func versionIsAValidDebianUpstreamVersion() {
        #expect(FaultlineVersion.current.wholeMatch(of: /[0-9][A-Za-z0-9.+~]*/) != nil, "\(FaultlineVersion.current)")
    }

    /// What the Makefile (and so `make deb`) uses, asked of make itself.
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/make"), "needs /usr/bin/make"))
    func makefileUsesTheSameVersion() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/make")
        process.arguments = ["-s", "-C", Self.root.path, "version"]
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        #expect(String(decoding: data, as: UTF8.self) == FaultlineVersion.current + "\n")
    }
}
