import FaultlineCore
import Foundation

/// The faults a ledger says are (or may be) applied: a pure fold over its records.
public struct LedgerState: Sendable, Hashable {
    public struct Entry: Sendable, Hashable {
        public var fault: Fault
        public var undo: Data
        public var leaseSeconds: Double
        /// Failed revert attempts so far.
        public var failedReverts: Int
    }

    /// Keyed by fault id, in the order they were applied.
    public private(set) var applied: [(id: String, entry: Entry)] = []

    public init() {}

    public init(records: [LedgerRecord]) {
        for r in records { apply(r) }
    }

    public static func == (a: LedgerState, b: LedgerState) -> Bool {
        a.applied.map(\.id) == b.applied.map(\.id) && a.applied.map(\.entry) == b.applied.map(\.entry)
    }
    public func hash(into h: inout Hasher) { for (id, e) in applied { h.combine(id); h.combine(e) } }

    public func entry(_ id: String) -> Entry? { applied.first { $0.id == id }?.entry }

    public mutating func apply(_ record: LedgerRecord) {
        switch record {
        case .applying(let id, let fault, let undo, let lease):
            let entry = Entry(fault: fault, undo: undo, leaseSeconds: lease, failedReverts: 0)
            if let i = applied.firstIndex(where: { $0.id == id }) { applied[i].entry = entry } else { applied.append((id, entry)) }
        case .reverted(let id, _):
            applied.removeAll { $0.id == id }
        case .revertFailed(let id, _):
            if let i = applied.firstIndex(where: { $0.id == id }) { applied[i].entry.failedReverts += 1 }
        }
    }
}

/// Encoding of ledger lines: `<crc32 hex> <json>\n`.
///
/// The checksum tells a torn last write (power loss half way through a line) from a
/// corrupt ledger: a bad *last* line is dropped, as it was never acknowledged (the
/// caller syncs before touching the kernel, and a torn record was never synced whole);
/// a bad line followed by good ones means the file was damaged, and the agent refuses
/// to guess.
public enum LedgerCodec {
    public struct CorruptLedger: Error, CustomStringConvertible, Sendable {
        public var line: Int
        public var description: String { "ledger line \(line) is damaged and is not the last line; refusing to guess which faults are applied" }
    }

    public static func encode(_ record: LedgerRecord) -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let json = (try? encoder.encode(record)) ?? Data("{}".utf8)
        var line = Data(String(format: "%08x ", CRC32.checksum(json)).utf8)
        line.append(json)
        line.append(0x0A)
        return line
    }

    /// Decodes a whole ledger; `tornTail` says whether a damaged last line was dropped.
    public static func decode(_ data: Data) throws -> (records: [LedgerRecord], tornTail: Bool) {
        if data.isEmpty { return ([], false) }
        var lines = data.split(separator: 0x0A, omittingEmptySubsequences: false).map { Data($0) }
        let endsWithNewline = data.last == 0x0A
        if endsWithNewline { lines.removeLast() }
        var records: [LedgerRecord] = []
        for (index, line) in lines.enumerated() {
            let isLast = index == lines.count - 1
            if let record = decodeLine(line), !(isLast && !endsWithNewline) {
                records.append(record)
            } else if isLast {
                return (records, true)
            } else {
                throw CorruptLedger(line: index + 1)
            }
        }
        return (records, false)
    }

    /// What a start-up can read of a ledger that may be damaged: every good line, the torn
    /// tail dropped, and the numbers of the damaged lines skipped. The agent reverts what it
    /// can read and sweeps its own marks from the kernel for the rest, rather than refusing
    /// to start with faults left applied.
    public static func decodeSalvaging(_ data: Data) -> (records: [LedgerRecord], tornTail: Bool, damagedLines: [Int]) {
        if data.isEmpty { return ([], false, []) }
        var lines = data.split(separator: 0x0A, omittingEmptySubsequences: false).map { Data($0) }
        let endsWithNewline = data.last == 0x0A
        if endsWithNewline { lines.removeLast() }
        var records: [LedgerRecord] = []
        var damaged: [Int] = []
        var torn = false
        for (index, line) in lines.enumerated() {
            let isLast = index == lines.count - 1
            if let record = decodeLine(line), !(isLast && !endsWithNewline) {
                records.append(record)
            } else if isLast {
                torn = true
            } else {
                damaged.append(index + 1)
            }
        }
        return (records, torn, damaged)
    }

    static func decodeLine(_ line: Data) -> LedgerRecord? {
        guard line.count > 9, line[line.startIndex + 8] == 0x20,
              let sum = UInt32(String(decoding: line.prefix(8), as: UTF8.self), radix: 16) else { return nil }
        let json = line.dropFirst(9)
        guard CRC32.checksum(Data(json)) == sum else { return nil }
        return try? JSONDecoder().decode(LedgerRecord.self, from: Data(json))
    }
}

/// CRC-32 (IEEE 802.3), for ledger lines.
enum CRC32 {
    static let table: [UInt32] = (0..<256).map { i in
        var c = UInt32(i)
        for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    static func checksum(_ data: Data) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in data { crc = table[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8) }
        return crc ^ 0xFFFF_FFFF
    }
}
