/// The dynamic symbols of an ELF64 little-endian image (the vDSO), parsed without I/O.
///
/// The vDSO is a tiny shared object the kernel maps into every process. Its section
/// headers are part of the mapped image, so `.dynsym` and its string table can be read
/// straight out of the bytes copied from /proc/PID/mem.
public struct ELFSymbols: Equatable, Sendable {
    public struct Symbol: Equatable, Sendable {
        public var name: String
        /// Offset from the start of the mapping (st_value minus the first PT_LOAD's vaddr).
        public var offset: UInt64
        public var size: UInt64
        /// STT_FUNC
        public var isFunction: Bool
    }

    /// ELF e_machine: 0x3E is x86_64.
    public var machine: UInt16
    public var symbols: [Symbol]

    public func symbol(named name: String) -> Symbol? {
        symbols.first { $0.name == name && $0.isFunction && $0.size > 0 }
    }

    public static func parse(_ image: [UInt8]) throws(ProcShimError) -> ELFSymbols {
        let reader = ByteReader(bytes: image)
        guard image.count >= 64, image[0] == 0x7F, image[1] == 0x45, image[2] == 0x4C, image[3] == 0x46 else {
            throw .malformed(what: "vDSO ELF", detail: "no ELF magic")
        }
        guard image[4] == 2, image[5] == 1 else {
            throw .malformed(what: "vDSO ELF", detail: "not ELF64 little-endian (class \(image[4]), data \(image[5]))")
        }
        let machine = try reader.u16(0x12)
        // Load bias: symbol values are link-time addresses; the image starts at the first PT_LOAD.
        let programHeaders = try reader.u64(0x20)
        let programHeaderSize = UInt64(try reader.u16(0x36))
        let programHeaderCount = UInt64(try reader.u16(0x38))
        var loadVaddr: UInt64?
        for index in 0..<programHeaderCount {
            let header = programHeaders + index * programHeaderSize
            if try reader.u32(header) == 1 {  // PT_LOAD
                loadVaddr = try reader.u64(header + 0x10) &- (try reader.u64(header + 0x08))
                break
            }
        }
        guard let bias = loadVaddr else { throw .malformed(what: "vDSO ELF", detail: "no PT_LOAD segment") }

        let sectionHeaders = try reader.u64(0x28)
        let sectionHeaderSize = UInt64(try reader.u16(0x3A))
        let sectionCount = UInt64(try reader.u16(0x3C))
        guard sectionHeaders != 0, sectionCount > 0 else {
            throw .malformed(what: "vDSO ELF", detail: "no section headers")
        }
        func section(_ index: UInt64) throws(ProcShimError) -> (type: UInt32, offset: UInt64, size: UInt64, link: UInt32, entrySize: UInt64) {
            let header = sectionHeaders + index * sectionHeaderSize
            return (try reader.u32(header + 0x04), try reader.u64(header + 0x18), try reader.u64(header + 0x20),
                    try reader.u32(header + 0x28), try reader.u64(header + 0x38))
        }
        var symbols: [Symbol] = []
        for index in 0..<sectionCount {
            let dynsym = try section(index)
            guard dynsym.type == 11 else { continue }  // SHT_DYNSYM
            let strings = try section(UInt64(dynsym.link))
            let entrySize = dynsym.entrySize == 0 ? 24 : dynsym.entrySize
            for symbolIndex in 0..<(dynsym.size / entrySize) {
                let entry = dynsym.offset + symbolIndex * entrySize
                let nameOffset = UInt64(try reader.u32(entry))
                let info = try reader.u8(entry + 4)
                let value = try reader.u64(entry + 8)
                let size = try reader.u64(entry + 16)
                guard nameOffset != 0, value != 0 else { continue }
                let name = try reader.cString(strings.offset + nameOffset, limit: strings.offset + strings.size)
                symbols.append(Symbol(name: name, offset: value &- bias, size: size, isFunction: info & 0xF == 2))
            }
        }
        guard !symbols.isEmpty else { throw .malformed(what: "vDSO ELF", detail: "no .dynsym symbols") }
        return ELFSymbols(machine: machine, symbols: symbols)
    }
}

/// Bounds-checked little-endian reads; every out-of-range read is a `.malformed` error.
struct ByteReader {
    var bytes: [UInt8]

    func u8(_ offset: UInt64) throws(ProcShimError) -> UInt8 {
        guard offset < UInt64(bytes.count) else { throw outOfRange(offset, 1) }
        return bytes[Int(offset)]
    }

    func u16(_ offset: UInt64) throws(ProcShimError) -> UInt16 { UInt16(truncatingIfNeeded: try little(offset, 2)) }
    func u32(_ offset: UInt64) throws(ProcShimError) -> UInt32 { UInt32(truncatingIfNeeded: try little(offset, 4)) }
    func u64(_ offset: UInt64) throws(ProcShimError) -> UInt64 { try little(offset, 8) }

    func cString(_ offset: UInt64, limit: UInt64) throws(ProcShimError) -> String {
        var end = offset
        let stop = min(limit, UInt64(bytes.count))
        while end < stop, bytes[Int(end)] != 0 { end += 1 }
        guard end < stop else { throw outOfRange(offset, Int(end - offset)) }
        return String(decoding: bytes[Int(offset)..<Int(end)], as: UTF8.self)
    }

    private func little(_ offset: UInt64, _ width: Int) throws(ProcShimError) -> UInt64 {
        guard offset <= UInt64(bytes.count), UInt64(bytes.count) - offset >= UInt64(width) else {
            throw outOfRange(offset, width)
        }
        var value: UInt64 = 0
        for index in (0..<width).reversed() { value = value << 8 | UInt64(bytes[Int(offset) + index]) }
        return value
    }

    private func outOfRange(_ offset: UInt64, _ width: Int) -> ProcShimError {
        .malformed(what: "vDSO ELF", detail: "read of \(width) bytes at \(offset) beyond image of \(bytes.count)")
    }
}
