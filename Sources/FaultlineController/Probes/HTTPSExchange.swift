import FaultlineAgentAPI
import FaultlineCore
import FaultlinePlan
import FaultlineWorkloads
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// One HTTPS request of a probe, over NIO and NIOSSL (as `HTTPAgentClient` talks to
/// agents), on a fresh connection that is closed afterwards.
///
/// The probe's timeout bounds connect, handshake, send and receive together: a timer on
/// the channel's event loop fails the answer and closes the channel when it runs out, so
/// a silent server costs exactly the timeout. Failures are worded for the journal: which
/// check refused the server (trust, name, client certificate) rather than a TLS alert code.
enum HTTPSExchange {
    static func request(_ method: String, _ url: ProbeURL, shown: String, headers: [(String, String)], body: [UInt8],
                        tls: ProbeTLS, timeoutSeconds: Double,
                        group: EventLoopGroup = MultiThreadedEventLoopGroup.singleton) async -> Result<(HTTPResponse, Double), HTTPProbeRunner.Problem> {
        let started = Monotonic.seconds()
        func problem(_ detail: String) -> Result<(HTTPResponse, Double), HTTPProbeRunner.Problem> {
            .failure(HTTPProbeRunner.Problem(detail: "\(method) \(shown): \(detail)", seconds: Monotonic.seconds() - started))
        }
        let context: NIOSSLContext
        do { context = try tls.clientContext() } catch { return problem("cannot set up TLS: \(error)") }
        let timeout = TimeAmount.nanoseconds(Int64(timeoutSeconds * 1e9))
        // A name is sent as SNI and checked against the certificate's DNS names; an address
        // is not sent (SNI forbids it) and NIOSSL checks it against the IP addresses.
        let serverName: String? = IPAddressText.isAddress(url.host) ? nil : url.host
        let loop = group.next()
        let answer = loop.makePromise(of: HTTPResponse.self)
        let bootstrap = ClientBootstrap(group: loop)
            .connectTimeout(timeout)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(try NIOSSLClientHandler(context: context, serverHostname: serverName))
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(HTTPSResponseCollector(answer))
                }
            }
        let channel: Channel
        do {
            channel = try await bootstrap.connect(host: url.host, port: Int(url.port)).get()
        } catch {
            answer.fail(error)
            return problem("connect to \(url.host):\(url.port): \(describe(connectError: error))")
        }
        defer { channel.close(promise: nil) }
        let remaining = max(0, timeoutSeconds - (Monotonic.seconds() - started))
        let timer = loop.scheduleTask(in: .nanoseconds(Int64(remaining * 1e9))) {
            answer.fail(TimedOut(seconds: timeoutSeconds))
            channel.close(promise: nil)
        }
        answer.futureResult.whenComplete { _ in timer.cancel() }

        var fields = HTTPHeaders()
        let authority = url.host.contains(":") ? "[\(url.host)]" : url.host
        fields.add(name: "Host", value: url.port == 443 ? authority : "\(authority):\(url.port)")
        for (name, value) in headers { fields.add(name: name, value: value) }
        fields.add(name: "Content-Length", value: String(body.count))
        fields.add(name: "Connection", value: "close")
        let head = HTTPRequestHead(version: .http1_1, method: HTTPMethod(rawValue: method), uri: url.target, headers: fields)
        channel.write(HTTPClientRequestPart.head(head), promise: nil)
        if !body.isEmpty { channel.write(HTTPClientRequestPart.body(.byteBuffer(channel.allocator.buffer(bytes: body))), promise: nil) }
        channel.writeAndFlush(HTTPClientRequestPart.end(nil)).whenFailure { answer.fail($0) }
        do {
            let response = try await answer.futureResult.get()
            return .success((response, Monotonic.seconds() - started))
        } catch {
            return problem(describe(error, tls: tls, host: url.host))
        }
    }

    struct TimedOut: Error, CustomStringConvertible {
        var seconds: Double
        var description: String { "no complete answer within \(TimeSpan(nanoseconds: Int64(seconds * 1e9)))" }
    }

    static func describe(connectError error: Error) -> String {
        if let e = error as? NIOConnectionError {
            let reasons = e.connectionErrors.map { "\($0.error)" }
            if !reasons.isEmpty { return Array(Set(reasons)).sorted().joined(separator: "; ") }
            if let dns = e.dnsAError ?? e.dnsAAAAError { return "cannot resolve \(e.host): \(dns)" }
        }
        if case .connectTimeout(let t)? = error as? ChannelError {
            return "timed out after \(TimeSpan(nanoseconds: t.nanoseconds))"
        }
        return "\(error)"
    }

    /// Pure: a TLS or HTTP failure in words that say which check failed.
    static func describe(_ error: Error, tls: ProbeTLS, host: String) -> String {
        if let extra = error as? NIOSSLExtraError, extra == .failedToValidateHostname {
            return "TLS: the server's certificate does not name '\(host)'"
        }
        let text = reasonCodes(in: "\(error)") ?? "\(error)"
        if text.contains("CERTIFICATE_VERIFY_FAILED") {
            return "TLS: the server's certificate is not trusted: it does not chain to \(tls.trustDescription) (\(text))"
        }
        // Servers word a missing or rejected client certificate differently: BoringSSL
        // sends CERTIFICATE_REQUIRED, Go (Prometheus, etcd) BAD_CERTIFICATE.
        let clientRefused = ["CERTIFICATE_REQUIRED", "ALERT_BAD_CERTIFICATE", "ALERT_UNKNOWN_CA", "HANDSHAKE_FAILURE"].contains { text.contains($0) }
        if clientRefused {
            guard let certificate = tls.certificate else {
                return "TLS: the server demands a client certificate and none is configured (set tls.certificate and tls.key) (\(text))"
            }
            if text.contains("HANDSHAKE_FAILURE") { return "TLS: the server refused the handshake (\(text))" }
            return "TLS: the server refused our client certificate \(certificate) (\(text))"
        }
        if case ChannelError.eof? = error as? ChannelError { return "the connection closed before a complete answer" }
        if let ssl = error as? NIOSSLError { return "TLS: \(ssl)" }
        return text
    }
}

extension HTTPSExchange {
    /// BoringSSL's reason codes in an error's text ("CERTIFICATE_VERIFY_FAILED"), without
    /// the numbers and source paths around them; nil when there are none.
    static func reasonCodes(in text: String) -> String? {
        var codes: [String] = []
        var rest = Substring(text)
        while let marker = rest.range(of: "OPENSSL_internal:") {
            let code = rest[marker.upperBound...].prefix { $0.isUppercase || $0.isNumber || $0 == "_" }
            if !code.isEmpty, !codes.contains(String(code)) { codes.append(String(code)) }
            rest = rest[marker.upperBound...]
        }
        return codes.isEmpty ? nil : codes.joined(separator: ", ")
    }
}

/// Collects the one response of an `HTTPSExchange` into its promise; the channel's end
/// or an error before the response is complete fails it.
final class HTTPSResponseCollector: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = HTTPClientResponsePart
    private let answer: EventLoopPromise<HTTPResponse>
    private var head: HTTPResponseHead?
    private var body: [UInt8] = []

    init(_ answer: EventLoopPromise<HTTPResponse>) { self.answer = answer }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let h): head = h
        case .body(var buffer): body += buffer.readBytes(length: buffer.readableBytes) ?? []
        case .end:
            guard let head else { return }
            answer.succeed(HTTPResponse(status: Int(head.status.code), reason: head.status.reasonPhrase,
                                        headers: head.headers.map { ($0.name, $0.value) }, body: body))
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        answer.fail(ChannelError.eof)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        answer.fail(error)
        context.close(promise: nil)
    }
}
