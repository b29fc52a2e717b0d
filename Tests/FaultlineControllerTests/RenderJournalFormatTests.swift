import FaultlineCore
import Foundation
import Testing
@testable import FaultlineController

/// docs/journal-format.md documents exactly the fields the journal file has: each
/// `### <Object>` heading is followed by a table whose first column holds `field` names.
/// The fields come from encoding a journal with every optional set, and Mirror checks
/// that the sample really sets every stored property (so a field added to the model
/// without being documented, or without being set here, fails this test).
struct RenderJournalFormatTests {
    static func documentedFields() throws -> [String: [String]] {
        let text = try String(contentsOf: RenderSupport.repositoryRoot.appendingPathComponent("docs/journal-format.md"), encoding: .utf8)
        var out: [String: [String]] = [:]
        var current: String?
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("### ") {
                let heading = line.dropFirst(4).trimmingCharacters(in: .whitespaces)
                current = heading.hasPrefix("`") ? heading.trimmingCharacters(in: CharacterSet(charactersIn: "`")) : nil
                if let current { out[current] = [] }
            } else if let current, line.hasPrefix("| `") {
                out[current, default: []].append(String(line.dropFirst(3).prefix { $0 != "`" }))
            }
        }
        return out
    }

    /// A journal with every optional field set and every list non-empty.
    static func complete() -> Journal {
        var j = RenderFixtures.deviated()
        j.faults[0].error = "revert took two tries"
        j.consistency[0].verdicts[0].checkSeconds = 1.25
        return j
    }

    /// The JSON object keys per documented object, read off the encoded file.
    static func encodedFields(_ journal: Journal) throws -> [String: Set<String>] {
        let object = try #require(try JSONSerialization.jsonObject(with: try journal.encoded()) as? [String: Any])
        var out: [String: Set<String>] = [:]
        func add(_ name: String, _ value: Any?) {
            for element in (value as? [Any]) ?? [value as Any] {
                guard let dict = element as? [String: Any] else { continue }
                out[name, default: []].formUnion(dict.keys)
            }
        }
        add("Journal", object)
        add("PlanSummary", object["plan"])
        add("HostSummary", object["hosts"])
        add("JournalEvent", object["events"])
        add("ProbeRecord", object["probes"])
        for probe in object["probes"] as? [[String: Any]] ?? [] { add("ProbeSample", probe["samples"]) }
        add("FaultRecord", object["faults"])
        for fault in object["faults"] as? [[String: Any]] ?? [] { add("Fault", fault["fault"]) }
        add("ConsistencyRecord", object["consistency"])
        for record in object["consistency"] as? [[String: Any]] ?? [] {
            add("Verdict", record["verdicts"])
            add("WorkloadTimeline", record["timeline"])
            let timeline = record["timeline"] as? [String: Any]
            add("Interval", timeline?["intervals"])
            add("FailureRun", timeline?["longestFailureRun"])
            add("FailureRun", timeline?["longestFailureRunPerClient"])
        }
        add("TargetResolution", object["targets"])
        return out
    }

    /// Stored property names of the model types, optional or not, set or not.
    static func modelFields(_ journal: Journal) -> [String: Set<String>] {
        func labels(_ value: Any) -> Set<String> { Set(Mirror(reflecting: value).children.compactMap(\.label)) }
        var out: [String: Set<String>] = [
            "Journal": labels(journal), "PlanSummary": labels(journal.plan),
            "Fault": ["kind", "parameters"],  // a custom Codable enum: {kind, parameters}
        ]
        if let x = journal.hosts.first { out["HostSummary"] = labels(x) }
        if let x = journal.events.first { out["JournalEvent"] = labels(x) }
        if let x = journal.probes.first { out["ProbeRecord"] = labels(x) }
        if let x = journal.probes.first?.samples.first { out["ProbeSample"] = labels(x) }
        if let x = journal.faults.first { out["FaultRecord"] = labels(x) }
        if let x = journal.consistency.first { out["ConsistencyRecord"] = labels(x) }
        if let x = journal.consistency.first?.verdicts.first { out["Verdict"] = labels(x) }
        if let x = journal.consistency.first?.timeline {
            out["WorkloadTimeline"] = labels(x)
            if let i = x.intervals.first { out["Interval"] = labels(i) }
            // `seconds` is computed (end − start) and written for readers.
            if let r = x.longestFailureRun { out["FailureRun"] = labels(r).union(["seconds"]) }
        }
        if let x = journal.targets.first { out["TargetResolution"] = labels(x) }
        return out
    }

    @Test func everyFieldOfTheModelIsDocumentedAndNothingElse() throws {
        let journal = Self.complete()
        let documented = try Self.documentedFields()
        let model = Self.modelFields(journal)
        let encoded = try Self.encodedFields(journal)
        #expect(Set(documented.keys) == Set(model.keys), "documented only: \(Set(documented.keys).subtracting(model.keys)); undocumented: \(Set(model.keys).subtracting(documented.keys))")
        for (object, fields) in model {
            #expect(encoded[object] == fields, "\(object): the sample journal leaves out \(fields.subtracting(encoded[object] ?? [])) (set every optional in complete()), or encodes extra \((encoded[object] ?? []).subtracting(fields))")
            let doc = documented[object] ?? []
            #expect(Set(doc) == fields, "\(object): documented only \(Set(doc).subtracting(fields)), undocumented \(fields.subtracting(doc))")
            #expect(doc.count == Set(doc).count, "\(object) documents a field twice")
        }
    }

    /// The example in the document is a journal the decoder reads, and the renderers agree
    /// with what it says.
    @Test func theDocumentsExampleDecodes() throws {
        let text = try String(contentsOf: RenderSupport.repositoryRoot.appendingPathComponent("docs/journal-format.md"), encoding: .utf8)
        let start = try #require(text.range(of: "```json\n"))
        let end = try #require(text.range(of: "\n```", range: start.upperBound..<text.endIndex))
        let journal = try Journal.decode(Data(text[start.upperBound..<end.lowerBound].utf8))
        #expect(journal.outcome == .aborted && journal.seed == 424242 && journal.faults.first?.revertReason == .guardTripped)
        #expect(journal.faults.first?.fault == .latency(Latency(delay: .milliseconds(100), jitter: .milliseconds(10))))
        #expect(RenderFormat.wall(journal.startedAt) == "2026-11-18T11:06:40.250Z")
        let junit = JUnitWriter.render(journal)
        #expect(junit.contains("<skipped message=\"the after phase did not run: the run ended aborted"))
    }

    @Test func encodedJournalRoundTrips() throws {
        let journal = Self.complete()
        let data = try journal.encoded()
        let text = String(decoding: data, as: UTF8.self)
        #expect(text.contains("\"startedAt\" : \"2026-11-18T11:06:40.250Z\""))
        let back = try Journal.decode(data)
        #expect(try back.encoded() == data)
        #expect(back.faults == journal.faults && back.consistency == journal.consistency && back.seed == journal.seed)
        // Every millisecond survives text → date → text (Foundation's own style truncates).
        for ms in stride(from: 0, to: 1000, by: 1) {
            let text = RenderFormat.wall(Date(timeIntervalSince1970: 1_795_000_000 + Double(ms) / 1000))
            #expect(RenderFormat.parseWall(text).map(RenderFormat.wall) == text)
        }
    }
}
