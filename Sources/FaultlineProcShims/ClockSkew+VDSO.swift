#if canImport(Glibc)
import Glibc
#endif
import CFaultlineProc

/// Shifts CLOCK_REALTIME (and CLOCK_REALTIME_COARSE, gettimeofday, time) of one running
/// process by an offset, leaving every other clock (MONOTONIC, BOOTTIME, CPU clocks) alone.
///
/// Why this way: a time namespace cannot shift REALTIME, and libfaketime only reaches
/// dynamically linked libc programs it was launched with. Every program that reads the
/// time quickly — glibc (dynamic or static), Go, so etcd — calls the vDSO, so the vDSO
/// entry points of the running process are where the clock can be changed.
///
/// How:
/// 1. `prepare` finds `[vdso]` in /proc/PID/maps, reads the image through /proc/PID/mem,
///    parses its `.dynsym` for `__vdso_clock_gettime`, `__vdso_gettimeofday`,
///    `__vdso_time` (and the unprefixed aliases) and records the first 12 bytes of each.
/// 2. `apply` stops every thread (`PtraceSession`), injects `mmap(PROT_READ|PROT_EXEC)` by
///    pointing one thread at a `syscall` instruction inside the vDSO, writes the trampoline
///    (clock_trampoline.S, with the offset in its data words) into the new page, moves
///    any thread that is inside a function to be patched out of it (single steps), and
///    overwrites each entry with `movabs rax, page+entry; jmp rax`. Writes go through
///    /proc/PID/mem (FOLL_FORCE); each is read back.
/// 3. `revert` finds the page from the jump in the patched entry, verifies the page's
///    magic, restores the exact original bytes (read back to verify), then unmaps the page
///    once no thread is inside it.
///
/// Trade-off: the trampoline makes the real `clock_gettime` / `gettimeofday` system call
/// and adds the offset, instead of relocating the vDSO's fast path. While skewed, every
/// call of the three functions costs a system call, for every clock id (measured: 28 ns
/// through the vDSO, 290–400 ns skewed); in exchange the injected code is ~300 bytes of
/// position-independent assembly that does not depend on the kernel's vDSO internals.
///
/// Known limits: x86_64 only. A process that `exec`s gets a fresh vDSO (revert then reports
/// nothing to do). A signal handler that interrupted a thread *inside* the trampoline at
/// the moment of revert would return into the unmapped page; the window is a few
/// instructions long. A crash between `mmap` and patching leaves one unused 4 KiB page.
public struct VDSOClockSkew: ProcFaultMechanism {
    public struct Spec: Sendable, Codable, Equatable {
        public var target: ProcessIdentity
        /// Added to CLOCK_REALTIME / CLOCK_REALTIME_COARSE readings (may be negative).
        public var offset: Duration
        /// How long to wait for each thread to stop under ptrace.
        public var stopTimeout: Duration

        public init(target: ProcessIdentity, offset: Duration, stopTimeout: Duration = .seconds(2)) {
            self.target = target
            self.offset = offset
            self.stopTimeout = stopTimeout
        }
    }

    public struct PatchedEntry: Sendable, Codable, Equatable {
        public var function: ClockFunction
        public var symbols: [String]
        public var address: UInt64
        /// The 12 bytes at `address` before patching.
        public var originalBytes: [UInt8]
    }

    public struct Undo: Sendable, Codable, Equatable {
        public var target: ProcessIdentity
        public var vdsoBase: UInt64
        public var entries: [PatchedEntry]
    }

    public struct Applied: Sendable, Codable, Equatable {
        public var trampolinePage: UInt64
        public var patched: [ClockFunction]
        /// True when the entries already jumped to a Faultline page: only the offset was changed.
        public var offsetUpdatedOnly: Bool
    }

    public static let name = "clock.process-vdso"
    public static let requires: [Requirement] = [
        .architecture("x86_64"),
        .kernelFeature("vDSO with __vdso_clock_gettime"),
        .kernelFeature("ptrace PTRACE_SEIZE/PTRACE_INTERRUPT (Linux 3.4)"),
        .capability(.sysPtrace),  // for processes of other users or with more capabilities
        // For processes of other users too: /proc/PID/mem is 0600 and owned by the target's
        // uid, and CAP_SYS_PTRACE passes only the ptrace access check, not that file mode.
        .capability(.dacOverride),
    ]

    public init() {}

    public func availability(capabilities: CapabilityReport) -> Availability {
        var missing: [Requirement] = []
        if fl_arch_is_x86_64() == 0 { missing.append(.architecture("x86_64 (this is not x86_64)")) }
        if fl_vdso_base() == 0 { missing.append(.kernelFeature("vDSO (this process has no AT_SYSINFO_EHDR)")) }
        return Availability.evaluate(mechanism: Self.name, requires: Self.requires, capabilities: capabilities,
                                     otherMissing: missing)
    }

    public func prepare(_ spec: Spec) throws(ProcShimError) -> Undo {
        try Self.requireArchitecture()
        try SelfProtection.refuseSelf([spec.target])
        _ = try ProcFS.verify(spec.target)
        let memory = try ProcessMemory(pid: spec.target.pid)
        let vdso = try Self.vdsoMapping(spec.target.pid)
        let image = try memory.read(vdso.start, count: Int(vdso.end - vdso.start))
        let symbols = try ELFSymbols.parse(image)
        guard symbols.machine == 0x3E else {
            throw .unavailable(mechanism: Self.name, missing: [.architecture("x86_64 vDSO (e_machine \(symbols.machine))")])
        }
        var entries: [PatchedEntry] = []
        for function in ClockFunction.allCases {
            var byAddress: [UInt64: (names: [String], size: UInt64)] = [:]
            for name in function.vdsoSymbols {
                guard let symbol = symbols.symbol(named: name) else { continue }
                byAddress[vdso.start + symbol.offset, default: ([], symbol.size)].names.append(name)
            }
            for (address, found) in byAddress.sorted(by: { $0.key < $1.key }) {
                guard found.size >= UInt64(ClockTrampoline.stubLength) else {
                    throw .conflict("vDSO \(found.names.joined(separator: "/")) is \(found.size) bytes, shorter than the \(ClockTrampoline.stubLength)-byte jump")
                }
                let offset = Int(address - vdso.start)
                let original = Array(image[offset..<(offset + ClockTrampoline.stubLength)])
                if ClockTrampoline.jumpTarget(of: original) != nil {
                    throw .conflict("vDSO \(found.names[0]) of pid \(spec.target.pid) is already patched (a previous clock fault is still applied: revert it first)")
                }
                entries.append(PatchedEntry(function: function, symbols: found.names, address: address, originalBytes: original))
            }
        }
        guard entries.contains(where: { $0.function == .clockGettime }) else {
            throw .unavailable(mechanism: Self.name, missing: [.kernelFeature("vDSO with __vdso_clock_gettime")])
        }
        // Overlapping patches would corrupt each other.
        let ranges = entries.map { $0.address..<($0.address + UInt64(ClockTrampoline.stubLength)) }
        for (i, a) in ranges.enumerated() { for b in ranges[(i + 1)...] where a.overlaps(b) {
            throw .conflict("vDSO entries at 0x\(String(a.lowerBound, radix: 16)) and 0x\(String(b.lowerBound, radix: 16)) overlap")
        } }
        return Undo(target: spec.target, vdsoBase: vdso.start, entries: entries)
    }

    public func apply(_ spec: Spec, undo: Undo) throws(ProcShimError) -> Applied {
        try Self.requireArchitecture()
        try SelfProtection.refuseSelf([spec.target])
        guard spec.target == undo.target else { throw .invalidSpec("undo record is for \(undo.target), spec for \(spec.target)") }
        _ = try ProcFS.verify(spec.target)
        let pid = spec.target.pid
        let memory = try ProcessMemory(pid: pid)
        let session = try PtraceSession(pid: pid, stopTimeout: spec.stopTimeout)
        defer { session.detach() }

        let vdso = try Self.vdsoMapping(pid)
        guard vdso.start == undo.vdsoBase else {
            throw .conflict("vDSO of pid \(pid) moved from 0x\(String(undo.vdsoBase, radix: 16)) to 0x\(String(vdso.start, radix: 16)) since prepare")
        }
        let current = try undo.entries.map { entry throws(ProcShimError) in
            try memory.read(entry.address, count: ClockTrampoline.stubLength)
        }
        // Already applied (same fault applied again): only change the offset.
        let existingPages = Set(current.compactMap { ClockTrampoline.jumpTarget(of: $0) }.map(ClockTrampoline.pageStart))
        if current.allSatisfy({ ClockTrampoline.jumpTarget(of: $0) != nil }), existingPages.count == 1,
           let page = existingPages.first, try memory.read(page, count: 8) == ClockTrampoline.magic {
            try Self.writeOffset(memory, page: page, spec.offset)
            return Applied(trampolinePage: page, patched: undo.entries.map(\.function), offsetUpdatedOnly: true)
        }
        for (entry, bytes) in zip(undo.entries, current) where bytes != entry.originalBytes {
            throw .conflict("vDSO \(entry.symbols[0]) of pid \(pid) holds \(bytes.hex), not the bytes recorded at prepare (\(entry.originalBytes.hex))")
        }

        let image = try memory.read(vdso.start, count: Int(vdso.end - vdso.start))
        let patchRanges = undo.entries.map { $0.address..<($0.address + UInt64(ClockTrampoline.stubLength)) }
        guard let syscallAddress = ClockTrampoline.syscallInstruction(in: image, base: vdso.start, excluding: patchRanges) else {
            throw .conflict("no syscall instruction in the vDSO of pid \(pid) to inject mmap through")
        }
        let injector = try session.injectionThread()
        let mapped = try session.injectSyscall(
            tid: injector, number: 9 /* mmap */,
            arguments: [0, ClockTrampoline.pageSize, UInt64(PROT_READ | PROT_EXEC),
                        UInt64(MAP_PRIVATE | MAP_ANONYMOUS), UInt64(bitPattern: -1), 0],
            syscallAddress: syscallAddress)
        guard mapped > 0 || mapped < -4095 else {
            throw .system(call: "mmap (injected into pid \(pid))", target: "4096 bytes r-x", errno: Int32(-mapped))
        }
        let page = UInt64(bitPattern: mapped)
        var patchedSoFar: [PatchedEntry] = []
        do {
            try memory.writeVerified(page, ClockTrampoline.page(offset: spec.offset), what: "trampoline page")
            // No thread may be anywhere inside a function whose first bytes change.
            let symbols = try ELFSymbols.parse(image)
            let functionRanges = undo.entries.map { entry -> Range<UInt64> in
                let size = entry.symbols.compactMap { symbols.symbol(named: $0)?.size }.max() ?? UInt64(ClockTrampoline.stubLength)
                return entry.address..<(entry.address + size)
            }
            try session.moveThreads(outOf: functionRanges)
            for entry in undo.entries {
                let target = page + ClockTrampoline.entryOffset(entry.function)
                try memory.writeVerified(entry.address, ClockTrampoline.jumpStub(to: target), what: "vDSO \(entry.symbols[0]) jump")
                patchedSoFar.append(entry)
            }
        } catch {
            // Roll back what this call did, best effort, before reporting the error.
            for entry in patchedSoFar { try? memory.write(entry.address, entry.originalBytes) }
            _ = try? session.injectSyscall(tid: injector, number: 11 /* munmap */, arguments: [page, ClockTrampoline.pageSize],
                                           syscallAddress: syscallAddress)
            throw error
        }
        return Applied(trampolinePage: page, patched: undo.entries.map(\.function), offsetUpdatedOnly: false)
    }

    public func revert(_ undo: Undo) throws(ProcShimError) -> RevertReport {
        let target = undo.target.description
        switch try ProcFS.liveness(of: undo.target) {
        case .gone:
            return RevertReport(entries: [.init(target: target, outcome: .targetGone, detail: "process exited")])
        case .reused(let actual):
            return RevertReport(entries: [.init(target: target, outcome: .targetGone,
                                                detail: "pid now belongs to a process started at \(actual); not touched")])
        case .alive(let stat):
            if stat.isZombie {
                return RevertReport(entries: [.init(target: target, outcome: .targetGone, detail: "process is a zombie")])
            }
        }
        try Self.requireArchitecture()
        let pid = undo.target.pid
        guard let vdso = try? Self.vdsoMapping(pid), vdso.start == undo.vdsoBase else {
            return RevertReport(entries: [.init(target: target, outcome: .alreadyReverted,
                                                detail: "vDSO no longer at 0x\(String(undo.vdsoBase, radix: 16)) (process exec'd): nothing patched")])
        }
        let memory = try ProcessMemory(pid: pid)
        func readEntries() throws(ProcShimError) -> [[UInt8]] {
            try undo.entries.map { entry throws(ProcShimError) in try memory.read(entry.address, count: ClockTrampoline.stubLength) }
        }
        if try readEntries() == undo.entries.map(\.originalBytes) {
            return RevertReport(entries: [.init(target: target, outcome: .alreadyReverted, detail: "vDSO entries hold their original bytes")])
        }

        let session = try PtraceSession(pid: pid, stopTimeout: .seconds(2))
        defer { session.detach() }
        let current = try readEntries()
        var pages: Set<UInt64> = []
        var toRestore: [PatchedEntry] = []
        for (entry, bytes) in zip(undo.entries, current) where bytes != entry.originalBytes {
            guard let jump = ClockTrampoline.jumpTarget(of: bytes) else {
                throw .conflict("vDSO \(entry.symbols[0]) of pid \(pid) holds \(bytes.hex): neither the original bytes nor a Faultline jump; not overwritten")
            }
            let page = ClockTrampoline.pageStart(of: jump)
            guard (try? memory.read(page, count: 8)) == ClockTrampoline.magic else {
                throw .conflict("vDSO \(entry.symbols[0]) of pid \(pid) jumps to 0x\(String(jump, radix: 16)), which is not a Faultline trampoline page; not overwritten")
            }
            pages.insert(page)
            toRestore.append(entry)
        }
        let stubRanges = toRestore.map { $0.address..<($0.address + UInt64(ClockTrampoline.stubLength)) }
        let pageRanges = pages.map { $0..<($0 + ClockTrampoline.pageSize) }
        try session.moveThreads(outOf: stubRanges + pageRanges)
        for entry in toRestore {
            try memory.writeVerified(entry.address, entry.originalBytes, what: "vDSO \(entry.symbols[0]) original bytes")
        }
        // Unmap the trampoline page(s): no thread is inside them and no entry jumps there now.
        var notes = ["restored \(toRestore.map(\.function.rawValue).joined(separator: ", "))"]
        let image = try memory.read(vdso.start, count: Int(vdso.end - vdso.start))
        if let syscallAddress = ClockTrampoline.syscallInstruction(in: image, base: vdso.start, excluding: []) {
            let injector = try session.injectionThread()
            for page in pages.sorted() {
                let result = try session.injectSyscall(tid: injector, number: 11 /* munmap */,
                                                       arguments: [page, ClockTrampoline.pageSize], syscallAddress: syscallAddress)
                notes.append(result == 0 ? "unmapped 0x\(String(page, radix: 16))"
                                         : "munmap(0x\(String(page, radix: 16))) in target: \(ErrnoName.describe(Int32(-result)))")
            }
        }
        return RevertReport(entries: [.init(target: target, outcome: .reverted, detail: notes.joined(separator: "; "))])
    }

    /// Changes the offset of an applied skew without stopping the target: rewrites the
    /// trampoline's offset words through /proc/PID/mem (used by `ClockSkewStrobe`).
    public static func changeOffset(_ undo: Undo, to offset: Duration) throws(ProcShimError) {
        let memory = try ProcessMemory(pid: undo.target.pid)
        try writeOffset(memory, page: try trampolinePage(memory, undo), offset)
    }

    static func trampolinePage(_ memory: ProcessMemory, _ undo: Undo) throws(ProcShimError) -> UInt64 {
        guard let first = undo.entries.first,
              let jump = ClockTrampoline.jumpTarget(of: try memory.read(first.address, count: ClockTrampoline.stubLength))
        else { throw .conflict("clock skew of \(undo.target) is not applied") }
        let page = ClockTrampoline.pageStart(of: jump)
        guard try memory.read(page, count: 8) == ClockTrampoline.magic else {
            throw .conflict("page 0x\(String(page, radix: 16)) in pid \(undo.target.pid) is not a Faultline trampoline")
        }
        return page
    }

    static func writeOffset(_ memory: ProcessMemory, page: UInt64, _ offset: Duration) throws(ProcShimError) {
        try memory.write(page + ClockTrampoline.offsetWordsAt, ClockOffsetWords(offset).bytes)
    }

    static func vdsoMapping(_ pid: Int32) throws(ProcShimError) -> MemoryMapping {
        let maps: String
        do { maps = try SystemFiles.readText("/proc/\(pid)/maps") } catch {
            if error.errno == ENOENT { throw .processGone(pid: pid) }
            throw error
        }
        guard let vdso = MemoryMapping.vdso(in: MemoryMapping.parse(maps)) else {
            throw .unavailable(mechanism: name, missing: [.kernelFeature("vDSO mapped in pid \(pid)")])
        }
        return vdso
    }

    static func requireArchitecture() throws(ProcShimError) {
        if fl_arch_is_x86_64() == 0 {
            throw .unavailable(mechanism: name, missing: [.architecture("x86_64: the trampoline and jump are x86_64 machine code")])
        }
    }
}
