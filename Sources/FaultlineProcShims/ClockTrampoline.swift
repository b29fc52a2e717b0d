import CFaultlineProc

/// The vDSO time functions the process-scope clock skew replaces.
public enum ClockFunction: String, CaseIterable, Sendable, Codable {
    case clockGettime = "clock_gettime"
    case gettimeofday = "gettimeofday"
    case time = "time"

    /// The vDSO exports each function under two names (`__vdso_clock_gettime` and the
    /// weak `clock_gettime`); glibc looks up the `__vdso_` one, Go too. Both usually share
    /// one address; if not, both are patched.
    public var vdsoSymbols: [String] { ["__vdso_" + rawValue, rawValue] }

    var trampolineEntry: Int32 {
        switch self {
        case .clockGettime: return Int32(FL_TRAMPOLINE_ENTRY_CLOCK_GETTIME)
        case .gettimeofday: return Int32(FL_TRAMPOLINE_ENTRY_GETTIMEOFDAY)
        case .time: return Int32(FL_TRAMPOLINE_ENTRY_TIME)
        }
    }
}

/// The clock offset in the form the trampoline reads: whole seconds (signed) plus a
/// non-negative sub-second part, in nanoseconds and in microseconds.
public struct ClockOffsetWords: Equatable, Sendable {
    public var seconds: Int64
    public var nanoseconds: Int64
    public var microseconds: Int64

    public init(seconds: Int64, nanoseconds: Int64, microseconds: Int64) {
        self.seconds = seconds
        self.nanoseconds = nanoseconds
        self.microseconds = microseconds
    }

    /// -0.25 s becomes seconds -1, nanoseconds 750_000_000 (floor), so the trampoline only
    /// ever carries upwards.
    public init(_ offset: Duration) {
        let (whole, attoseconds) = offset.components
        var seconds = whole
        var nanos = attoseconds / 1_000_000_000
        if nanos < 0 {
            seconds -= 1
            nanos += 1_000_000_000
        }
        self.seconds = seconds
        self.nanoseconds = nanos
        self.microseconds = nanos / 1000
    }

    /// The 24 bytes at trampoline offset 8 (three little-endian 64-bit words).
    public var bytes: [UInt8] {
        [seconds, nanoseconds, microseconds].flatMap { word in
            (0..<8).map { UInt8(truncatingIfNeeded: UInt64(bitPattern: word) >> (8 * UInt64($0))) }
        }
    }
}

/// The injected page's layout and the jump that sends a vDSO entry to it.
public enum ClockTrampoline {
    /// "FLCLKSK1": the first 8 bytes of every Faultline trampoline page.
    public static let magic: [UInt8] = Array("FLCLKSK1".utf8)
    /// Where the three offset words start.
    public static let offsetWordsAt: UInt64 = 8
    public static let pageSize: UInt64 = 4096
    /// Length of the patch written over each vDSO entry: `movabs rax, imm64; jmp rax`.
    public static let stubLength = 12

    /// The assembled blob (clock_trampoline.S), empty on architectures other than x86_64.
    public static var blob: [UInt8] {
        let length = Int(fl_clock_trampoline_length())
        guard length > 0, let start = fl_clock_trampoline_bytes() else { return [] }
        return Array(UnsafeBufferPointer(start: start, count: length))
    }

    /// The page content to write: the blob with the offset words filled in.
    public static func page(offset: Duration) -> [UInt8] {
        var bytes = blob
        let words = ClockOffsetWords(offset).bytes
        bytes.replaceSubrange(Int(offsetWordsAt)..<Int(offsetWordsAt) + words.count, with: words)
        return bytes
    }

    /// Offset of `function`'s entry inside the page.
    public static func entryOffset(_ function: ClockFunction) -> UInt64 {
        fl_clock_trampoline_entry_offset(function.trampolineEntry)
    }

    /// `48 B8 imm64` (movabs rax, target) `FF E0` (jmp rax). rax is free at a function
    /// entry (it only carries the return value), and an absolute jump works wherever the
    /// kernel put the page relative to the vDSO.
    public static func jumpStub(to target: UInt64) -> [UInt8] {
        [0x48, 0xB8] + (0..<8).map { UInt8(truncatingIfNeeded: target >> (8 * UInt64($0))) } + [0xFF, 0xE0]
    }

    /// The jump target if `bytes` is a stub written by `jumpStub`, else nil.
    public static func jumpTarget(of bytes: [UInt8]) -> UInt64? {
        guard bytes.count == stubLength, bytes[0] == 0x48, bytes[1] == 0xB8, bytes[10] == 0xFF, bytes[11] == 0xE0
        else { return nil }
        return (0..<8).reduce(UInt64(0)) { $0 | UInt64(bytes[2 + $1]) << (8 * UInt64($1)) }
    }

    /// The page a stub's target lies in.
    public static func pageStart(of address: UInt64) -> UInt64 { address & ~(pageSize - 1) }

    /// The address of a `syscall` instruction (0F 05) in `image` mapped at `base`, outside
    /// `excluded` ranges, used to inject system calls without writing any code first.
    public static func syscallInstruction(in image: [UInt8], base: UInt64, excluding excluded: [Range<UInt64>]) -> UInt64? {
        guard image.count >= 2 else { return nil }
        for index in 0..<(image.count - 1) where image[index] == 0x0F && image[index + 1] == 0x05 {
            let address = base + UInt64(index)
            if !excluded.contains(where: { $0.overlaps(address..<(address + 2)) }) { return address }
        }
        return nil
    }
}
