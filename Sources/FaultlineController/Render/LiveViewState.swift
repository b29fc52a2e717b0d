/// What the live view knows about a run in progress, updated from journal events and probe
/// samples, and the text it shows: a frame for a terminal (redrawn in place) or log lines.
/// Pure (no clock, no I/O), so both forms are tested byte for byte.
struct LiveViewState {
    struct ActiveFault: Equatable { var id: String; var label: String; var since: Double }
    struct ProbeState: Equatable { var name: String; var host: String?; var ok: Bool; var detail: String; var t: Double; var failures: Int; var samples: Int }

    let title: String
    /// The planned length of the run in seconds (the schedule's end), for "time left".
    let plannedSeconds: Double?
    /// Hosts in inventory order, so every host has a line even with no fault on it.
    private(set) var hosts: [String]
    private(set) var phase: RunPhase?
    private(set) var lastT = 0.0
    private(set) var faults: [String: [ActiveFault]] = [:]
    private(set) var probes: [ProbeState] = []
    private(set) var lastEvent: JournalEvent?
    private(set) var trips = 0

    init(title: String, hosts: [String], plannedSeconds: Double?) {
        self.title = title; self.hosts = hosts; self.plannedSeconds = plannedSeconds
    }

    /// Updates from an event; answers the log line for it.
    @discardableResult
    mutating func apply(_ event: JournalEvent) -> String {
        lastT = max(lastT, event.t)
        lastEvent = event
        switch event.kind {
        case .phase:
            if let phase = event.phase { self.phase = phase }
        case .faultApplied:
            if let host = event.host {
                if !hosts.contains(host) { hosts.append(host) }
                let id = event.faultID ?? ""
                if !(faults[host] ?? []).contains(where: { $0.id == id && !id.isEmpty }) {
                    faults[host, default: []].append(ActiveFault(id: id, label: event.message, since: event.t))
                }
            }
        case .faultReverted:
            if let host = event.host {
                faults[host]?.removeAll { $0.id == (event.faultID ?? "") }
            }
        case .guardTripped:
            trips += 1
        default:
            break
        }
        return Self.logLine(event)
    }

    /// Updates from a sample; answers a log line when it is worth one: the first sample of
    /// a probe on a host, a change between passing and failing, and every sample of the
    /// before and after checks (the hypothesis verdicts). Sampling every second while all
    /// is well would otherwise drown the log.
    mutating func apply(probe: String, _ sample: ProbeSample) -> String? {
        lastT = max(lastT, sample.t)
        let line = Self.logLine(probe: probe, sample)
        if let i = probes.firstIndex(where: { $0.name == probe && $0.host == sample.host }) {
            let changed = probes[i].ok != sample.ok
            probes[i].ok = sample.ok; probes[i].detail = sample.detail; probes[i].t = sample.t
            probes[i].samples += 1; probes[i].failures += sample.ok ? 0 : 1
            return changed || sample.phase == .before || sample.phase == .after ? line : nil
        }
        probes.append(ProbeState(name: probe, host: sample.host, ok: sample.ok, detail: sample.detail, t: sample.t,
                                 failures: sample.ok ? 0 : 1, samples: 1))
        return line
    }

    // MARK: text

    static func logLine(_ e: JournalEvent) -> String {
        var line = "[" + RenderFormat.offset(e.t) + "] " + e.kind.rawValue
        var message = e.message
        if let phase = e.phase, e.kind == .phase {
            line += " " + phase.rawValue
            if message == phase.rawValue { message = "" }
        }
        if let host = e.host { line += " " + Markup.plain(host) }
        if !message.isEmpty { line += ": " + Markup.plain(message) }
        if let id = e.faultID { line += " (\(id))" }
        return line
    }

    static func logLine(probe: String, _ s: ProbeSample) -> String {
        "[" + RenderFormat.offset(s.t) + "] probe " + Markup.plain(probe) + (s.host.map { " on \(Markup.plain($0))" } ?? "")
            + ": " + (s.ok ? "ok" : "FAILED") + (s.detail.isEmpty ? "" : " — " + Markup.plain(s.detail))
    }

    /// Styles the terminal frame uses; the view maps them to ANSI.
    enum Style { case plain, bold, dim, ok, fail, warn }
    typealias Line = [(text: String, style: Style)]

    /// The terminal frame at `elapsed` seconds: title, phase and times, faults per host,
    /// probe states, the last event.
    func frame(elapsed: Double) -> [Line] {
        var lines: [Line] = []
        lines.append([("faultline ▸ ", .dim), (Markup.plain(title), .bold)])
        var status: Line = [("phase ", .dim), (phase?.rawValue ?? "starting", .bold), ("  elapsed ", .dim), (RenderFormat.clock(elapsed), .plain)]
        // Once the run is done (possibly early: a guard, a signal), time left means nothing.
        if let planned = plannedSeconds, planned > 0, phase != .done {
            status += [("  left ", .dim), (RenderFormat.clock(max(0, planned - elapsed)), .plain), ("  ", .plain), (Self.bar(elapsed / planned, width: 20), .dim)]
        }
        if trips > 0 { status += [("  guard tripped", .fail)] }
        lines.append(status)
        lines.append([("faults", .dim)])
        let width = max(4, hosts.map(\.count).max() ?? 4)
        for host in hosts {
            let active = faults[host] ?? []
            let name = Markup.plain(host).padding(toLength: width, withPad: " ", startingAt: 0)
            if active.isEmpty {
                lines.append([("  " + name + "  ", .plain), ("—", .dim)])
            } else {
                lines.append([("  " + name + "  ", .plain), (active.map { Markup.plain($0.label) }.joined(separator: "; "), .warn)])
            }
        }
        if !probes.isEmpty {
            lines.append([("probes", .dim)])
            for p in probes {
                let name = Markup.plain(p.name) + (p.host.map { " on \(Markup.plain($0))" } ?? "")
                var line: Line = [("  ", .plain), (p.ok ? "✓ " : "✗ ", p.ok ? .ok : .fail), (name, .plain)]
                if p.failures > 0 { line.append(("  \(p.failures)/\(p.samples) failed", .fail)) }
                if !p.detail.isEmpty { line.append(("  " + Markup.plain(p.detail), .dim)) }
                lines.append(line)
            }
        }
        if let e = lastEvent { lines.append([("last  ", .dim), (Self.logLine(e), .plain)]) }
        return lines
    }

    /// `[██████░░░░]` for a fraction in 0…1.
    static func bar(_ fraction: Double, width: Int) -> String {
        let filled = Int((min(1, max(0, fraction.isFinite ? fraction : 0)) * Double(width)).rounded())
        return "[" + String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled) + "]"
    }
}
