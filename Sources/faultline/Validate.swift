import ArgumentParser
import FaultlinePlan
import Foundation

struct Validate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check plans and report every error with its file, line, column and field.",
        discussion: """
        Nothing is contacted or changed. Each error reads
          FILE:LINE:COLUMN: error: FIELD: what was expected, what was found
        with a suggestion when a key or kind looks misspelt.

        Examples:
          faultline validate Experiments/etcd-leader-isolation.yaml
          faultline validate Experiments/*.yaml --format json
          faultline validate staging.yaml --var etcd-port=2479
          faultline validate - < plan.yaml

        Exit codes: 0 every plan is valid; 3 at least one is not.
        """
    )

    enum Format: String, ExpressibleByArgument, CaseIterable { case text, json }

    @Argument(help: "Plan files to check.")
    var plans: [String]

    @Option(help: "Output format: text for people, json for tools.")
    var format: Format = .text

    @OptionGroup var variables: PlanVariableOptions

    func run() throws {
        // Per plan: its diagnostics, errors and warnings in file order; errors make it invalid.
        var results: [(path: String, diagnostics: [Diagnostic])] = []
        for path in plans {
            switch PlanParser.load(path: path, inputs: variables.inputs()) {
            case .success(let plan): results.append((path, plan.warnings))
            case .failure(let error): results.append((path, error.diagnostics))
            }
        }
        func errors(_ d: [Diagnostic]) -> Int { d.filter { $0.severity == .error }.count }
        switch format {
        case .text:
            for (path, diagnostics) in results {
                if errors(diagnostics) == 0 { print("\(path == "-" ? "<stdin>" : path): valid") }
                for d in diagnostics { print(d.description) }
            }
            let invalid = results.filter { errors($0.diagnostics) > 0 }
            if invalid.count > 0 {
                let count = invalid.map { errors($0.diagnostics) }.reduce(0, +)
                print("\(count) error\(count == 1 ? "" : "s") in \(invalid.count) of \(results.count) plan\(results.count == 1 ? "" : "s")")
            }
        case .json:
            struct FileResult: Encodable { var file: String; var valid: Bool; var diagnostics: [Diagnostic] }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            let data = try encoder.encode(results.map { FileResult(file: $0.path, valid: errors($0.diagnostics) == 0, diagnostics: $0.diagnostics) })
            print(String(decoding: data, as: UTF8.self))
        }
        if results.contains(where: { errors($0.diagnostics) > 0 }) { throw FaultlineExit.invalidPlan }
    }
}
