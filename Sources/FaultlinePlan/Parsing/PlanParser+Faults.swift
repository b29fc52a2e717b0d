import FaultlineCore

extension PlanParser {
    func readFaultStep(kind: FaultKind, _ node: YAMLNode, path: String) -> FaultStep? {
        guard let f = Fields(node, path: path, object: kind.rawValue, sink: sink,
                             expected: "the \(kind.rawValue) fault's settings as a mapping") else { return nil }
        let target = kind == .partition ? nil : readTargetRef(f, required: true)
        var duration: TimeSpan?
        if !kind.isInstant {
            duration = f.positiveSpan("duration", required: "how long the fault stays applied, e.g. 20s")
        }
        let fault: Fault?
        switch kind {
        case .latency:
            let delay = f.span("delay", required: "the added delay, e.g. 100ms")
            var latency = Latency(delay: delay ?? .milliseconds(1), filter: readFilter(f, defaultDirection: .inbound))
            if let j = f.span("jitter") { latency.jitter = j }
            if let c = f.percent("correlation") { latency.correlation = c }
            if let d = f.choice("distribution", DelayDistribution.self) { latency.distribution = d }
            fault = delay == nil ? nil : .latency(latency)
        case .loss:
            let p = f.percent("percent", required: "the share of packets to drop, e.g. 10%")
            fault = p.map { .loss(Loss(percent: $0, correlation: f.percent("correlation") ?? Percent(points: 0), filter: readFilter(f, defaultDirection: .inbound))) }
        case .duplicate:
            let p = f.percent("percent", required: "the share of packets to duplicate, e.g. 5%")
            fault = p.map { .duplicate(Duplicate(percent: $0, correlation: f.percent("correlation") ?? Percent(points: 0), filter: readFilter(f, defaultDirection: .inbound))) }
        case .corrupt:
            let p = f.percent("percent", required: "the share of packets to corrupt, e.g. 1%")
            fault = p.map { .corrupt(Corrupt(percent: $0, correlation: f.percent("correlation") ?? Percent(points: 0), filter: readFilter(f, defaultDirection: .outbound))) }
        case .reorder:
            let p = f.percent("percent", required: "the share of packets sent out of order, e.g. 25%")
            var r = p.map { Reorder(percent: $0, filter: readFilter(f, defaultDirection: .outbound)) }
            if let c = f.percent("correlation") { r?.correlation = c }
            if let d = f.span("delay") { r?.delay = d }
            fault = r.map(Fault.reorder)
        case .bandwidth:
            let rate = f.value("rate").flatMap { Values.unit($0, path: f.pathOf("rate"), sink: sink, parse: Rate.parse) }
            if !f.has("rate") { f.missing("rate", "the rate limit, e.g. 10mbit (bits/s) or 1mbps (bytes/s)") }
            var b = rate.map { Bandwidth(rate: $0, filter: readFilter(f, defaultDirection: .outbound)) }
            b?.burst = f.value("burst").flatMap { Values.unit($0, path: f.pathOf("burst"), sink: sink, parse: ByteSize.parse) }
            b?.limit = f.value("limit").flatMap { Values.unit($0, path: f.pathOf("limit"), sink: sink, parse: ByteSize.parse) }
            fault = b.map(Fault.bandwidth)
        case .partition:
            fault = readTopology(f, path: path).map { .partition(Partition(topology: $0, filter: readFilter(f, defaultDirection: .inbound))) }
        case .kill:
            let process = readProcess(f, required: true)
            var signal = Signal.kill
            if let v = f.value("signal"), let text = Values.string(v, path: f.pathOf("signal"), sink: sink) {
                if let s = Signal(name: text) { signal = s } else {
                    sink.error(v.mark, f.pathOf("signal"), "expected a signal name such as KILL, TERM or INT, found '\(text)'",
                               suggestion: Suggestion.closest(to: text.uppercased(), in: Signal.byName.keys.sorted()))
                }
            }
            fault = process.map { .kill(Kill(process: $0, signal: signal)) }
        case .pause:
            let process = readProcess(f, required: true)
            fault = process.map { .pause(Pause(process: $0, mechanism: f.choice("mechanism", PauseMechanism.self) ?? .auto)) }
        case .clock:
            let offset = f.span("offset", required: "how far to move the wall clock, e.g. 30s or -5m")
            let scope = f.choice("scope", ClockScope.self) ?? .process
            var skew = offset.map { ClockSkew(offset: $0, scope: scope, process: readProcess(f, required: false)) }
            if let s = f.value("strobe"), let sf = Fields(s, path: f.pathOf("strobe"), object: "strobe", sink: sink, expected: "a mapping with every (and offset)") {
                if let every = sf.positiveSpan("every", required: "how long each offset holds, e.g. 100ms") {
                    skew?.strobe = ClockSkew.Strobe(offset: sf.span("offset") ?? .zero, every: every)
                }
            }
            fault = skew.map(Fault.clock)
        }
        guard let fault else { return nil }
        for problem in fault.problems() {
            let key = problem.field.split(whereSeparator: { $0 == "." || $0 == "[" }).first.map(String.init) ?? ""
            let field = key.isEmpty ? path : Fields.join(path, problem.field)
            let known = PlanSchema.fields(f.object)
            let mark = known.contains(key) && f.has(key) ? f.value(key)!.mark
                : (known.contains("process") && f.has("process") ? f.value("process")!.mark : node.mark)
            sink.error(mark, field.replacingOccurrences(of: "process.", with: "process"), problem.message)
        }
        return FaultStep(fault: fault, target: target, duration: duration)
    }

    func readFilter(_ f: Fields, defaultDirection: Direction) -> NetworkFilter {
        var filter = NetworkFilter(direction: defaultDirection)
        let schema = PlanSchema.fields(f.object)
        if schema.contains("peers"), let v = f.value("peers"), let list = Values.stringList(v, path: f.pathOf("peers"), sink: sink) {
            filter.peers = list.compactMap { text in
                if CIDR(text) != nil { return .cidr(text) }
                if text.first?.isNumber == true || text.contains(":") || text.contains("/") {
                    sink.error(v.mark, f.pathOf("peers"), "'\(text)' is neither an address/CIDR such as 10.0.0.0/24 nor a target name")
                    return nil
                }
                references.append((text, v.mark, f.pathOf("peers")))
                return .target(text)
            }
        }
        if let v = f.value("ports") {
            let items: [YAMLNode]
            if case .sequence(let list) = v.content { items = list } else { items = [v] }
            for (i, item) in items.enumerated() {
                let p = items.count == 1 && v.mark == item.mark ? f.pathOf("ports") : "\(f.pathOf("ports"))[\(i)]"
                if let range = Values.unit(item, path: p, sink: sink, parse: PortRange.parse) { filter.ports.append(range) }
            }
        }
        if let proto = f.choice("protocol", NetworkProtocol.self) { filter.networkProtocol = proto }
        if schema.contains("direction"), let d = f.choice("direction", Direction.self) { filter.direction = d }
        if schema.contains("device") { filter.device = f.string("device") }
        return filter
    }

    func readTopology(_ f: Fields, path: String) -> PartitionTopology? {
        let shapes = ["isolate", "halves", "random-halves", "bridge", "majorities-ring", "one-way", "grudge"]
        let given = shapes.filter { f.has($0) }
        guard given.count == 1 else {
            if given.isEmpty {
                sink.error(f.node.mark, path, "expected a topology: \(shapes.joined(separator: ", ")) (e.g. isolate: leader)")
            } else {
                sink.error(f.keyMark(given[1]), path, "one topology per partition, found \(given.joined(separator: " and ")); use parallel steps for several")
            }
            return nil
        }
        let shape = given[0]
        if shape != "isolate", f.has("from") {
            sink.error(f.keyMark("from"), f.pathOf("from"), "'from' goes with isolate; \(shape) needs no 'from'")
        }
        func ref(_ key: String) -> String? {
            guard let v = f.value(key), let name = Values.string(v, path: f.pathOf(key), sink: sink) else { return nil }
            references.append((name, v.mark, f.pathOf(key)))
            return name
        }
        switch shape {
        case "isolate":
            guard let t = ref("isolate") else { return nil }
            return .isolate(target: t, from: ref("from"))
        case "halves": return ref("halves").map(PartitionTopology.halves)
        case "random-halves": return ref("random-halves").map(PartitionTopology.randomHalves)
        case "bridge": return ref("bridge").map(PartitionTopology.bridge)
        case "majorities-ring": return ref("majorities-ring").map(PartitionTopology.majoritiesRing)
        case "one-way":
            guard let o = Fields(f.value("one-way")!, path: f.pathOf("one-way"), object: "one-way", sink: sink, expected: "a mapping with from and to") else { return nil }
            func r(_ key: String) -> String? {
                guard let name = o.string(key, required: "a target") else { return nil }
                references.append((name, o.value(key)!.mark, o.pathOf(key)))
                return name
            }
            guard let from = r("from"), let to = r("to") else { return nil }
            return .oneWay(from: from, to: to)
        default:
            let node = f.value("grudge")!
            guard case .mapping(let entries) = node.content else {
                sink.error(node.mark, f.pathOf("grudge"), "expected a mapping of target → targets it cannot hear, e.g. { n1: [n2, n3] }, found \(node.found)")
                return nil
            }
            var map: [String: [String]] = [:]
            for e in entries {
                let p = Fields.join(f.pathOf("grudge"), e.key)
                references.append((e.key, e.keyMark, p))
                guard let list = Values.stringList(e.value, path: p, sink: sink) else { continue }
                for name in list { references.append((name, e.value.mark, p)) }
                map[e.key, default: []] += list
            }
            return .grudge(map)
        }
    }

    /// `process: etcd` (a name) or `process: { pid | pidfile | name | command | cgroup | unit | namespace: true }`.
    func readProcess(_ f: Fields, required: Bool) -> ProcessSelector? {
        guard let node = f.value("process") else {
            if required { f.missing("process", "which processes, e.g. process: etcd or process: { command: 'etcd --name n1' }") }
            return nil
        }
        let path = f.pathOf("process")
        if case .scalar(let name, _) = node.content { return .name(name) }
        guard let p = Fields(node, path: path, object: "process", sink: sink, expected: "a process name or a mapping with one of pid, pidfile, name, command, cgroup, unit, namespace") else { return nil }
        guard p.keys.count == 1, let key = p.keys.first else {
            sink.error(node.mark, path, p.keys.isEmpty ? "expected one of pid, pidfile, name, command, cgroup, unit, namespace" : "one way of selecting processes, found \(p.keys.joined(separator: " and "))")
            return nil
        }
        switch key {
        case "pid": return p.int("pid", in: 2...4_194_304).map { .pid(Int32($0)) }
        case "pidfile": return p.string("pidfile").map(ProcessSelector.pidfile)
        case "name": return p.string("name").map(ProcessSelector.name)
        case "command":
            guard let regex = p.string("command") else { return nil }
            // The agent matches command lines in linear time (CommandLinePattern): validate
            // with the same syntax, so a plan that validates is one the agent accepts.
            do { _ = try CommandLinePattern(regex) } catch {
                sink.error(p.value("command")!.mark, p.pathOf("command"), "expected a command-line pattern, but /\(regex)/ is refused: \(error)")
                return nil
            }
            return .commandLine(regex)
        case "cgroup": return p.string("cgroup").map(ProcessSelector.cgroup)
        case "unit": return p.string("unit").map(ProcessSelector.systemdUnit)
        default:
            guard let all = p.bool("namespace") else { return nil }
            if !all { sink.error(node.mark, path, "'namespace: false' selects nothing") ; return nil }
            return .namespace
        }
    }
}
