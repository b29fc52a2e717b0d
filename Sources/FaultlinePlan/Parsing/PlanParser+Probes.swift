import FaultlineCore
import Foundation

extension PlanParser {
    func readSteadyState(_ items: [YAMLNode]) -> [HypothesisProbe] {
        var out: [HypothesisProbe] = []
        for (i, item) in items.enumerated() {
            let path = "steady-state[\(i)]"
            guard let f = Fields(item, path: path, object: "steady-state probe", sink: sink,
                                 expected: "a mapping with name and probe") else { continue }
            let name = f.string("name", required: "a short name for this probe, shown in reports")
            let probe = f.value("probe").flatMap { readProbe($0, path: f.pathOf("probe")) }
            if !f.has("probe") { f.missing("probe", "one of http, tcp, command, prometheus, consistency") }
            var when: Set<ProbeTiming> = [.before, .after]
            if let list = f.stringList("when") {
                var parsed: Set<ProbeTiming> = []
                for (k, text) in list.enumerated() {
                    if let t = ProbeTiming(rawValue: text) { parsed.insert(t) } else {
                        let names = ProbeTiming.allCases.map(\.rawValue)
                        sink.error(f.value("when")!.mark, "\(f.pathOf("when"))[\(k)]", "expected one of \(names.joined(separator: ", ")), found '\(text)'",
                                   suggestion: Suggestion.closest(to: text, in: names))
                    }
                }
                if !parsed.isEmpty { when = parsed }
            }
            if case .consistency? = probe {
                // Recorded over its `during` span and judged once after the method.
                when = []
                if f.has("when") {
                    sink.error(f.keyMark("when"), f.pathOf("when"), "a consistency probe records its workload over 'during' and is judged after the method; remove 'when'")
                }
            }
            let every = f.positiveSpan("every") ?? .seconds(1)
            if let name, let probe {
                out.append(HypothesisProbe(name: name, probe: probe, when: when, every: every, mark: item.mark))
            }
        }
        return out
    }

    func readGuards(_ items: [YAMLNode]) -> [Guard] {
        var out: [Guard] = []
        for (i, item) in items.enumerated() {
            let path = "guards[\(i)]"
            guard let f = Fields(item, path: path, object: "guard", sink: sink, expected: "a mapping with name, probe and every") else { continue }
            let name = f.string("name", required: "a short name for this abort condition")
            if !f.has("probe") { f.missing("probe", "one of http, tcp, command, prometheus") }
            let probe = f.value("probe").flatMap { readProbe($0, path: f.pathOf("probe")) }
            if case .consistency? = probe {
                sink.error(f.value("probe")!.mark, f.pathOf("probe"), "a consistency probe is judged after the run and cannot guard it; use it under steady-state")
            }
            let every = f.positiveSpan("every") ?? .seconds(1)
            let grace = f.span("grace") ?? .zero
            if grace < .zero { sink.error(f.value("grace")!.mark, f.pathOf("grace"), "expected a duration of 0 or more") }
            if let name, let probe {
                out.append(Guard(name: name, probe: probe, every: every, grace: grace, mark: item.mark))
            }
        }
        return out
    }

    func readProbe(_ node: YAMLNode, path: String) -> Probe? {
        guard let f = Fields(node, path: path, object: "probe", sink: sink,
                             expected: "a mapping with one probe kind: http, tcp, command, prometheus or consistency") else { return nil }
        guard f.keys.count == 1, let kind = f.keys.first, let body = f.value(kind) else {
            if f.keys.count > 1 {
                sink.error(f.keyMark(f.keys[1]), path, "one probe kind per probe, found \(f.keys.joined(separator: " and "))")
            } else if f.keys.isEmpty, case .mapping(let e) = node.content, e.isEmpty {
                sink.error(node.mark, path, "expected one probe kind: http, tcp, command, prometheus or consistency")
            } else if let k = f.keys.first {
                sink.error(f.keyMark(k), Fields.join(path, k), "expected the probe's settings, found nothing")
            }
            return nil
        }
        let p = Fields.join(path, kind)
        switch kind {
        case "http": return readHTTPProbe(body, path: p).map(Probe.http)
        case "tcp": return readTCPProbe(body, path: p).map(Probe.tcp)
        case "command": return readCommandProbe(body, path: p).map(Probe.command)
        case "prometheus": return readPrometheusProbe(body, path: p).map(Probe.prometheus)
        default: return readConsistencyProbe(body, path: p).map(Probe.consistency)
        }
    }

    func readEach(_ f: Fields) -> String? {
        guard let each = f.string("each") else { return nil }
        references.append((each, f.value("each")!.mark, f.pathOf("each")))
        return each
    }

    /// `require: all | any | majority | {at-least: N}`: how many of `each`'s hosts must pass.
    func readRequire(_ f: Fields, each: String?) -> HostRequirement? {
        guard let node = f.value("require") else { return nil }
        let path = f.pathOf("require")
        let expected = "all, any, majority or {at-least: N}"
        var requirement: HostRequirement?
        switch node.content {
        case .scalar(let text, _):
            switch text {
            case "all": requirement = .all
            case "any": requirement = .any
            case "majority": requirement = .majority
            case "at-least":
                sink.error(node.mark, path, "'at-least' needs a number of hosts: write require: {at-least: 2}")
            default:
                sink.error(node.mark, path, "expected \(expected), found '\(text)'",
                           suggestion: Suggestion.closest(to: text, in: ["all", "any", "majority", "at-least"]))
            }
        case .mapping:
            guard let r = Fields(node, path: path, object: "require", sink: sink, expected: expected) else { return nil }
            if let n = r.int("at-least", in: 1...10_000, required: "the number of hosts that must pass, e.g. {at-least: 2}") {
                requirement = .atLeast(n)
                if let each { atLeastRequirements.append((each, n, r.value("at-least")!.mark, r.pathOf("at-least"))) }
            }
        case .sequence:
            sink.error(node.mark, path, "expected \(expected), found \(node.found)")
        }
        if each == nil, requirement != nil {
            sink.error(f.keyMark("require"), path, "'require' counts the hosts of 'each'; add each: <target> or remove require")
            return nil
        }
        return requirement
    }

    /// `at-least: N` above the number of hosts its target can have: the probe could never
    /// pass. Known for `names:` and `pick:` targets, and for any static one with an inline
    /// inventory; left to run time otherwise (labels against the lab, dynamic targets).
    func checkAtLeastRequirements(_ plan: Plan) {
        let byName = Dictionary(plan.targets.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        let resolver: TargetResolver? = if case .inline(let inventory) = plan.inventory {
            TargetResolver(plan: plan, inventory: inventory, seed: 0)
        } else { nil }
        for requirement in atLeastRequirements {
            guard let target = byName[requirement.target] else { continue }   // reported as unknown already
            var size: Int?
            switch target.selection {
            case .names(let names): size = Set(names).count
            case .pick(let n, _): size = n
            default: break
            }
            if size == nil, let resolver, case .hosts(let hosts)? = try? resolver.resolve(target.name) { size = hosts.count }
            if let size, requirement.count > size {
                sink.error(requirement.mark, requirement.path,
                           "at least \(requirement.count) hosts must pass, but target '\(target.name)' has \(size) host(s); the probe could never pass")
            }
        }
    }

    /// Probes speak HTTP(S) only (http and prometheus probes share this check).
    func checkHTTPURL(_ url: String, _ f: Fields) {
        if !(url.hasPrefix("http://") || url.hasPrefix("https://")) {
            sink.error(f.value("url")!.mark, f.pathOf("url"), "expected an http:// or https:// URL, found '\(url)'")
        }
    }

    func checkTemplate(_ text: String, _ f: Fields, key: String, hasEach: Bool) {
        var rest = Substring(text)
        while let open = rest.range(of: "{{") {
            guard let close = rest[open.upperBound...].range(of: "}}") else {
                sink.error(f.value(key)!.mark, f.pathOf(key), "'{{' is not closed with '}}'")
                return
            }
            let variable = rest[open.upperBound..<close.lowerBound].trimmingCharacters(in: .whitespaces)
            if !["host.address", "host.name"].contains(variable) {
                sink.error(f.value(key)!.mark, f.pathOf(key), "unknown variable '{{\(variable)}}'; use {{host.address}} or {{host.name}}",
                           suggestion: Suggestion.closest(to: variable, in: ["host.address", "host.name"]))
            } else if !hasEach {
                sink.error(f.value(key)!.mark, f.pathOf(key), "'{{\(variable)}}' needs 'each: <target>' to say which hosts to fill in")
            }
            rest = rest[close.upperBound...]
        }
    }

    func readHTTPProbe(_ node: YAMLNode, path: String) -> HTTPProbe? {
        guard let f = Fields(node, path: path, object: "probe.http", sink: sink, expected: "a mapping with url and expect") else { return nil }
        guard let url = f.string("url", required: "the URL to call, e.g. http://{{host.address}}:2379/health") else { return nil }
        var probe = HTTPProbe(url: url)
        probe.each = readEach(f)
        if let require = readRequire(f, each: probe.each) { probe.require = require }
        checkTemplate(url, f, key: "url", hasEach: probe.each != nil)
        checkHTTPURL(url, f)
        if let m = f.string("method") {
            let methods = ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"]
            if methods.contains(m.uppercased()) { probe.method = m.uppercased() } else {
                sink.error(f.value("method")!.mark, f.pathOf("method"), "expected an HTTP method (\(methods.joined(separator: ", "))), found '\(m)'")
            }
        }
        probe.headers = f.stringMap("headers") ?? [:]
        probe.body = f.string("body")
        probe.timeout = f.positiveSpan("timeout")
        if let e = f.value("expect"), let x = Fields(e, path: f.pathOf("expect"), object: "probe.http.expect", sink: sink) {
            if let v = x.value("status") {
                switch v.content {
                case .sequence(let items):
                    probe.expect.status = items.enumerated().compactMap { Values.int($1, path: "\(x.pathOf("status"))[\($0)]", range: 100...599, sink: sink) }
                default:
                    probe.expect.status = Values.int(v, path: x.pathOf("status"), range: 100...599, sink: sink).map { [$0] } ?? [200]
                }
            }
            if let body = x.string("body") { if checkRegex(body, x, "body") { probe.expect.body = body } }
            if let j = x.value("jsonpath") { probe.expect.jsonPath = readJSONPath(j, path: x.pathOf("jsonpath")) }
            probe.expect.latencyBelow = x.positiveSpan("latency-below")
        }
        probe.tls = readProbeTLS(f, url: url)
        return probe
    }

    func checkRegex(_ pattern: String, _ f: Fields, _ key: String) -> Bool {
        do { _ = try NSRegularExpression(pattern: pattern); return true } catch {
            sink.error(f.value(key)!.mark, f.pathOf(key), "expected a regular expression, but '\(pattern)' does not compile")
            return false
        }
    }

    func readJSONPath(_ node: YAMLNode, path: String) -> JSONPathExpectation? {
        guard let f = Fields(node, path: path, object: "jsonpath", sink: sink, expected: "a mapping with path and one of equals, between, below, above, matches") else { return nil }
        guard let p = f.string("path", required: "a JSONPath such as $.health") else { return nil }
        if !p.hasPrefix("$") || JSONPath.parse(p) == nil {
            sink.error(f.value("path")!.mark, f.pathOf("path"), "expected a JSONPath such as $.members[0].name, found '\(p)'")
        }
        guard let tolerance = readTolerance(f, path: path) else { return nil }
        return JSONPathExpectation(path: p, tolerance: tolerance)
    }

    /// Exactly one of equals, between, below, above, matches (those the object allows).
    func readTolerance(_ f: Fields, path: String) -> Tolerance? {
        let allowed = ["equals", "between", "below", "above", "matches"].filter { PlanSchema.fields(f.object).contains($0) }
        let given = allowed.filter { f.has($0) }
        guard given.count == 1 else {
            if given.isEmpty {
                sink.error(f.node.mark, path, "expected one tolerance: \(allowed.joined(separator: ", "))")
            } else {
                sink.error(f.keyMark(given[1]), path, "one tolerance per probe, found \(given.joined(separator: " and "))")
            }
            return nil
        }
        let key = given[0]
        let v = f.value(key)!
        switch key {
        case "equals": return Values.string(v, path: f.pathOf(key), sink: sink).map(Tolerance.equals)
        case "below": return Values.double(v, path: f.pathOf(key), sink: sink).map(Tolerance.below)
        case "above": return Values.double(v, path: f.pathOf(key), sink: sink).map(Tolerance.above)
        case "matches":
            guard let r = Values.string(v, path: f.pathOf(key), sink: sink), checkRegex(r, f, key) else { return nil }
            return .matches(r)
        default:
            guard case .sequence(let items) = v.content, items.count == 2,
                  let lo = Values.double(items[0], path: f.pathOf(key) + "[0]", sink: sink),
                  let hi = Values.double(items[1], path: f.pathOf(key) + "[1]", sink: sink) else {
                if case .sequence(let items) = v.content, items.count == 2 { return nil }
                sink.error(v.mark, f.pathOf(key), "expected two numbers [low, high], found \(v.found)")
                return nil
            }
            guard lo <= hi else {
                sink.error(v.mark, f.pathOf(key), "expected [low, high] with low ≤ high, found [\(lo), \(hi)]")
                return nil
            }
            return .between(lo, hi)
        }
    }

    func readTCPProbe(_ node: YAMLNode, path: String) -> TCPProbe? {
        guard let f = Fields(node, path: path, object: "probe.tcp", sink: sink, expected: "a mapping with address") else { return nil }
        guard let address = f.string("address", required: "host:port to connect to, e.g. {{host.address}}:2379") else { return nil }
        let each = readEach(f)
        checkTemplate(address, f, key: "address", hasEach: each != nil)
        if let colon = address.lastIndex(of: ":"), let port = Int(address[address.index(after: colon)...]), (1...65535).contains(port) {} else {
            sink.error(f.value("address")!.mark, f.pathOf("address"), "expected host:port with a port from 1 to 65535, found '\(address)'")
        }
        return TCPProbe(address: address, each: each, timeout: f.positiveSpan("timeout"),
                        require: readRequire(f, each: each) ?? .all)
    }

    func readCommandProbe(_ node: YAMLNode, path: String) -> CommandProbe? {
        guard let f = Fields(node, path: path, object: "probe.command", sink: sink, expected: "a mapping with argv") else { return nil }
        guard let argv = readArgv(f) else { return nil }
        var probe = CommandProbe(argv: argv)
        if let code = f.int("exit", in: 0...255) { probe.exitCode = Int32(code) }
        if let out = f.string("stdout"), checkRegex(out, f, "stdout") { probe.stdout = out }
        probe.timeout = f.positiveSpan("timeout")
        return probe
    }

    /// A program and its arguments as a list; a single string is refused, because it
    /// would have to be split by a shell, and Faultline runs no shell strings.
    func readArgv(_ f: Fields) -> [String]? {
        guard let node = f.value("argv") else {
            f.missing("argv", "the program and its arguments as a list, e.g. [etcdctl, endpoint, health]")
            return nil
        }
        guard case .sequence = node.content else {
            sink.error(node.mark, f.pathOf("argv"), "expected a list such as [etcdctl, endpoint, health], found \(node.found); Faultline runs no shell strings")
            return nil
        }
        guard let argv = Values.stringList(node, path: f.pathOf("argv"), sink: sink) else { return nil }
        if argv.isEmpty || argv[0].isEmpty { sink.error(node.mark, f.pathOf("argv"), "expected at least the program to run"); return nil }
        return argv
    }

    func readPrometheusProbe(_ node: YAMLNode, path: String) -> PrometheusProbe? {
        guard let f = Fields(node, path: path, object: "probe.prometheus", sink: sink, expected: "a mapping with url, query and a tolerance") else { return nil }
        let url = f.string("url", required: "the Prometheus server's URL, e.g. http://10.0.0.5:9090")
        let query = f.string("query", required: "a PromQL expression whose result is one number")
        let tolerance = readTolerance(f, path: path)
        if let url { checkHTTPURL(url, f) }
        let tls = readProbeTLS(f, url: url ?? "")
        guard let url, let query, let tolerance else { return nil }
        return PrometheusProbe(url: url, query: query, tolerance: tolerance, timeout: f.positiveSpan("timeout"), tls: tls)
    }

    func readConsistencyProbe(_ node: YAMLNode, path: String) -> ConsistencyProbe? {
        guard let f = Fields(node, path: path, object: "probe.consistency", sink: sink, expected: "a mapping with workload and target") else { return nil }
        if !f.has("workload") { f.missing("workload", "one of \(ConsistencyProbe.Workload.allCases.map(\.rawValue).joined(separator: ", "))") }
        let workload = f.choice("workload", ConsistencyProbe.Workload.self)
        let target = readTargetRef(f, required: true)
        guard let workload, let target else { return nil }
        var probe = ConsistencyProbe(workload: workload, target: target)
        if let c = f.int("clients", in: 1...256) { probe.clients = c }
        if let k = f.int("keys", in: 1...100_000) { probe.keys = k }
        if let r = f.value("rate") {
            if let rate = Values.double(r, path: f.pathOf("rate"), sink: sink) {
                if rate > 0 { probe.rate = rate } else { sink.error(r.mark, f.pathOf("rate"), "expected operations per second above 0") }
            }
        }
        if let d = f.choice("during", WorkloadSpan.self) { probe.during = d }
        if let list = f.stringList("checks") {
            var checks: [ConsistencyProbe.Check] = []
            for text in list {
                if let c = ConsistencyProbe.Check(rawValue: text) { checks.append(c) } else {
                    let names = ConsistencyProbe.Check.allCases.map(\.rawValue)
                    sink.error(f.value("checks")!.mark, f.pathOf("checks"), "expected checks among \(names.joined(separator: ", ")), found '\(text)'",
                               suggestion: Suggestion.closest(to: text, in: names))
                }
            }
            if !checks.isEmpty { probe.checks = checks }
        }
        if let t = f.positiveSpan("timeout") { probe.timeout = t }
        if let url = f.string("url") {
            if workload != .httpKV { sink.error(f.keyMark("url"), f.pathOf("url"), "'url' is for the http-kv workload; \(workload.rawValue) knows its service's address") }
            checkTemplate(url, f, key: "url", hasEach: true)
            probe.url = url
        }
        if let node = f.value("outcome") {
            if workload != .httpKV {
                sink.error(f.keyMark("outcome"), f.pathOf("outcome"), "'outcome' is for the http-kv workload; \(workload.rawValue) reads its service's own errors")
            } else if let outcome = readHTTPWriteOutcome(node, path: f.pathOf("outcome")) {
                probe.outcome = outcome
            }
        }
        return probe
    }

    /// `outcome: {header: X-Applied, failed: [no], indeterminate: [unknown], failed-status: [503]}`;
    /// every field optional (defaults: `X-Applied`, `[no]`, `[unknown]`, none).
    func readHTTPWriteOutcome(_ node: YAMLNode, path: String) -> HTTPWriteOutcome? {
        guard let f = Fields(node, path: path, object: "probe.consistency.outcome", sink: sink,
                             expected: "a mapping such as {header: X-Applied, failed: [no], indeterminate: [unknown], failed-status: [503]}") else { return nil }
        var outcome = HTTPWriteOutcome()
        var valid = true
        if let header = f.string("header") {
            if header == "none" {
                outcome.header = nil
            } else if header.isEmpty || !header.utf8.allSatisfy(Self.isHeaderNameByte) {
                sink.error(f.value("header")!.mark, f.pathOf("header"), "expected a header name such as X-Applied (letters, digits and !#$%&'*+-.^_`|~), or none, found '\(header)'")
                valid = false
            } else {
                outcome.header = header
            }
        }
        for (key, keep) in [("failed", \HTTPWriteOutcome.failed), ("indeterminate", \HTTPWriteOutcome.indeterminate)] {
            guard let values = f.stringList(key) else { continue }
            if let empty = values.firstIndex(where: { $0.trimmingCharacters(in: .whitespaces).isEmpty }) {
                sink.error(f.value(key)!.mark, "\(f.pathOf(key))[\(empty)]", "expected a header value such as \(key == "failed" ? "no" : "unknown"), found an empty one")
                valid = false
            }
            outcome[keyPath: keep] = values
        }
        if f.has("header") && outcome.header == nil && (f.has("failed") || f.has("indeterminate")) {
            sink.error(f.keyMark("header"), f.pathOf("header"), "'header: none' reads no header, so 'failed' and 'indeterminate' values would never be seen")
            valid = false
        }
        let failed = Set(outcome.failed.map { $0.lowercased() })
        if let both = outcome.indeterminate.first(where: { failed.contains($0.lowercased()) }) {
            sink.error(f.value("indeterminate")?.mark ?? f.node.mark, f.pathOf("indeterminate"), "'\(both)' is both failed and indeterminate; a header value can mean only one")
            valid = false
        }
        if let node = f.value("failed-status") {
            let items: [YAMLNode] = if case .sequence(let list) = node.content { list } else { [node] }
            var statuses: [Int] = []
            for (i, item) in items.enumerated() {
                let itemPath = "\(f.pathOf("failed-status"))[\(i)]"
                guard let status = Values.int(item, path: itemPath, range: 400...599, sink: sink) else { valid = false; continue }
                if status < 500 {
                    sink.error(item.mark, itemPath, "every 4xx already means a failed write; list 5xx statuses here, found \(status)")
                    valid = false
                }
                statuses.append(status)
            }
            outcome.failedStatuses = statuses
        }
        return valid ? outcome : nil
    }

    /// RFC 9110's `tchar`: the bytes a header name may hold.
    static func isHeaderNameByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"): true
        default: "!#$%&'*+-.^_`|~".utf8.contains(byte)
        }
    }
}
