import FaultlineAgentAPI
import FaultlineCore
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import X509

/// Serves `AgentRouter` over HTTP/1.1, with mutual TLS unless explicitly insecure.
///
/// Per connection, in pipeline order: the connection cap (`ConnectionLimiter`, checked
/// before any handler is added), TLS (the caller's certificate must chain to the CA),
/// `RequestDeadlineHandler` (handshake and whole-request deadlines), the HTTP codec, and
/// `AgentHTTPHandler` (body cap, caller's role, worker lane, response). Handlers that
/// touch the kernel run on bounded worker pools, never on the event loop, and health,
/// renewals and reverts have a lane of their own. `ServerLimits` holds every number.
public final class AgentServer: @unchecked Sendable {
    public let channel: Channel
    let group: EventLoopGroup
    let lanes: RequestLanes

    /// Binds and starts serving. `tls == nil` is the insecure mode (labs only), in which
    /// `bearerToken`, when set, must be presented as `Authorization: Bearer <token>`.
    /// `controllers` may use the connections `limits.controllerReserve` keeps back.
    public static func start(host: String, port: Int, router: AgentRouter, tls: NIOSSLContext?, bearerToken: String? = nil,
                             limits: ServerLimits = ServerLimits(), controllers: [String] = [],
                             denyList: CertificateDenyList = CertificateDenyList(),
                             group: EventLoopGroup, log: AgentLog) async throws -> AgentServer {
        let store = CertificateDenyListStore(fixed: denyList)
        return try await start(host: host, port: port, router: router, tls: tls, bearerToken: bearerToken, limits: limits,
                               controllers: controllers, denyList: store, group: group, log: log)
    }

    static func start(host: String, port: Int, router: AgentRouter, tls: NIOSSLContext?, bearerToken: String?,
                      limits: ServerLimits, controllers: [String], denyList: CertificateDenyListStore,
                      group: EventLoopGroup, log: AgentLog) async throws -> AgentServer {
        let limiter = ConnectionLimiter(limits: limits, controllers: controllers.compactMap { CIDR($0) })
        let throttle = AuditThrottle(log: log)
        let lanes = RequestLanes(limits: limits)
        let context = AgentHTTPHandler.Shared(router: router, secure: tls != nil, bearerToken: bearerToken, denyList: denyList,
                                              lanes: lanes, log: log, throttle: throttle)
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 1024)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                let peer = channel.remoteAddress?.ipAddress ?? "unknown"
                let peerText = channel.remoteAddress.map(Self.describe) ?? "unknown"
                if let refusal = limiter.admit(peer) {
                    throttle.line(kind: "connection-limit", level: .warning, "connection refused peer=\(peerText) reason=\(refusal)")
                    return channel.eventLoop.makeFailedFuture(ConnectionRefused())
                }
                channel.closeFuture.whenComplete { _ in limiter.release(peer) }
                return channel.eventLoop.makeCompletedFuture {
                    if let tls { try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tls)) }
                    try channel.pipeline.syncOperations.addHandler(RequestDeadlineHandler(limits: limits, secure: tls != nil) { reason in
                        throttle.line(kind: "deadline", level: .notice, "connection closed peer=\(peerText) reason=\(reason)")
                    })
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    try channel.pipeline.syncOperations.addHandler(AgentHTTPHandler(shared: context, peer: peerText))
                }
            }
        let channel = try await bootstrap.bind(host: host, port: port).get()
        return AgentServer(channel: channel, group: group, lanes: lanes)
    }

    struct ConnectionRefused: Error {}

    init(channel: Channel, group: EventLoopGroup, lanes: RequestLanes) { self.channel = channel; self.group = group; self.lanes = lanes }

    public var port: Int { channel.localAddress?.port ?? 0 }

    public func close() async throws {
        try await channel.close()
        lanes.stop()
    }

    /// `10.0.0.5:41234`, `[fd00::5]:41234`: the peer as audit lines name it.
    static func describe(_ address: SocketAddress) -> String {
        guard let ip = address.ipAddress else { return "\(address)" }
        let host = ip.contains(":") ? "[\(ip)]" : ip
        return address.port.map { "\(host):\($0)" } ?? host
    }
}

/// The two worker pools requests run on (see `AgentRouter.Lane`).
final class RequestLanes: Sendable {
    let control: BoundedWorkerPool
    let work: BoundedWorkerPool

    init(limits: ServerLimits) {
        control = BoundedWorkerPool(name: "faultline-control", threads: limits.controlThreads, queueLimit: limits.controlQueue)
        work = BoundedWorkerPool(name: "faultline-work", threads: limits.workThreads, queueLimit: limits.workQueue)
    }

    func pool(_ lane: AgentRouter.Lane) -> BoundedWorkerPool { lane == .control ? control : work }

    func stop() { control.stop(); work.stop() }
}

/// One connection: collects a request (bounded), decides whether the caller may call,
/// runs the router on the request's worker lane, writes the response.
final class AgentHTTPHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    /// What every connection's handler shares.
    struct Shared: Sendable {
        let router: AgentRouter
        let secure: Bool
        let bearerToken: String?
        let denyList: CertificateDenyListStore
        let lanes: RequestLanes
        let log: AgentLog
        let throttle: AuditThrottle
    }

    let shared: Shared
    /// The caller's address and port, named in every audit line about this connection.
    let peer: String
    private var head: HTTPRequestHead?
    private var body: [UInt8] = []
    private var tooLarge = false
    private var requests = 0
    /// The caller's certificate, parsed once per connection.
    private var certificate: Certificate?

    init(shared: Shared, peer: String) { self.shared = shared; self.peer = peer }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let h):
            head = h; body = []; tooLarge = false; requests += 1
        case .body(var buffer):
            if body.count + buffer.readableBytes > AgentRouter.maximumBodyBytes { tooLarge = true; return }
            body += buffer.readBytes(length: buffer.readableBytes) ?? []
        case .end:
            guard let head else { return }
            self.head = nil
            context.triggerUserOutboundEvent(RequestDeadlineHandler.Event.requestRead, promise: nil)
            let action = "\(head.method.rawValue) \(head.uri)"
            let caller: String
            switch authorize(context: context, head: head) {
            case .allowed(let name):
                caller = name
            case .refused(let name, let status, let reason):
                shared.log.notice("call peer=\(peer) caller=\(name) action=\(action) result=\(status) reason=\(reason)")
                write(context: context, head: head, response: .error(status, reason))
                return
            }
            if tooLarge {
                shared.log.warning("call peer=\(peer) caller=\(caller) action=\(action) result=413")
                write(context: context, head: head, response: .error(413, "request body over \(AgentRouter.maximumBodyBytes) bytes"))
                return
            }
            let request = AgentRouter.Request(method: head.method.rawValue, path: head.uri, body: body, caller: caller)
            let lane = AgentRouter.lane(method: request.method, path: request.path)
            let pool = shared.lanes.pool(lane)
            let router = shared.router, log = shared.log, peer = self.peer
            let loop = context.eventLoop
            let boxed = NIOLoopBound((self, context), eventLoop: loop)
            let queued = pool.submit {
                let response = router.handle(request)
                log.log(response.status >= 500 ? .warning : .info, "call peer=\(peer) caller=\(caller) action=\(action) result=\(response.status)")
                loop.execute {
                    let (handler, context) = boxed.value
                    handler.write(context: context, head: head, response: response)
                }
            }
            if !queued {
                let load = pool.load
                let reason = "agent busy: \(load.busy) \(lane.rawValue) requests running and \(load.waiting) waiting (at most \(pool.threads) and \(pool.queueLimit)); retry shortly"
                shared.throttle.line(kind: "busy-\(lane.rawValue)", level: .warning, "call peer=\(peer) caller=\(caller) action=\(action) result=503 reason=\(reason)")
                write(context: context, head: head, response: .error(503, reason))
            }
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        // A TLS error before any request is a refused handshake: no certificate, one from
        // another CA, one without clientAuth, a stalled or garbled ClientHello.
        if requests == 0 && (error is NIOSSLError || error is BoringSSLError) {
            shared.throttle.line(kind: "handshake", level: .notice, "refused handshake peer=\(peer) error=\(error)")
        } else {
            shared.throttle.line(kind: "connection-error", level: .info, "connection error peer=\(peer) error=\(error)")
        }
        context.close(promise: nil)
    }

    private enum Authorization {
        case allowed(String)
        case refused(caller: String, status: Int, reason: String)
    }

    /// With TLS, the certificate's role and the deny list (`CallerAuthorization`); in
    /// insecure mode, "insecure" or, with a token configured, whether it matches.
    private func authorize(context: ChannelHandlerContext, head: HTTPRequestHead) -> Authorization {
        if shared.secure {
            if certificate == nil,
               let handler = try? context.pipeline.syncOperations.handler(type: NIOSSLServerHandler.self),
               let der = try? handler.peerCertificate?.toDERBytes() {
                certificate = try? Certificate(derEncoded: der)
            }
            guard let certificate else { return .refused(caller: "unauthenticated", status: 401, reason: "no client certificate") }
            switch CallerAuthorization.decide(certificate, denyList: shared.denyList.current) {
            case .allowed(let caller): return .allowed(caller)
            case .refused(let caller, let reason): return .refused(caller: caller, status: 403, reason: reason)
            }
        }
        guard let token = shared.bearerToken else { return .allowed("insecure") }
        return head.headers.first(name: "authorization") == "Bearer \(token)"
            ? .allowed("insecure-token") : .refused(caller: "unauthenticated", status: 401, reason: "missing or wrong bearer token")
    }

    private func write(context: ChannelHandlerContext, head: HTTPRequestHead, response: AgentRouter.Response) {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: response.contentType)
        headers.add(name: "Content-Length", value: "\(response.body.count)")
        let keepAlive = head.isKeepAlive && response.status < 400
        headers.add(name: "Connection", value: keepAlive ? "keep-alive" : "close")
        let responseHead = HTTPResponseHead(version: head.version, status: .init(statusCode: response.status), headers: headers)
        context.write(wrapOutboundOut(.head(responseHead)), promise: nil)
        var buffer = context.channel.allocator.buffer(capacity: response.body.count)
        buffer.writeBytes(response.body)
        context.write(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
        let done = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        context.triggerUserOutboundEvent(RequestDeadlineHandler.Event.responseWritten, promise: nil)
        if !keepAlive { done.assumeIsolated().whenComplete { _ in context.close(promise: nil) } }
        if let faultID = response.checkManagementChannelFor, let socket = context.channel as? SocketOptionProvider {
            let router = shared.router, log = shared.log
            ManagementChannelCheck.run(socket: socket, eventLoop: context.eventLoop) { reached in
                guard !reached else { return }
                log.warning("management channel check failed after applying \(faultID): the caller's acknowledgements stopped arriving; reverting it")
                // Not a request, so not on a lane that may be full: a revert must always run.
                DispatchQueue.global().async { router.managementChannelLost(faultID: faultID) }
            }
        }
    }
}
