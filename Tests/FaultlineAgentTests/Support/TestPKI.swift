import FaultlineAgentAPI
import Foundation
import NIOSSL

/// Certificates for one test: the agent's CA with an agent and a controller certificate,
/// and a second, unrelated CA with a controller certificate of its own (a stranger).
struct TestPKI {
    enum Credentials { case controller, stranger, none }

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

    func clientContext(_ credentials: Credentials) throws -> NIOSSLContext {
        switch credentials {
        case .controller:
            return try TLSFiles(ca: caPath, certificate: controllerCertificatePath, key: controllerKeyPath).clientContext()
        case .stranger:
            // Trusts the agent's CA (so the handshake gets as far as the client certificate)
            // but presents a certificate from another CA.
            return try TLSFiles(ca: caPath, certificate: strangerCertificatePath, key: strangerKeyPath).clientContext()
        case .none:
            var config = TLSConfiguration.makeClientConfiguration()
            config.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(caPath))
            return try NIOSSLContext(configuration: config)
        }
    }
}
