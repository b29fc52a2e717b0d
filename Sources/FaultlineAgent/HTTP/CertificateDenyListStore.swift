import FaultlineAgentAPI
import Foundation

/// The deny list the agent enforces now, read from `path` at start and again on SIGHUP.
/// A reload that fails keeps the previous list (and says so): an unreadable file must not
/// silently re-admit what was revoked before. Thread-safe.
final class CertificateDenyListStore: @unchecked Sendable {
    let path: String?
    private let lock = NSLock()
    private var list = CertificateDenyList()

    /// `path == nil`: no TLS, nothing to deny. Throws when the file exists but is malformed.
    init(path: String?) throws {
        self.path = path
        if let path { list = try CertificateDenyList.load(path: path) }
    }

    /// A list that never changes (tests, and servers started without a file).
    init(fixed: CertificateDenyList) { path = nil; list = fixed }

    var current: CertificateDenyList { lock.withLock { list } }

    /// Reads the file again; answers what to log.
    func reload() -> String {
        guard let path else { return "SIGHUP: insecure mode, no certificate deny list to reload" }
        do {
            let fresh = try CertificateDenyList.load(path: path)
            lock.withLock { list = fresh }
            return "certificate deny list \(path) reloaded: \(fresh.serials.count) revoked serial\(fresh.serials.count == 1 ? "" : "s")"
        } catch {
            return "certificate deny list \(path) NOT reloaded, keeping the previous \(current.serials.count) serials: \(error)"
        }
    }
}
