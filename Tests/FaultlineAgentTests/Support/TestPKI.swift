import FaultlineAgentAPI
import FaultlineTestSupport
import Foundation
import NIOSSL

/// Certificates for one test: the agent's CA with an agent and a controller certificate,
/// and a second, unrelated CA with a controller certificate of its own (a stranger).
/// `issue` makes more from the same CA.
struct TestPKI {
    enum Credentials {
        case controller, stranger, none
        /// The agent's own certificate, presented as a caller.
        case agent
        /// Other files (from `issue`, or made by openssl).
        case files(TLSFiles)
    }

    let directory: String
    let ca: CertificateAuthority

    let caPath: String
    let agentCertificatePath: String
    let agentKeyPath: String
    let controllerCertificatePath: String
    let controllerKeyPath: String
    let strangerCAPath: String
    let strangerCertificatePath: String
    let strangerKeyPath: String

    init(directory: String, agentAddress: String) throws {
        func write(_ text: String, _ name: String) throws -> String {
            let path = directory + "/" + name
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            return path
        }
        let ca = try CertificateAuthority.create(name: "test CA")
        self.directory = directory
        self.ca = ca
        let agent = try ca.issue(role: .agent, name: agentAddress, ipAddresses: [agentAddress])
        let controller = try ca.issue(role: .controller, name: "test-controller")
        let strangerCA = try CertificateAuthority.create(name: "stranger CA")
        let stranger = try strangerCA.issue(role: .controller, name: "stranger")
        caPath = try write(CertificateAuthority.pem(ca.certificate), "ca.pem")
        agentCertificatePath = try write(CertificateAuthority.pem(agent.certificate), "agent.pem")
        agentKeyPath = try write(CertificateAuthority.pem(agent.key), "agent-key.pem")
        controllerCertificatePath = try write(CertificateAuthority.pem(controller.certificate), "controller.pem")
        controllerKeyPath = try write(CertificateAuthority.pem(controller.key), "controller-key.pem")
        strangerCAPath = try write(CertificateAuthority.pem(strangerCA.certificate), "stranger-ca.pem")
        strangerCertificatePath = try write(CertificateAuthority.pem(stranger.certificate), "stranger.pem")
        strangerKeyPath = try write(CertificateAuthority.pem(stranger.key), "stranger-key.pem")
    }

    /// A further certificate from the test CA, written as NAME.pem and NAME-key.pem.
    func issue(_ role: CertificateAuthority.Role, name: String) throws -> TLSFiles {
        let leaf = try ca.issue(role: role, name: name)
        let files = TLSFiles(ca: caPath, certificate: directory + "/\(name).pem", key: directory + "/\(name)-key.pem")
        try CertificateAuthority.pem(leaf.certificate).write(toFile: files.certificate, atomically: true, encoding: .utf8)
        try CertificateAuthority.pem(leaf.key).write(toFile: files.key, atomically: true, encoding: .utf8)
        return files
    }

    /// A certificate from the test CA with extendedKeyUsage serverAuth and clientAuth, as
    /// `faultline certs issue agent` made them before agents became serve-only. Signed by
    /// openssl (test scaffolding) so the product's CA code cannot make one by accident.
    func issueLegacyAgent(name: String) throws -> TLSFiles {
        let caKey = directory + "/ca-key-for-openssl.pem", extensions = directory + "/\(name).ext"
        try CertificateAuthority.pem(ca.privateKey).write(toFile: caKey, atomically: true, encoding: .utf8)
        try "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth,clientAuth\n"
            .write(toFile: extensions, atomically: true, encoding: .utf8)
        let files = TLSFiles(ca: caPath, certificate: directory + "/\(name).pem", key: directory + "/\(name)-key.pem")
        try TestHostNamespace.run(["/usr/bin/openssl", "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                                   "-keyout", files.key, "-subj", "/CN=\(name)/O=Faultline agent", "-out", directory + "/\(name).csr"])
        try TestHostNamespace.run(["/usr/bin/openssl", "x509", "-req", "-in", directory + "/\(name).csr", "-CA", caPath, "-CAkey", caKey,
                                   "-CAcreateserial", "-days", "2", "-sha256", "-extfile", extensions, "-out", files.certificate])
        return files
    }

    func clientContext(_ credentials: Credentials) throws -> NIOSSLContext {
        switch credentials {
        case .controller:
            return try TLSFiles(ca: caPath, certificate: controllerCertificatePath, key: controllerKeyPath).clientContext()
        case .stranger:
            // Trusts the agent's CA (so the handshake gets as far as the client certificate)
            // but presents a certificate from another CA.
            return try TLSFiles(ca: caPath, certificate: strangerCertificatePath, key: strangerKeyPath).clientContext()
        case .agent:
            return try TLSFiles(ca: caPath, certificate: agentCertificatePath, key: agentKeyPath).clientContext()
        case .files(let files):
            return try files.clientContext()
        case .none:
            var config = TLSConfiguration.makeClientConfiguration()
            config.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(caPath))
            return try NIOSSLContext(configuration: config)
        }
    }
}
