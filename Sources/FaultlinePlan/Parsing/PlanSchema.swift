/// Every mapping a plan may contain and the keys it accepts, in documentation order.
///
/// The parser reads keys only through `Fields`, which checks them against this table, and
/// a test checks that docs/plan-format.md documents exactly these objects and fields. So
/// the accepted language and its documentation cannot drift apart.
public enum PlanSchema {
    static let networkCommon = ["target", "duration", "peers", "ports", "protocol", "direction", "device"]

    public static let objects: [(name: String, fields: [String])] = [
        ("plan", ["version", "title", "description", "tags", "vars", "inventory", "targets", "steady-state", "guards", "method", "rollbacks", "settings"]),
        ("inventory", ["hosts"]),
        ("host", ["name", "address", "agent", "labels"]),
        ("target", ["labels", "names", "all", "pick", "percent", "from", "probe"]),
        ("steady-state probe", ["name", "probe", "when", "every"]),
        ("guard", ["name", "probe", "every", "grace"]),
        ("probe", ["http", "tcp", "command", "prometheus", "consistency"]),
        ("probe.http", ["url", "method", "headers", "body", "each", "require", "timeout", "expect", "tls"]),
        ("probe.http.expect", ["status", "body", "jsonpath", "latency-below"]),
        ("probe.tls", ["ca", "certificate", "key", "insecure-skip-verify"]),
        ("jsonpath", ["path", "equals", "between", "below", "above", "matches"]),
        ("probe.tcp", ["address", "each", "require", "timeout"]),
        ("require", ["at-least"]),
        ("probe.command", ["argv", "exit", "stdout", "timeout"]),
        ("probe.prometheus", ["url", "query", "equals", "between", "below", "above", "timeout", "tls"]),
        ("probe.consistency", ["workload", "target", "clients", "keys", "rate", "during", "checks", "timeout", "url", "outcome"]),
        ("probe.consistency.outcome", ["header", "failed", "indeterminate", "failed-status"]),
        ("settings", ["lease", "probe-timeout", "agent-timeout", "settle", "seed"]),
        ("step", ["name", "latency", "loss", "duplicate", "corrupt", "reorder", "bandwidth", "partition", "kill", "pause", "clock", "sequence", "parallel", "repeat", "command", "http"]),
        ("repeat", ["times", "every", "steps"]),
        ("command", ["argv", "timeout"]),
        ("http", ["url", "method", "body", "timeout"]),
        ("latency", networkCommon + ["delay", "jitter", "correlation", "distribution"]),
        ("loss", networkCommon + ["percent", "correlation"]),
        ("duplicate", networkCommon + ["percent", "correlation"]),
        ("corrupt", networkCommon + ["percent", "correlation"]),
        ("reorder", networkCommon + ["percent", "correlation", "delay"]),
        ("bandwidth", networkCommon + ["rate", "burst", "limit"]),
        ("partition", ["duration", "isolate", "from", "halves", "random-halves", "bridge", "majorities-ring", "one-way", "grudge", "ports", "protocol"]),
        ("one-way", ["from", "to"]),
        ("kill", ["target", "process", "signal"]),
        ("pause", ["target", "process", "mechanism", "duration"]),
        ("clock", ["target", "process", "offset", "scope", "strobe", "duration"]),
        ("strobe", ["offset", "every"]),
        ("process", ["pid", "pidfile", "name", "command", "cgroup", "unit", "namespace"]),
    ]

    static let fieldsByObject: [String: [String]] = Dictionary(uniqueKeysWithValues: objects.map { ($0.name, $0.fields) })

    static func fields(_ object: String) -> [String] {
        guard let fields = fieldsByObject[object] else { preconditionFailure("no schema object '\(object)'") }
        return fields
    }
}
