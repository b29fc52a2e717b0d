/// The identity of one applied fault, as the agent's ledger knows it.
///
/// Everything a shim creates in the kernel is named from this id (nftables table
/// `fl_<id>`, iptables chain `FL-<hash>`, queue number, ifb name), so the undo record is a
/// pure function of the id and the spec and can be written to the ledger before the kernel
/// is touched. Allowed characters are those nft accepts in an identifier after a letter:
/// `[A-Za-z0-9_.-]`, 1 to 64 of them.
public struct FaultID: Hashable, Sendable, Codable, CustomStringConvertible {
    public let rawValue: String

    public init(_ rawValue: String) throws {
        guard !rawValue.isEmpty, rawValue.utf8.count <= 64,
              rawValue.utf8.allSatisfy({ FaultID.allowed($0) })
        else {
            throw NetShimError.invalidSpec(
                "fault id '\(rawValue)' must be 1-64 characters of [A-Za-z0-9_.-]")
        }
        self.rawValue = rawValue
    }

    public init(from decoder: any Decoder) throws {
        try self.init(try decoder.singleValueContainer().decode(String.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }

    public var description: String { rawValue }

    /// A stable 32-bit FNV-1a hash of the id, used where a kernel name or number is too short
    /// to hold the id itself (interface names, iptables chain names, queue numbers).
    public var stableHash: UInt32 {
        var hash: UInt32 = 0x811C_9DC5
        for byte in rawValue.utf8 {
            hash ^= UInt32(byte)
            hash = hash &* 0x0100_0193
        }
        return hash
    }

    private static func allowed(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"), UInt8(ascii: "."),
             UInt8(ascii: "-"):
            return true
        default:
            return false
        }
    }
}

extension UInt32 {
    /// Eight lower-case hex digits.
    var hex8: String {
        let digits = String(self, radix: 16)
        return String(repeating: "0", count: 8 - digits.count) + digits
    }
}
