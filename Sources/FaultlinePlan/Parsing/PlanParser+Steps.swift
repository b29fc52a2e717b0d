import FaultlineCore

extension PlanParser {
    static let stepKinds = ["sequence", "parallel", "repeat", "command", "http"] + FaultKind.allCases.map(\.rawValue)

    func readSteps(_ items: [YAMLNode], path: String, allowFaults: Bool) -> [Step] {
        items.enumerated().compactMap { readStep($1, path: "\(path)[\($0)]", allowFaults: allowFaults) }
    }

    /// A step is a mapping with exactly one kind key (and optionally `name`).
    func readStep(_ node: YAMLNode, path: String, allowFaults: Bool) -> Step? {
        guard let f = Fields(node, path: path, object: "step", sink: sink,
                             expected: "a step: a mapping with one of \(Self.stepKinds.joined(separator: ", "))") else { return nil }
        let name = f.string("name")
        let kinds = f.keys.filter { $0 != "name" }
        guard kinds.count == 1, let kind = kinds.first else {
            if kinds.count > 1 {
                sink.error(f.keyMark(kinds[1]), path, "one kind per step, found \(kinds.joined(separator: " and ")); put them under 'parallel:' to run them together")
            } else if case .mapping(let entries) = node.content, entries.count == (name == nil ? 0 : 1) {
                sink.error(node.mark, path, "expected a step kind: \(Self.stepKinds.joined(separator: ", "))")
            }
            return nil
        }
        let p = Fields.join(path, kind)
        guard let body = f.value(kind) else {
            sink.error(f.keyMark(kind), p, "expected the \(kind) step's settings, found nothing")
            return nil
        }
        let stepKind: Step.Kind?
        switch kind {
        case "sequence", "parallel":
            guard case .sequence(let items) = body.content else {
                sink.error(body.mark, p, "expected a list of steps, found \(body.found)")
                return nil
            }
            if items.isEmpty { sink.error(body.mark, p, "expected at least one step") }
            let steps = readSteps(items, path: p, allowFaults: allowFaults)
            stepKind = kind == "sequence" ? .sequence(steps) : .parallel(steps)
        case "repeat":
            stepKind = readRepeat(body, path: p, allowFaults: allowFaults)
        case "command":
            guard let c = Fields(body, path: p, object: "command", sink: sink, expected: "a mapping with argv") , let argv = readArgv(c) else { return nil }
            stepKind = .action(.command(argv: argv, timeout: c.positiveSpan("timeout")))
        case "http":
            guard let h = Fields(body, path: p, object: "http", sink: sink, expected: "a mapping with url"),
                  let url = h.string("url", required: "the URL to call") else { return nil }
            // Refused here rather than at run time, half way through a method.
            if !url.lowercased().hasPrefix("http://") {
                sink.error(h.value("url")!.mark, h.pathOf("url"), url.lowercased().hasPrefix("https://")
                    ? "an http step speaks plain http:// only (https:// is for http and prometheus probes, with their tls settings); use a command step with curl for an https call"
                    : "expected an http:// URL, found '\(url)'")
                return nil
            }
            stepKind = .action(.http(url: url, method: (h.string("method") ?? "POST").uppercased(), body: h.string("body"), timeout: h.positiveSpan("timeout")))
        case "pause":
            // `pause: 5s` waits; `pause: { process: … }` freezes processes.
            if case .scalar = body.content {
                guard let span = Values.unit(body, path: p, sink: sink, parse: TimeSpan.parse) else { return nil }
                guard span > .zero else { sink.error(body.mark, p, "expected a wait above 0, found \(span)"); return nil }
                stepKind = .wait(span)
            } else {
                fallthrough
            }
        default:
            if !allowFaults {
                sink.error(f.keyMark(kind), p, "rollbacks run after every fault is reverted and cannot inject faults; use command or http steps")
                return nil
            }
            stepKind = readFaultStep(kind: FaultKind(rawValue: kind)!, body, path: p).map(Step.Kind.fault)
        }
        guard let stepKind else { return nil }
        return Step(name: name, kind: stepKind, mark: node.mark, path: path)
    }

    func readRepeat(_ node: YAMLNode, path: String, allowFaults: Bool) -> Step.Kind? {
        guard let f = Fields(node, path: path, object: "repeat", sink: sink, expected: "a mapping with times and steps") else { return nil }
        let times = f.int("times", in: 1...10_000, required: "how many times to run the steps")
        let every = f.positiveSpan("every")
        guard let items = f.sequence("steps", required: "the list of steps to repeat") else { return nil }
        if items.isEmpty { sink.error(f.value("steps")!.mark, f.pathOf("steps"), "expected at least one step") }
        let steps = readSteps(items, path: f.pathOf("steps"), allowFaults: allowFaults)
        guard let times else { return nil }
        let kind = Step.Kind.repeatSteps(times: times, every: every, steps: steps)
        let unrolled = [Step(name: nil, kind: kind, mark: node.mark, path: path)]
        if PlanBounds.expandedSteps(unrolled) == nil {
            sink.error(f.value("times")!.mark, f.pathOf("times"),
                       "this repeat unrolls to more than \(PlanBounds.maximumExpandedSteps) steps (times × the steps inside; nested repeats multiply); a plan holds at most \(PlanBounds.maximumExpandedSteps)")
            return nil
        }
        if PlanBounds.duration(unrolled) == nil {
            sink.error(f.value("times")!.mark, f.pathOf("times"),
                       "this repeat lasts longer than \(PlanBounds.maximumDuration) (times × every, or times × its steps' length); a method lasts at most a week")
            return nil
        }
        return kind
    }
}
