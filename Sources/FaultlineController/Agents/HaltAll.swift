import FaultlineAgentAPI

/// `faultline halt`: every agent reverts everything, all asked at once.
public enum HaltAll {
    public struct HostResult: Sendable {
        public var host: String
        public var result: Result<[String], AgentCallFailure>
    }

    public struct AgentCallFailure: Error, CustomStringConvertible, Sendable { public var description: String }

    /// Answers one result per host, in `order`.
    public static func run(clients: [String: any AgentClient], order: [String]) async -> [HostResult] {
        let results = await withTaskGroup(of: HostResult.self) { group in
            for name in order {
                guard let client = clients[name] else { continue }
                group.addTask {
                    do { return HostResult(host: name, result: .success(try await client.revertAll(reason: .halt).map(\.id))) } catch {
                        return HostResult(host: name, result: .failure(AgentCallFailure(description: "\(error)")))
                    }
                }
            }
            var out: [String: HostResult] = [:]
            for await r in group { out[r.host] = r }
            return out
        }
        return order.compactMap { results[$0] }
    }
}
