#if canImport(Glibc)
import Glibc
#endif
import Dispatch
import Synchronization

/// Turns SIGINT and SIGTERM into calls on a queue, so a run can revert before it exits.
///
/// The signals' default action (terminate) is ignored while the trap is installed and
/// restored by `cancel()`; DispatchSource delivers each one on its own queue, where
/// ordinary code (not async-signal-safe code) may run.
public final class SignalTrap: Sendable {
    private let sources: Mutex<[any DispatchSourceSignal]>
    private let signals: [Int32]

    public init(_ signals: [Int32] = [SIGINT, SIGTERM], handler: @escaping @Sendable (String) -> Void) {
        self.signals = signals
        let queue = DispatchQueue(label: "faultline.signals")
        var made: [any DispatchSourceSignal] = []
        for number in signals {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            let name = number == SIGINT ? "SIGINT" : number == SIGTERM ? "SIGTERM" : "signal \(number)"
            source.setEventHandler { handler(name) }
            source.resume()
            made.append(source)
        }
        sources = Mutex(made)
    }

    public func cancel() {
        sources.withLock { list in
            for s in list { s.cancel() }
            list = []
        }
        for number in signals { signal(number, SIG_DFL) }
    }
}
