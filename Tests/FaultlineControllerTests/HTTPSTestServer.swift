import FaultlineAgentAPI
import FaultlineTestSupport
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// Certificates for one HTTPS test, minted in-process by `CertificateAuthority` and written
/// as PEM files into a temporary directory (the plan names files): two unrelated CAs, a
/// server certificate for 127.0.0.1 and `localhost`, one for another name only, a client
/// (controller) certificate, and one from the unrelated CA. `remove()` deletes the directory.
final class HTTPSTestPKI: Sendable {
    let directory: TemporaryDirectory
    var path: String { directory.path }
    var ca: String { path + "/ca.pem" }
    var otherCA: String { path + "/other-ca.pem" }
    var server: (certificate: String, key: String) { (path + "/server.pem", path + "/server-key.pem") }
    var elsewhere: (certificate: String, key: String) { (path + "/elsewhere.pem", path + "/elsewhere-key.pem") }
    var client: (certificate: String, key: String) { (path + "/client.pem", path + "/client-key.pem") }
    /// A client certificate from the unrelated CA.
    var strangerClient: (certificate: String, key: String) { (path + "/stranger.pem", path + "/stranger-key.pem") }

    init() throws {
        directory = try TemporaryDirectory("https")
        do {
            let ca = try CertificateAuthority.create(name: "fl https test CA", years: 1)
            let other = try CertificateAuthority.create(name: "fl unrelated CA", years: 1)
            try CertificateAuthority.pem(ca.certificate).write(toFile: self.ca, atomically: true, encoding: .utf8)
            try CertificateAuthority.pem(other.certificate).write(toFile: otherCA, atomically: true, encoding: .utf8)
            let issued = [
                (try ca.issue(role: .agent, name: "localhost", ipAddresses: ["127.0.0.1"], days: 1), server),
                (try ca.issue(role: .agent, name: "fl-elsewhere.invalid", ipAddresses: ["127.0.0.2"], days: 1), elsewhere),
                (try ca.issue(role: .controller, name: "fl-probe-client", days: 1), client),
                (try other.issue(role: .controller, name: "fl-stranger", days: 1), strangerClient),
            ]
            for (pair, files) in issued {
                try CertificateAuthority.pem(pair.certificate).write(toFile: files.certificate, atomically: true, encoding: .utf8)
                try CertificateAuthority.pem(pair.key).write(toFile: files.key, atomically: true, encoding: .utf8)
            }
        } catch {
            directory.remove()
            throw error
        }
    }

    func remove() { directory.remove() }
}

/// A real HTTPS server on 127.0.0.1 (NIO + NIOSSL) answering every request with 200 and
/// `fl-https ok; client certificate: yes|no`, so a test can see whether the probe
/// presented one. Client certificates are demanded (`required`), accepted if offered and
/// checked against the CA (`optional`), or not asked for (`none`).
final class HTTPSTestServer: Sendable {
    enum ClientCertificates { case none, optional, required }

    let channel: Channel
    var port: Int { channel.localAddress?.port ?? 0 }

    init(certificate: String, key: String, clientCA: String, clients: ClientCertificates) async throws {
        var config = TLSConfiguration.makeServerConfiguration(
            certificateChain: try NIOSSLCertificate.fromPEMFile(certificate).map { .certificate($0) },
            privateKey: .privateKey(try NIOSSLPrivateKey(file: key, format: .pem)))
        switch clients {
        case .none: config.certificateVerification = .none
        case .optional: config.certificateVerification = .optionalVerification
        case .required: config.certificateVerification = .noHostnameVerification
        }
        config.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(clientCA))
        let context = try NIOSSLContext(configuration: config)
        channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { child in
                child.eventLoop.makeCompletedFuture {
                    try child.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: context))
                    try child.pipeline.syncOperations.configureHTTPServerPipeline()
                    try child.pipeline.syncOperations.addHandler(HTTPSTestResponder())
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
    }

    func stop() { try? channel.close().wait() }
}

final class HTTPSTestResponder: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .end = unwrapInboundIn(data) else { return }
        let presented = (try? context.pipeline.syncOperations.handler(type: NIOSSLServerHandler.self))?.peerCertificate != nil
        let body = "fl-https ok; client certificate: \(presented ? "yes" : "no")\n"
        var headers = HTTPHeaders()
        headers.add(name: "Content-Length", value: String(body.utf8.count))
        headers.add(name: "Connection", value: "close")
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(string: body)))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in context.close(promise: nil) }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) { context.close(promise: nil) }
}
