extension HTMLReport {
    /// One consistency probe's workload over the run, as an inline SVG on the timeline's
    /// time scale (so the two line up): stacked bars per interval of answered, failed and
    /// indeterminate operations; below them the p50 and p99 latency of the answered ones;
    /// the fault windows shaded across both; and the longest failure run bracketed. The
    /// numbers a reader needs are also written out under it, in text, which stays
    /// readable on a phone where the chart scrolls. Deterministic, well-formed XML.
    static func workloadChart(_ record: ConsistencyRecord, _ timeline: WorkloadTimeline, journal: Journal, analysis: RunAnalysis) -> String {
        let layout = TimelineLayout(journal: journal, analysis: analysis)
        let countsTop = 30.0, countsHeight = 120.0
        let latencyTop = countsTop + countsHeight + 26, latencyHeight = 70.0
        let height = latencyTop + latencyHeight + 26
        let peak = max(1, timeline.intervals.map { $0.answered + $0.failed + $0.indeterminate }.max() ?? 1)
        let slowest = max(1, timeline.intervals.compactMap(\.p99Milliseconds).max() ?? 1)
        func yCount(_ c: Double) -> Double { countsTop + countsHeight - c / Double(peak) * countsHeight }
        func yLatency(_ ms: Double) -> Double { latencyTop + latencyHeight - ms / slowest * latencyHeight }

        var s = "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"timeline workload\" role=\"img\" width=\"\(layout.width)\" height=\"\(n(height))\" viewBox=\"0 0 \(layout.width) \(n(height))\">\n"
        s += "<title>\(Markup.escape("Workload of " + record.probe + " over the run"))</title>\n"
        s += "<rect class=\"lane-bg\" x=\"0\" y=\"\(n(countsTop))\" width=\"\(layout.width)\" height=\"\(n(countsHeight))\"/>\n"
        s += "<rect class=\"lane-bg\" x=\"0\" y=\"\(n(latencyTop))\" width=\"\(layout.width)\" height=\"\(n(latencyHeight))\"/>\n"

        // When any fault was applied, under everything, across both plots: the union of the
        // fault windows (overlapping faults drawn once, so the shade does not darken), each
        // span titled with the faults in it. Which fault on which host: the timeline above.
        for span in faultSpans(journal, endT: layout.endT) {
            let x0 = layout.x(span.start), x1 = max(layout.x(span.end), x0 + 1)
            s += "<rect class=\"window\" x=\"\(n(x0))\" y=\"\(n(countsTop))\" width=\"\(n(x1 - x0))\" height=\"\(n(latencyTop + latencyHeight - countsTop))\">"
            s += "<title>\(Markup.escape("\(RenderFormat.offset(span.start)) – \(RenderFormat.offset(span.end)): " + span.faults.joined(separator: "; ")))</title></rect>\n"
        }

        // The time axis, shared with the timeline.
        s += "<g class=\"axis\">\n"
        for tick in layout.ticks {
            let x = layout.x(tick)
            s += "<line x1=\"\(n(x))\" y1=\"\(n(countsTop - 4))\" x2=\"\(n(x))\" y2=\"\(n(latencyTop + latencyHeight))\"/>"
            s += "<text x=\"\(n(x))\" y=\"\(n(countsTop - 8))\" text-anchor=\"middle\">\(RenderFormat.value(tick))s</text>\n"
        }
        s += "</g>\n"
        s += "<text class=\"lane-label\" x=\"8\" y=\"\(n(countsTop + 16))\">operations</text>"
        s += "<text class=\"lane-sub\" x=\"8\" y=\"\(n(countsTop + 30))\">per \(RenderFormat.value(timeline.intervalSeconds)) s, up to \(peak)</text>\n"
        s += "<text class=\"lane-label\" x=\"8\" y=\"\(n(latencyTop + 16))\">latency</text>"
        s += "<text class=\"lane-sub\" x=\"8\" y=\"\(n(latencyTop + 30))\">p50, p99; up to \(RenderFormat.value((slowest * 10).rounded() / 10)) ms</text>\n"

        // Stacked bars: answered at the bottom, then failed, then indeterminate.
        let barWidth = max(1, layout.x(timeline.intervalSeconds) - layout.x(0) - 1)
        for interval in timeline.intervals {
            let x = layout.x(interval.t)
            var base = 0.0
            for (count, cls) in [(interval.answered, "answered"), (interval.failed, "failed"), (interval.indeterminate, "indeterminate")] where count > 0 {
                let top = yCount(base + Double(count)), bottom = yCount(base)
                s += "<rect class=\"bar \(cls)\" x=\"\(n(x))\" y=\"\(n(top))\" width=\"\(n(barWidth))\" height=\"\(n(bottom - top))\"/>"
                base += Double(count)
            }
            var tip = "\(RenderFormat.offset(interval.t)): \(interval.answered) answered, \(interval.failed) failed, \(interval.indeterminate) indeterminate"
            if let p50 = interval.p50Milliseconds, let p99 = interval.p99Milliseconds { tip += "; p50 \(RenderFormat.value(p50)) ms, p99 \(RenderFormat.value(p99)) ms" }
            s += "<rect class=\"hit\" x=\"\(n(x))\" y=\"\(n(countsTop))\" width=\"\(n(barWidth))\" height=\"\(n(countsHeight))\"><title>\(Markup.escape(tip))</title></rect>\n"
        }

        // Latency lines, broken where an interval had no answer.
        for (path, cls) in [(\WorkloadTimeline.Interval.p50Milliseconds, "p50"), (\WorkloadTimeline.Interval.p99Milliseconds, "p99")] {
            var run: [String] = []
            func flush() {
                if run.count > 1 { s += "<polyline class=\"latency \(cls)\" points=\"\(run.joined(separator: " "))\"/>\n" }
                else if let only = run.first { let p = only.split(separator: ","); s += "<circle class=\"latency \(cls)\" cx=\"\(p[0])\" cy=\"\(p[1])\" r=\"1.5\"/>\n" }
                run = []
            }
            for interval in timeline.intervals {
                guard let ms = interval[keyPath: path] else { flush(); continue }
                run.append("\(n(layout.x(interval.t) + barWidth / 2)),\(n(yLatency(ms)))")
            }
            flush()
        }

        // The longest failure run, bracketed over the bars.
        if let outage = timeline.longestFailureRun {
            let x0 = layout.x(outage.start), x1 = max(layout.x(outage.end), x0 + 2)
            let y = countsTop + 6
            s += "<g class=\"outage\"><path d=\"M\(n(x0)) \(n(y + 6)) L\(n(x0)) \(n(y)) L\(n(x1)) \(n(y)) L\(n(x1)) \(n(y + 6))\"/>"
            let label = "no answer for \(RenderFormat.value((outage.seconds * 100).rounded() / 100)) s"
            let right = x1 + 6 + 6.2 * Double(label.count) <= layout.width
            s += "<text x=\"\(n(right ? x1 + 6 : x0 - 6))\" y=\"\(n(y + 8))\"\(right ? "" : " text-anchor=\"end\"")>\(Markup.escape(label))</text>"
            s += "<title>\(Markup.escape("longest failure run: \(outage.operations) operations unanswered from \(RenderFormat.offset(outage.start)) to \(RenderFormat.offset(outage.end))"))</title></g>\n"
        }
        s += "</svg>"
        return s
    }

    /// The union of the applied fault windows, in time order, with the faults in each.
    static func faultSpans(_ journal: Journal, endT: Double) -> [(start: Double, end: Double, faults: [String])] {
        let windows = journal.faults.compactMap { f -> (Double, Double, String)? in
            guard let applied = f.appliedAt, !f.fault.kind.isInstant else { return nil }
            return (applied, max(applied, f.revertedAt ?? endT), "\(f.fault.summary) on \(f.host)")
        }.sorted { ($0.0, $0.1) < ($1.0, $1.1) }
        var spans: [(start: Double, end: Double, faults: [String])] = []
        for (start, end, what) in windows {
            if let last = spans.last, start <= last.end {
                spans[spans.count - 1].end = max(last.end, end)
                spans[spans.count - 1].faults.append(what)
            } else {
                spans.append((start, end, [what]))
            }
        }
        return spans
    }

    /// The chart's numbers in words, under it: the failure windows and the latency range.
    static func workloadFacts(_ timeline: WorkloadTimeline) -> String {
        var h = "<ul class=\"workload-facts\">\n"
        if let outage = timeline.longestFailureRun {
            h += "<li>Longest failure run, all clients: <strong>\(e(RenderFormat.value((outage.seconds * 1000).rounded() / 1000))) s</strong> "
            h += "(\(outage.operations) operations unanswered, \(e(RenderFormat.offset(outage.start))) → \(e(RenderFormat.offset(outage.end))))</li>\n"
        } else {
            h += "<li>No operation failed.</li>\n"
        }
        if !timeline.longestFailureRunPerClient.isEmpty {
            let each = timeline.longestFailureRunPerClient.map { run in
                "client \(run.client.map(String.init) ?? "?") \(RenderFormat.value((run.seconds * 1000).rounded() / 1000)) s"
            }
            h += "<li>Longest per client: \(e(each.joined(separator: ", ")))</li>\n"
        }
        let p99 = timeline.intervals.compactMap(\.p99Milliseconds), p50 = timeline.intervals.compactMap(\.p50Milliseconds)
        if let low = p50.min(), let high = p99.max() {
            h += "<li>Latency of answered operations: p50 from \(e(RenderFormat.value(low))) ms; p99 up to \(e(RenderFormat.value(high))) ms</li>\n"
        }
        return h + "</ul>\n"
    }
}
