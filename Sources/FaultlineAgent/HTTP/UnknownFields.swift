import Foundation

/// Finds a field in a JSON body that decoding did not use, as the plan and config parsers
/// refuse unknown keys: `{"fault": …, "leese": "5s"}` must not apply a fault under the
/// default lease because of a typo.
///
/// Every body type's encoding writes every field its decoding reads (synthesized
/// `Encodable`, or a hand-written one that mirrors the decoder), so a key of the body that
/// is missing from the value's own encoding, at the same place, is one nothing read.
/// Explicit `null`s are tolerated (an absent optional encodes as nothing).
enum UnknownFields {
    static func first(in body: Data, decoded value: some Encodable) -> String? {
        guard let original = try? JSONSerialization.jsonObject(with: body, options: [.fragmentsAllowed]) else { return nil }
        let encoder = JSONEncoder()
        guard let data = try? encoder.encode(value),
              let known = try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]) else { return nil }
        return first(original, known, path: [])
    }

    private static func first(_ original: Any, _ known: Any, path: [String]) -> String? {
        switch (original, known) {
        case (let o as [String: Any], let k as [String: Any]):
            for key in o.keys.sorted() {
                let value = o[key]!
                guard let kv = k[key] else {
                    if value is NSNull { continue }
                    return (path + [key]).joined(separator: ".")
                }
                if let found = first(value, kv, path: path + [key]) { return found }
            }
            return nil
        case (let o as [Any], let k as [Any]):
            for (i, (ov, kv)) in zip(o, k).enumerated() {
                if let found = first(ov, kv, path: path + ["\(i)"]) { return found }
            }
            return nil
        default:
            return nil
        }
    }
}
