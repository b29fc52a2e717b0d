import Foundation
import Testing
@testable import FaultlinePlan

/// docs/plan-format.md documents exactly the objects and fields the parser accepts: each
/// `### <object>` heading is followed by a table whose first column holds `field` names.
struct DocumentationTests {
    static func documentedFields() throws -> [String: [String]] {
        let text = try String(contentsOf: repositoryRoot.appendingPathComponent("docs/plan-format.md"), encoding: .utf8)
        var out: [String: [String]] = [:]
        var current: String?
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("### ") {
                let heading = line.dropFirst(4).trimmingCharacters(in: .whitespaces)
                current = heading.hasPrefix("`") ? heading.trimmingCharacters(in: CharacterSet(charactersIn: "`")) : nil
                if let current { out[current] = [] }
            } else if let current, line.hasPrefix("| `") {
                let cell = line.dropFirst(3).prefix { $0 != "`" }
                out[current, default: []].append(String(cell))
            }
        }
        return out
    }

    @Test func documentedObjectsAreTheParsersObjects() throws {
        let documented = try Self.documentedFields()
        let schema = Dictionary(uniqueKeysWithValues: PlanSchema.objects.map { ($0.name, $0.fields) })
        #expect(Set(documented.keys) == Set(schema.keys), "documented only: \(Set(documented.keys).subtracting(schema.keys)); undocumented: \(Set(schema.keys).subtracting(documented.keys))")
        for (object, fields) in schema {
            let doc = documented[object] ?? []
            #expect(Set(doc) == Set(fields), "\(object): documented only \(Set(doc).subtracting(fields)), undocumented \(Set(fields).subtracting(doc))")
            #expect(doc.count == Set(doc).count, "\(object) documents a field twice")
        }
    }
}
