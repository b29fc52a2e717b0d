import FaultlineCore
import FaultlinePlan
import Synchronization

extension RunEngine {
    /// Resolves targets for one use, and journals the resolutions of dynamic and random
    /// targets (the hosts they meant, and when): every time for a fault step or a workload
    /// (each is a decision of its own), and for a probe only when the answer changed since
    /// the last one recorded (a probe with `each: leader` asks every second; the journal
    /// wants the moments leadership moved, not thousands of identical lines).
    func resolve(_ names: [String], iteration: Int?, use: String, everyTime: Bool) async throws -> [String: [Host]] {
        let out = try await targets.hosts(of: names, iteration: iteration)
        for name in names {
            guard let how = targets.chosenAtRunTime(name), let hosts = out[name]?.map(\.name) else { continue }
            let changed = lastResolved.withLock { last in
                defer { last[name] = hosts }
                return last[name] != hosts
            }
            if everyTime || changed { await book.resolved(name, how: how, use: use, hosts: hosts) }
        }
        return out
    }
}
