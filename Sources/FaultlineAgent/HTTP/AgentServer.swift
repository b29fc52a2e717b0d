import FaultlineAgentAPI
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import X509

/// Serves `AgentRouter` over HTTP/1.1, with mutual TLS unless explicitly insecure.
///
/// With TLS, a caller must present a certificate that chains to the agent's CA; without
/// one the handshake fails and no request is read. Bodies over 64 KiB get a 413, idle or
/// slow connections are closed after 10 s, and handlers that touch the kernel run off
/// the event loop so one slow revert never stalls other callers.
public final class AgentServer: @unchecked Sendable {
    public let channel: Channel
    let group: EventLoopGroup

    /// Binds and starts serving. `tls == nil` is the insecure mode (labs only), in which
    /// `bearerToken`, when set, must be presented as `Authorization: Bearer <token>`.
    public static func start(host: String, port: Int, router: AgentRouter, tls: NIOSSLContext?, bearerToken: String? = nil,
                             group: EventLoopGroup, audit: @escaping @Sendable (String) -> Void) async throws -> AgentServer {
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let tls { try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tls)) }
                    try channel.pipeline.syncOperations.addHandler(IdleStateHandler(readTimeout: .seconds(10)))
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    try channel.pipeline.syncOperations.addHandler(
                        AgentHTTPHandler(router: router, secure: tls != nil, bearerToken: bearerToken, audit: audit))
                }
            }
        let channel = try await bootstrap.bind(host: host, port: port).get()
        return AgentServer(channel: channel, group: group)
    }

    init(channel: Channel, group: EventLoopGroup) { self.channel = channel; self.group = group }

    public var port: Int { channel.localAddress?.port ?? 0 }

    public func close() async throws { try await channel.close() }
}

/// One connection: collects a request (bounded), authenticates the caller, runs the
/// router on a background queue, writes the response.
final class AgentHTTPHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    let router: AgentRouter
    let secure: Bool
    let bearerToken: String?
    let audit: @Sendable (String) -> Void
    private var head: HTTPRequestHead?
    private var body: [UInt8] = []
    private var tooLarge = false

    init(router: AgentRouter, secure: Bool, bearerToken: String?, audit: @escaping @Sendable (String) -> Void) {
        self.router = router; self.secure = secure; self.bearerToken = bearerToken; self.audit = audit
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let h):
            head = h; body = []; tooLarge = false
        case .body(var buffer):
            if body.count + buffer.readableBytes > AgentRouter.maximumBodyBytes { tooLarge = true; return }
            body += buffer.readBytes(length: buffer.readableBytes) ?? []
        case .end:
            guard let head else { return }
            self.head = nil
            let caller = callerIdentity(context: context, head: head)
            if tooLarge {
                write(context: context, head: head, response: .error(413, "request body over \(AgentRouter.maximumBodyBytes) bytes"))
                return
            }
            guard let caller else {
                audit("call caller=unauthenticated action=\(head.method.rawValue) \(head.uri) result=401")
                write(context: context, head: head, response: .error(401, "missing or wrong bearer token"))
                return
            }
            let request = AgentRouter.Request(method: head.method.rawValue, path: head.uri, body: body, caller: caller)
            let router = self.router, audit = self.audit
            let loop = context.eventLoop
            let boxed = NIOLoopBound((self, context), eventLoop: loop)
            DispatchQueue.global().async {
                let response = router.handle(request)
                audit("call caller=\(caller) action=\(request.method) \(request.path) result=\(response.status)")
                loop.execute {
                    let (handler, context) = boxed.value
                    handler.write(context: context, head: head, response: response)
                }
            }
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is IdleStateHandler.IdleStateEvent { context.close(promise: nil) } else { context.fireUserInboundEventTriggered(event) }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        audit("connection error=\(error)")
        context.close(promise: nil)
    }

    /// The certificate's common name with TLS; in insecure mode, "insecure" if the token matches.
    private func callerIdentity(context: ChannelHandlerContext, head: HTTPRequestHead) -> String? {
        if secure {
            guard let handler = try? context.pipeline.syncOperations.handler(type: NIOSSLServerHandler.self),
                  let peer = handler.peerCertificate,
                  let der = try? peer.toDERBytes(),
                  let certificate = try? Certificate(derEncoded: der) else { return nil }
            // The common name is what `faultline certs issue controller NAME` put there.
            let commonNames = certificate.subject.flatMap { $0 }.filter { $0.type == .RDNAttributeType.commonName }
            return commonNames.first.map { "\($0.value)" } ?? certificate.subject.description
        }
        guard let token = bearerToken else { return "insecure" }
        return head.headers.first(name: "authorization") == "Bearer \(token)" ? "insecure-token" : nil
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
        if !keepAlive { done.whenComplete { _ in context.close(promise: nil) } }
        if let faultID = response.checkManagementChannelFor, let socket = context.channel as? SocketOptionProvider {
            let router = self.router, audit = self.audit
            ManagementChannelCheck.run(socket: socket, eventLoop: context.eventLoop) { reached in
                guard !reached else { return }
                audit("management channel check failed after applying \(faultID): the caller's acknowledgements stopped arriving; reverting it")
                DispatchQueue.global().async { router.managementChannelLost(faultID: faultID) }
            }
        }
    }
}
