/// Generates histories that are linearizable by construction, and mutations of them that
/// are certainly not: for tests and benchmarks of the checkers.
///
/// Construction: every client issues operations one after another with random gaps and
/// random durations; each operation gets a linearization point strictly inside its
/// interval. A real atomic object (one register or string per key) applies the operations
/// in the order of those points, which gives every read its result and every cas its
/// outcome. The recorded history is therefore linearizable: the points are a witness.
/// Indeterminate operations (`infoRate`) take effect at their point or never (a coin flip),
/// and their client continues under a fresh id, as Jepsen does.
public struct HistoryGenerator: Sendable {
    public enum Object: Sendable { case register, casRegister, keyValue }

    public var object: Object
    public var clients: Int
    public var operations: Int
    public var keys: Int
    public var readRate = 0.5
    /// cas share among writes (cas register) / append share among writes (key-value).
    public var secondaryRate = 0.5
    public var infoRate = 0.0
    /// Maximum operation duration and idle gap, ns.
    public var maxDuration: UInt64 = 2_000
    public var maxGap: UInt64 = 1_000

    public init(object: Object, clients: Int, operations: Int, keys: Int = 1) {
        self.object = object
        self.clients = clients
        self.operations = operations
        self.keys = keys
    }

    public func generate(seed: UInt64) -> History {
        var random = Xoshiro256(seed: seed)
        struct Planned { var client: Int; var invoke: UInt64; var point: UInt64; var complete: UInt64 }
        var planned: [Planned] = []
        planned.reserveCapacity(operations)
        var clientTime = [UInt64](repeating: 0, count: clients)
        for index in 0..<operations {
            // Round-robin over clients keeps per-client counts even.
            let client = index % clients
            let invoke = clientTime[client] + UInt64.random(in: 1...maxGap, using: &random)
            let duration = UInt64.random(in: 2...maxDuration, using: &random)
            let point = invoke + UInt64.random(in: 1..<duration, using: &random)
            let complete = invoke + duration
            clientTime[client] = complete
            planned.append(Planned(client: client, invoke: invoke, point: point, complete: complete))
        }
        // Apply in order of linearization points (ties broken by index: still a valid order).
        let order = planned.indices.sorted { (planned[$0].point, $0) < (planned[$1].point, $1) }
        var state = [String?](repeating: object == .keyValue ? "" : nil, count: keys)
        var written: [[String]] = Array(repeating: [], count: keys)
        var result = [Operation?](repeating: nil, count: operations)
        var sequence = [Int](repeating: 0, count: clients)
        for index in order {
            let plan = planned[index]
            let key = keys == 1 ? 0 : Int.random(in: 0..<keys, using: &random)
            let keyName = keys == 1 && object != .keyValue ? "" : String(key)
            sequence[plan.client] += 1
            let fresh = "v\(plan.client)-\(sequence[plan.client])"
            var operation = Operation(client: plan.client, kind: .read, key: keyName, outcome: .ok,
                                      invoke: plan.invoke, completion: plan.complete)
            let indeterminate = infoRate > 0 && Double.random(in: 0..<1, using: &random) < infoRate
            let applies = !indeterminate || Bool.random(using: &random)
            if Double.random(in: 0..<1, using: &random) < readRate {
                operation.value = state[key]
                if indeterminate { operation.outcome = .info; operation.completion = nil; operation.value = nil }
            } else if Double.random(in: 0..<1, using: &random) < secondaryRate && object != .register {
                if object == .casRegister {
                    operation.kind = .cas
                    operation.value = fresh
                    let matching = Bool.random(using: &random) || written[key].isEmpty
                    operation.expected = matching ? state[key] : written[key].randomElement(using: &random)
                    let swaps = operation.expected == state[key]
                    operation.outcome = swaps ? .ok : .fail
                    if indeterminate { operation.outcome = .info; operation.completion = nil }
                    if swaps && applies { state[key] = fresh }
                } else {
                    operation.kind = .append
                    operation.value = fresh
                    if applies { state[key] = (state[key] ?? "") + fresh }
                }
                written[key].append(fresh)
            } else {
                operation.kind = .write
                operation.value = fresh
                if applies { state[key] = fresh }
                written[key].append(fresh)
            }
            if indeterminate && operation.kind != .read {
                operation.outcome = .info
                operation.completion = nil
            }
            result[index] = operation
        }
        // Clients continue under a fresh id after an indeterminate operation.
        var epoch = [Int](repeating: 0, count: clients)
        var operationsOut: [Operation] = []
        operationsOut.reserveCapacity(operations)
        for index in 0..<operations {
            var operation = result[index]!
            let client = operation.client
            operation.client = client + clients * epoch[client]
            if operation.outcome == .info { epoch[client] += 1 }
            operationsOut.append(operation)
        }
        return History(operations: operationsOut)
    }

    /// Makes one ok read return a stale value: the value of an ok write `w1` although an ok
    /// write `w2` to the same key began after `w1` completed and completed before the read
    /// began. With unique values no linearization can explain it. Returns nil if the history
    /// has no such triple. Works for registers (plain writes only).
    public static func injectStaleRead(into history: History, seed: UInt64) -> (History, mutated: Int)? {
        var random = Xoshiro256(seed: seed)
        let ops = history.operations
        let writes = ops.indices.filter { ops[$0].kind == .write && ops[$0].outcome == .ok }
        let reads = ops.indices.filter { ops[$0].kind == .read && ops[$0].outcome == .ok }.shuffled(using: &random)
        for r in reads {
            let read = ops[r]
            let before = writes.filter { ops[$0].key == read.key && ops[$0].completion! < read.invoke }
            for w2 in before.shuffled(using: &random).prefix(8) {
                if let w1 = before.first(where: { ops[$0].completion! < ops[w2].invoke }) {
                    var mutated = history
                    mutated.operations[r].value = ops[w1].value
                    return (mutated, r)
                }
            }
        }
        return nil
    }

    /// Makes one ok read return a value from the future: written by an operation invoked
    /// after the read completed. Certainly not linearizable (values are unique).
    public static func injectFutureRead(into history: History, seed: UInt64) -> (History, mutated: Int)? {
        var random = Xoshiro256(seed: seed)
        let ops = history.operations
        let reads = ops.indices.filter { ops[$0].kind == .read && ops[$0].outcome == .ok }.shuffled(using: &random)
        for r in reads {
            let read = ops[r]
            if let w = ops.indices.first(where: {
                ops[$0].key == read.key && (ops[$0].kind == .write || ops[$0].kind == .cas)
                    && ops[$0].invoke > read.completion! && ops[$0].value != read.value
            }) {
                var mutated = history
                mutated.operations[r].value = ops[w].value
                return (mutated, r)
            }
        }
        return nil
    }
}
