import FaultlineAgentAPI
import FaultlinePlan
import Foundation

/// The lab's certificate authority, made fresh by every `lab up` and thrown away by
/// `lab down`: one agent certificate per host (its name and address as subject
/// alternative names, so the controller checks it reached the host it meant) and one
/// controller certificate. Keys are written with mode 0600.
public enum LabPKI {
    public static func directory(_ labDirectory: String) -> String { labDirectory + "/pki" }

    /// The controller's files, for `HTTPAgentClient` and for plans run against the lab.
    public static func controllerFiles(_ labDirectory: String) -> TLSFiles {
        let d = directory(labDirectory)
        return TLSFiles(ca: d + "/ca.pem", certificate: d + "/controller.pem", key: d + "/controller-key.pem")
    }

    public static func agentFiles(_ labDirectory: String, host: String) -> TLSFiles {
        let d = directory(labDirectory)
        return TLSFiles(ca: d + "/ca.pem", certificate: d + "/\(host).pem", key: d + "/\(host)-key.pem")
    }

    static func create(_ labDirectory: String, addressing: LabAddressing, hosts: Int, guests: Int = 0) throws {
        let d = directory(labDirectory)
        try LabFiles.makeDirectory(d)
        let ca = try CertificateAuthority.create(name: "Faultline lab \(addressing.name) CA", years: 1)
        try LabFiles.write(try CertificateAuthority.pem(ca.certificate), to: d + "/ca.pem")
        try LabFiles.write(CertificateAuthority.pem(ca.privateKey), to: d + "/ca-key.pem", mode: 0o600)
        for i in 1...hosts {
            let host = addressing.hostName(i)
            let leaf = try ca.issue(role: .agent, name: host, dnsNames: [addressing.namespace(ofHost: i)],
                                    ipAddresses: [addressing.address(ofHost: i), "127.0.0.1"], days: 30)
            let files = agentFiles(labDirectory, host: host)
            try LabFiles.write(try CertificateAuthority.pem(leaf.certificate), to: files.certificate)
            try LabFiles.write(CertificateAuthority.pem(leaf.key), to: files.key, mode: 0o600)
        }
        for i in stride(from: 1, through: guests, by: 1) {
            let guest = addressing.guestName(i)
            let leaf = try ca.issue(role: .agent, name: guest, dnsNames: [guest], ipAddresses: [addressing.address(ofGuest: i)], days: 30)
            let files = agentFiles(labDirectory, host: guest)
            try LabFiles.write(try CertificateAuthority.pem(leaf.certificate), to: files.certificate)
            try LabFiles.write(CertificateAuthority.pem(leaf.key), to: files.key, mode: 0o600)
        }
        let controller = try ca.issue(role: .controller, name: "controller", ipAddresses: [addressing.bridgeAddress], days: 30)
        let files = controllerFiles(labDirectory)
        try LabFiles.write(try CertificateAuthority.pem(controller.certificate), to: files.certificate)
        try LabFiles.write(CertificateAuthority.pem(controller.key), to: files.key, mode: 0o600)
    }
}
