import FaultlineCore
import FaultlinePlan

/// Runs one health probe (http, tcp, command, prometheus) once: one call per host of its
/// `each` target, all concurrently, or a single call without `each`.
public enum HealthProbe {
    /// - Parameter hosts: the `each` target's hosts now; nil when the probe has no `each`.
    public static func run(_ probe: Probe, hosts: [Host]?, defaultTimeout: TimeSpan) async -> [ProbeObservation] {
        guard let hosts else { return [await once(probe, host: nil, timeout: defaultTimeout)] }
        if hosts.isEmpty {
            return [ProbeObservation(host: nil, ok: false, value: nil, detail: "target '\(probe.each ?? "?")' has no hosts to probe", durationSeconds: 0)]
        }
        return await withTaskGroup(of: (Int, ProbeObservation).self) { group in
            for (i, host) in hosts.enumerated() {
                group.addTask { (i, await once(probe, host: host, timeout: defaultTimeout)) }
            }
            var out = [ProbeObservation?](repeating: nil, count: hosts.count)
            for await (i, o) in group { out[i] = o }
            return out.compactMap { $0 }
        }
    }

    /// Whether one round of a probe's observations passes: with `each`, when enough hosts
    /// passed for its `require` (all by default); without, when its one call passed. The
    /// samples stay per host either way: the journal shows which host failed even when the
    /// round passed.
    public static func passes(_ probe: Probe, _ observations: [ProbeObservation]) -> Bool {
        let passed = observations.count { $0.ok }
        return probe.require.isMet(passed: passed, of: observations.count)
    }

    static func once(_ probe: Probe, host: Host?, timeout: TimeSpan) async -> ProbeObservation {
        switch probe {
        case .http(let p): await HTTPProbeRunner.run(p, host: host, timeout: timeout)
        case .tcp(let p): await TCPProbeRunner.run(p, host: host, timeout: timeout)
        case .command(let p): await CommandProbeRunner.run(p, timeout: timeout)
        case .prometheus(let p): await PrometheusProbeRunner.run(p, timeout: timeout)
        case .consistency:
            ProbeObservation(host: host?.name, ok: false, value: nil, detail: "a consistency probe is recorded over a span, not called once", durationSeconds: 0)
        }
    }
}
