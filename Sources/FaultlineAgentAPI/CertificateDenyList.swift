import Foundation
import X509

/// Serial numbers of certificates the installation's agents refuse even though they
/// chain to its CA: `faultline certs revoke` appends to it, agents read it at start and
/// on SIGHUP. One serial a line in hex (colons, `0x` and case do not matter), `#` starts
/// a comment; the file lives beside the CA as `revoked-serials`.
public struct CertificateDenyList: Sendable, Hashable {
    public static let fileName = "revoked-serials"

    /// Canonical serials: lowercase hex, no separators, no leading zero bytes.
    public private(set) var serials: Set<String> = []

    public init(serials: some Sequence<String> = []) { self.serials = Set(serials) }

    public func contains(_ serial: Certificate.SerialNumber) -> Bool { serials.contains(Self.canonical(serial)) }

    public static func canonical(_ serial: Certificate.SerialNumber) -> String {
        hex(Array(serial.bytes.drop(while: { $0 == 0 })))
    }

    /// The canonical serial of the certificate in `pem`.
    public static func serial(ofPEM pem: String) throws -> String { canonical(try Certificate(pemEncoded: pem).serialNumber) }

    /// `text` as a canonical serial, or nil when it is not hex.
    public static func canonical(_ text: String) -> String? {
        var digits = text.lowercased().replacingOccurrences(of: ":", with: "")
        if digits.hasPrefix("0x") { digits.removeFirst(2) }
        guard !digits.isEmpty, digits.count <= 128, digits.allSatisfy(\.isHexDigit) else { return nil }
        if digits.count % 2 == 1 { digits = "0" + digits }
        var bytes: [UInt8] = []
        var index = digits.startIndex
        while index < digits.endIndex {
            let next = digits.index(index, offsetBy: 2)
            bytes.append(UInt8(digits[index..<next], radix: 16)!)
            index = next
        }
        let trimmed = Array(bytes.drop(while: { $0 == 0 }))
        return hex(trimmed.isEmpty ? [0] : trimmed)
    }

    public struct ParseError: Error, CustomStringConvertible, Sendable { public var description: String }

    public static func parse(_ text: String, file: String) throws(ParseError) -> CertificateDenyList {
        var list = CertificateDenyList()
        for (number, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            let field = line.trimmingCharacters(in: .whitespaces)
            if field.isEmpty { continue }
            guard let serial = canonical(field) else {
                throw ParseError(description: "\(file):\(number + 1): expected a certificate serial in hex, found '\(field.prefix(40))'")
            }
            list.serials.insert(serial)
        }
        return list
    }

    /// The list in `path`; empty when there is no such file (nothing revoked yet).
    public static func load(path: String) throws(ParseError) -> CertificateDenyList {
        guard FileManager.default.fileExists(atPath: path) else { return CertificateDenyList() }
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw ParseError(description: "\(path): cannot read: \(error.localizedDescription)")
        }
        return try parse(text, file: path)
    }

    /// One line of the file, naming what was revoked and when, for the humans reading it.
    public static func line(serial: String, name: String?, at date: Date = Date()) -> String {
        "\(serial)  # \(name.map { "\($0), " } ?? "")revoked \(date.formatted(.iso8601))\n"
    }

    static func hex(_ bytes: [UInt8]) -> String {
        bytes.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined()
    }
}
