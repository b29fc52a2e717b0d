import FaultlineCore

/// The run as one self-contained HTML file: no external assets, no scripts; inline CSS
/// (light and dark) and an inline SVG timeline. Sections: the header (title, outcome,
/// seed, duration), the timeline, the hypothesis before/during/after, guards, faults,
/// consistency verdicts, errors, hosts and the full event log. Every journal string is
/// escaped. Pure and deterministic: the same journal gives the same bytes.
public enum HTMLReport {
    public static func render(_ journal: Journal) -> String {
        let analysis = RunAnalysis(journal)
        let checks = analysis.checks
        var h = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        h += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<meta name=\"color-scheme\" content=\"light dark\">\n"
        h += "<meta name=\"generator\" content=\"faultline \(Markup.attribute(journal.faultlineVersion ?? "")) \(Markup.attribute(journal.schema))\">\n"
        h += "<title>\(e(journal.plan.title)) — \(e(journal.outcome?.rawValue ?? "unfinished"))</title>\n"
        h += "<style>\n\(style)\n</style>\n</head>\n<body>\n"
        h += header(journal, analysis)
        h += "<h2 id=\"timeline\">Timeline</h2>\n"
        h += "<div class=\"scroll\">\n" + timeline(journal, analysis) + "\n</div>\n"
        h += legend(journal, analysis)
        h += hypothesis(journal, checks)
        h += guards(journal, checks)
        h += faults(journal)
        h += targets(journal)
        h += consistency(journal, analysis)
        h += errors(journal)
        h += hosts(journal)
        h += eventLog(journal)
        h += "</body>\n</html>\n"
        return h
    }

    static func e(_ text: String) -> String { Markup.escape(text) }

    private static func header(_ j: Journal, _ a: RunAnalysis) -> String {
        let outcome = j.outcome?.rawValue ?? "unfinished"
        var h = "<header>\n<h1>\(e(j.plan.title))</h1>\n<p><span class=\"outcome \(outcome)\">\(e(outcome))</span>"
        if let code = j.outcome?.exitCode { h += "<span class=\"muted\">exit code \(code)</span>" }
        h += "</p>\n"
        if let reason = j.reason { h += "<p class=\"reason\">\(e(reason))</p>\n" }
        if j.outcome == nil { h += "<p class=\"reason unfinished\">\(e(j.unfinishedSummary))</p>\n" }
        if let description = j.plan.description { h += "<p class=\"muted\">\(e(description))</p>\n" }
        h += "<dl class=\"facts\">\n"
        var facts: [(String, String)] = [
            ("plan", j.plan.file),
            ("seed", String(j.seed)),
            ("started", RenderFormat.wall(j.startedAt)),
        ]
        if let version = j.faultlineVersion { facts.append(("faultline", version)) }
        if let variables = j.plan.variables, !variables.isEmpty {
            facts.append(("variables", variables.keys.sorted().map { "\($0)=\(variables[$0]!)" }.joined(separator: ", ")))
        }
        if let ended = j.endedAt { facts.append(("ended", RenderFormat.wall(ended))) }
        facts.append(("duration", RenderFormat.duration(a.endT)))
        facts.append(("hosts", j.hosts.isEmpty ? "none" : j.hosts.map(\.name).joined(separator: ", ")))
        facts.append(("faults", "\(j.faults.count) (\(j.faults.filter { $0.appliedAt != nil }.count) applied, \(j.faults.filter { $0.revertedAt != nil }.count) reverted)"))
        if !j.plan.tags.isEmpty { facts.append(("tags", j.plan.tags.joined(separator: ", "))) }
        for (name, value) in facts { h += "<dt>\(e(name))</dt><dd class=\"mono\">\(e(value))</dd>\n" }
        return h + "</dl>\n</header>\n"
    }

    private static func legend(_ j: Journal, _ a: RunAnalysis) -> String {
        var h = "<div class=\"legend\">"
        for phase in RunPhase.allCases where phase != .done && a.reached(phase) {
            h += "<span><span class=\"swatch ph-\(phase.rawValue)\"></span>\(phase.rawValue)</span>"
        }
        let kinds = FaultKind.allCases.filter { kind in j.faults.contains { $0.fault.kind == kind } }
        for kind in kinds { h += "<span><span class=\"swatch k-\(kind.rawValue)\"></span>\(kind.rawValue)</span>" }
        h += "<span><span class=\"swatch ok\"></span>sample passed</span><span><span class=\"swatch fail\"></span>sample failed</span>"
        h += "<span><span class=\"swatch trip\"></span>guard tripped</span>"
        return h + "</div>\n"
    }

    private static func cell(_ check: RunAnalysis.Check?) -> String {
        guard let check else { return "<td class=\"none\">—</td>" }
        switch check.status {
        case .passed where check.group == "consistency":
            return "<td><span class=\"pass\">held</span> <span class=\"muted\">\(e(check.samples.first?.detail ?? "every check passed"))</span></td>"
        case .passed:
            return "<td><span class=\"pass\">held</span> <span class=\"muted\">(\(check.samples.count) sample\(check.samples.count == 1 ? "" : "s"))</span></td>"
        case .failed(let message, let details):
            var h = "<td><span class=\"failed\">deviated</span> \(e(message))"
            if details.count > 1 { h += "<details><summary>\(details.count) failing samples</summary><pre>\(e(details.joined(separator: "\n")))</pre></details>" }
            return h + "</td>"
        case .skipped(let reason):
            return "<td><span class=\"skipped\">not checked</span> \(e(reason))</td>"
        }
    }

    private static func hypothesis(_ j: Journal, _ checks: [RunAnalysis.Check]) -> String {
        var h = "<h2 id=\"hypothesis\">Steady-state hypothesis</h2>\n"
        let probes = j.probes.filter { $0.role == .hypothesis }
        guard !probes.isEmpty else { return h + "<p class=\"none\">The plan has no hypothesis probes.</p>\n" }
        h += "<table class=\"hypothesis\">\n<thead><tr><th>probe</th><th>kind</th><th>before</th><th>during</th><th>after</th></tr></thead>\n<tbody>\n"
        for probe in probes {
            func find(_ timing: String) -> RunAnalysis.Check? {
                checks.first { $0.group == "hypothesis.\(timing)" && $0.name == probe.name }
            }
            let during = probe.kind == "consistency" ? consistencyCheck(probe.name, checks) : find("during")
            h += "<tr><td>\(e(probe.name))</td><td>\(e(probe.kind))</td>\(cell(find("before")))\(cell(during))\(cell(find("after")))</tr>\n"
        }
        return h + "</tbody>\n</table>\n"
    }

    /// A consistency probe's verdicts as one check: deviated when any check found a
    /// violation, held when all passed, not checked otherwise.
    private static func consistencyCheck(_ probe: String, _ checks: [RunAnalysis.Check]) -> RunAnalysis.Check? {
        let mine = checks.filter { $0.group == "consistency" && ($0.name == probe || $0.name.hasPrefix(probe + ": ")) }
        guard let first = mine.first else { return nil }
        var combined = first
        combined.samples = mine.flatMap(\.samples)
        let failed = mine.compactMap { c -> (String, [String])? in if case .failed(let m, let d) = c.status { (m, d) } else { nil } }
        let skipped = mine.compactMap { c -> String? in if case .skipped(let r) = c.status { r } else { nil } }
        if !failed.isEmpty {
            combined.status = .failed(message: failed.map(\.0).joined(separator: "; "), details: failed.flatMap(\.1))
        } else if !skipped.isEmpty {
            combined.status = .skipped(reason: skipped.joined(separator: "; "))
        } else {
            combined.status = .passed
        }
        return combined
    }

    private static func guards(_ j: Journal, _ checks: [RunAnalysis.Check]) -> String {
        var h = "<h2 id=\"guards\">Guards</h2>\n"
        let guards = j.probes.filter { $0.role == .guard }
        if guards.isEmpty {
            h += "<p class=\"none\">The plan has no guards.</p>\n"
        } else {
            h += "<table class=\"guards\">\n<thead><tr><th>guard</th><th>kind</th><th>samples</th><th>failed</th><th>verdict</th></tr></thead>\n<tbody>\n"
            for probe in guards {
                let check = checks.first { $0.group == "guard" && $0.name == probe.name }
                h += "<tr><td>\(e(probe.name))</td><td>\(e(probe.kind))</td><td class=\"num\">\(probe.samples.count)</td>"
                h += "<td class=\"num\">\(probe.samples.filter { !$0.ok }.count)</td>\(cell(check))</tr>\n"
            }
            h += "</tbody>\n</table>\n"
        }
        let trips = j.events.filter { $0.kind == .guardTripped }
        h += "<h3>Guard events</h3>\n"
        if trips.isEmpty { return h + "<p class=\"none\">No guard tripped.</p>\n" }
        h += "<ul class=\"trips\">\n"
        for trip in trips {
            h += "<li><span class=\"mono\">\(e(RenderFormat.offset(trip.t)))</span> <span class=\"failed\">tripped</span> \(e(trip.message))</li>\n"
        }
        return h + "</ul>\n"
    }

    private static func faults(_ j: Journal) -> String {
        var h = "<h2 id=\"faults\">Faults</h2>\n"
        guard !j.faults.isEmpty else { return h + "<p class=\"none\">No fault was injected.</p>\n" }
        h += "<table class=\"faults\">\n<thead><tr><th>id</th><th>step</th><th>host</th><th>fault</th><th>requested</th><th>applied</th><th>reverted</th><th>why reverted</th><th>error</th></tr></thead>\n<tbody>\n"
        for f in j.faults {
            let step = f.step + (f.stepName.map { " (\($0))" } ?? "")
            let reverted: String
            if let r = f.revertedAt { reverted = e(RenderFormat.offset(r)) }
            else if f.appliedAt != nil && !f.fault.kind.isInstant { reverted = "<span class=\"failed\">not reverted</span>" }
            else { reverted = "—" }
            h += "<tr><td class=\"mono\">\(e(f.id))</td><td>\(e(step))</td><td>\(e(f.host))</td><td><span class=\"swatch k-\(f.fault.kind.rawValue)\"></span>\(e(f.fault.summary))</td>"
            h += "<td class=\"num\">\(e(RenderFormat.offset(f.requestedAt)))</td><td class=\"num\">\(f.appliedAt.map { e(RenderFormat.offset($0)) } ?? "—")</td>"
            h += "<td class=\"num\">\(reverted)</td><td>\(e(f.revertReason?.rawValue ?? ""))</td><td>\(f.error.map { "<span class=\"failed\">\(e($0))</span>" } ?? "")</td></tr>\n"
        }
        return h + "</tbody>\n</table>\n"
    }

    /// Which hosts the dynamic and random targets meant, and when (the leader a fault was
    /// aimed at; when a probe saw leadership move).
    private static func targets(_ j: Journal) -> String {
        guard !j.targets.isEmpty else { return "" }
        var h = "<h2 id=\"targets\">Targets resolved</h2>\n"
        h += "<table class=\"targets\">\n<thead><tr><th>at</th><th>target</th><th>how</th><th>for</th><th>hosts</th></tr></thead>\n<tbody>\n"
        for r in j.targets {
            h += "<tr><td class=\"num\">\(e(RenderFormat.offset(r.t)))</td><td>\(e(r.target))</td><td>\(e(r.how))</td><td>\(e(r.use))</td>"
            h += "<td><strong>\(e(r.hosts.isEmpty ? "none" : r.hosts.joined(separator: ", ")))</strong></td></tr>\n"
        }
        return h + "</tbody>\n</table>\n"
    }

    private static func consistency(_ j: Journal, _ analysis: RunAnalysis) -> String {
        guard !j.consistency.isEmpty else { return "" }
        var h = "<h2 id=\"consistency\">Consistency</h2>\n"
        for record in j.consistency {
            h += "<h3>\(e(record.probe)) <span class=\"muted\">(\(e(record.workload)))</span></h3>\n"
            h += "<p>\(record.operations) operations: \(record.ok) ok, \(record.failed) failed, \(record.indeterminate) indeterminate"
            if let file = record.historyFile { h += "; history <code>\(e(file))</code>" }
            h += "</p>\n<table class=\"verdicts\">\n<thead><tr><th>check</th><th>result</th><th>explanation</th></tr></thead>\n<tbody>\n"
            for verdict in record.verdicts {
                let cls = verdict.result == "ok" ? "pass" : (verdict.result == "violation" ? "failed" : "skipped")
                h += "<tr><td>\(e(verdict.check))</td><td><span class=\"\(cls)\">\(e(verdict.result))</span></td>"
                h += "<td>\(verdict.explanation.map { "<pre>\(e($0))</pre>" } ?? "")</td></tr>\n"
            }
            h += "</tbody>\n</table>\n"
            if let timeline = record.timeline, !timeline.intervals.isEmpty {
                h += "<h4>Workload over time</h4>\n<div class=\"scroll\">\n" + workloadChart(record, timeline, journal: j, analysis: analysis) + "\n</div>\n"
                h += "<div class=\"legend\"><span><span class=\"swatch answered\"></span>answered</span><span><span class=\"swatch failed-op\"></span>failed</span>"
                h += "<span><span class=\"swatch indeterminate\"></span>indeterminate</span><span><span class=\"swatch p50\"></span>p50</span><span><span class=\"swatch p99\"></span>p99</span>"
                h += "<span><span class=\"swatch window-swatch\"></span>fault applied</span></div>\n"
                h += workloadFacts(timeline)
            }
        }
        return h
    }

    private static func errors(_ j: Journal) -> String {
        var h = "<h2 id=\"errors\">Errors</h2>\n"
        guard !j.errors.isEmpty else { return h + "<p class=\"none\">No errors.</p>\n" }
        h += "<ul class=\"errors\">\n"
        for error in j.errors { h += "<li class=\"failed\">\(e(error))</li>\n" }
        return h + "</ul>\n"
    }

    private static func hosts(_ j: Journal) -> String {
        var h = "<h2 id=\"hosts\">Hosts</h2>\n"
        guard !j.hosts.isEmpty else { return h + "<p class=\"none\">No hosts.</p>\n" }
        h += "<table class=\"hosts\">\n<thead><tr><th>host</th><th>address</th><th>agent</th><th>labels</th></tr></thead>\n<tbody>\n"
        for host in j.hosts {
            let labels = host.labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", ")
            h += "<tr><td>\(e(host.name))</td><td class=\"mono\">\(e(host.address))</td><td class=\"mono\">\(e(host.agent))</td><td>\(e(labels))</td></tr>\n"
        }
        return h + "</tbody>\n</table>\n"
    }

    private static func eventLog(_ j: Journal) -> String {
        var h = "<h2 id=\"events\">Events</h2>\n"
        guard !j.events.isEmpty else { return h + "<p class=\"none\">No events.</p>\n" }
        h += "<table class=\"events\">\n<thead><tr><th>t</th><th>wall (UTC)</th><th>kind</th><th>host</th><th>message</th></tr></thead>\n<tbody>\n"
        for event in j.events {
            let cls = [.guardTripped, .faultFailed, .error].contains(event.kind) ? " class=\"failed\"" : ""
            h += "<tr><td class=\"num\">\(e(RenderFormat.offset(event.t)))</td><td class=\"num mono\">\(e(RenderFormat.wall(event.wall)))</td>"
            h += "<td\(cls)>\(e(event.kind.rawValue))</td><td>\(e(event.host ?? ""))</td><td>\(e(event.message))</td></tr>\n"
        }
        return h + "</tbody>\n</table>\n"
    }
}
