/// The run as JUnit XML, for CI systems: one testcase per hypothesis probe per timing
/// (`hypothesis.before`, `hypothesis.after`, …), one per guard, one per consistency
/// verdict, and one for the run's errors when there were any.
///
/// A deviation is a `<failure>` whose message says what deviated (from the samples'
/// `detail`: expected vs observed); a phase that never ran gives `<skipped>` with the
/// reason (the run was aborted, the hypothesis deviated before the method). The seed, the
/// plan file and the outcome are `<properties>`. Pure and deterministic.
///
/// Valid against Jenkins' junit-10.xsd (jenkinsci/xunit-plugin), the schema CI systems
/// read JUnit files by (Tests/Fixtures/junit/jenkins-junit-10.xsd; a test validates the
/// output with xmllint): `<testsuites>` carries tests, failures, errors and time only (its
/// schema has no `skipped`; the one `<testsuite>` does); `<skipped>` carries its reason as
/// `message`. A testcase's time is what it cost: its samples' durations, or for a
/// consistency verdict the time its check of the history took.
public enum JUnitWriter {
    public static func render(_ journal: Journal) -> String {
        let analysis = RunAnalysis(journal)
        let checks = analysis.checks
        let failures = checks.filter { if case .failed = $0.status { true } else { false } }.count
        let skipped = checks.filter { if case .skipped = $0.status { true } else { false } }.count
        let errors = journal.errors.isEmpty ? 0 : 1
        let tests = checks.count + errors
        let time = RenderFormat.fixed(analysis.endT, 3)
        let suiteName = "faultline: " + journal.plan.title
        let counts = "tests=\"\(tests)\" failures=\"\(failures)\" errors=\"\(errors)\""

        var x = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        x += "<testsuites name=\"\(Markup.attribute(suiteName))\" \(counts) time=\"\(time)\">\n"
        x += "  <testsuite name=\"\(Markup.attribute(suiteName))\" \(counts) skipped=\"\(skipped)\" time=\"\(time)\" timestamp=\"\(RenderFormat.wall(journal.startedAt))\">\n"
        x += "    <properties>\n"
        var properties: [(String, String)] = [
            ("schema", journal.schema),
            ("faultline-version", journal.faultlineVersion ?? "unknown"),
            ("plan", journal.plan.file),
            ("title", journal.plan.title),
            ("seed", String(journal.seed)),
            ("outcome", journal.outcome?.rawValue ?? "unfinished"),
            ("exit-code", journal.outcome.map { String($0.exitCode) } ?? ""),
        ]
        if let reason = journal.reason { properties.append(("reason", reason)) }
        if !journal.plan.tags.isEmpty { properties.append(("tags", journal.plan.tags.joined(separator: ","))) }
        properties.append(("hosts", journal.hosts.map(\.name).joined(separator: ",")))
        for (name, value) in properties {
            x += "      <property name=\"\(Markup.attribute(name))\" value=\"\(Markup.attribute(value))\"/>\n"
        }
        x += "    </properties>\n"

        for check in checks {
            x += "    <testcase classname=\"\(Markup.attribute(check.group))\" name=\"\(Markup.attribute(check.name))\" time=\"\(RenderFormat.fixed(check.seconds, 3))\""
            switch check.status {
            case .passed:
                x += "/>\n"
            case .failed(let message, let details):
                x += ">\n"
                x += "      <failure message=\"\(Markup.attribute(message))\" type=\"\(check.group == "consistency" ? "violation" : "deviation")\">"
                x += Markup.escape(details.joined(separator: "\n")) + "</failure>\n"
                x += "    </testcase>\n"
            case .skipped(let reason):
                x += ">\n      <skipped message=\"\(Markup.attribute(reason))\"/>\n    </testcase>\n"
            }
        }
        if let first = journal.errors.first {
            x += "    <testcase classname=\"run\" name=\"errors\" time=\"0.000\">\n"
            x += "      <error message=\"\(Markup.attribute(first))\" type=\"error\">"
            x += Markup.escape(journal.errors.joined(separator: "\n")) + "</error>\n"
            x += "    </testcase>\n"
        }
        // The timeline, for whoever opens the CI log: one line per event.
        x += "    <system-out>"
        x += Markup.escape(journal.events.map { e in
            RenderFormat.offset(e.t) + " " + e.kind.rawValue + (e.host.map { " [\($0)]" } ?? "") + " " + e.message
        }.joined(separator: "\n"))
        x += "</system-out>\n"
        x += "  </testsuite>\n</testsuites>\n"
        return x
    }
}
