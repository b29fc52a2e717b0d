import Foundation
import Testing

/// `faultline certs`: files, modes, a chain openssl accepts, and refusals that change nothing.
struct CertsCommandTests {
    func certs(_ arguments: [String]) throws -> CLITests.Run { try CLITests().faultline(["certs"] + arguments) }

    func temporaryDirectory() -> String {
        let path = "/tmp/fl-certs-test-\(UInt32.random(in: 0...UInt32.max))"
        return path
    }

    @Test func initAndIssueWriteAChainOpenSSLVerifies() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(try certs(["init", "--dir", dir]).status == 0)
        let agent = try certs(["issue", "agent", "db-1", "--address", "10.0.0.11", "--dir", dir])
        #expect(agent.status == 0, "\(agent.stderr)")
        #expect(try certs(["issue", "controller", "ci", "--dir", dir]).status == 0)
        for key in ["ca-key.pem", "db-1-key.pem", "ci-key.pem"] {
            let mode = try FileManager.default.attributesOfItem(atPath: dir + "/" + key)[.posixPermissions] as? Int
            #expect(mode == 0o600, "\(key) has mode \(String(mode ?? 0, radix: 8))")
        }
        let verify = Process()
        verify.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        verify.arguments = ["verify", "-CAfile", dir + "/ca.pem", dir + "/db-1.pem", dir + "/ci.pem"]
        let out = Pipe()
        verify.standardOutput = out
        try verify.run()
        verify.waitUntilExit()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(verify.terminationStatus == 0 && text.contains("db-1.pem: OK") && text.contains("ci.pem: OK"), "\(text)")
    }

    /// Issuing a name twice refuses and leaves the first key as it was; --force replaces it.
    @Test func issueRefusesToOverwriteUnlessForced() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(try certs(["init", "--dir", dir]).status == 0)
        #expect(try certs(["issue", "agent", "db-1", "--dir", dir]).status == 0)
        let key = try String(contentsOfFile: dir + "/db-1-key.pem", encoding: .utf8)
        let again = try certs(["issue", "agent", "db-1", "--dir", dir])
        #expect(again.status != 0 && again.stderr.contains("db-1.pem exists") && again.stderr.contains("--force"), "\(again.stderr)")
        #expect(try String(contentsOfFile: dir + "/db-1-key.pem", encoding: .utf8) == key, "the refused issue changed the key")
        let forced = try certs(["issue", "agent", "db-1", "--dir", dir, "--force"])
        #expect(forced.status == 0, "\(forced.stderr)")
        #expect(try String(contentsOfFile: dir + "/db-1-key.pem", encoding: .utf8) != key)
    }

    /// What `certs issue controller NAME` writes is what `halt`/`run` read with
    /// `--certs DIR --controller NAME`: with the name the credentials load and the halt fails
    /// only at the (unreachable, 127.0.0.1:1) agent; with another name the missing file is named.
    @Test func issuedControllerCertificateIsTheOneHaltUses() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(try certs(["init", "--dir", dir]).status == 0)
        #expect(try certs(["issue", "controller", "ci", "--dir", dir]).status == 0)
        let inventory = dir + "/inventory.yaml"
        try "hosts:\n  - { name: h1, address: 127.0.0.1, agent: \"https://127.0.0.1:1\" }\n".write(toFile: inventory, atomically: true, encoding: .utf8)
        let halt = try CLITests().faultline(["halt", "--inventory", inventory, "--certs", dir, "--controller", "ci", "--timeout", "1s"])
        #expect(!halt.stderr.contains("ci.pem") && !halt.stderr.contains("ci-key.pem"), "\(halt.stderr)")
        #expect(halt.stdout.contains("h1: FAILED: agent h1 (127.0.0.1:1) unreachable"), "halt did not reach the agent: \(halt.stdout) \(halt.stderr)")
        // In words, not NIO's SingleConnectionFailure(… errno: 111).
        #expect(halt.stdout.contains("connection refused by 127.0.0.1:1: is the agent running and listening there?")
                && !halt.stdout.contains("errno"), "\(halt.stdout)")
        let wrongName = try CLITests().faultline(["halt", "--inventory", inventory, "--certs", dir, "--timeout", "1s"])
        #expect(wrongName.status != 0 && wrongName.stderr.contains(dir + "/controller.pem"), "\(wrongName.stderr)")
        // A CA that is gone is named by its path, not as a Cocoa error dump.
        try FileManager.default.removeItem(atPath: dir + "/ca.pem")
        let noCA = try CLITests().faultline(["halt", "--inventory", inventory, "--certs", dir, "--controller", "ci", "--timeout", "1s"])
        let said = noCA.stdout + noCA.stderr
        #expect(noCA.status != 0 && said.contains("the CA certificate \(dir)/ca.pem does not exist") && !said.contains("NSCocoaErrorDomain"), "\(said)")
    }

    func openssl(_ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        process.arguments = arguments
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return text
    }

    /// Issue 14: roles. An agent certificate is for serving only, a controller's for calling
    /// only, so an agent's own key cannot call other agents (they also refuse it by role).
    @Test func agentCertificatesServeAndControllerCertificatesCall() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(try certs(["init", "--dir", dir]).status == 0)
        #expect(try certs(["issue", "agent", "db-1", "--dir", dir]).status == 0)
        #expect(try certs(["issue", "controller", "ci", "--dir", dir]).status == 0)
        let agent = try openssl(["x509", "-in", dir + "/db-1.pem", "-noout", "-ext", "extendedKeyUsage"])
        #expect(agent.contains("TLS Web Server Authentication") && !agent.contains("Client"), "\(agent)")
        let controller = try openssl(["x509", "-in", dir + "/ci.pem", "-noout", "-ext", "extendedKeyUsage"])
        #expect(controller.contains("TLS Web Client Authentication") && !controller.contains("Server"), "\(controller)")
    }

    /// `certs revoke NAME` and `--serial` append the serial (as openssl prints it, any
    /// case or colons) to revoked-serials beside the CA, once.
    @Test func revokeWritesTheDenyList() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(try certs(["init", "--dir", dir]).status == 0)
        #expect(try certs(["issue", "controller", "ci", "--dir", dir]).status == 0)
        let printed = try openssl(["x509", "-in", dir + "/ci.pem", "-noout", "-serial"])  // serial=5F3A...
        let serial = printed.trimmingCharacters(in: .whitespacesAndNewlines).replacingOccurrences(of: "serial=", with: "").lowercased()
        var canonical = serial.count % 2 == 1 ? "0" + serial : serial
        while canonical.hasPrefix("00") { canonical.removeFirst(2) }
        let revoke = try certs(["revoke", "ci", "--dir", dir])
        #expect(revoke.status == 0, "\(revoke.stderr)")
        let list = try String(contentsOfFile: dir + "/revoked-serials", encoding: .utf8)
        #expect(list.contains(canonical + "  # ci, revoked "), "\(list) vs \(serial)")
        let again = try certs(["revoke", "--serial", serial.uppercased(), "--dir", dir])
        #expect(again.status == 0 && again.stdout.contains("already revoked"), "\(again.stdout)")
        #expect(try String(contentsOfFile: dir + "/revoked-serials", encoding: .utf8) == list)
        let other = try certs(["revoke", "--serial", "0a:0b:0c", "--dir", dir])
        #expect(other.status == 0)
        #expect(try String(contentsOfFile: dir + "/revoked-serials", encoding: .utf8).contains("0a0b0c  # revoked "))
        #expect(try certs(["revoke", "--serial", "xyz", "--dir", dir]).status == 64)
        #expect(try certs(["revoke", "--dir", dir]).status == 64)
        #expect(try certs(["revoke", "missing", "--dir", dir]).stderr.contains("cannot read the certificate"))
    }

    @Test func refusalsChangeNothing() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let noCA = try certs(["issue", "agent", "x", "--dir", dir])
        #expect(noCA.status == 64 && noCA.stderr.contains("run `faultline certs init --dir \(dir)` first"), "\(noCA.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir + "/x.pem"))
        #expect(try certs(["init", "--dir", dir]).status == 0)
        let before = try String(contentsOfFile: dir + "/ca.pem", encoding: .utf8)
        let again = try certs(["init", "--dir", dir])
        #expect(again.status == 64 && again.stderr.contains("a CA is already there"))
        #expect(try String(contentsOfFile: dir + "/ca.pem", encoding: .utf8) == before, "a refused init must not replace the CA")
        let badName = try certs(["issue", "agent", "../etc/passwd", "--dir", dir])
        #expect(badName.status == 64 && badName.stderr.contains("NAME must be"))
        let badAddress = try certs(["issue", "agent", "x", "--address", "999.1.1.1", "--dir", dir])
        #expect(badAddress.status == 64 && badAddress.stderr.contains("--address expects an IPv4 or IPv6 address, found '999.1.1.1'"))
        let badRole = try certs(["issue", "admin", "x", "--dir", dir])
        #expect(badRole.status == 64)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).sorted() == ["ca-key.pem", "ca.pem"])
    }
}
