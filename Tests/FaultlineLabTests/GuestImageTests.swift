import Foundation
import Testing
@testable import FaultlineLab
@testable import FaultlinePlan

/// The guest lab's pure parts and its archive format, checked against real tools.
struct GuestImageTests {
    @Test func cpioArchivesAreReadByBusyboxCpio() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("fl-cpio-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder + "/out", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/test.cpio"
        FileManager.default.createFile(atPath: path, contents: nil)
        let handle = try #require(FileHandle(forWritingAtPath: path))
        var archive = CPIOArchive(writingTo: handle)
        try archive.append(.directory(path: "etc"))
        try archive.append(.file(path: "etc/odd-length", contents: Data("abc".utf8)))
        try archive.append(.file(path: "/etc/key", contents: Data("secret\n".utf8), mode: 0o600))
        try archive.append(.symlink(path: "etc/link", target: "key"))
        try archive.finish()
        try handle.close()

        let listing = try Spawn.check([GuestImage.busybox, "cpio", "-t", "-F", path])
        #expect(listing.split(separator: "\n") == ["etc", "etc/odd-length", "etc/key", "etc/link"])
        _ = try Spawn.check([GuestImage.busybox, "sh", "-c", "cd \"$1\" && busybox cpio -i -d -F \"$2\"", "sh", folder + "/out", path])
        #expect(try String(contentsOfFile: folder + "/out/etc/odd-length", encoding: .utf8) == "abc")
        #expect(try String(contentsOfFile: folder + "/out/etc/key", encoding: .utf8) == "secret\n")
        let mode = try FileManager.default.attributesOfItem(atPath: folder + "/out/etc/key")[.posixPermissions] as? Int
        #expect(mode == 0o600)
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: folder + "/out/etc/link") == "key")
    }

    @Test func lddAndModulesDepAreParsed() {
        let ldd = """
        \tlinux-vdso.so.1 (0x00007ffd)
        \tlibcap.so.2 => /lib/x86_64-linux-gnu/libcap.so.2 (0x00007f)
        \tlibswiftCore.so => /opt/swift/usr/lib/swift/linux/libswiftCore.so (0x00007f)
        \t/lib64/ld-linux-x86-64.so.2 (0x00007f)
        """
        #expect(GuestImage.parseLdd(ldd) == ["/lib/x86_64-linux-gnu/libcap.so.2", "/opt/swift/usr/lib/swift/linux/libswiftCore.so", "/lib64/ld-linux-x86-64.so.2"])
        let dep = GuestImage.parseModulesDep("kernel/net/sched/sch_netem.ko:\nkernel/net/netfilter/nft_numgen.ko: kernel/net/netfilter/nf_tables.ko kernel/lib/libcrc32c.ko\n")
        #expect(dep["kernel/net/sched/sch_netem.ko"] == [])
        #expect(dep["kernel/net/netfilter/nft_numgen.ko"] == ["kernel/net/netfilter/nf_tables.ko", "kernel/lib/libcrc32c.ko"])
        #expect(GuestImage.wantsModule("kernel/net/sched/sch_netem.ko"))
        #expect(GuestImage.wantsModule("kernel/drivers/firmware/qemu_fw_cfg.ko"))
        #expect(!GuestImage.wantsModule("kernel/sound/core/snd.ko"))
    }

    @Test func guestsHaveTheirOwnNamesAddressesTapsAndMachines() throws {
        guard case .success(let a) = LabAddressing.make(name: "gx", subnetIndex: 42) else { Issue.record("addressing"); return }
        let inventory = a.layout(hosts: 1, service: "none", guests: 2)
        #expect(inventory.hosts.map(\.name) == ["n1", "g1", "g2"])
        #expect(inventory.hosts.map(\.address) == ["10.77.42.11", "10.77.42.101", "10.77.42.102"])
        #expect(inventory.hosts[2].labels["kind"] == "guest")
        #expect(a.tapName(ofGuest: 9).utf8.count <= 15)

        let machine = GuestMachine(index: 2, addressing: a, labDirectory: "/run/faultline/gx", kernel: "/k/vmlinuz", initramfs: "/k/base.cpio")
        let argv = machine.argv
        #expect(argv.first == GuestMachine.qemu)
        #expect(argv.contains("tap,id=net0,ifname=fl-gx-t2,script=no,downscript=no"))
        #expect(argv.contains("virtio-net-pci,netdev=net0,mac=52:54:00:77:2a:02"))
        #expect(argv.contains("name=\(GuestInit.configName),file=/run/faultline/gx/guests/g2.cpio"))
        // Every guest process names the lab folder: `lab down` finds it even without state.
        #expect(argv.contains { $0.contains("/run/faultline/gx/") })
        #expect(LabGuests.agentConfig(machine).contains("allow-host-clock: true"))
        #expect(LabGuests.agentConfig(machine).contains("listen: 10.77.42.102:7433"))
    }

    @Test func consoleArgumentsReachTheShellLiterally() throws {
        #expect(GuestConsole.quoted("a b") == "'a b'")
        #expect(GuestConsole.quoted("it's $HOME;") == "'it'\\''s $HOME;'")
        let echoed = try Spawn.check([GuestImage.busybox, "sh", "-c", "printf %s " + GuestConsole.quoted("it's $HOME; `x`")])
        #expect(echoed == "it's $HOME; `x`")
    }

    @Test func tooManyGuestsAreRefusedBeforeAnythingIsTouched() throws {
        let lab = try TestLab()
        defer { lab.remove() }
        var options = lab.options(hosts: 1, service: .noService, agents: true)
        options.guests = LabAddressing.maximumGuests + 1
        #expect(throws: LabError.self) { try options.validate() }
        #expect(lab.leftovers().isEmpty)
    }
}
