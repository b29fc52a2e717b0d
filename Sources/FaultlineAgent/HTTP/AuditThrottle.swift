import Foundation
import Logging

/// At most one audit line a second per kind of event, with the number left out since:
/// a flood of refused connections must not become a flood of log lines (the log is on
/// the same disk and journald as the ledger). Thread-safe.
final class AuditThrottle: @unchecked Sendable {
    let log: AgentLog
    private let lock = NSLock()
    private var last: [String: (at: UInt64, suppressed: Int)] = [:]
    private let intervalNanos: UInt64 = 1_000_000_000

    init(log: AgentLog) { self.log = log }

    func line(kind: String, level: Logger.Level, _ text: @autoclosure () -> String) {
        let now = DispatchTime.now().uptimeNanoseconds
        let suppressed: Int? = lock.withLock {
            if let previous = last[kind], now - previous.at < intervalNanos {
                last[kind] = (previous.at, previous.suppressed + 1)
                return nil
            }
            let count = last[kind]?.suppressed ?? 0
            last[kind] = (now, 0)
            return count
        }
        guard let suppressed else { return }
        log.log(level, text() + (suppressed > 0 ? " (and \(suppressed) more like it in the last second)" : ""))
    }
}
