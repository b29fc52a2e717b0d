import Foundation
import Testing

/// The parts of a run's journal (docs/journal-format.md) the effect tests read: the
/// outcome, each probe's samples and each fault's times. Decoded with Codable, so a
/// renamed field fails the test instead of reading as empty.
struct EffectJournal: Decodable {
    var outcome: String?
    var reason: String?
    var probes: [Probe]
    var faults: [Fault]

    struct Probe: Decodable {
        var name: String
        var samples: [Sample]
    }

    struct Sample: Decodable {
        var t: Double
        var phase: String
        var host: String?
        var ok: Bool
        /// HTTP probes: the latency in ms; command probes: the exit code.
        var value: Double?
        var detail: String
        var durationSeconds: Double
    }

    struct Fault: Decodable {
        struct Body: Decodable { var kind: String }
        var host: String
        var fault: Body
        var requestedAt: Double
        var appliedAt: Double?
        var revertedAt: Double?
        var kind: String { fault.kind }
    }

    static func read(_ path: String) throws -> EffectJournal {
        try JSONDecoder().decode(EffectJournal.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
    }

    func samples(_ probe: String) throws -> [Sample] {
        try #require(probes.first { $0.name == probe }, "no probe '\(probe)' in the journal (\(probes.map(\.name)))").samples
    }

    func faults(_ kind: String) -> [Fault] { faults.filter { $0.kind == kind } }

    /// The one fault of this kind (plans that fault one host).
    func fault(_ kind: String) throws -> Fault {
        let found = faults(kind)
        try #require(found.count == 1, "expected one \(kind) fault, found \(found.count): \(faults.map { "\($0.kind)@\($0.host)" })")
        return found[0]
    }
}

extension Array where Element == Double {
    /// The median (the mean of the middle two for an even count); nil when empty.
    var median: Double? {
        guard !isEmpty else { return nil }
        let s = sorted()
        return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }
}

extension Double {
    var ms: String { String(format: "%.0f ms", self) }
    var s2: String { String(format: "%.2f s", self) }
}
