import ArgumentParser
import FaultlinePlan
import Foundation

/// `--var NAME=VALUE` (repeatable) for the plan's `vars:`, shared by validate, plan and run;
/// `{{env.NAME}}` in the plan reads this process's environment.
struct PlanVariableOptions: ParsableArguments {
    @Option(name: .customLong("var"), help: ArgumentHelp("A value for one of the plan's vars (repeatable).", valueName: "name=value"))
    var assignments: [String] = []

    func validate() throws { _ = try variables() }

    func variables() throws -> [String: String] {
        var out: [String: String] = [:]
        for text in assignments {
            guard let eq = text.firstIndex(of: "="), eq != text.startIndex else {
                throw ValidationError("--var expects NAME=VALUE, found '\(text)'")
            }
            let name = String(text[..<eq])
            guard out[name] == nil else { throw ValidationError("--var \(name) is given twice") }
            out[name] = String(text[text.index(after: eq)...])
        }
        return out
    }

    func inputs() -> PlanInputs {
        PlanInputs(variables: (try? variables()) ?? [:], environment: ProcessInfo.processInfo.environment)
    }
}
