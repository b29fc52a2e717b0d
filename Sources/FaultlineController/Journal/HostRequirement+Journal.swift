import FaultlinePlan

extension HostRequirement {
    /// How `ProbeRecord.require` writes it: nil for `all` (the default), else `any`,
    /// `majority`, `at-least N`.
    var journalText: String? {
        switch self {
        case .all: nil
        case .any: "any"
        case .majority: "majority"
        case .atLeast(let n): "at-least \(n)"
        }
    }

    /// Reads `ProbeRecord.require`; anything unknown reads as `all` (the strictest).
    init(journalText: String?) {
        switch journalText {
        case "any": self = .any
        case "majority": self = .majority
        case let text? where text.hasPrefix("at-least "): self = Int(text.dropFirst(9)).map { .atLeast($0) } ?? .all
        default: self = .all
        }
    }
}
