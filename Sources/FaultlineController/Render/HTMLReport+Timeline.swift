import FaultlineCore

extension HTMLReport {
    /// The run as one SVG: a time axis, the phases shaded, one lane per host with each
    /// fault window (applied → reverted, colored by kind, labeled), guard trips as vertical
    /// markers, and one lane per probe with every sample as a pass/fail dot and numeric
    /// values joined into a line per host. Sizes are fixed numbers so the output is
    /// deterministic; the SVG is well-formed XML on its own (tests parse it as such).
    static func timeline(_ journal: Journal, _ analysis: RunAnalysis) -> String {
        let layout = TimelineLayout(journal: journal, analysis: analysis)
        var s = "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"timeline\" role=\"img\" width=\"\(layout.width)\" height=\"\(layout.height)\" viewBox=\"0 0 \(layout.width) \(layout.height)\">\n"
        s += "<title>\(Markup.escape("Timeline of " + journal.plan.title))</title>\n"

        // Lane backgrounds first, so the phase shading shows through them.
        for lane in layout.hostLanes {
            s += "<rect class=\"lane-bg\" x=\"0\" y=\"\(n(lane.top))\" width=\"\(layout.width)\" height=\"\(n(lane.height))\"/>\n"
        }
        for lane in layout.probeLanes {
            s += "<rect class=\"lane-bg\" x=\"0\" y=\"\(n(lane.top))\" width=\"\(layout.width)\" height=\"\(n(TimelineLayout.probeHeight))\"/>\n"
        }

        // Phases: a labeled band on top, and a light shade down the whole plot.
        for span in analysis.phases where span.phase != .done {
            let x0 = layout.x(span.start), x1 = max(layout.x(span.end), x0 + 1)
            s += "<rect class=\"phase ph-\(span.phase.rawValue)\" x=\"\(n(x0))\" y=\"\(n(layout.phaseTop))\" width=\"\(n(x1 - x0))\" height=\"\(n(layout.height - layout.phaseTop))\"><title>\(Markup.escape("\(span.phase.rawValue): \(RenderFormat.offset(span.start)) – \(RenderFormat.offset(span.end))"))</title></rect>\n"
            s += "<text class=\"phase-label\" x=\"\(n(x0 + 3))\" y=\"\(n(layout.phaseTop + 14))\">\(Markup.escape(fit(span.phase.rawValue, x1 - x0 - 4)))</text>\n"
        }

        // The time axis.
        s += "<g class=\"axis\">\n"
        for tick in layout.ticks {
            let x = layout.x(tick)
            s += "<line x1=\"\(n(x))\" y1=\"\(n(layout.axisTop + 16))\" x2=\"\(n(x))\" y2=\"\(n(layout.height))\"/>"
            s += "<text x=\"\(n(x))\" y=\"\(n(layout.axisTop + 12))\" text-anchor=\"middle\">\(RenderFormat.value(tick))s</text>\n"
        }
        s += "</g>\n"

        // Host lanes with fault windows.
        for lane in layout.hostLanes {
            s += "<g class=\"lane host\">\n"
            s += "<text class=\"lane-label\" x=\"8\" y=\"\(n(lane.top + 17))\">\(Markup.escape(fit(lane.host, TimelineLayout.gutter - 14)))<title>\(Markup.escape(lane.host))</title></text>\n"
            for window in lane.windows {
                s += faultWindow(window, layout: layout, laneTop: lane.top)
            }
            s += "</g>\n"
        }

        // Probe lanes with samples.
        if !layout.probeLanes.isEmpty {
            s += "<text class=\"section-label\" x=\"8\" y=\"\(n(layout.probesTop - 6))\">probes</text>\n"
        }
        for lane in layout.probeLanes {
            s += probeLane(lane, layout: layout)
        }

        // Guard trips on top of everything, across every lane.
        for event in journal.events where event.kind == .guardTripped {
            let x = layout.x(event.t)
            s += "<g class=\"trip\"><line x1=\"\(n(x))\" y1=\"\(n(layout.phaseTop))\" x2=\"\(n(x))\" y2=\"\(n(layout.height))\"/>"
            s += "<path d=\"M\(n(x - 6)) \(n(layout.phaseTop + 18)) L\(n(x + 6)) \(n(layout.phaseTop + 18)) L\(n(x)) \(n(layout.phaseTop + 28)) Z\"/>"
            // The label goes left of the line when there is no room on its right.
            let right = x + 8 + 90 <= layout.width
            s += "<text x=\"\(n(right ? x + 8 : x - 8))\" y=\"\(n(layout.phaseTop + 28))\"\(right ? "" : " text-anchor=\"end\"")>guard tripped</text>"
            s += "<title>\(Markup.escape(RenderFormat.offset(event.t) + " guard tripped: " + event.message))</title></g>\n"
        }
        s += "</svg>"
        return s
    }

    private static func faultWindow(_ w: TimelineLayout.Window, layout: TimelineLayout, laneTop: Double) -> String {
        let f = w.record
        let y = laneTop + TimelineLayout.lanePad + Double(w.row) * TimelineLayout.rowHeight
        let h = TimelineLayout.rowHeight - 4
        var tip = "\(f.id) on \(f.host): \(f.fault.summary)\nstep \(f.step)" + (f.stepName.map { " (\($0))" } ?? "")
        tip += "\nrequested \(RenderFormat.offset(f.requestedAt))"
        if let a = f.appliedAt { tip += ", applied \(RenderFormat.offset(a))" }
        if let r = f.revertedAt { tip += ", reverted \(RenderFormat.offset(r))" } else if f.appliedAt != nil { tip += ", NOT REVERTED" }
        if let reason = f.revertReason { tip += " (\(reason.rawValue))" }
        if let error = f.error { tip += "\nerror: \(error)" }
        let title = "<title>\(Markup.escape(tip))</title>"

        guard let applied = f.appliedAt else {
            // Never applied: a cross where it was asked for.
            let x = layout.x(f.requestedAt), cy = y + h / 2
            return "<g class=\"fault-failed\"><path d=\"M\(n(x - 5)) \(n(cy - 5)) L\(n(x + 5)) \(n(cy + 5)) M\(n(x + 5)) \(n(cy - 5)) L\(n(x - 5)) \(n(cy + 5))\"/>"
                + "<text x=\"\(n(x + 8))\" y=\"\(n(cy + 4))\">\(Markup.escape(fit("failed: " + f.fault.summary, 220)))</text>\(title)</g>\n"
        }
        let x0 = layout.x(applied)
        let end = f.revertedAt ?? (f.fault.kind.isInstant ? applied : layout.endT)
        let x1 = max(layout.x(end), x0 + 3)
        var classes = "fault k-\(f.fault.kind.rawValue)"
        if f.revertedAt == nil && !f.fault.kind.isInstant { classes += " unreverted" }
        if f.error != nil { classes += " errored" }
        var s = "<g class=\"\(classes)\"><rect x=\"\(n(x0))\" y=\"\(n(y))\" width=\"\(n(x1 - x0))\" height=\"\(n(h))\" rx=\"3\"/>"
        let label = f.fault.summary + (f.revertedAt == nil && !f.fault.kind.isInstant ? " — not reverted" : "")
        let inside = x1 - x0 - 8
        if inside >= 40 {
            s += "<text x=\"\(n(x0 + 4))\" y=\"\(n(y + h / 2 + 4))\">\(Markup.escape(fit(label, inside)))</text>"
        } else {
            s += "<text class=\"outside\" x=\"\(n(x1 + 4))\" y=\"\(n(y + h / 2 + 4))\">\(Markup.escape(fit(label, 200)))</text>"
        }
        return s + title + "</g>\n"
    }

    private static func probeLane(_ lane: TimelineLayout.ProbeLane, layout: TimelineLayout) -> String {
        let p = lane.probe
        var s = "<g class=\"lane probe \(p.role == .guard ? "guard" : "hypothesis")\">\n"
        s += "<text class=\"lane-label\" x=\"8\" y=\"\(n(lane.top + 16))\">\(Markup.escape(fit(p.name, TimelineLayout.gutter - 14)))<title>\(Markup.escape(p.name))</title></text>\n"
        var sub = "\(p.role == .guard ? "guard" : "hypothesis") · \(p.kind)"
        if let range = lane.range { sub += " · " + RenderFormat.value(range.lowerBound) + "–" + RenderFormat.value(range.upperBound) }
        s += "<text class=\"lane-sub\" x=\"8\" y=\"\(n(lane.top + 31))\">\(Markup.escape(fit(sub, TimelineLayout.gutter - 14)))</text>\n"
        // One line per host through the numeric values, in time order.
        for series in lane.series where series.points.count > 1 {
            let points = series.points.map { "\(n(layout.x($0.t))),\(n(lane.y($0.value)))" }.joined(separator: " ")
            s += "<polyline class=\"series s\(series.seriesIndex % 6)\" points=\"\(points)\"><title>\(Markup.escape(p.name + (series.host.map { " on \($0)" } ?? "")))</title></polyline>\n"
        }
        for sample in p.samples {
            let cx = layout.x(sample.t), cy = lane.y(sample.value)
            let tip = RunAnalysis.describe(sample) + (sample.value.map { "\nvalue " + RenderFormat.value($0) } ?? "")
            s += "<circle class=\"\(sample.ok ? "ok" : "fail")\" cx=\"\(n(cx))\" cy=\"\(n(cy))\" r=\"\(sample.ok ? 3 : 4)\"><title>\(Markup.escape(tip))</title></circle>\n"
        }
        return s + "</g>\n"
    }

    /// Numbers in the SVG: two decimals at most, so output does not depend on float printing.
    static func n(_ x: Double) -> String { RenderFormat.value((x * 100).rounded() / 100) }

    /// Cuts text to fit `width` pixels at the SVG's 11px font (an estimate: 6.2px a character).
    static func fit(_ text: String, _ width: Double) -> String {
        let plain = Markup.plain(text)
        let fits = max(0, Int(width / 6.2))
        if plain.count <= fits { return plain }
        if fits <= 1 { return "" }
        return String(plain.prefix(fits - 1)) + "…"
    }
}

/// Where everything goes in the timeline: pure geometry from the journal.
struct TimelineLayout {
    static let gutter = 190.0
    static let plotWidth = 1000.0
    static let rowHeight = 22.0
    static let lanePad = 6.0
    static let probeHeight = 44.0

    struct Window { var record: FaultRecord; var row: Int }
    struct HostLane { var host: String; var top: Double; var height: Double; var windows: [Window] }
    /// The numeric samples of one host within one phase: a line never joins a value
    /// before the method to one after it, as if it had been measured in between.
    struct Series { var host: String?; var seriesIndex: Int; var points: [(t: Double, value: Double)] }
    struct ProbeLane {
        var probe: ProbeRecord
        var top: Double
        var range: ClosedRange<Double>?
        var series: [Series]
        /// The dot's height: its value on the lane's scale, or the middle when it has none.
        func y(_ value: Double?) -> Double {
            let low = top + TimelineLayout.probeHeight - 6, high = top + 8
            guard let value, let range else { return (low + high) / 2 }
            if range.lowerBound == range.upperBound { return (low + high) / 2 }
            return low - (value - range.lowerBound) / (range.upperBound - range.lowerBound) * (low - high)
        }
    }

    let endT: Double
    let width: Double = gutter + plotWidth + 30
    let axisTop = 0.0
    let phaseTop = 20.0
    var hostLanes: [HostLane] = []
    var probesTop = 0.0
    var probeLanes: [ProbeLane] = []
    var height = 0.0
    var ticks: [Double] = []

    init(journal: Journal, analysis: RunAnalysis) {
        endT = max(analysis.endT, 0.001)
        var top = phaseTop + 34
        // Hosts from the inventory, then any host a fault names that the inventory did not.
        var hosts = journal.hosts.map(\.name)
        for f in journal.faults where !hosts.contains(f.host) { hosts.append(f.host) }
        for host in hosts {
            let faults = journal.faults.filter { $0.host == host }
                .sorted { ($0.appliedAt ?? $0.requestedAt, $0.id) < ($1.appliedAt ?? $1.requestedAt, $1.id) }
            // Overlapping windows go on separate rows (first row that is free again).
            var rowEnds: [Double] = []
            var windows: [Window] = []
            for f in faults {
                let start = f.appliedAt ?? f.requestedAt
                let end = max(f.revertedAt ?? (f.appliedAt == nil || f.fault.kind.isInstant ? start : endT), start)
                // A label needs room: treat short windows as at least 160px wide for packing.
                let busyUntil = max(end, start + 160 / Self.plotWidth * endT)
                let row = rowEnds.firstIndex { $0 <= start } ?? rowEnds.count
                if row == rowEnds.count { rowEnds.append(busyUntil) } else { rowEnds[row] = busyUntil }
                windows.append(Window(record: f, row: row))
            }
            let rows = max(1, rowEnds.count)
            let height = Self.lanePad * 2 + Double(rows) * Self.rowHeight
            hostLanes.append(HostLane(host: host, top: top, height: height, windows: windows))
            top += height + 2
        }
        top += 22
        probesTop = top
        for probe in journal.probes {
            let values = probe.samples.compactMap(\.value).filter(\.isFinite)
            let range = values.isEmpty ? nil : values.min()!...values.max()!
            var series: [Series] = []
            var order: [String?] = []
            for s in probe.samples where s.value?.isFinite == true && !order.contains(s.host) { order.append(s.host) }
            for (index, host) in order.enumerated() {
                let samples = probe.samples.filter { $0.host == host && $0.value?.isFinite == true }.sorted { $0.t < $1.t }
                var current: [(t: Double, value: Double)] = []
                var phase: RunPhase?
                for sample in samples {
                    if sample.phase != phase, !current.isEmpty {
                        series.append(Series(host: host, seriesIndex: index, points: current)); current = []
                    }
                    phase = sample.phase
                    current.append((t: sample.t, value: sample.value!))
                }
                if !current.isEmpty { series.append(Series(host: host, seriesIndex: index, points: current)) }
            }
            probeLanes.append(ProbeLane(probe: probe, top: top, range: range, series: series))
            top += Self.probeHeight + 2
        }
        height = top + 8
        ticks = Self.ticks(upTo: endT)
    }

    func x(_ t: Double) -> Double { Self.gutter + min(max(t, 0), endT) / endT * Self.plotWidth }

    /// Round-numbered ticks, at most about a dozen.
    static func ticks(upTo end: Double) -> [Double] {
        let steps: [Double] = [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 21600, 86400]
        let step = steps.first { end / $0 <= 12 } ?? (end / 10).rounded(.up)
        var out: [Double] = []
        var i = 0.0
        while i * step <= end + step * 1e-9 { out.append((i * step * 1000).rounded() / 1000); i += 1 }
        return out
    }
}
