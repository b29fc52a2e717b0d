import Foundation
import Testing
@testable import FaultlineController

/// The HTML report: what it shows, that it is self-contained, escaped and deterministic,
/// that HTML and SVG parsers accept it, and that headless Chromium draws it (light and
/// dark) into a screenshot kept under .build/artifacts/render/.
struct RenderHTMLTests {
    @Test func headerTablesAndTimelineShowTheRun() {
        let html = HTMLReport.render(RenderFixtures.deviated())
        #expect(html.hasPrefix("<!DOCTYPE html>\n<html lang=\"en\">"))
        #expect(html.contains("<h1>etcd keeps serving linearizable writes when its leader is cut off</h1>"))
        #expect(html.contains("<span class=\"outcome deviated\">deviated</span><span class=\"muted\">exit code 1</span>"))
        #expect(html.contains("<dt>seed</dt><dd class=\"mono\">424242</dd>"))
        #expect(html.contains("<dt>duration</dt><dd class=\"mono\">36.5s</dd>"))
        #expect(html.contains("<dt>started</dt><dd class=\"mono\">2026-11-18T11:06:40.250Z</dd>"))
        // One lane per host; each fault window labeled and colored by kind; the failed pause marked.
        for host in ["n1", "n2", "n3"] { #expect(html.contains(">\(host)<title>\(host)</title></text>"), "no lane for \(host)") }
        #expect(html.components(separatedBy: "<g class=\"fault k-latency\">").count - 1 == 3)
        #expect(html.components(separatedBy: "<g class=\"fault k-partition\">").count - 1 == 1)
        #expect(html.components(separatedBy: "<g class=\"fault k-kill\">").count - 1 == 1)
        #expect(html.contains("<g class=\"fault-failed\">"))
        #expect(html.contains("latency 100ms ±10ms"))
        #expect(html.contains("partition (peers 10.77.0.12,10.77.0.13)"))
        // Phases shaded, each probe sample a dot, numeric probes as a line.
        for phase in ["preflight", "before", "method", "rollbacks", "after"] { #expect(html.contains("class=\"phase ph-\(phase)\"")) }
        let samples = RenderFixtures.deviated().probes.reduce(0) { $0 + $1.samples.count }
        #expect(html.components(separatedBy: "<circle class=").count - 1 == samples)
        #expect(html.components(separatedBy: "<circle class=\"fail\"").count - 1 == 6)
        #expect(html.contains("<polyline class=\"series s0\""))
        // Hypothesis table before and after, consistency verdicts with explanations, errors.
        #expect(html.contains("<tr><td>every member healthy</td><td>http</td><td><span class=\"pass\">held</span> <span class=\"muted\">(3 samples)</span></td><td class=\"none\">—</td><td><span class=\"failed\">deviated</span> deviated in 1 of 3 samples; first at t+28.110s on n2 (after): status 503, expected 200</td></tr>"))
        #expect(html.contains("<pre>key k3: read of 7 by client 2 at t+15.204s returned 5\nwrite 7 (client 1) completed at t+15.101s before the read began</pre>"))
        #expect(html.contains("1840 operations: 1712 ok, 61 failed, 67 indeterminate; history <code>runs/2026-11-22/history.jsonl</code>"))
        #expect(html.contains("<li class=\"failed\">agent n2: lease renewal took 1.2s</li>"))
        #expect(html.contains("<p class=\"none\">No guard tripped.</p>"))
    }

    @Test func guardTripIsMarkedAndUnrunPhasesSaySo() {
        let html = HTMLReport.render(RenderFixtures.aborted())
        #expect(html.contains("<span class=\"outcome aborted\">aborted</span>"))
        #expect(html.components(separatedBy: "<g class=\"trip\">").count - 1 == 1)
        #expect(html.contains("<title>t+9.600s guard tripped: error rate below 5%: 0.31, expected below 0.05</title>"))
        #expect(html.contains("<li><span class=\"mono\">t+9.600s</span> <span class=\"failed\">tripped</span> error rate below 5%: 0.31, expected below 0.05</li>"))
        #expect(html.contains("<span class=\"skipped\">not checked</span> the after phase did not run: the run ended aborted"))
        #expect(!html.contains("class=\"phase ph-after\""))
    }

    /// A journal of a run that never got going (killed in preflight) still renders.
    @Test func emptyJournalRenders() throws {
        let journal = Journal(plan: PlanSummary(file: "p.yaml", title: "nothing happened", description: nil, tags: []),
                              seed: 1, startedAt: RenderFixtures.start)
        let html = HTMLReport.render(journal)
        #expect(html.contains("<span class=\"outcome unfinished\">unfinished</span>"))
        #expect(html.contains("<p class=\"none\">No fault was injected.</p>"))
        #expect(html.contains("<svg ") && html.hasSuffix("</html>\n"))
        let xml = JUnitWriter.render(journal)
        #expect(xml.contains("tests=\"0\" failures=\"0\" errors=\"0\" skipped=\"0\""))
        #expect(xml.contains("<property name=\"outcome\" value=\"unfinished\"/>"))
    }

    @Test func unrevertedFaultStandsOut() {
        var journal = RenderFixtures.aborted()
        journal.faults[1].revertedAt = nil
        let html = HTMLReport.render(journal)
        #expect(html.contains("<g class=\"fault k-partition unreverted\">"))
        #expect(html.contains("<td class=\"num\"><span class=\"failed\">not reverted</span></td>"))
    }

    @Test func selfContainedEscapedAndDeterministic() throws {
        let journal = RenderFixtures.hostileJournal()
        let html = HTMLReport.render(journal)
        for forbidden in ["<script", "<link", "<img", "<iframe", "src=", "href=", "url(", "@import", "<b>bold</b>", "]]>"] {
            #expect(!html.contains(forbidden), "found \(forbidden)")
        }
        #expect(!html.unicodeScalars.contains { Markup.isForbidden($0) }, "a raw control character survived")
        #expect(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
        #expect(html.contains("weird ]]&gt; &quot;probe&quot; &amp; &#39;x&#39; &lt;b&gt;bold&lt;/b&gt; \\u{0}\\u{1B}[31mred\\u{7F}\\u{85}\\u{FFFF} end"))
        #expect(html == HTMLReport.render(journal))
        // The journal file round trip renders the same bytes.
        let reread = try Journal.decode(try journal.encoded())
        #expect(HTMLReport.render(reread) == html)
    }

    /// Python's html.parser walks the document (every element closed in order, no stray
    /// end tags), and the inline SVG alone is parsed as XML with the elements counted.
    @Test func htmlAndSvgParse() throws {
        let directory = try RenderSupport.TemporaryDirectory("html")
        defer { directory.remove() }
        let python = try RenderSupport.python()
        for (name, journal) in [("deviated", RenderFixtures.deviated()), ("hostile", RenderFixtures.hostileJournal()), ("aborted", RenderFixtures.aborted())] {
            let path = directory.path + "/\(name).html"
            try HTMLReport.render(journal).write(toFile: path, atomically: true, encoding: .utf8)
            let output = try RenderSupport.python(python, script: Self.parseScript, arguments: [path], in: directory.path)
            let counts = try JSONDecoder().decode([String: Int].self, from: Data(output.utf8))
            let samples = journal.probes.reduce(0) { $0 + $1.samples.count }
            #expect(counts["circle"] == samples, "\(name): \(counts)")
            #expect(counts["fault"] == journal.faults.filter { $0.appliedAt != nil }.count, "\(name): \(counts)")
            #expect(counts["trip"] == journal.events.filter { $0.kind == .guardTripped }.count, "\(name): \(counts)")
            // The timeline, and one workload chart per consistency probe with a timeline;
            // each chart has one bar per non-empty category per interval.
            let charts = journal.consistency.compactMap(\.timeline)
            #expect(counts["svg-count"] == 1 + charts.count && counts["html-elements"]! > 100, "\(name): \(counts)")
            let bars = charts.reduce(0) { sum, t in
                sum + t.intervals.reduce(0) { $0 + [$1.answered, $1.failed, $1.indeterminate].filter { $0 > 0 }.count }
            }
            #expect(counts["bars"] == bars, "\(name): \(counts)")
            #expect(counts["outage"] == charts.filter { $0.longestFailureRun != nil }.count, "\(name): \(counts)")
        }
    }

    /// At a phone's 400 px the page itself never scrolls sideways: the wide timeline, the
    /// workload chart and the tables scroll inside their own boxes. Measured by Chromium:
    /// the report is loaded in a 400 px frame of a test page whose script (the test's, not
    /// the report's, which has none) writes the report's scrollWidth into the dumped DOM.
    @Test func reportFitsAPhoneWidth() throws {
        let chromium = try RenderSupport.chromium()
        let directory = try RenderSupport.TemporaryDirectory("phone")
        defer { directory.remove() }
        try HTMLReport.render(RenderFixtures.deviated()).write(toFile: directory.path + "/report.html", atomically: true, encoding: .utf8)
        let frame = """
        <!DOCTYPE html><html><body style="margin:0">
        <iframe id="r" src="report.html" style="width:400px;height:800px;border:0"></iframe>
        <script>
        document.getElementById("r").onload = function () {
          var d = this.contentDocument.documentElement;
          document.body.setAttribute("data-widths", d.scrollWidth + " " + d.clientWidth);
        };
        </script></body></html>
        """
        try frame.write(toFile: directory.path + "/phone.html", atomically: true, encoding: .utf8)
        let result = try RenderSupport.run([
            chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--allow-file-access-from-files",
            "--user-data-dir=\(directory.path)/profile", "--virtual-time-budget=5000", "--dump-dom",
            URL(fileURLWithPath: directory.path + "/phone.html").absoluteString,
        ], timeout: .seconds(90))
        #expect(result.status == 0, "chromium exited \(result.status):\n\(result.output.suffix(2000))")
        let widths = try #require(result.output.firstMatch(of: /data-widths="(\d+) (\d+)"/), "no measurement in:\n\(result.output.suffix(2000))")
        let scroll = Int(widths.1)!, client = Int(widths.2)!
        #expect(client <= 400 && client > 300, "the frame is \(client) px wide")
        #expect(scroll <= client, "the report is \(scroll) px wide in a \(client) px frame: the page scrolls sideways")
        print("report at phone width: \(scroll) px of content in a \(client) px frame")
    }

    /// Headless Chromium renders the report in light and dark; the screenshots are real
    /// PNGs of the window size with a drawing on them (not one flat color), the light one
    /// light and the dark one dark. Fails with the reason when Chromium is missing.
    @Test func chromiumScreenshotsLightAndDark() throws {
        let chromium = try RenderSupport.chromium()
        let python = try RenderSupport.python()
        let directory = try RenderSupport.TemporaryDirectory("chromium")
        defer { directory.remove() }
        let artifacts = try RenderSupport.artifactDirectory()
        let page = artifacts.appendingPathComponent("report-deviated.html")
        try HTMLReport.render(RenderFixtures.deviated()).write(to: page, atomically: true, encoding: .utf8)
        for scheme in ["light", "dark"] {
            let png = artifacts.appendingPathComponent("report-deviated-\(scheme).png").path
            try? FileManager.default.removeItem(atPath: png)
            // Blink's preferredColorScheme: 0 is dark, 1 is light.
            let result = try RenderSupport.run([
                chromium, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
                "--user-data-dir=\(directory.path)/profile-\(scheme)", "--window-size=1400,1000",
                "--blink-settings=preferredColorScheme=\(scheme == "dark" ? 0 : 1)",
                "--screenshot=\(png)", page.absoluteString,
            ], timeout: .seconds(90))
            #expect(result.status == 0, "chromium exited \(result.status):\n\(result.output.suffix(2000))")
            #expect(FileManager.default.fileExists(atPath: png), "no screenshot; chromium said:\n\(result.output.suffix(2000))")
            guard FileManager.default.fileExists(atPath: png) else { continue }
            let output = try RenderSupport.python(python, script: Self.pngScript, arguments: [png], in: directory.path)
            let stats = try JSONDecoder().decode(PNGStats.self, from: Data(output.utf8))
            #expect(stats.width == 1400 && stats.height == 1000, "\(scheme): \(stats)")
            #expect(stats.colors >= 16, "\(scheme): too few colors for a report with a timeline: \(stats)")
            #expect(stats.nonBackground > 0.03, "\(scheme): almost nothing drawn: \(stats)")
            if scheme == "light" { #expect(stats.background > 200, "light background is not light: \(stats)") }
            else { #expect(stats.background < 60, "dark background is not dark: \(stats)") }
        }
    }

    struct PNGStats: Decodable, CustomStringConvertible {
        var width: Int; var height: Int; var colors: Int; var nonBackground: Double; var background: Double
        var description: String { "\(width)x\(height), \(colors) colors, \(nonBackground) not background, background luminance \(background)" }
    }

    static let parseScript = """
    import json, sys, re
    from html.parser import HTMLParser
    import xml.etree.ElementTree as ET
    VOID = {"meta", "br", "hr", "img", "input", "link", "area", "base", "col", "embed", "source", "track", "wbr"}
    class Walker(HTMLParser):
        def __init__(self):
            super().__init__(convert_charrefs=True)
            self.stack, self.count = [], 0
        def handle_starttag(self, tag, attrs):
            self.count += 1
            if tag not in VOID: self.stack.append((tag, self.getpos()))
        def handle_startendtag(self, tag, attrs):
            self.count += 1
        def handle_endtag(self, tag):
            if not self.stack: raise SystemExit(f"stray </{tag}> at {self.getpos()}")
            open_tag, pos = self.stack.pop()
            if open_tag != tag: raise SystemExit(f"</{tag}> at {self.getpos()} closes <{open_tag}> from {pos}")
    text = open(sys.argv[1], encoding="utf-8").read()
    w = Walker(); w.feed(text); w.close()
    if w.stack: raise SystemExit(f"unclosed: {w.stack}")
    svgs = re.findall(r"<svg[\\s\\S]*?</svg>", text)
    root = ET.fromstring(svgs[0])
    ns = "{http://www.w3.org/2000/svg}"
    groups = list(root.iter(ns + "g"))
    charts = [ET.fromstring(s) for s in svgs[1:]]
    print(json.dumps({
        "bars": sum(1 for c in charts for r in c.iter(ns + "rect") if r.get("class", "").split()[:1] == ["bar"]),
        "outage": sum(1 for c in charts for g in c.iter(ns + "g") if g.get("class") == "outage"),
        "html-elements": w.count, "svg-count": len(svgs),
        "circle": len(list(root.iter(ns + "circle"))),
        "fault": sum(1 for g in groups if g.get("class", "").split()[:1] == ["fault"]),
        "trip": sum(1 for g in groups if g.get("class") == "trip"),
    }))
    """

    /// Decodes an 8-bit RGB/RGBA PNG with the standard library only (zlib and the five
    /// row filters) and reports size, distinct colors (sampled), the share of pixels that
    /// differ from the top-left (background) pixel, and the background's luminance.
    static let pngScript = """
    import json, struct, sys, zlib
    data = open(sys.argv[1], "rb").read()
    assert data[:8] == b"\\x89PNG\\r\\n\\x1a\\n", "not a PNG"
    pos, idat, w = 8, b"", None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8]); body = data[pos + 8:pos + 8 + length]; pos += 12 + length
        if kind == b"IHDR": w, h, depth, ctype = struct.unpack(">IIBB", body[:10])
        elif kind == b"IDAT": idat += body
    assert depth == 8 and ctype in (2, 6), f"unexpected PNG format depth={depth} color type={ctype}"
    bpp = 3 if ctype == 2 else 4
    raw = zlib.decompress(idat); stride = w * bpp
    rows, prev, i = [], bytearray(stride), 0
    for y in range(h):
        f = raw[i]; line = bytearray(raw[i + 1:i + 1 + stride]); i += 1 + stride
        for x in range(stride):
            a = line[x - bpp] if x >= bpp else 0; b = prev[x]; c = prev[x - bpp] if x >= bpp else 0
            if f == 1: line[x] = (line[x] + a) & 255
            elif f == 2: line[x] = (line[x] + b) & 255
            elif f == 3: line[x] = (line[x] + ((a + b) >> 1)) & 255
            elif f == 4:
                p = a + b - c; pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[x] = (line[x] + (a if pa <= pb and pa <= pc else (b if pb <= pc else c))) & 255
        rows.append(line); prev = line
    bg = tuple(rows[0][0:3]); colors = set(); other = total = 0
    for y in range(0, h, 2):
        for x in range(0, w, 2):
            px = tuple(rows[y][x * bpp:x * bpp + 3]); colors.add(px); total += 1
            if px != bg: other += 1
    print(json.dumps({"width": w, "height": h, "colors": len(colors), "nonBackground": other / total,
                      "background": 0.2126 * bg[0] + 0.7152 * bg[1] + 0.0722 * bg[2]}))
    """
}
