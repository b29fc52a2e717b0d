import FaultlineAgentAPI
import FaultlineCore
import Foundation

/// The agent's HTTP API, as a pure function of a request (no sockets here, so every
/// route and every refusal is tested byte for byte).
///
///     GET    /v1/health
///     GET    /v1/capabilities
///     GET    /v1/faults          applied faults and the most recent reverts
///     PUT    /v1/faults/{id}     {"fault": {...}, "lease": "10s"}
///     DELETE /v1/faults/{id}     ?reason=duration|guard|abort|halt|requested
///     DELETE /v1/faults          revert all (halt); ?reason=halt|abort|guard
///     POST   /v1/leases          {"ids": ["..."]}
///     GET    /metrics            Prometheus text
///
/// Errors are JSON `{"error": "<reason>"}` with a 4xx (the caller's fault) or 5xx status.
/// Bodies are decoded strictly: a field nothing reads is a 400 naming it.
public struct AgentRouter: Sendable {
    public struct Request: Sendable {
        public var method: String
        public var path: String
        public var body: [UInt8]
        /// The authenticated caller (certificate common name), for the audit log.
        public var caller: String
        public init(method: String, path: String, body: [UInt8] = [], caller: String) {
            self.method = method; self.path = path; self.body = body; self.caller = caller
        }
    }

    public struct Response: Sendable, Equatable {
        public var status: Int
        public var contentType: String
        public var body: [UInt8]
        /// Set when this response applied a network fault: the server then checks that the
        /// controller's packets still reach the agent (see `ManagementChannelCheck`).
        public var checkManagementChannelFor: String?
        static func json(_ status: Int, _ value: some Encodable) -> Response {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            let data = (try? encoder.encode(value)) ?? Data("{}".utf8)
            return Response(status: status, contentType: "application/json", body: Array(data) + [0x0A])
        }
        static func error(_ status: Int, _ reason: String) -> Response { json(status, AgentErrorBody(error: reason)) }
    }

    public static let maximumBodyBytes = 64 * 1024

    /// Which worker pool a request runs on. Health, lease renewals and every revert (one
    /// fault or all: halt) have a lane of their own, so a flood of slow applies or
    /// process queries, which may each wait up to their selector deadline, cannot keep
    /// the controller from renewing, halting or seeing the agent alive.
    public enum Lane: String, Sendable { case control, work }

    public static func lane(method: String, path: String) -> Lane {
        let path = path.split(separator: "?", maxSplits: 1).first.map(String.init) ?? path
        let parts = path.split(separator: "/", omittingEmptySubsequences: true)
        switch method {
        case "GET" where parts == ["v1", "health"]: return .control
        case "POST" where parts == ["v1", "leases"]: return .control
        case "DELETE" where parts.count >= 2 && parts.count <= 3 && parts[0] == "v1" && parts[1] == "faults": return .control
        default: return .work
        }
    }

    let service: AgentService
    let capabilities: @Sendable () -> CapabilityReport
    let hostName: String?

    public init(service: AgentService, hostName: String? = nil, capabilities: @escaping @Sendable () -> CapabilityReport) {
        self.service = service
        self.hostName = hostName
        self.capabilities = capabilities
    }

    public func handle(_ request: Request) -> Response {
        let pathAndQuery = request.path.split(separator: "?", maxSplits: 1).map(String.init)
        let path = pathAndQuery.first ?? request.path
        let query = pathAndQuery.count > 1 ? pathAndQuery[1] : ""
        let parts = path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        let faultID: String? = parts.count == 3 && parts[0] == "v1" && parts[1] == "faults" ? parts[2] : nil
        let known = [["v1", "health"], ["v1", "capabilities"], ["v1", "faults"], ["v1", "leases"], ["v1", "processes"], ["metrics"]].contains(parts) || faultID != nil
        switch request.method {
        case "GET" where parts == ["v1", "health"]:
            return .json(200, AgentHealth(status: "ok", faults: service.appliedCount(), host: hostName, version: FaultlineVersion.current))
        case "GET" where parts == ["v1", "capabilities"]:
            return .json(200, capabilities())
        case "GET" where parts == ["v1", "faults"]:
            return .json(200, AppliedFaults(faults: service.applied(), reverted: service.recentReverts()))
        case "PUT" where faultID != nil:
            let id = faultID!
            if let bad = Self.badID(id) { return .error(400, bad) }
            let body: ApplyRequest
            switch Self.decode(ApplyRequest.self, request.body) {
            case .success(let b): body = b
            case .failure(let failure): return .error(400, failure.reason)
            }
            do {
                let created = try service.apply(id: id, fault: body.fault, leaseSeconds: (body.lease ?? AgentWire.defaultLease).seconds, caller: request.caller)
                var response = Response.json(created ? 201 : 200, ApplyResult(id: id, status: created ? "applied" : "already applied; lease renewed"))
                if created && body.fault.kind.isNetwork { response.checkManagementChannelFor = id }
                return response
            } catch let error as AgentError {
                return .error(error.status, error.reason)
            } catch {
                return .error(500, "\(error)")
            }
        case "DELETE" where faultID != nil:
            let id = faultID!
            if let bad = Self.badID(id) { return .error(400, bad) }
            let reason: RevertReason
            switch Self.revertReason(query, default: .requested) {
            case .success(let r): reason = r
            case .failure(let failure): return .error(400, failure.reason)
            }
            do {
                guard let done = try service.revert(id: id, reason: reason) else { return .error(404, "no fault '\(id)' is applied on this host") }
                return .json(200, ApplyResult(id: id, status: "reverted", reverted: done))
            } catch let error as AgentError {
                return .error(error.status, error.reason)
            } catch {
                return .error(500, "\(error)")
            }
        case "DELETE" where parts == ["v1", "faults"]:
            let reason: RevertReason
            switch Self.revertReason(query, default: .halt) {
            case .success(let r): reason = r
            case .failure(let failure): return .error(400, failure.reason)
            }
            let done = service.revertAll(reason: reason)
            return .json(200, HaltResult(reverted: done.map(\.id), faults: done))
        case "POST" where parts == ["v1", "leases"]:
            switch Self.decode(LeaseRenewal.self, request.body) {
            case .success(let b):
                if let bad = b.ids.lazy.compactMap(Self.badID).first { return .error(400, bad) }
                let unknown = service.renew(b.ids)
                return .json(200, RenewalResult(renewed: b.ids.filter { !unknown.contains($0) }, unknown: unknown))
            case .failure(let failure): return .error(400, failure.reason)
            }
        case "POST" where parts == ["v1", "processes"]:
            switch Self.decode(ProcessQuery.self, request.body) {
            case .success(let query):
                if let problem = query.process.problems().first { return .error(422, "invalid selector: \(problem)") }
                do { return .json(200, MatchedProcesses(processes: try service.processes(matching: query.process))) } catch let error as AgentError {
                    return .error(error.status, error.reason)
                } catch {
                    return .error(422, "cannot resolve \(query.process): \(error)")
                }
            case .failure(let failure): return .error(400, failure.reason)
            }
        case "GET" where parts == ["metrics"]:
            return Response(status: 200, contentType: "text/plain; version=0.0.4",
                            body: Array(service.metrics.exposition(appliedNow: service.applied().count).utf8))
        default:
            return known ? .error(405, "\(request.method) is not allowed on \(path)") : .error(404, "no such endpoint: \(request.method) \(path)")
        }
    }

    /// The management channel check failed: revert the fault that cut it.
    public func managementChannelLost(faultID: String) {
        _ = try? service.revert(id: faultID, reason: .managementChannelLost)
    }

    /// `reason=` of a revert's query; only the reasons a caller may state.
    static func revertReason(_ query: String, default fallback: RevertReason) -> Result<RevertReason, DecodeFailure> {
        var reason = fallback
        for pair in query.split(separator: "&") where !pair.isEmpty {
            let kv = pair.split(separator: "=", maxSplits: 1).map(String.init)
            guard kv[0] == "reason", kv.count == 2 else {
                return .failure(DecodeFailure(reason: "unknown query parameter '\(kv[0].prefix(40))': expected reason"))
            }
            guard let named = RevertReason(rawValue: kv[1]), RevertReason.callerReasons.contains(named) else {
                let allowed = RevertReason.callerReasons.map(\.rawValue).sorted().joined(separator: ", ")
                return .failure(DecodeFailure(reason: "invalid revert reason '\(kv[1].prefix(40))': expected one of \(allowed)"))
            }
            reason = named
        }
        return .success(reason)
    }

    /// Fault ids appear in nftables table names and file names: keep them plain.
    static func badID(_ id: String) -> String? {
        let ok = !id.isEmpty && id.utf8.count <= 64 && id.unicodeScalars.allSatisfy {
            ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || $0 == "-" || $0 == "_"
        }
        return ok ? nil : "invalid fault id: expected 1 to 64 letters, digits, '-' or '_'"
    }

    struct DecodeFailure: Error { var reason: String }

    static func decode<T: Codable>(_ type: T.Type, _ body: [UInt8]) -> Result<T, DecodeFailure> {
        guard !body.isEmpty else { return .failure(DecodeFailure(reason: "expected a JSON body")) }
        do {
            let value = try JSONDecoder().decode(T.self, from: Data(body))
            if let unknown = UnknownFields.first(in: Data(body), decoded: value) {
                return .failure(DecodeFailure(reason: "unknown field '\(unknown)'"))
            }
            return .success(value)
        } catch let DecodingError.dataCorrupted(context) {
            let at = context.codingPath.map(\.stringValue).joined(separator: ".")
            return .failure(DecodeFailure(reason: "invalid JSON\(at.isEmpty ? "" : " at \(at)"): \(context.debugDescription)"))
        } catch let DecodingError.keyNotFound(key, context) {
            let at = (context.codingPath + [key]).map(\.stringValue).joined(separator: ".")
            return .failure(DecodeFailure(reason: "missing field \(at)"))
        } catch let DecodingError.typeMismatch(type, context) {
            return .failure(DecodeFailure(reason: "wrong type at \(context.codingPath.map(\.stringValue).joined(separator: ".")): expected \(type)"))
        } catch let DecodingError.valueNotFound(_, context) {
            return .failure(DecodeFailure(reason: "missing value at \(context.codingPath.map(\.stringValue).joined(separator: "."))"))
        } catch {
            return .failure(DecodeFailure(reason: "invalid JSON: \(error)"))
        }
    }
}
