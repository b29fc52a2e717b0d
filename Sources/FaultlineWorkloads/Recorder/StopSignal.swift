import Synchronization

/// Tells a running recorder to stop issuing operations, from any thread.
///
/// Operations already in flight finish (each within its timeout); then the recorder
/// takes its final reads and returns.
public final class StopSignal: Sendable {
    private let stopped = Atomic<Bool>(false)

    public init() {}

    public func stop() { stopped.store(true, ordering: .releasing) }

    public var isStopped: Bool { stopped.load(ordering: .acquiring) }
}
