import Crypto
import Foundation
import SwiftASN1
import X509

/// Makes the certificates Faultline's mutual TLS runs on: one CA per installation, and
/// leaf certificates for agents (serverAuth only: an agent serves, it never calls another
/// agent) and controllers (clientAuth only). Agents refuse a caller whose certificate is
/// not a controller's.
///
/// Keys are ECDSA P-256. Leaves carry the host's name and addresses as subject
/// alternative names, so controllers verify the agent they meant to reach; agents verify
/// only that a caller's certificate chains to the CA (and log its common name).
public struct CertificateAuthority: Sendable {
    public let certificate: Certificate
    public let privateKey: P256.Signing.PrivateKey

    public enum Role: String, Sendable, CaseIterable {
        case agent, controller

        /// What the role's certificate may be used for, and nothing more.
        public var extendedKeyUsage: [ExtendedKeyUsage.Usage] { self == .agent ? [.serverAuth] : [.clientAuth] }
    }

    /// A new CA valid for `years`.
    public static func create(name: String = "Faultline CA", years: Int = 10, now: Date = Date()) throws -> CertificateAuthority {
        let key = P256.Signing.PrivateKey()
        let subject = try DistinguishedName { CommonName(name); OrganizationName("Faultline") }
        let certificate = try Certificate(
            version: .v3,
            serialNumber: Certificate.SerialNumber(),
            publicKey: .init(key.publicKey),
            notValidBefore: now.addingTimeInterval(-300),
            notValidAfter: now.addingTimeInterval(Double(years) * 365 * 86_400),
            issuer: subject,
            subject: subject,
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
                Critical(KeyUsage(keyCertSign: true, cRLSign: true))
                SubjectKeyIdentifier(hash: .init(key.publicKey))
            },
            issuerPrivateKey: .init(key)
        )
        return CertificateAuthority(certificate: certificate, privateKey: key)
    }

    public init(certificate: Certificate, privateKey: P256.Signing.PrivateKey) {
        self.certificate = certificate
        self.privateKey = privateKey
    }

    /// Loads a CA written by `pem()`.
    public init(certificatePEM: String, keyPEM: String) throws {
        certificate = try Certificate(pemEncoded: certificatePEM)
        privateKey = try P256.Signing.PrivateKey(pemRepresentation: keyPEM)
    }

    /// Issues a leaf certificate for `name`, valid for `days`, with DNS and IP subject
    /// alternative names.
    public func issue(role: Role, name: String, dnsNames: [String] = [], ipAddresses: [String] = [],
                      days: Int = 365, now: Date = Date()) throws -> (certificate: Certificate, key: P256.Signing.PrivateKey) {
        let key = P256.Signing.PrivateKey()
        let subject = try DistinguishedName { CommonName(name); OrganizationName("Faultline \(role.rawValue)") }
        var names: [GeneralName] = ([name] + dnsNames).filter { IPAddressText.bytes($0) == nil }.map { .dnsName($0) }
        for ip in ipAddresses + [name] { if let bytes = IPAddressText.bytes(ip) { names.append(.ipAddress(ASN1OctetString(contentBytes: ArraySlice(bytes)))) } }
        let usage = try ExtendedKeyUsage(role.extendedKeyUsage)
        let certificate = try Certificate(
            version: .v3,
            serialNumber: Certificate.SerialNumber(),
            publicKey: .init(key.publicKey),
            notValidBefore: now.addingTimeInterval(-300),
            notValidAfter: now.addingTimeInterval(Double(days) * 86_400),
            issuer: self.certificate.subject,
            subject: subject,
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                Critical(KeyUsage(digitalSignature: true, keyEncipherment: true))
                usage
                SubjectAlternativeNames(names)
                AuthorityKeyIdentifier(keyIdentifier: try self.certificate.extensions.subjectKeyIdentifier?.keyIdentifier)
            },
            issuerPrivateKey: .init(privateKey)
        )
        return (certificate, key)
    }

    public static func pem(_ certificate: Certificate) throws -> String { try certificate.serializeAsPEM().pemString }
    public static func pem(_ key: P256.Signing.PrivateKey) -> String { key.pemRepresentation }
}

/// Parses dotted IPv4 and colon IPv6 text into bytes, for subject alternative names.
public enum IPAddressText {
    public static func isAddress(_ text: String) -> Bool { bytes(text) != nil }

    static func bytes(_ text: String) -> [UInt8]? {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 { return withUnsafeBytes(of: &v4) { Array($0) } }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 { return withUnsafeBytes(of: &v6) { Array($0) } }
        return nil
    }
}
