import FaultlineCore
import Foundation

/// Reads a plan's text into a validated `Plan`, or every problem with it.
///
/// Pure apart from reading the plan (and an inventory file it names). Two passes: the
/// first reads each section and reports shape and value errors where they are; the second
/// checks references between sections (a step naming an undefined target).
public final class PlanParser {
    let sink: DiagnosticSink
    let file: String
    let directory: String
    /// Every target name used anywhere, to check once all definitions are known.
    var references: [(name: String, mark: Mark, path: String)] = []
    /// `require: {at-least: N}` of each probe, checked against its `each` target's size
    /// once the targets are known.
    var atLeastRequirements: [(target: String, count: Int, mark: Mark, path: String)] = []
    /// Targets written inline in steps (`target: { pick: 1, from: etcd }`).
    var inlineTargets: [TargetDefinition] = []

    init(file: String, directory: String) {
        self.file = file
        self.directory = directory
        self.sink = DiagnosticSink(file: file)
    }

    /// Parses plan text. `file` is used in diagnostics; relative paths inside the plan
    /// (an inventory file) are resolved against `directory`.
    public static func parse(_ text: String, file: String = "plan.yaml", directory: String = ".") -> Result<Plan, PlanError> {
        parse(bytes: Array(text.utf8), file: file, directory: directory)
    }

    public static func parse(bytes: [UInt8], file: String, directory: String, inputs: PlanInputs = PlanInputs()) -> Result<Plan, PlanError> {
        let parser = PlanParser(file: file, directory: directory)
        guard let text = PlanText.decode(bytes, sink: parser.sink),
              let document = YAMLLoader.load(text, sink: parser.sink) else {
            return .failure(PlanError(parser.sink.sorted()))
        }
        let before = parser.sink.diagnostics.count
        let (root, variables) = PlanVariables.expand(document, inputs: inputs, sink: parser.sink)
        // A variable that could not be expanded leaves its `{{…}}` in the text; reading on
        // would only report that again as a bad URL or duration.
        if parser.sink.diagnostics.count > before { return .failure(PlanError(parser.sink.sorted())) }
        var plan = parser.readPlan(root)
        plan?.variables = variables.resolved.map { PlanVariableValue(name: $0.name, value: $0.value, source: $0.source) }
        if let plan, parser.sink.isEmpty { return .success(plan) }
        return .failure(PlanError(parser.sink.sorted()))
    }

    /// Reads and parses a plan file: a regular file of at most 1 MiB (a FIFO or a device is
    /// refused without blocking).
    /// `path` `-` reads the plan from standard input (named `<stdin>` in diagnostics; an
    /// inventory file it names is found from the current folder).
    public static func load(path: String, inputs: PlanInputs = PlanInputs()) -> Result<Plan, PlanError> {
        if path == "-" {
            switch CallerFile.readStandardInput(limit: PlanText.maximumBytes, kind: "a plan") {
            case .success(let bytes): return parse(bytes: bytes, file: "<stdin>", directory: ".", inputs: inputs)
            case .failure(let error): return .failure(PlanError([Diagnostic(file: "<stdin>", line: 0, column: 0, field: "", message: error.message)]))
            }
        }
        switch CallerFile.read(path, limit: PlanText.maximumBytes, kind: "a plan file") {
        case .success(let bytes):
            let directory = (path as NSString).deletingLastPathComponent
            return parse(bytes: bytes, file: path, directory: directory.isEmpty ? "." : directory, inputs: inputs)
        case .failure(let error):
            return .failure(PlanError([Diagnostic(file: path, line: 0, column: 0, field: "", message: error.message)]))
        }
    }

    // MARK: top level

    func readPlan(_ root: YAMLNode) -> Plan? {
        guard case .mapping = root.content else {
            sink.error(root.mark, "", "a plan is a mapping with keys such as version, title and method, but the document is \(root.found)")
            return nil
        }
        guard let f = Fields(root, path: "", object: "plan", sink: sink) else { return nil }

        var version = 1
        if let v = f.value("version") {
            if let n = Values.int(v, path: "version", range: 1...Int.max, sink: sink) {
                if n != 1 { sink.error(v.mark, "version", "this Faultline reads plan version 1, found version \(n)") }
                version = n
            }
        } else {
            f.missing("version", "the plan language version, 1")
        }
        let titleText = f.string("title", required: "a one-line title saying what the experiment shows")
        let title = titleText ?? ""
        if let titleText, titleText.trimmingCharacters(in: .whitespaces).isEmpty {
            sink.error(f.value("title")!.mark, "title", "expected a non-empty title")
        }
        let description = f.string("description")
        let tags = f.stringList("tags") ?? []

        let inventory = readInventorySource(f)
        let targets = f.value("targets").map(readTargets) ?? []
        let settings = f.value("settings").map(readSettings) ?? Settings()
        let steadyState = f.sequence("steady-state").map { readSteadyState($0) } ?? []
        let guards = f.sequence("guards").map { readGuards($0) } ?? []
        var method: [Step] = []
        if let items = f.sequence("method", required: "a list of steps (faults, pauses, parallel groups)") {
            if items.isEmpty { sink.error(f.value("method")!.mark, "method", "expected at least one step") }
            method = readSteps(items, path: "method", allowFaults: true)
            // Each repeat is bounded where it is read; this catches many repeats in a row.
            if sink.isEmpty, PlanBounds.expandedSteps(method) == nil || PlanBounds.duration(method) == nil {
                sink.error(f.value("method")!.mark, "method",
                           "the method unrolls to more than \(PlanBounds.maximumExpandedSteps) steps or lasts longer than \(PlanBounds.maximumDuration); split it into several plans")
            }
        }
        let rollbacks = f.sequence("rollbacks").map { readSteps($0, path: "rollbacks", allowFaults: false) } ?? []

        var plan = Plan(file: file, version: version, title: title, description: description, tags: tags,
                        inventory: inventory ?? .lab, targets: targets + inlineTargets,
                        steadyState: steadyState, guards: guards, method: method, rollbacks: rollbacks,
                        settings: settings)
        checkRenewalMargin(settings, f)
        checkProbeNames(plan)
        plan.warnings = sink.warnings
        checkReferences(plan)
        if case .inline(let inv) = plan.inventory { checkStaticTargets(plan, inventory: inv) }
        checkAtLeastRequirements(plan)
        return plan
    }

    /// Probe and guard names are what the report, the journal and JUnit's testcases go by:
    /// two with one name would be two identical testcases nobody can tell apart.
    func checkProbeNames(_ plan: Plan) {
        var first: [String: String] = [:]
        let named = plan.steadyState.enumerated().map { ($0.element.name, $0.element.mark, "steady-state[\($0.offset)]") }
            + plan.guards.enumerated().map { ($0.element.name, $0.element.mark, "guards[\($0.offset)]") }
        for (name, mark, path) in named {
            if let earlier = first[name] {
                sink.error(mark, path + ".name", "the name '\(name)' is already used by \(earlier); probes and guards need names of their own (the report and JUnit tell them apart by name)")
            } else {
                first[name] = path
            }
        }
    }

    /// A renewal that waits the whole agent-timeout and fails is retried at once; when that
    /// retry cannot land before the lease runs out, one slow call reverts the fault.
    func checkRenewalMargin(_ settings: Settings, _ f: Fields) {
        let slowest = TimeSpan(nanoseconds: settings.lease.nanoseconds / 3) + settings.agentTimeout
        guard slowest >= settings.lease, let node = f.value("settings") else { return }
        let keep = TimeSpan.milliseconds(settings.lease.nanoseconds * 2 / 3 / 1_000_000)  // whole ms: "3.333s"
        sink.warning(node.mark, "settings.agent-timeout",
                     "with lease \(settings.lease), a renewal sent at lease/3 that waits the whole agent-timeout (\(settings.agentTimeout)) leaves no time to retry before the lease runs out; keep agent-timeout below \(keep) or lengthen the lease")
    }

    func readSettings(_ node: YAMLNode) -> Settings {
        var s = Settings()
        guard let f = Fields(node, path: "settings", object: "settings", sink: sink) else { return s }
        if let lease = f.positiveSpan("lease") {
            if lease < .seconds(1) || lease > .seconds(600) {
                sink.error(f.value("lease")!.mark, "settings.lease", "expected a lease from 1s to 10m, found \(lease)")
            } else { s.lease = lease }
        }
        if let t = f.positiveSpan("probe-timeout") { s.probeTimeout = t }
        if let t = f.positiveSpan("agent-timeout") { s.agentTimeout = t }
        if let t = f.positiveSpan("settle") {
            if t > .seconds(3600) {
                sink.error(f.value("settle")!.mark, "settings.settle", "expected a settle time of at most 1h, found \(t)")
            } else { s.settle = t }
        }
        if let v = f.value("seed") {
            if let text = Values.scalar(v), let seed = UInt64(text) { s.seed = seed } else {
                sink.error(v.mark, "settings.seed", "expected a whole number from 0 to \(UInt64.max), found \(v.found)")
            }
        }
        return s
    }
}

