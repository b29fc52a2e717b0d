import FaultlineCore
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// The real `AgentClient`: HTTP/1.1 over mutual TLS (or plaintext with a bearer token in
/// an insecure lab), one keep-alive connection reused between calls so a lease renewal
/// costs a round trip, not a handshake.
public final class HTTPAgentClient: AgentClient, @unchecked Sendable {
    public enum Security: Sendable {
        case mutualTLS(NIOSSLContext)
        /// Plaintext, for throwaway labs; the token, when set, goes in `Authorization`.
        case insecure(bearerToken: String?)
    }

    public let endpoint: AgentEndpoint
    let security: Security
    let group: EventLoopGroup
    let timeout: TimeAmount
    private let lock = NSLock()
    private var idle: [Channel] = []

    public init(endpoint: AgentEndpoint, security: Security, group: EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
                timeout: TimeSpan = .seconds(5)) {
        self.endpoint = endpoint
        self.security = security
        self.group = group
        self.timeout = .nanoseconds(timeout.nanoseconds)
    }

    deinit { for channel in idle { channel.close(promise: nil) } }

    /// Closes idle connections.
    public func close() {
        let channels = lock.withLock { defer { idle = [] }; return idle }
        for channel in channels { channel.close(promise: nil) }
    }

    public func health() async throws -> AgentHealth { try decode(AgentHealth.self, try await call("GET", "/v1/health")) }
    public func capabilities() async throws -> CapabilityReport { try decode(CapabilityReport.self, try await call("GET", "/v1/capabilities")) }
    public func faults() async throws -> [AppliedFault] { try decode(AppliedFaults.self, try await call("GET", "/v1/faults")).faults }
    public func apply(id: String, fault: Fault, lease: TimeSpan) async throws -> ApplyResult {
        try decode(ApplyResult.self, try await call("PUT", "/v1/faults/\(id)", body: ApplyRequest(fault: fault, lease: lease)))
    }
    public func renew(ids: [String]) async throws -> RenewalResult {
        try decode(RenewalResult.self, try await call("POST", "/v1/leases", body: LeaseRenewal(ids: ids)))
    }
    public func revert(id: String) async throws -> Bool {
        try await revert(id: id, reason: .requested) != nil
    }
    public func revert(id: String, reason: RevertReason) async throws -> RevertedFault? {
        let response = try await call("DELETE", "/v1/faults/\(id)?reason=\(reason.rawValue)")
        if response.status == 404 { return nil }
        let result = try decode(ApplyResult.self, response)
        return result.reverted ?? RevertedFault(id: id, kind: "", reason: reason, revertedAt: RevertedFault.timestamp(Date()))
    }
    public func revertAll(reason: RevertReason) async throws -> [RevertedFault] {
        let result = try decode(HaltResult.self, try await call("DELETE", "/v1/faults?reason=\(reason.rawValue)"))
        return result.faults
    }
    public func faultsAndReverts() async throws -> AppliedFaults { try decode(AppliedFaults.self, try await call("GET", "/v1/faults")) }
    public func processes(matching selector: ProcessSelector) async throws -> [MatchedProcess] {
        try decode(MatchedProcesses.self, try await call("POST", "/v1/processes", body: ProcessQuery(process: selector))).processes
    }
    public func revertAll() async throws -> [String] { try decode(HaltResult.self, try await call("DELETE", "/v1/faults")).reverted }

    /// Raw access for tests and `GET /metrics`.
    public func call(_ method: String, _ path: String, body: (some Encodable)? = Optional<AgentErrorBody>.none) async throws -> HTTPAgentResponse {
        var bytes: [UInt8] = []
        if let body {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            bytes = Array(try encoder.encode(body))
        }
        return try await send(method: method, path: path, body: bytes)
    }

    public func send(method: String, path: String, body: [UInt8]) async throws -> HTTPAgentResponse {
        // A reused connection may have been closed by the agent meanwhile (idle timeout,
        // restart): retry once on a fresh one, but only for connections we reused.
        if let channel = takeIdle() {
            if let response = try? await exchange(channel, method: method, path: path, body: body) { return response }
        }
        let channel = try await connect()
        return try await exchange(channel, method: method, path: path, body: body)
    }

    private func takeIdle() -> Channel? {
        lock.withLock {
            while let channel = idle.popLast() { if channel.isActive { return channel } }
            return nil
        }
    }

    private func connect() async throws -> Channel {
        let security = self.security
        let serverName: String? = IPAddressText.bytes(endpoint.address) == nil ? endpoint.address : nil
        let bootstrap = ClientBootstrap(group: group)
            .connectTimeout(timeout)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if case .mutualTLS(let context) = security {
                        try channel.pipeline.syncOperations.addHandler(try NIOSSLClientHandler(context: context, serverHostname: serverName))
                    }
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(ResponseCollector())
                }
            }
        do {
            return try await bootstrap.connect(host: endpoint.address, port: endpoint.port).get()
        } catch {
            throw AgentCallError(endpoint: endpoint, status: nil, reason: ConnectionFailure.describe(error, endpoint: endpoint, timeout: timeout))
        }
    }

    private func exchange(_ channel: Channel, method: String, path: String, body: [UInt8]) async throws -> HTTPAgentResponse {
        var headers = HTTPHeaders()
        headers.add(name: "Host", value: "\(endpoint.address):\(endpoint.port)")
        headers.add(name: "Content-Length", value: "\(body.count)")
        if !body.isEmpty { headers.add(name: "Content-Type", value: "application/json") }
        if case .insecure(let token?) = security { headers.add(name: "Authorization", value: "Bearer \(token)") }
        let head = HTTPRequestHead(version: .http1_1, method: HTTPMethod(rawValue: method), uri: path, headers: headers)
        let promise = channel.eventLoop.makePromise(of: HTTPAgentResponse.self)
        let timeout = self.timeout
        let endpoint = self.endpoint
        channel.eventLoop.execute {
            do {
                let collector = try channel.pipeline.syncOperations.handler(type: ResponseCollector.self)
                collector.expect(promise)
                let timer = channel.eventLoop.scheduleTask(in: timeout) {
                    promise.fail(AgentCallError(endpoint: endpoint, status: nil, reason: "no answer within \(timeout.nanoseconds / 1_000_000) ms"))
                    channel.close(promise: nil)
                }
                promise.futureResult.whenComplete { _ in timer.cancel() }
                channel.write(HTTPClientRequestPart.head(head), promise: nil)
                if !body.isEmpty {
                    channel.write(HTTPClientRequestPart.body(.byteBuffer(channel.allocator.buffer(bytes: body))), promise: nil)
                }
                channel.writeAndFlush(HTTPClientRequestPart.end(nil)).whenFailure { promise.fail($0) }
            } catch {
                promise.fail(error)
            }
        }
        do {
            let response = try await promise.futureResult.get()
            if response._keepAlive && channel.isActive {
                lock.withLock { idle.append(channel) }
            } else {
                channel.close(promise: nil)
            }
            return HTTPAgentResponse(status: response.status, body: response.body)
        } catch let error as AgentCallError {
            channel.close(promise: nil)
            throw error
        } catch {
            channel.close(promise: nil)
            throw AgentCallError(endpoint: endpoint, status: nil, reason: ConnectionFailure.describe(error, endpoint: endpoint, timeout: timeout))
        }
    }
}

/// Collects one response at a time into the promise the caller is waiting on.
final class ResponseCollector: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPClientResponsePart
    private var promise: EventLoopPromise<HTTPAgentResponse>?
    private var status = 0
    private var keepAlive = false
    private var body: [UInt8] = []

    func expect(_ promise: EventLoopPromise<HTTPAgentResponse>) {
        self.promise = promise
        body = []
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            status = Int(head.status.code)
            keepAlive = head.isKeepAlive
        case .body(var buffer):
            body += buffer.readBytes(length: buffer.readableBytes) ?? []
        case .end:
            var response = HTTPAgentResponse(status: status, body: body)
            response._keepAlive = keepAlive
            promise?.succeed(response)
            promise = nil
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        promise?.fail(ChannelError.eof)
        promise = nil
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        promise?.fail(error)
        promise = nil
        context.close(promise: nil)
    }
}
