import FaultlineAgentAPI
import X509

/// Who may call the API: with mutual TLS, a controller certificate and nothing else.
///
/// The handshake already proved the certificate chains to the installation's CA (and
/// BoringSSL refuses one whose extendedKeyUsage excludes clientAuth). This decides the
/// role: `faultline certs` gives controllers clientAuth only and agents serverAuth only;
/// a certificate carrying serverAuth is an agent's (older agent certificates carried
/// both) and may not apply or halt anything anywhere. Then the deny list.
enum CallerAuthorization {
    enum Decision: Equatable, Sendable {
        case allowed(caller: String)
        /// 403: the certificate is genuine but may not call.
        case refused(caller: String, reason: String)
    }

    static func decide(_ certificate: Certificate, denyList: CertificateDenyList) -> Decision {
        let caller = commonName(certificate)
        let usages: ExtendedKeyUsage?
        do { usages = try certificate.extensions.extendedKeyUsage } catch {
            return .refused(caller: caller, reason: "the certificate's extendedKeyUsage cannot be read: \(error)")
        }
        guard let usages, usages.contains(.clientAuth) else {
            return .refused(caller: caller, reason: "the certificate lacks extendedKeyUsage clientAuth: only controller certificates (`faultline certs issue controller NAME`) may call the API")
        }
        if usages.contains(.serverAuth) {
            return .refused(caller: caller, reason: "an agent certificate (extendedKeyUsage serverAuth) may not call the API: only controller certificates (`faultline certs issue controller NAME`) may")
        }
        if denyList.contains(certificate.serialNumber) {
            return .refused(caller: caller, reason: "certificate serial \(CertificateDenyList.canonical(certificate.serialNumber)) is revoked")
        }
        return .allowed(caller: caller)
    }

    /// The common name is what `faultline certs issue controller NAME` put there.
    static func commonName(_ certificate: Certificate) -> String {
        let names = certificate.subject.flatMap { $0 }.filter { $0.type == .RDNAttributeType.commonName }
        return names.first.map { "\($0.value)" } ?? certificate.subject.description
    }
}
