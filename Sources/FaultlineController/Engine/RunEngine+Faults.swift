import FaultlineAgentAPI
import FaultlineCore
import FaultlinePlan
import Foundation
import Synchronization

extension RunEngine {
    /// Applies faults on their hosts concurrently. If any apply fails, the ones of this
    /// step that did apply are reverted and the step fails (the run cannot go on as planned).
    func applyAll(_ faults: [HostFault], step: Step) async throws {
        let lease = plan.settings.lease
        let errors = await withTaskGroup(of: String?.self) { group in
            for f in faults {
                group.addTask { [self] in
                    await active.begin(f)
                    let requested = await book.now()
                    await book.addFault(FaultRecord(id: f.id, step: step.path, stepName: step.name, host: f.host.name, fault: f.fault, requestedAt: requested))
                    guard let client = clients[f.host.name] else {
                        await active.applyFailed(f.id)
                        let message = "\(step.path): no agent client for host '\(f.host.name)'"
                        await book.updateFault(f.id) { $0.error = message }
                        return message
                    }
                    do {
                        _ = try await client.apply(id: f.id, fault: f.fault, lease: lease)
                    } catch {
                        await active.applyFailed(f.id)
                        let message = "\(step.path): \(f.host.name) could not apply \(f.fault.kind.rawValue) (\(f.id)): \(error)"
                        await book.updateFault(f.id) { $0.error = "\(error)" }
                        await book.event(.faultFailed, message, host: f.host.name, faultID: f.id)
                        return message
                    }
                    let t = await book.now()
                    await book.updateFault(f.id) { $0.appliedAt = t }
                    await book.event(.faultApplied, "\(f.fault.kind.rawValue) applied on \(f.host.name) in \(String(format: "%.1f", (t - requested) * 1000)) ms",
                                     host: f.host.name, faultID: f.id)
                    if f.fault.kind.isInstant {
                        await active.finished(f.id)
                        await book.updateFault(f.id) { $0.revertReason = .instant }
                    } else if let reason = await active.applied(f.id) {
                        // An abort asked for a revert while this apply was in flight.
                        await revert([f], reason: reason)
                    }
                    return nil
                }
            }
            var out: [String] = []
            for await e in group { if let e { out.append(e) } }
            return out
        }
        guard errors.isEmpty else {
            await revert(await active.takeForRevert(faults.map(\.id), reason: .applyFailed), reason: .applyFailed)
            throw MethodFailure(description: errors.sorted().joined(separator: "; "))
        }
    }

    /// Reverts faults concurrently (one call each; a failed call is retried once), telling
    /// the agent why. Faults the agent no longer holds count as reverted; the journal then
    /// says why and when as the agent recorded it (a halt, its lease, a restart).
    func revert(_ faults: [HostFault], reason: RevertReason) async {
        guard !faults.isEmpty else { return }
        await withTaskGroup(of: Void.self) { group in
            for f in faults {
                group.addTask { [self] in
                    guard let client = clients[f.host.name] else { return }
                    var lastError: Error?
                    for attempt in 0..<2 {
                        do {
                            let ours = try await client.revert(id: f.id, reason: reason)
                            let record = ours != nil ? ours : await agentRecord(of: f.id, client: client)
                            await active.reverted(f.id)
                            await book.reverted(f.id, as: record)
                            await book.event(.faultReverted, ours != nil ? "\(f.fault.kind.rawValue) reverted on \(f.host.name) (\(ours!.reason.rawValue))"
                                                                        : "\(f.fault.kind.rawValue) on \(f.host.name) was already gone: " + Self.agentsAccount(record),
                                             host: f.host.name, faultID: f.id)
                            return
                        } catch {
                            lastError = error
                            if attempt == 0 { try? await Task.sleep(for: .milliseconds(100)) }
                        }
                    }
                    await active.revertFailed(f.id)
                    await book.updateFault(f.id) { $0.error = "revert failed: \(lastError.map { "\($0)" } ?? "?")" }
                    await book.error("could not revert \(f.id) on \(f.host.name): \(lastError.map { "\($0)" } ?? "?"); its agent reverts it when the lease runs out",
                                     host: f.host.name, faultID: f.id)
                }
            }
        }
    }

    /// Reverts every fault of the run now (abort paths and the final pass). Several
    /// passes may run at once (the abort's and the method's own); each fault is taken by one.
    func revertEverything(reason: RevertReason, note: String?) async {
        if let note { await book.event(.note, "\(note): reverting every fault now") }
        await revert(await active.takeForRevert(nil, reason: reason), reason: reason)
    }

    /// Reverts every fault and returns only when no apply or revert is under way any
    /// more, whichever pass started it: the next phase must not begin (nor the outcome be
    /// written) while an abort's revert is still in flight. Bounded by two agent calls
    /// and their retry; what is still unconfirmed then is left to the leases.
    func revertEverythingAndSettle(reason: RevertReason) async {
        await revertEverything(reason: reason, note: nil)
        let deadline = clock.now() + 2 * plan.settings.agentTimeout.seconds + 1
        while await active.busy(), clock.now() < deadline {
            try? await Task.sleep(for: .milliseconds(5))
            // An apply that returned meanwhile may have left a fault to revert.
            await revert(await active.takeForRevert(nil, reason: reason), reason: reason)
        }
    }

    /// Renews the leases of applied faults every lease/3, one batched call per agent,
    /// until cancelled. Each agent's renewal runs on its own: a hung agent holds back only
    /// its own (the next tick skips a host whose call is still out), never the others'
    /// (one hung agent with lease 3 s and agent-timeout 2 s used to let every healthy
    /// host's lease run out). A renewal that fails is retried once at once, so one lost
    /// call costs a round trip, not a third of the lease.
    ///
    /// A fault its agent no longer holds was reverted behind our back (a halt, or a lease
    /// that ran out): the run is aborted, since it is no longer the experiment the plan
    /// describes.
    func renewLeases() async {
        let interval = LeaseSchedule.interval(leaseSeconds: plan.settings.lease.seconds)
        let renewing = HostsRenewing()
        await withDiscardingTaskGroup { group in
            while !Task.isCancelled {
                do { try await clock.sleep(seconds: interval) } catch { break }
                for batch in LeaseSchedule.batches(await active.applied()) {
                    guard renewing.claim(batch.host) else { continue }
                    group.addTask { [self] in
                        await renew(batch)
                        renewing.release(batch.host)
                    }
                }
            }
            group.cancelAll()
        }
    }

    /// One agent's renewal, retried once when it fails.
    private func renew(_ batch: (host: String, ids: [String])) async {
        guard let client = clients[batch.host] else { return }
        var result: RenewalResult?
        for attempt in 1...2 where result == nil && !Task.isCancelled {
            do { result = try await client.renew(ids: batch.ids) } catch {
                await book.error("lease renewal on \(batch.host) failed\(attempt == 1 ? "" : " again"): \(error)", host: batch.host)
            }
        }
        guard let result else { return }
        var lost: [RevertReason?] = []
        var records: [String: RevertedFault]?
        for id in result.unknown {
            // Reverted meanwhile by us (a race with a revert) is fine.
            guard await active.applied().contains(where: { $0.id == id }) else { continue }
            if records == nil { records = await agentRecords(client: client) }
            let record = records?[id]
            await active.reverted(id)
            lost.append(record?.reason)
            await book.reverted(id, as: record)
            await book.event(.faultReverted, "agent on \(batch.host) no longer holds \(id): " + Self.agentsAccount(record), host: batch.host, faultID: id)
        }
        guard !lost.isEmpty else { return }
        // A halt is everyone's halt; anything else (a restart's recovery, a lost lease) ends
        // this run, and the other hosts' faults are reverted as an abort.
        let halted = lost.allSatisfy { $0 == .halt }
        let why = Set(lost.map { $0?.rawValue ?? "no record" }).sorted().joined(separator: ", ")
        control.abort("faults were reverted by their agent on \(batch.host) (\(why))", revertReason: halted ? .halt : .abort)
    }

    /// The agent's own record of a fault it no longer holds (nil when it kept none, or
    /// cannot be asked).
    func agentRecord(of id: String, client: any AgentClient) async -> RevertedFault? {
        await agentRecords(client: client)?[id]
    }

    func agentRecords(client: any AgentClient) async -> [String: RevertedFault]? {
        guard let answer = try? await client.faultsAndReverts() else { return nil }
        return Dictionary(answer.reverted.map { ($0.id, $0) }, uniquingKeysWith: { _, last in last })
    }

    /// "reverted by its agent (recovery) at 12:00:01.250Z"
    static func agentsAccount(_ record: RevertedFault?) -> String {
        guard let record else { return "its agent reverted it and kept no record of why" }
        return "its agent reverted it (\(record.reason.rawValue)) at \(record.revertedAt)"
    }
}

/// The hosts whose renewal call is still out, so a tick never sends a second one.
private final class HostsRenewing: Sendable {
    private let hosts = Mutex<Set<String>>([])
    func claim(_ host: String) -> Bool { hosts.withLock { $0.insert(host).inserted } }
    func release(_ host: String) { _ = hosts.withLock { $0.remove(host) } }
}
