#if canImport(Glibc)
import Glibc
#endif

/// An IPv4 or IPv6 address with a prefix length: `10.250.1.2` (a /32) or `10.250.1.0/24`.
///
/// Parsed with `inet_pton`, and the host bits are cleared, so the text a shim emits into an
/// nftables batch or a u32 key is always canonical and can never carry anything but an address.
public struct IPNetwork: Hashable, Sendable, Codable, CustomStringConvertible {
    public enum Family: String, Sendable, Codable { case ipv4, ipv6 }

    public let family: Family
    /// Network-order address bytes (4 or 16), host bits cleared.
    public let bytes: [UInt8]
    public let prefixLength: Int

    public init(_ text: String) throws {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 1 || parts.count == 2 else {
            throw NetShimError.invalidSpec("'\(text)' is not an address or CIDR")
        }
        let addressText = String(parts[0])
        var v4 = in_addr()
        var v6 = in6_addr()
        let parsed: [UInt8]
        if inet_pton(AF_INET, addressText, &v4) == 1 {
            family = .ipv4
            parsed = withUnsafeBytes(of: &v4) { Array($0) }
        } else if inet_pton(AF_INET6, addressText, &v6) == 1 {
            family = .ipv6
            parsed = withUnsafeBytes(of: &v6) { Array($0) }
        } else {
            throw NetShimError.invalidSpec("'\(addressText)' is not an IPv4 or IPv6 address")
        }
        let maximum = parsed.count * 8
        if parts.count == 2 {
            guard let length = Int(parts[1]), (0...maximum).contains(length) else {
                throw NetShimError.invalidSpec("'\(text)': prefix length must be 0...\(maximum)")
            }
            prefixLength = length
        } else {
            prefixLength = maximum
        }
        bytes = IPNetwork.masked(parsed, prefixLength: prefixLength)
    }

    public init(from decoder: any Decoder) throws {
        try self.init(try decoder.singleValueContainer().decode(String.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }

    /// The address alone, in the canonical text form of `inet_ntop`.
    public var addressText: String {
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
        let af = family == .ipv4 ? AF_INET : AF_INET6
        bytes.withUnsafeBytes { raw in
            _ = inet_ntop(af, raw.baseAddress, &buffer, socklen_t(buffer.count))
        }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// `address` for a host, `address/len` otherwise.
    public var description: String {
        prefixLength == bytes.count * 8 ? addressText : "\(addressText)/\(prefixLength)"
    }

    /// The IPv4 address as a host-order integer (for u32 keys); nil for IPv6.
    var ipv4Value: UInt32? {
        guard family == .ipv4 else { return nil }
        return bytes.reduce(0) { ($0 << 8) | UInt32($1) }
    }

    /// The IPv4 netmask as a host-order integer.
    var ipv4Mask: UInt32 {
        prefixLength == 0 ? 0 : UInt32.max << UInt32(32 - prefixLength)
    }

    private static func masked(_ bytes: [UInt8], prefixLength: Int) -> [UInt8] {
        var result = bytes
        for index in result.indices {
            let bitsInByte = max(0, min(8, prefixLength - index * 8))
            let mask: UInt8 = bitsInByte == 0 ? 0 : UInt8(truncatingIfNeeded: 0xFF << (8 - bitsInByte))
            result[index] &= mask
        }
        return result
    }
}
