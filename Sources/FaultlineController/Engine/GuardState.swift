/// Whether a guard has tripped, from its samples. Pure: the guard loop feeds it each
/// sample's time and verdict.
///
/// `grace` tolerates failures until they have lasted that long: the guard trips on the
/// first failing sample at least `grace` after the first failure of an unbroken run of
/// failures. A passing sample ends the run. With no grace, the first failure trips.
public struct GuardState: Sendable, Hashable {
    public let grace: Double
    public private(set) var failingSince: Double?
    public private(set) var tripped = false

    public init(graceSeconds: Double) { grace = graceSeconds }

    /// Records a sample; true when this sample trips the guard.
    public mutating func record(ok: Bool, at t: Double) -> Bool {
        guard !tripped else { return false }
        if ok { failingSince = nil; return false }
        let since = failingSince ?? t
        failingSince = since
        if t - since >= grace {
            tripped = true
            return true
        }
        return false
    }
}
