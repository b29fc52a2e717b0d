import ArgumentParser
import FaultlineController
import FaultlineCore
import Foundation

/// `faultline report JOURNAL`: renders the HTML report and the JUnit file again from a
/// saved journal — a finished run's, or the journal a killed controller left behind.
struct Report: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Render the HTML report and JUnit file from a journal, finished or not.",
        discussion: """
        Reads a journal that `faultline run` wrote (docs/journal-format.md) and writes the \
        HTML report and, when asked, the JUnit file from it, exactly as the run would have. \
        The run writes its journal as it goes, so a controller that was killed leaves one: \
        its report says the run did not finish, what was applied, and which faults were \
        never confirmed reverted (their agents revert them when the lease runs out).

        Examples:
          faultline report runs/42/journal.json
          faultline report faultline-7f3a.journal.json --report leader.html --junit build/faultline.xml
          faultline report runs/42/journal.json --out runs/42

        Exit codes: 0 rendered (whatever the run's outcome); 3 the journal is unreadable or \
        not a journal; 4 an output could not be written.
        """
    )

    @Argument(help: "The journal file (JSON).")
    var journal: String

    @Option(help: ArgumentHelp("Where to write the HTML report (default: beside the journal, report.html).", valueName: "path"))
    var report: String?

    @Option(help: ArgumentHelp("Where to write the JUnit XML file.", valueName: "path"))
    var junit: String?

    @Option(help: ArgumentHelp("A folder for report.html and junit.xml (each unless given by its own option).", valueName: "folder"))
    var out: String?

    /// Journals hold events and probe samples, not the workload's operations: a day-long
    /// run sampling every second on many hosts stays far below this.
    static let maximumJournalBytes = 256 << 20

    func run() throws {
        let parsed: Journal
        switch CallerFile.read(journal, limit: Self.maximumJournalBytes, kind: "a journal") {
        case .failure(let failure):
            Run.stderr("error: \(journal): cannot read: \(failure)")
            throw ExitCode(3)
        case .success(let bytes):
            do { parsed = try Journal.decode(Data(bytes)) } catch {
                Run.stderr("error: \(journal): not a Faultline journal (docs/journal-format.md): \(Self.describe(error))")
                throw ExitCode(3)
            }
        }
        guard parsed.schema == Journal.schema else {
            Run.stderr("error: \(journal): schema '\(parsed.schema)' is not \(Journal.schema), which this faultline reads")
            throw ExitCode(3)
        }
        if let out { try? FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true) }
        let folder = URL(fileURLWithPath: journal).deletingLastPathComponent().path
        let reportPath = report ?? (out ?? folder) + "/report.html"
        let junitPath = junit ?? out.map { "\($0)/junit.xml" }

        var failed = false
        func write(_ text: String, _ path: String, _ what: String) {
            do { try Data(text.utf8).write(to: URL(fileURLWithPath: path), options: .atomic); print("\(what): \(path)") } catch {
                Run.stderr("error: cannot write the \(what) to \(path): \(error.localizedDescription)")
                failed = true
            }
        }
        write(HTMLReport.render(parsed), reportPath, "report")
        if let junitPath { write(JUnitWriter.render(parsed), junitPath, "JUnit") }
        if let outcome = parsed.outcome {
            print("\(outcome.rawValue): \(parsed.reason ?? "")")
        } else {
            print(parsed.unfinishedSummary)
        }
        if failed { throw ExitCode(4) }
    }

    /// A decoding error as a path to the field and what was wrong, not Swift's dump.
    static func describe(_ error: Error) -> String {
        guard let error = error as? DecodingError else { return "\(error)" }
        func path(_ keys: [CodingKey]) -> String {
            keys.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined().trimmingPrefix(".").description
        }
        switch error {
        case .dataCorrupted(let c): return (c.codingPath.isEmpty ? "" : path(c.codingPath) + ": ") + c.debugDescription
        case .keyNotFound(let key, let c): return "\(path(c.codingPath + [key])): missing"
        case .typeMismatch(_, let c), .valueNotFound(_, let c): return "\(path(c.codingPath)): \(c.debugDescription)"
        @unknown default: return "\(error)"
        }
    }
}
