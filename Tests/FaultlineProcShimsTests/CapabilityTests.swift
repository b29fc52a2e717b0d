#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Testing
@testable import FaultlineProcShims

/// libcap wrapper against the kernel's own view (/proc/PID/status) and against processes
/// started with capabilities dropped or raised by setpriv.
@Suite struct CapabilityTests {
    static func bits(_ field: String, pid: Int32) throws -> UInt64 {
        try ProcStatus.capabilityMask(named: field, in: SystemFiles.readText("/proc/\(pid)/status"))
    }

    static func bit(_ mask: UInt64, _ cap: Capability) -> Bool { (mask >> UInt64(cap.value)) & 1 == 1 }

    @Test("the current process's report matches CapEff/CapPrm/CapAmb")
    func currentMatchesKernel() throws {
        let report = try CapabilityReport.current()
        let pid = getpid()
        for cap in Capability.allCases {
            let sets = try #require(report.sets[cap])
            #expect(sets.effective == Self.bit(try Self.bits("CapEff", pid: pid), cap), "\(cap)")
            #expect(sets.permitted == Self.bit(try Self.bits("CapPrm", pid: pid), cap), "\(cap)")
            #expect(sets.ambient == Self.bit(try Self.bits("CapAmb", pid: pid), cap), "\(cap)")
        }
        #expect(report.description.contains("CAP_SYS_PTRACE"))
    }

    @Test("a process whose bounding set lacks CAP_SYS_TIME and CAP_KILL is reported without them",
          .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv") && getuid() == 0, "needs root and setpriv"))
    func droppedCapabilities() throws {
        let child = try ChildProcess(["/usr/bin/setpriv", "--bounding-set=-sys_time,-kill", "/bin/sleep", "30"])
        defer { child.terminate() }
        for _ in 0..<1000 where (try? ProcFS.comm(of: child.pid)) != "sleep" { usleep(2000) }
        let report = try CapabilityReport.of(pid: child.pid)
        #expect(!report.holds(.sysTime))
        #expect(!report.holds(.kill))
        #expect(report.holds(.netAdmin))
        #expect(report.missing([.kill, .sysPtrace, .sysTime]) == [.kill, .sysTime])
        // Availability derived from that report names exactly the missing capability.
        #expect(KillFault().availability(capabilities: report).missing == [.capability(.kill)])
        #expect(HostClockStep().availability(capabilities: report).missing == [.capability(.sysTime)])
        #expect(VDSOClockSkew().availability(capabilities: report).isAvailable)
    }

    @Test("an ambient capability raised by setpriv is reported as ambient",
          .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv") && getuid() == 0, "needs root and setpriv"))
    func ambientCapability() throws {
        let child = try ChildProcess(["/usr/bin/setpriv", "--inh-caps=+net_admin", "--ambient-caps=+net_admin", "/bin/sleep", "30"])
        defer { child.terminate() }
        for _ in 0..<1000 where (try? ProcFS.comm(of: child.pid)) != "sleep" { usleep(2000) }
        let report = try CapabilityReport.of(pid: child.pid)
        #expect(report.sets[.netAdmin]?.ambient == true)
        #expect(report.sets[.sysTime]?.ambient == false)
    }

    @Test("on this host (root, x86_64, pidfd, cgroup freezer) every process mechanism is available")
    func availabilityHere() throws {
        let caps = try CapabilityReport.current()
        try #require(caps.holds(.sysPtrace), "tests run as root with all capabilities")
        #expect(KillFault().availability(capabilities: caps).isAvailable)
        #expect(SignalPause().availability(capabilities: caps).isAvailable)
        let freezer = CgroupFreezePause().availability(capabilities: caps)
        #expect(freezer.isAvailable, "\(freezer)")
        #expect(freezer.notes.contains { $0.hasPrefix("cgroup v2 at ") })
        #expect(VDSOClockSkew().availability(capabilities: caps).isAvailable)
        #expect(HostClockStep.requires.contains(.policy("allowHostClockStep")))
        // A report without capabilities makes every mechanism list what it lacks.
        let none = CapabilityReport(pid: 0, sets: [:])
        #expect(VDSOClockSkew().availability(capabilities: none).missing == [.capability(.sysPtrace), .capability(.dacOverride)])
        #expect(CgroupFreezePause().availability(capabilities: none).missing == [.capability(.dacOverride)])
    }
}
