import Foundation

/// An IPv4 or IPv6 network written as an address with an optional prefix length.
/// Parsed by hand (no inet_pton) so the vocabulary stays pure and portable.
public struct CIDR: Hashable, Sendable, CustomStringConvertible {
    public enum Family: Sendable { case ipv4, ipv6 }
    public var family: Family
    /// The address bytes, 4 or 16.
    public var bytes: [UInt8]
    public var prefixLength: Int

    public init?(_ text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count) else { return nil }
        let address = String(parts[0])
        if let v4 = CIDR.parseIPv4(address) {
            family = .ipv4; bytes = v4
        } else if let v6 = CIDR.parseIPv6(address) {
            family = .ipv6; bytes = v6
        } else {
            return nil
        }
        let maxPrefix = bytes.count * 8
        if parts.count == 2 {
            guard let p = Int(parts[1]), (0...maxPrefix).contains(p) else { return nil }
            prefixLength = p
        } else {
            prefixLength = maxPrefix
        }
    }

    public var description: String {
        let address: String
        switch family {
        case .ipv4: address = bytes.map(String.init).joined(separator: ".")
        case .ipv6:
            address = stride(from: 0, to: 16, by: 2).map { String(UInt16(bytes[$0]) << 8 | UInt16(bytes[$0 + 1]), radix: 16) }.joined(separator: ":")
        }
        return prefixLength == bytes.count * 8 ? address : "\(address)/\(prefixLength)"
    }

    /// Whether `other` (an address or network) lies inside this network.
    public func contains(_ other: CIDR) -> Bool {
        guard other.family == family, other.prefixLength >= prefixLength else { return false }
        var remaining = prefixLength
        for i in 0..<bytes.count where remaining > 0 {
            let bits = min(8, remaining)
            let mask: UInt8 = bits == 8 ? 0xFF : ~(0xFF >> UInt8(bits))
            if bytes[i] & mask != other.bytes[i] & mask { return false }
            remaining -= bits
        }
        return true
    }

    static func parseIPv4(_ s: String) -> [UInt8]? {
        let octets = s.split(separator: ".", omittingEmptySubsequences: false)
        guard octets.count == 4 else { return nil }
        var out: [UInt8] = []
        for o in octets {
            guard !o.isEmpty, o.count <= 3, o.allSatisfy({ $0.isASCII && $0.isNumber }), let v = UInt8(o) else { return nil }
            out.append(v)
        }
        return out
    }

    static func parseIPv6(_ s: String) -> [UInt8]? {
        guard s.contains(":"), s.utf8.count <= 45 else { return nil }
        let halves = s.components(separatedBy: "::")
        guard halves.count <= 2 else { return nil }
        func groups(_ part: String) -> [UInt16]? {
            if part.isEmpty { return [] }
            var out: [UInt16] = []
            for g in part.split(separator: ":", omittingEmptySubsequences: false) {
                guard (1...4).contains(g.count), let v = UInt16(g, radix: 16) else { return nil }
                out.append(v)
            }
            return out
        }
        guard let head = groups(halves[0]) else { return nil }
        var all = head
        if halves.count == 2 {
            guard let tail = groups(halves[1]), head.count + tail.count < 8 else { return nil }
            all += Array(repeating: 0, count: 8 - head.count - tail.count) + tail
        }
        guard all.count == 8 else { return nil }
        return all.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] }
    }
}
