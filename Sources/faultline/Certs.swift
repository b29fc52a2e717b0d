import ArgumentParser
import FaultlineAgentAPI
import Foundation

/// `faultline certs init` / `faultline certs issue agent|controller NAME`: the certificates
/// Faultline's mutual TLS runs on, made in-process (swift-certificates), no openssl needed.
struct Certs: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "certs",
        abstract: "Make the CA and the agent and controller certificates for mutual TLS.",
        discussion: """
        One CA per installation; every agent gets a certificate naming its host (and \
        addresses) for serving only (extendedKeyUsage serverAuth), every controller one of \
        its own for calling (clientAuth). Agents refuse callers whose certificate does not \
        chain to their CA, is not a controller's, or is revoked. Keys are written with mode 0600.

        Examples:
          faultline certs init --dir /etc/faultline/pki
          faultline certs issue agent db-1.staging --address 10.0.0.11 --dir /etc/faultline/pki
          faultline certs issue controller ci-runner --dir /etc/faultline/pki
          faultline certs revoke ci-runner --dir /etc/faultline/pki
        """,
        subcommands: [Init.self, Issue.self, Revoke.self]
    )

    struct Init: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Make a new CA (ca.pem, ca-key.pem) in a directory.",
            discussion: "Refuses to overwrite an existing CA: every certificate issued by it would stop working.")

        @Option(help: "Directory for the CA's files.")
        var dir = "/etc/faultline/pki"

        @Option(help: "Years the CA is valid.")
        var years = 10

        func run() throws {
            guard (1...30).contains(years) else { throw ValidationError("--years must be between 1 and 30, found \(years)") }
            let paths = CAFiles(dir)
            if FileManager.default.fileExists(atPath: paths.key) {
                throw ValidationError("\(paths.key) exists: a CA is already there (remove it first to start over; certificates it issued will stop working)")
            }
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
            let ca = try CertificateAuthority.create(years: years)
            try PEMFile.write(try CertificateAuthority.pem(ca.certificate), to: paths.certificate, mode: 0o644)
            try PEMFile.write(CertificateAuthority.pem(ca.privateKey), to: paths.key, mode: 0o600)
            print("CA written: \(paths.certificate) (key \(paths.key), mode 0600)")
        }
    }

    struct Issue: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Issue a certificate for an agent or a controller from the CA in --dir.",
            discussion: """
            Writes NAME.pem and NAME-key.pem next to the CA. Refuses when either exists (a host \
            using that key would stop being trusted the moment it is replaced), unless --force.
            """)

        @Argument(help: "agent or controller.")
        var role: CertificateAuthority.Role

        @Argument(help: "The host's name (agents) or the controller's name; also the file name.")
        var name: String

        @Option(name: .customLong("address"), help: "An IP address the agent is reached at (repeatable).")
        var addresses: [String] = []

        @Option(name: .customLong("dns"), help: "Another DNS name of the agent (repeatable).")
        var dnsNames: [String] = []

        @Option(help: "Directory holding the CA; the certificate is written there too.")
        var dir = "/etc/faultline/pki"

        @Option(help: "Days the certificate is valid.")
        var days = 365

        @Flag(help: "Replace NAME.pem and NAME-key.pem if they exist.")
        var force = false

        func validate() throws {
            guard !name.isEmpty, name.utf8.count <= 64, name.allSatisfy({ $0.isLetter || $0.isNumber || "-._".contains($0) }) else {
                throw ValidationError("NAME must be 1 to 64 letters, digits, '-', '.' or '_' (it names the files), found '\(name)'")
            }
            guard (1...3650).contains(days) else { throw ValidationError("--days must be between 1 and 3650, found \(days)") }
            for address in addresses where !IPAddressText.isAddress(address) {
                throw ValidationError("--address expects an IPv4 or IPv6 address, found '\(address)'")
            }
        }

        func run() throws {
            let paths = CAFiles(dir)
            let ca: CertificateAuthority
            do {
                ca = try CertificateAuthority(certificatePEM: try String(contentsOfFile: paths.certificate, encoding: .utf8),
                                              keyPEM: try String(contentsOfFile: paths.key, encoding: .utf8))
            } catch {
                throw ValidationError("cannot read the CA in \(dir) (run `faultline certs init --dir \(dir)` first): \(error)")
            }
            let certificate = dir + "/\(name).pem", key = dir + "/\(name)-key.pem"
            for path in [certificate, key] where !force && FileManager.default.fileExists(atPath: path) {
                throw ValidationError("\(path) exists: \(name) already has a certificate (use --force to replace it; whatever uses the old key stops being trusted only if you also revoke it)")
            }
            let leaf = try ca.issue(role: role, name: name, dnsNames: dnsNames, ipAddresses: addresses, days: days)
            try PEMFile.write(try CertificateAuthority.pem(leaf.certificate), to: certificate, mode: 0o644)
            try PEMFile.write(CertificateAuthority.pem(leaf.key), to: key, mode: 0o600)
            print("\(role.rawValue) certificate written: \(certificate) (key \(key), mode 0600)")
        }
    }

    struct Revoke: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Revoke a certificate: add its serial to the deny list agents enforce.",
            discussion: """
            Appends the serial of NAME.pem in --dir (or the one given with --serial, for a \
            certificate whose file is gone) to \(CertificateDenyList.fileName) beside the CA. \
            Copy that file to every agent's tls.deny-list path and send it SIGHUP \
            (systemctl reload faultline-agent); agents also read it at start.

            Examples:
              faultline certs revoke ci-runner --dir /etc/faultline/pki
              faultline certs revoke --serial 5f:3a:09:c1 --dir /etc/faultline/pki
            """)

        @Argument(help: "The certificate's name (NAME.pem in --dir).")
        var name: String?

        @Option(help: "The serial to revoke, in hex (as `openssl x509 -serial` prints it).")
        var serial: String?

        @Option(help: "Directory holding the CA and the deny list.")
        var dir = "/etc/faultline/pki"

        func validate() throws {
            guard (name == nil) != (serial == nil) else { throw ValidationError("give either NAME or --serial") }
            if let name, name.isEmpty || name.utf8.count > 64 || !name.allSatisfy({ $0.isLetter || $0.isNumber || "-._".contains($0) }) {
                throw ValidationError("NAME must be 1 to 64 letters, digits, '-', '.' or '_', found '\(name)'")
            }
            if let serial, CertificateDenyList.canonical(serial) == nil {
                throw ValidationError("--serial expects hex digits (colons allowed), found '\(serial)'")
            }
        }

        func run() throws {
            let listPath = dir + "/" + CertificateDenyList.fileName
            let canonical: String
            if let name {
                let path = dir + "/\(name).pem"
                do { canonical = try CertificateDenyList.serial(ofPEM: try String(contentsOfFile: path, encoding: .utf8)) } catch {
                    throw ValidationError("cannot read the certificate \(path): \(error)")
                }
            } else {
                canonical = CertificateDenyList.canonical(serial!)!
            }
            guard FileManager.default.fileExists(atPath: CAFiles(dir).certificate) else {
                throw ValidationError("no CA in \(dir) (\(CAFiles(dir).certificate) is missing)")
            }
            let existing: CertificateDenyList
            do { existing = try CertificateDenyList.load(path: listPath) } catch { throw ValidationError("\(error)") }
            if existing.serials.contains(canonical) {
                print("serial \(canonical) is already revoked in \(listPath)")
                return
            }
            let previous = (try? String(contentsOfFile: listPath, encoding: .utf8)) ?? "# Certificates Faultline agents refuse (faultline certs revoke); one serial a line.\n"
            try PEMFile.write(previous + CertificateDenyList.line(serial: canonical, name: name), to: listPath, mode: 0o644)
            print("revoked serial \(canonical)\(name.map { " (\($0))" } ?? ""): \(listPath) now lists \(existing.serials.count + 1); copy it to the agents and reload them (SIGHUP)")
        }
    }
}

extension CertificateAuthority.Role: ExpressibleByArgument {}

/// The CA's two files in a directory.
struct CAFiles {
    let certificate: String
    let key: String
    init(_ dir: String) { certificate = dir + "/ca.pem"; key = dir + "/ca-key.pem" }
}

enum PEMFile {
    /// Writes with the mode set at creation, so a key is never readable by others, not even briefly.
    static func write(_ text: String, to path: String, mode: mode_t) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
        guard fd >= 0 else { throw ValidationError("cannot write \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        fchmod(fd, mode)
        let bytes = Array(text.utf8)
        guard Foundation.write(fd, bytes, bytes.count) == bytes.count else { throw ValidationError("short write to \(path)") }
    }
}
