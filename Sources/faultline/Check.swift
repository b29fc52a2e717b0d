import ArgumentParser
import FaultlineChecker
import FaultlineCore
import Foundation

/// `faultline check`: checks recorded histories offline. One verdict per file; for a
/// violation, an account of the operations that cannot be ordered.
struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Check recorded histories for linearizability, lost writes and replica convergence.",
        discussion: """
            Each HISTORY is checked on its own and gets one line: `ok`, `violation` or `unknown` \
            (the time budget ran out before an answer; never a guess). A violation is followed by \
            an account of the operations that cannot be ordered, with their clients and times.

            Checks: linearizability per key against the model; acknowledged writes that no later \
            read sees; and, when the history holds final reads per node, convergence.

            Formats (detected from the first line unless --format is given): Faultline's JSON Lines \
            (docs/history-format.md), Porcupine's kv logs, Jepsen etcd logs.

            Examples:
              faultline check run-42/history.jsonl --model kv
              faultline check etcd_000.log etcd_001.log --model cas --format jepsen-etcd
              faultline check c50-ok.txt --model kv --timeout 1m30s

            Exit codes: 0 every history ok; 1 a violation; 3 a file unreadable or malformed \
            (file:line:column and what was expected); 5 no violation, but a check ran out of time.
            """)

    enum ModelOption: String, ExpressibleByArgument, CaseIterable {
        case kv, register, cas
    }

    enum FormatOption: String, ExpressibleByArgument, CaseIterable {
        case auto, faultline
        case porcupineKV = "porcupine-kv"
        case jepsenEtcd = "jepsen-etcd"
    }

    @Argument(help: ArgumentHelp("History files to check.", valueName: "history"))
    var histories: [String]

    @Option(help: "The object the history was recorded against: kv (get/put/append per key), register (read/write per key) or cas (read/write/compare-and-set per key).")
    var model: ModelOption

    @Option(help: "History format.")
    var format: FormatOption = .auto

    @Option(help: ArgumentHelp("Time budget per file, e.g. 10s, 500ms, 1m30s.", valueName: "duration"),
            transform: { text in
                guard let duration = parseCheckDuration(text) else {
                    throw ValidationError("--timeout: expected a duration such as 10s, 500ms or 1m30s, found '\(text)'")
                }
                return duration
            })
    var timeout: Duration = .seconds(10)

    func run() throws {
        var malformed = false, violation = false, unknown = false
        for path in histories {
            switch checkFile(path) {
            case .malformed: malformed = true
            case .violation: violation = true
            case .unknown: unknown = true
            case .ok: break
            }
        }
        if malformed { throw ExitCode(3) }
        if violation { throw ExitCode(1) }
        if unknown { throw ExitCode(5) }
    }

    private enum FileVerdict { case ok, violation, unknown, malformed }

    /// Far above any history the workloads record (31 000 operations are ~4 MB), and small
    /// enough that parsing one stays well inside the check's memory limit.
    static let maximumHistoryBytes = 256 << 20

    private func checkFile(_ path: String) -> FileVerdict {
        let data: [UInt8]
        switch CallerFile.read(path, limit: Self.maximumHistoryBytes, kind: "a history file") {
        case .success(let bytes): data = bytes
        case .failure(let failure):
            printError("\(path): cannot read: \(failure)")
            return .malformed
        }
        let history: History
        do {
            let chosen: HistoryFormat? = switch format {
            case .auto: nil
            case .faultline: .faultline
            case .porcupineKV: .porcupineKV
            case .jepsenEtcd: .jepsenEtcd
            }
            history = try HistoryFormat.parse(data, format: chosen)
        } catch {
            printError("\(path):\(error)")
            return .malformed
        }

        let historyModel: LinearizabilityChecker.HistoryModel = switch model {
        case .kv: .kv
        case .register: .register
        case .cas: .cas
        }
        let linearizability: LinearizabilityResult
        do {
            linearizability = try LinearizabilityChecker.check(history, model: historyModel, timeout: timeout)
        } catch {
            let line = error.line.map { "\($0)" } ?? "operation \(error.operation + 1)"
            printError("\(path):\(line): \(error)")
            return .malformed
        }
        let lostWrites = LostWriteChecker.check(history, semantics: model == .kv ? .appending : .register)
        let convergence = ConvergenceChecker.check(history)

        var account: [String] = []
        if let text = linearizability.explanation(history: history) { account.append(text) }
        if !lostWrites.lost.isEmpty { account.append(LostWriteChecker.explanation(lostWrites, history: history)) }
        if !convergence.divergences.isEmpty { account.append(ConvergenceChecker.explanation(convergence)) }

        let verdict: FileVerdict
        if !account.isEmpty {
            verdict = .violation
        } else if linearizability.verdict == .unknown {
            verdict = .unknown
        } else {
            verdict = .ok
        }
        switch verdict {
        case .violation:
            print("\(path): violation")
            for line in account.joined(separator: "\n").split(separator: "\n", omittingEmptySubsequences: false) {
                print("  \(line)")
            }
        case .unknown:
            // Which budget ran out decides the advice: time can be raised, memory cannot here.
            if linearizability.limitReached == .memory {
                print("\(path): unknown (the search ran out of its memory budget; this history is too concurrent on one key to decide)")
            } else {
                print("\(path): unknown (no answer within \(timeout); rerun with a larger --timeout)")
            }
        default:
            print("\(path): \(verdict)")
        }
        return verdict
    }

    private func printError(_ message: String) {
        FileHandle.standardError.write(Data((message + "\n").utf8))
    }
}

/// `--timeout` text in plan units (FaultlineCore's `TimeSpan`); must be above zero.
private func parseCheckDuration(_ text: String) -> Duration? {
    guard let span = TimeSpan(text), span > .zero else { return nil }
    return span.duration
}
