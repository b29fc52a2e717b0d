#if canImport(Glibc)
import Glibc
#endif
import NIOSSL

/// The three PEM files mutual TLS needs on either side: the installation's CA, this
/// party's certificate and its key (`faultline certs init` / `issue` write them).
public struct TLSFiles: Sendable, Hashable, Codable {
    public var ca: String
    public var certificate: String
    public var key: String
    public init(ca: String, certificate: String, key: String) { self.ca = ca; self.certificate = certificate; self.key = key }

    /// The agent's side: present our certificate, demand one from the caller that chains
    /// to the CA. Callers are identified by certificate, not by name, hence no hostname check.
    public func serverContext() throws -> NIOSSLContext {
        var config = TLSConfiguration.makeServerConfiguration(certificateChain: try chain(), privateKey: .privateKey(try privateKey()))
        config.minimumTLSVersion = .tlsv12
        config.certificateVerification = .noHostnameVerification
        config.trustRoots = .certificates(try Self.load("CA certificate", ca) { try NIOSSLCertificate.fromPEMFile(ca) })
        return try NIOSSLContext(configuration: config)
    }

    /// The controller's side: trust only the CA (not the system's roots) and check that
    /// the agent's certificate names the host or address we meant to reach.
    public func clientContext() throws -> NIOSSLContext {
        var config = TLSConfiguration.makeClientConfiguration()
        config.minimumTLSVersion = .tlsv12
        config.certificateChain = try chain()
        config.privateKey = .privateKey(try privateKey())
        config.trustRoots = .certificates(try Self.load("CA certificate", ca) { try NIOSSLCertificate.fromPEMFile(ca) })
        config.certificateVerification = .fullVerification
        return try NIOSSLContext(configuration: config)
    }

    private func chain() throws -> [NIOSSLCertificateSource] {
        try Self.load("certificate", certificate) { try NIOSSLCertificate.fromPEMFile(certificate).map { .certificate($0) } }
    }
    private func privateKey() throws -> NIOSSLPrivateKey {
        try Self.load("private key", key) { try NIOSSLPrivateKey(file: key, format: .pem) }
    }

    /// Loads one PEM file, naming it and what is wrong in words (NIOSSL says
    /// `failedToLoadCertificate` without a path; Foundation a Cocoa error dump).
    public static func load<T>(_ what: String, _ path: String, _ body: () throws -> T) throws -> T {
        if access(path, F_OK) != 0 {
            throw TLSFileError(description: "the \(what) \(path) does not exist (`faultline certs init` and `certs issue` write these files)")
        }
        if access(path, R_OK) != 0 {
            throw TLSFileError(description: "the \(what) \(path) cannot be read: \(String(cString: strerror(errno)))")
        }
        do { return try body() } catch {
            throw TLSFileError(description: "the \(what) \(path) is not a usable PEM \(what) (\(error))")
        }
    }
}

/// A TLS file that is missing, unreadable or not what it should be, with its path.
public struct TLSFileError: Error, Sendable, CustomStringConvertible {
    public var description: String
}
