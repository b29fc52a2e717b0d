import Foundation

extension PlanParser {
    /// `tls:` of an http or prometheus probe. Reads the files it names (and only those), so
    /// that a missing or wrong file is a plan error with its line, not a failed probe later.
    func readProbeTLS(_ f: Fields, url: String) -> ProbeTLS {
        guard let node = f.value("tls") else { return ProbeTLS() }
        let path = f.pathOf("tls")
        if url.hasPrefix("http://") {
            sink.error(f.keyMark("tls"), path, "'tls' applies to https:// URLs only; this URL is '\(url)' (use https:// or remove 'tls')")
            return ProbeTLS()
        }
        guard let t = Fields(node, path: path, object: "probe.tls", sink: sink,
                             expected: "a mapping with ca, certificate, key, insecure-skip-verify") else { return ProbeTLS() }
        var tls = ProbeTLS()
        tls.insecureSkipVerify = t.bool("insecure-skip-verify") ?? false
        tls.ca = pemFile(t, "ca", kind: .certificates)
        tls.certificate = pemFile(t, "certificate", kind: .certificates)
        tls.key = pemFile(t, "key", kind: .privateKey)
        if t.has("certificate") != t.has("key") {
            let (given, absent) = t.has("certificate") ? ("certificate", "key") : ("key", "certificate")
            sink.error(t.keyMark(given), t.pathOf(given), "'\(given)' needs '\(absent)' too: a client certificate is presented with its private key")
        }
        if tls.insecureSkipVerify, t.has("ca") {
            sink.error(t.keyMark("insecure-skip-verify"), t.pathOf("insecure-skip-verify"),
                       "'insecure-skip-verify: true' checks no certificate, so 'ca' would be ignored; remove one of them")
        }
        return tls
    }

    enum PEMKind {
        case certificates, privateKey
        var marker: String { self == .certificates ? "-----BEGIN CERTIFICATE-----" : "PRIVATE KEY-----" }
        var noun: String { self == .certificates ? "PEM certificates" : "a PEM private key" }
    }

    /// The file named by `key`, resolved against the plan's directory, if it is a readable
    /// file of the expected PEM kind; otherwise reports where and why, and returns nil.
    func pemFile(_ f: Fields, _ key: String, kind: PEMKind) -> String? {
        guard let written = f.string(key) else { return nil }
        let mark = f.value(key)!.mark
        guard !written.isEmpty else {
            sink.error(mark, f.pathOf(key), "expected a path to \(kind.noun), found an empty string")
            return nil
        }
        let resolved = written.hasPrefix("/") ? written : (directory as NSString).appendingPathComponent(written)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: resolved, isDirectory: &isDirectory) else {
            sink.error(mark, f.pathOf(key), "expected a path to \(kind.noun), but '\(written)' does not exist" + (written == resolved ? "" : " (looked for \(resolved))"))
            return nil
        }
        guard !isDirectory.boolValue else {
            sink.error(mark, f.pathOf(key), "expected a path to \(kind.noun), but '\(written)' is a directory")
            return nil
        }
        // PEM files are small; a bound keeps a wrong path (a disk image) from being read whole.
        guard let handle = FileHandle(forReadingAtPath: resolved) else {
            sink.error(mark, f.pathOf(key), "expected a readable file of \(kind.noun), but '\(written)' cannot be opened for reading")
            return nil
        }
        defer { try? handle.close() }
        let head = (try? handle.read(upToCount: 1 << 20)) ?? Data()
        guard String(decoding: head, as: UTF8.self).contains(kind.marker) else {
            sink.error(mark, f.pathOf(key), "expected \(kind.noun) ('\(kind.marker)') in '\(written)', found none")
            return nil
        }
        return resolved
    }
}
