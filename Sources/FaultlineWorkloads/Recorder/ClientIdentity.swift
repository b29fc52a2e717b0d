/// The client ids and write values one client thread uses.
///
/// After an operation ends `info`, its request may still be in flight, so the history
/// format requires the thread to continue under a new client id (a client has at most
/// one operation outstanding). Thread `slot` of `slots` uses ids `slot`, `slot + slots`,
/// `slot + 2·slots`, …, which never collide across threads.
///
/// Written values are `"c<id>-<n>"` with `n` counting the thread's writes, so every value
/// is unique in the run and a read can be traced to the write that produced it.
struct ClientIdentity {
    let slot: Int
    let slots: Int
    private(set) var generation = 0
    private var written = 0

    init(slot: Int, slots: Int) {
        self.slot = slot
        self.slots = slots
    }

    var clientID: Int { slot + slots * generation }

    /// Retires the current id after an indeterminate operation.
    mutating func retire() { generation += 1 }

    mutating func nextValue() -> String {
        written += 1
        return "c\(clientID)-\(written)"
    }
}
