#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Testing
@testable import FaultlineProcShims

/// The pure parts: /proc and mountinfo parsers, the vDSO ELF reader, offset encoding, the
/// jump stub, host-clock arithmetic and its policy gate, selectors, wire forms.
@Suite struct ParsingTests {
    @Test("/proc/PID/stat with spaces and parentheses in comm")
    func procStat() throws {
        let fields = (4...52).map { $0 == 9 ? "4194560" : $0 == 22 ? "987654" : "\($0)" }.joined(separator: " ")
        let stat = try ProcStat.parse("4242 (a) (b c)) S \(fields)\n")
        #expect(stat.pid == 4242)
        #expect(stat.comm == "a) (b c)")
        #expect(stat.state == "S")
        #expect(stat.startTime == 987654)
        #expect(stat.flags == 4194560)
        #expect(!stat.isKernelThread)
        #expect(throws: ProcShimError.self) { _ = try ProcStat.parse("4242 broken") }
        #expect(throws: ProcShimError.self) { _ = try ProcStat.parse("4242 (x) S 1 2") }
        // Kernel thread flag (PF_KTHREAD) on the real kthreadd.
        #expect(try ProcFS.stat(2).isKernelThread)
    }

    @Test("mountinfo of a hybrid host: cgroup2 at /sys/fs/cgroup/unified, v1 freezer beside it")
    func mountInfo() {
        let text = """
        31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
        37 31 0:34 / /sys/fs/cgroup/freezer rw,relatime - cgroup cgroup rw,freezer
        40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd
        41 31 0:38 / /sys/fs/cgroup/unified rw,relatime shared:9 - cgroup2 cgroup2 rw
        50 23 0:40 / /mnt/with\\040space rw - ext4 /dev/vda rw
        """
        let entries = MountInfo.parse(text)
        #expect(entries.count == 5)
        #expect(entries[4].mountPoint == "/mnt/with space")
        let mounts = CgroupMounts.from(entries)
        #expect(mounts.unified == .init(mountPoint: "/sys/fs/cgroup/unified", root: "/"))
        #expect(mounts.freezerV1?.mountPoint == "/sys/fs/cgroup/freezer")
        #expect(mounts.systemdV1?.mountPoint == "/sys/fs/cgroup/systemd")
        #expect(mounts.unified?.directory(for: "/system.slice/etcd.service") == "/sys/fs/cgroup/unified/system.slice/etcd.service")
        #expect(mounts.unified?.directory(for: "/") == "/sys/fs/cgroup/unified")
        // Inside a cgroup namespace the mount root is a sub-cgroup.
        let nested = CgroupMounts.Mount(mountPoint: "/sys/fs/cgroup", root: "/lab/host1")
        #expect(nested.directory(for: "/lab/host1/app") == "/sys/fs/cgroup/app")
        #expect(nested.directory(for: "/other") == nil)
        // Pure v2 host.
        let pure = CgroupMounts.from(MountInfo.parse("30 23 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw,nsdelegate"))
        #expect(pure.unified?.mountPoint == "/sys/fs/cgroup" && pure.freezerV1 == nil)
        // This machine: the v2 mount is found, not assumed.
        #expect((try? CgroupMounts.current().unified) != nil)
    }

    @Test("/proc/PID/cgroup lines")
    func cgroupMembership() {
        let lines = CgroupMembership.parse("9:name=systemd:/\n6:freezer:/fl\n4:memory:/a/b\n0::/system.slice/x.service\n")
        #expect(lines.count == 4)
        #expect(lines[1].controllers == ["freezer"] && lines[1].path == "/fl")
        #expect(lines[3].isUnified && lines[3].path == "/system.slice/x.service")
        #expect(CgroupPath.contains("/a", "/a/b") && CgroupPath.contains("/", "/x") && !CgroupPath.contains("/a", "/ab"))
    }

    @Test("/proc/PID/maps and the vDSO mapping")
    func maps() {
        let mappings = MemoryMapping.parse("""
        55d0c0a00000-55d0c0a02000 r--p 00000000 fd:01 123 /usr/bin/x
        7f45590c5000-7f45590c9000 r--p 00000000 00:00 0                          [vvar]
        7f45590cb000-7f45590cd000 r-xp 00000000 00:00 0                          [vdso]
        7f4559000000-7f4559001000 r-xp 00000000 00:00 0
        """)
        #expect(mappings.count == 4)
        #expect(MemoryMapping.vdso(in: mappings) == .init(start: 0x7f45590cb000, end: 0x7f45590cd000, permissions: "r-xp", name: "[vdso]"))
        #expect(mappings[3].name.isEmpty && mappings[3].isExecutable)
    }

    @Test("ELF dynamic symbols of this process's own vDSO")
    func ownVDSOSymbols() throws {
        let mappings = MemoryMapping.parse(try SystemFiles.readText("/proc/self/maps"))
        let vdso = try #require(MemoryMapping.vdso(in: mappings))
        let handle = try #require(FileHandle(forReadingAtPath: "/proc/self/mem"))
        try handle.seek(toOffset: vdso.start)
        let image = [UInt8](try #require(try handle.read(upToCount: Int(vdso.end - vdso.start))))
        let elf = try ELFSymbols.parse(image)
        #expect(elf.machine == 0x3E)
        let gettime = try #require(elf.symbol(named: "__vdso_clock_gettime"))
        #expect(elf.symbol(named: "clock_gettime")?.offset == gettime.offset)
        #expect(gettime.size >= UInt64(ClockTrampoline.stubLength))
        // The address computed from the ELF is the one glibc resolved for this process.
        let resolved = try #require(dlsym(dlopen("linux-vdso.so.1", RTLD_NOW | RTLD_NOLOAD), "__vdso_clock_gettime"))
        #expect(UInt64(UInt(bitPattern: resolved)) == vdso.start + gettime.offset)
        #expect(throws: ProcShimError.self) { _ = try ELFSymbols.parse(Array(image[0..<40])) }
        var truncated = image
        truncated.removeLast(image.count - 200)
        #expect(throws: ProcShimError.self) { _ = try ELFSymbols.parse(truncated) }
    }

    @Test("offset words: floor seconds, non-negative sub-second part")
    func offsetWords() {
        #expect(ClockOffsetWords(.seconds(3600)) == .init(seconds: 3600, nanoseconds: 0, microseconds: 0))
        #expect(ClockOffsetWords(.milliseconds(-250)) == .init(seconds: -1, nanoseconds: 750_000_000, microseconds: 750_000))
        #expect(ClockOffsetWords(.seconds(-86400) - .milliseconds(250)) == .init(seconds: -86401, nanoseconds: 750_000_000, microseconds: 750_000))
        #expect(ClockOffsetWords(.nanoseconds(1_500_000_001)) == .init(seconds: 1, nanoseconds: 500_000_001, microseconds: 500_000))
        let bytes = ClockOffsetWords(.seconds(-1)).bytes
        #expect(bytes.count == 24 && bytes[0..<8].allSatisfy { $0 == 0xFF } && bytes[8...].allSatisfy { $0 == 0 })
    }

    @Test("trampoline blob, jump stub and syscall search")
    func trampoline() {
        let blob = ClockTrampoline.blob
        #expect(Array(blob[0..<8]) == ClockTrampoline.magic)
        #expect(blob.count < Int(ClockTrampoline.pageSize))
        for function in ClockFunction.allCases {
            let offset = Int(ClockTrampoline.entryOffset(function))
            #expect(offset >= 64 && offset < blob.count)
        }
        // clock_gettime entry starts with `mov eax, 228; syscall`.
        let entry = Int(ClockTrampoline.entryOffset(.clockGettime))
        #expect(Array(blob[entry..<entry + 7]) == [0xB8, 0xE4, 0x00, 0x00, 0x00, 0x0F, 0x05])
        let page = ClockTrampoline.page(offset: .seconds(3600))
        #expect(Array(page[8..<16]) == ClockOffsetWords(.seconds(3600)).bytes[0..<8].map { $0 })
        let stub = ClockTrampoline.jumpStub(to: 0x7f00_1234_5040)
        #expect(stub.count == ClockTrampoline.stubLength)
        #expect(ClockTrampoline.jumpTarget(of: stub) == 0x7f00_1234_5040)
        #expect(ClockTrampoline.jumpTarget(of: Array(repeating: 0x90, count: 12)) == nil)
        #expect(ClockTrampoline.pageStart(of: 0x7f00_1234_5040) == 0x7f00_1234_5000)
        let image: [UInt8] = [0x90, 0x0F, 0x05, 0xC3, 0x0F, 0x05]
        #expect(ClockTrampoline.syscallInstruction(in: image, base: 0x1000, excluding: []) == 0x1001)
        #expect(ClockTrampoline.syscallInstruction(in: image, base: 0x1000, excluding: [0x1000..<0x1003]) == 0x1004)
        #expect(ClockTrampoline.syscallInstruction(in: [0x90], base: 0, excluding: []) == nil)
    }

    @Test("host clock: the policy gate refuses without the allow flag (checked without touching any clock)")
    func hostClockGate() {
        #expect(throws: ProcShimError.refused("stepping the host clock needs the policy flag allowHostClockStep")) {
            try HostClockStep.checkPolicy(.init(offset: .seconds(3600), allowHostClockStep: false))
        }
        #expect(throws: ProcShimError.self) { try HostClockStep.checkPolicy(.init(offset: .zero, allowHostClockStep: true)) }
        #expect(throws: Never.self) { try HostClockStep.checkPolicy(.init(offset: .seconds(-5), allowHostClockStep: true)) }
    }

    @Test("host clock arithmetic: skewed, unskewed, rebooted, drifted; elapsed time preserved")
    func hostClockArithmetic() {
        let s: Int64 = 1_000_000_000
        let undo = HostClockStep.Undo(offset: .seconds(3600), bootID: "boot-a", realtimeAtPrepare: 1_800_000_000 * s, boottimeAtPrepare: 500 * s)
        // 10 s later, clock stepped +3600 s.
        #expect(HostClockArithmetic.state(undo: undo, realtimeNow: (1_800_000_010 + 3600) * s, boottimeNow: 510 * s, bootID: "boot-a") == .skewed)
        #expect(HostClockArithmetic.state(undo: undo, realtimeNow: 1_800_000_010 * s + 3 * s / 10, boottimeNow: 510 * s, bootID: "boot-a") == .unskewed)
        #expect(HostClockArithmetic.state(undo: undo, realtimeNow: 1_800_000_010 * s, boottimeNow: 510 * s, bootID: "boot-b") == .rebooted)
        #expect(HostClockArithmetic.state(undo: undo, realtimeNow: (1_800_000_010 + 1200) * s, boottimeNow: 510 * s, bootID: "boot-a") == .drifted(1200 * s))
        // Stepping back by the offset keeps the 10 s that elapsed.
        let back = HostClockArithmetic.stepped((1_800_000_010 + 3600) * s, by: -undo.offset.nanoseconds)
        #expect(back == 1_800_000_010 * s)
        #expect(HostClockArithmetic.tolerance(for: 3600 * s) == 5 * s)
        #expect(HostClockArithmetic.tolerance(for: -200_000_000) == 100_000_000)
        #expect(HostClockArithmetic.split(-1) == (-1, 999_999_999))
        #expect(HostClockArithmetic.split(3 * s + 5) == (3, 5))
    }

    @Test("selector helpers, signals and wire forms")
    func selectorsAndWire() throws {
        #expect(ProcessSelector.commName("a-very-long-process-name") == "a-very-long-pro")
        #expect(ProcessSelector.systemdUnitName("etcd") == "etcd.service")
        #expect(ProcessSelector.systemdUnitName("user.slice") == "user.slice")
        #expect(ProcessSelector.networkNamespacePath("fl-x") == "/run/netns/fl-x")
        #expect(try ProcessSelector.parsePidfile("  4242\n") == 4242)
        #expect(throws: ProcShimError.self) { _ = try ProcessSelector.parsePidfile("nope") }
        #expect(throws: ProcShimError.self) { try ProcessSelector.pid(0).validate() }
        #expect(Signal(name: "TERM") == .terminate && Signal(name: "sigkill") == .kill && Signal(name: "10") == .user1)
        #expect(Signal(name: "NOPE") == nil)
        #expect(Signal.hangup.description == "SIGHUP")
        #expect(ProcShimError.system(call: "pidfd_send_signal", target: "pid 7, SIGKILL", errno: ESRCH).description
                == "pidfd_send_signal(pid 7, SIGKILL): ESRCH (No such process)")
        let selector = ProcessSelector.cgroup(path: "/system.slice/etcd.service", recursive: true)
        #expect(try JSONDecoder().decode(ProcessSelector.self, from: JSONEncoder().encode(selector)) == selector)
        let undo = VDSOClockSkew.Undo(target: .init(pid: 9, startTime: 10), vdsoBase: 0x7f00_0000_0000,
                                      entries: [.init(function: .time, symbols: ["__vdso_time"], address: 0x7f00_0000_0ac0,
                                                      originalBytes: [1, 2, 3])])
        #expect(try JSONDecoder().decode(VDSOClockSkew.Undo.self, from: JSONEncoder().encode(undo)) == undo)
        #expect(KernelVersion.parse("6.18.44-fc-v445").atLeast(5, 2))
        #expect(!KernelVersion.parse("4.19.0").atLeast(5, 2))
    }
}
