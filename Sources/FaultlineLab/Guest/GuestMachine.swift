import FaultlinePlan
import Foundation

/// One lab guest as QEMU runs it: software emulation (this machine's /dev/kvm does not
/// work), the cloud kernel booted directly with the base initramfs, the guest's own files
/// through fw_cfg, the kernel console to a log file, the lab console (a virtio console port) on a Unix socket and
/// one virtio NIC on a tap in the lab's bridge. Pure: builds argv, starts nothing.
struct GuestMachine: Sendable, Equatable {
    static let qemu = "/usr/bin/qemu-system-x86_64"
    /// Enough for the initramfs (unpacked into RAM, ~160 MB) and the agent.
    static let memoryMiB = 640

    var index: Int
    var addressing: LabAddressing
    var labDirectory: String
    var kernel: String
    var initramfs: String

    var name: String { addressing.guestName(index) }
    var configArchive: String { Self.folder(labDirectory) + "/\(name).cpio" }
    var consoleSocket: String { Self.folder(labDirectory) + "/\(name).console" }
    var kernelLog: String { labDirectory + "/logs/guest-\(name).log" }
    var qemuLog: String { labDirectory + "/logs/qemu-\(name).log" }

    static func folder(_ labDirectory: String) -> String { labDirectory + "/guests" }

    /// Locally administered, unique per lab subnet and guest.
    var mac: String {
        String(format: "52:54:00:77:%02x:%02x", addressing.subnetIndex, index)
    }

    var argv: [String] {
        [Self.qemu,
         "-name", "fl-\(addressing.name)-\(name)",
         "-machine", "q35,accel=tcg", "-cpu", "max", "-smp", "1", "-m", "\(Self.memoryMiB)M",
         "-nodefaults", "-no-user-config", "-display", "none", "-no-reboot",
         "-kernel", kernel, "-initrd", initramfs,
         "-append", "console=ttyS0 panic=-1 quiet",
         "-fw_cfg", "name=\(GuestInit.configName),file=\(configArchive)",
         "-serial", "file:\(kernelLog)",
         "-device", "virtio-serial-pci",
         "-chardev", "socket,id=console,path=\(consoleSocket),server=on,wait=off",
         "-device", "virtserialport,chardev=console,name=fl.console",
         "-netdev", "tap,id=net0,ifname=\(addressing.tapName(ofGuest: index)),script=no,downscript=no",
         "-device", "virtio-net-pci,netdev=net0,mac=\(mac)"]
    }
}
