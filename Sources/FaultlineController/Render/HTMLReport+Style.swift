extension HTMLReport {
    /// The report's only stylesheet, inline. Colors are CSS variables with a dark set under
    /// `prefers-color-scheme: dark`; the SVG's classes use the same variables, so the
    /// timeline follows the page's scheme. Fault kinds keep one mid-tone fill in both
    /// schemes (white text reads on each).
    static let style = """
    :root { color-scheme: light dark; --bg: #ffffff; --fg: #1d2125; --muted: #5f6b76; --line: #d5dbe1; --panel: #f5f7f9;
      --ok: #1a7f37; --fail: #cf222e; --warn: #9a6700; --lane: #f0f3f6; --axis: #c3cbd3;
      --ph-preflight: #8c959f; --ph-before: #0969da; --ph-method: #bc4c00; --ph-rollbacks: #8250df; --ph-after: #1a7f37; }
    @media (prefers-color-scheme: dark) {
      :root { --bg: #0d1117; --fg: #e6edf3; --muted: #9198a1; --line: #30363d; --panel: #161b22;
        --ok: #3fb950; --fail: #f85149; --warn: #d29922; --lane: #151a21; --axis: #30363d;
        --ph-preflight: #6e7681; --ph-before: #4493f8; --ph-method: #f0883e; --ph-rollbacks: #ab7df8; --ph-after: #3fb950; }
    }
    * { box-sizing: border-box; }
    body { margin: 0; padding: 24px 32px; background: var(--bg); color: var(--fg);
      font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", sans-serif; }
    h1 { font-size: 22px; margin: 0 0 6px; } h2 { font-size: 17px; margin: 28px 0 8px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
    h3 { font-size: 15px; margin: 16px 0 6px; }
    .muted, .none { color: var(--muted); }
    .outcome { display: inline-block; padding: 2px 10px; border-radius: 12px; font-weight: 600; color: #fff; margin-right: 8px; }
    .outcome.held { background: var(--ok); } .outcome.deviated, .outcome.aborted, .outcome.could-not-run, .outcome.invalid { background: var(--fail); }
    .outcome.unfinished { background: var(--muted); }
    dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; margin: 12px 0; }
    dl.facts dt { color: var(--muted); } dl.facts dd { margin: 0; }
    table { border-collapse: collapse; width: 100%; margin: 6px 0; font-size: 13px; }
    th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
    th { background: var(--panel); font-weight: 600; }
    td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
    .pass { color: var(--ok); font-weight: 600; } .failed { color: var(--fail); font-weight: 600; } .skipped { color: var(--warn); font-weight: 600; }
    pre { background: var(--panel); padding: 8px; overflow-x: auto; white-space: pre-wrap; margin: 4px 0; font-size: 12px; }
    code, pre, .mono { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; }
    .scroll { overflow-x: auto; border: 1px solid var(--line); border-radius: 6px; background: var(--bg); }
    .legend { display: flex; flex-wrap: wrap; gap: 4px 14px; margin: 8px 0; font-size: 12px; color: var(--muted); }
    .legend span.swatch { display: inline-block; width: 12px; height: 12px; border-radius: 2px; vertical-align: -2px; margin-right: 4px; }
    svg.timeline { display: block; font: 11px system-ui, sans-serif; }
    svg.timeline text { fill: var(--fg); }
    svg.timeline .lane-bg { fill: var(--lane); }
    svg.timeline .lane-label { font-weight: 600; }
    svg.timeline .lane-sub, svg.timeline .section-label, svg.timeline .axis text { fill: var(--muted); }
    svg.timeline .axis line { stroke: var(--axis); stroke-width: 1; stroke-dasharray: 2 3; }
    svg.timeline .phase { opacity: 0.10; } svg.timeline .phase-label { font-weight: 600; fill: var(--muted); }
    svg.timeline .ph-preflight, .swatch.ph-preflight { fill: var(--ph-preflight); background: var(--ph-preflight); }
    svg.timeline .ph-before, .swatch.ph-before { fill: var(--ph-before); background: var(--ph-before); }
    svg.timeline .ph-method, .swatch.ph-method { fill: var(--ph-method); background: var(--ph-method); }
    svg.timeline .ph-rollbacks, .swatch.ph-rollbacks { fill: var(--ph-rollbacks); background: var(--ph-rollbacks); }
    svg.timeline .ph-after, .swatch.ph-after { fill: var(--ph-after); background: var(--ph-after); }
    svg.timeline .fault text { fill: #ffffff; font-weight: 600; } svg.timeline .fault text.outside { fill: var(--fg); font-weight: 400; }
    svg.timeline .fault.unreverted rect { stroke: var(--fail); stroke-width: 2; stroke-dasharray: 4 2; }
    svg.timeline .fault.errored rect { stroke: var(--warn); stroke-width: 2; }
    svg.timeline .fault-failed path { stroke: var(--fail); stroke-width: 2; } svg.timeline .fault-failed text { fill: var(--fail); }
    .k-latency rect, .swatch.k-latency { fill: #1f6feb; background: #1f6feb; }
    .k-loss rect, .swatch.k-loss { fill: #d1242f; background: #d1242f; }
    .k-duplicate rect, .swatch.k-duplicate { fill: #8250df; background: #8250df; }
    .k-corrupt rect, .swatch.k-corrupt { fill: #a40e26; background: #a40e26; }
    .k-reorder rect, .swatch.k-reorder { fill: #6639ba; background: #6639ba; }
    .k-bandwidth rect, .swatch.k-bandwidth { fill: #0a7d86; background: #0a7d86; }
    .k-partition rect, .swatch.k-partition { fill: #bc4c00; background: #bc4c00; }
    .k-kill rect, .swatch.k-kill { fill: #57606a; background: #57606a; }
    .k-pause rect, .swatch.k-pause { fill: #7d4e00; background: #7d4e00; }
    .k-clock rect, .swatch.k-clock { fill: #116329; background: #116329; }
    svg.timeline circle.ok { fill: var(--ok); } svg.timeline circle.fail { fill: var(--fail); stroke: var(--bg); stroke-width: 1; }
    .swatch.ok { background: var(--ok); border-radius: 6px; } .swatch.fail { background: var(--fail); border-radius: 6px; }
    svg.timeline polyline.series { fill: none; stroke-width: 1.5; opacity: 0.8; }
    svg.timeline .s0 { stroke: #0969da; } svg.timeline .s1 { stroke: #bc4c00; } svg.timeline .s2 { stroke: #8250df; }
    svg.timeline .s3 { stroke: #1a7f37; } svg.timeline .s4 { stroke: #bf3989; } svg.timeline .s5 { stroke: #0a7d86; }
    svg.timeline .trip line { stroke: var(--fail); stroke-width: 2; stroke-dasharray: 6 3; }
    svg.timeline .trip path { fill: var(--fail); } svg.timeline .trip text { fill: var(--fail); font-weight: 600; }
    .swatch.trip { background: var(--fail); width: 3px !important; }
    svg.workload .window { fill: var(--ph-method); opacity: 0.16; } .swatch.window-swatch { background: var(--ph-method); opacity: 0.35; }
    svg.workload .bar.answered, .swatch.answered { fill: var(--ok); background: var(--ok); }
    svg.workload .bar.failed, .swatch.failed-op { fill: var(--fail); background: var(--fail); }
    svg.workload .bar.indeterminate, .swatch.indeterminate { fill: var(--warn); background: var(--warn); }
    svg.workload .hit { fill: transparent; }
    svg.workload .latency { fill: none; stroke-width: 1.5; } svg.workload circle.latency { stroke-width: 1; }
    svg.workload .p50, .swatch.p50 { stroke: #0969da; background: #0969da; } svg.workload .p99, .swatch.p99 { stroke: #bf3989; background: #bf3989; }
    svg.workload .outage path { fill: none; stroke: var(--fail); stroke-width: 2; } svg.workload .outage text { fill: var(--fail); font-weight: 600; }
    svg.timeline .ph-recovery, .swatch.ph-recovery { fill: var(--ph-before); background: var(--ph-before); }
    ul.workload-facts { margin: 6px 0 12px; padding-left: 20px; }
    /* Phone widths: wide tables and charts scroll inside their box; the page never does. */
    @media (max-width: 640px) {
      body { padding: 10px 8px; }
      table { display: block; overflow-x: auto; }
      td, th { padding: 3px 5px; }
      pre { font-size: 11px; }
    }
    """
}
