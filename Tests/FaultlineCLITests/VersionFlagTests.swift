import Foundation
import Testing

/// `--version` of both binaries prints the one version the VERSION file holds.
struct VersionFlagTests {
    static var version: String {
        (try? String(contentsOf: CLITests.root.appendingPathComponent("VERSION"), encoding: .utf8))?
            .trimmingCharacters(in: .whitespacesAndNewlines) ?? "VERSION unreadable"
    }

    @Test func controllerPrintsTheVersion() throws {
        let run = try CLITests().faultline("--version")
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout == Self.version + "\n")
    }

    /// Without `--config`, which the agent otherwise requires: a host operator asks the
    /// binary what it is before writing any configuration.
    @Test func agentPrintsTheVersionWithoutAConfig() throws {
        let agent = CLITests.binary.deletingLastPathComponent().appendingPathComponent("faultline-agent")
        let process = Process()
        process.executableURL = agent
        process.arguments = ["--version"]
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(String(decoding: e, as: UTF8.self))")
        #expect(String(decoding: o, as: UTF8.self) == Self.version + "\n")
    }
}
