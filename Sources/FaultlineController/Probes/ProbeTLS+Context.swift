import FaultlineAgentAPI
import FaultlinePlan
import NIOSSL
import Synchronization

extension ProbeTLS {
    /// The client side of an `https://` probe: the plan's CA (or the system's roots),
    /// full verification of the server's chain and name unless `insecure-skip-verify`, and
    /// the client certificate when one is configured.
    ///
    /// Contexts are cached per configuration: a guard probing every 200 ms should not
    /// re-read and re-parse its PEM files each time.
    func clientContext() throws -> NIOSSLContext {
        if let cached = Self.contexts.withLock({ $0[self] }) { return cached }
        var config = TLSConfiguration.makeClientConfiguration()
        config.minimumTLSVersion = .tlsv12
        config.certificateVerification = insecureSkipVerify ? .none : .fullVerification
        if let ca { config.trustRoots = .certificates(try TLSFiles.load("CA certificate", ca) { try NIOSSLCertificate.fromPEMFile(ca) }) }
        if let certificate, let key {
            config.certificateChain = try TLSFiles.load("certificate", certificate) { try NIOSSLCertificate.fromPEMFile(certificate).map { .certificate($0) } }
            config.privateKey = .privateKey(try TLSFiles.load("private key", key) { try NIOSSLPrivateKey(file: key, format: .pem) })
        }
        let context = try NIOSSLContext(configuration: config)
        Self.contexts.withLock { $0[self] = context }
        return context
    }

    private static let contexts = Mutex<[ProbeTLS: NIOSSLContext]>([:])

    /// What the server's certificate was checked against, for failure messages.
    var trustDescription: String {
        if insecureSkipVerify { return "nothing (insecure-skip-verify)" }
        return ca.map { "the CA in \($0)" } ?? "the system's trusted roots"
    }
}
