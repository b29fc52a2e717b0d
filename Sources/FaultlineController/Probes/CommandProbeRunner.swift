import FaultlineCore
import FaultlinePlan
import Foundation

/// `command:` probes: run a program on the controller host; pass when it exits with the
/// expected code (and its stdout matches, when a pattern is given).
enum CommandProbeRunner {
    static func run(_ probe: CommandProbe, timeout: TimeSpan) async -> ProbeObservation {
        let seconds = (probe.timeout ?? timeout).seconds
        return await Blocking.run("fl-probe-cmd") { observe(probe, timeoutSeconds: seconds) }
    }

    static func observe(_ probe: CommandProbe, timeoutSeconds: Double) -> ProbeObservation {
        observe(argv: probe.argv, exitCode: probe.exitCode, stdout: probe.stdout, timeoutSeconds: timeoutSeconds)
    }

    /// Runs `argv` and judges it (probes, and `command` actions with exit code 0).
    static func observe(argv: [String], exitCode expected: Int32, stdout pattern: String?, timeoutSeconds: Double) -> ProbeObservation {
        let shown = argv.joined(separator: " ")
        let result: CommandRunner.Result
        do { result = try CommandRunner.run(argv, timeoutSeconds: timeoutSeconds) } catch {
            return ProbeObservation(host: nil, ok: false, value: nil, detail: error.description, durationSeconds: 0)
        }
        func done(_ ok: Bool, _ detail: String) -> ProbeObservation {
            ProbeObservation(host: nil, ok: ok, value: result.exitCode.map(Double.init), detail: detail, durationSeconds: result.seconds)
        }
        if result.timedOut {
            return done(false, "\(shown): no exit within \(TimeSpan(nanoseconds: Int64(timeoutSeconds * 1e9))); killed")
        }
        guard let code = result.exitCode else {
            return done(false, "\(shown): killed by signal \(result.signal ?? 0)\(tail(result.stderr))")
        }
        guard code == expected else {
            return done(false, "\(shown): exit \(code), expected \(expected)\(tail(result.stderr))")
        }
        if let pattern {
            guard let regex = try? NSRegularExpression(pattern: pattern) else { return done(false, "invalid stdout regular expression /\(pattern)/") }
            let text = result.stdout
            if regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) == nil {
                return done(false, "\(shown): stdout does not match /\(pattern)/: \(HTTPProbeRunner.excerpt(text))")
            }
        }
        return done(true, "\(shown): exit \(code)")
    }

    static func tail(_ stderr: String) -> String {
        let t = stderr.trimmingCharacters(in: .whitespacesAndNewlines)
        return t.isEmpty ? "" : "; stderr: " + String(t.suffix(200))
    }
}
