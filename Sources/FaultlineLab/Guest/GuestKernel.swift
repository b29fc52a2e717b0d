import Foundation

/// Debian's cloud kernel for lab guests: downloaded with `apt-get download` and unpacked
/// with `dpkg -x` into Faultline's cache, never installed (nothing goes to /boot, no
/// bootloader or initramfs hook runs). `depmod -b` indexes its modules for the guests'
/// `modprobe`.
///
/// The cloud flavour is a stock distribution kernel with netem, ifb, nftables and virtio,
/// and small enough (27 MB) to fetch on a fresh CI machine in about a second.
public struct GuestKernel: Sendable, Equatable {
    /// e.g. "6.1.0-56-cloud-amd64"
    public var version: String
    /// The unpacked package's root (holds boot/ and lib/modules/).
    public var root: String
    public var vmlinuz: String { root + "/boot/vmlinuz-" + version }
    public var modules: String { root + "/lib/modules/" + version }

    /// The metapackage that always names the current cloud kernel.
    static let metapackage = "linux-image-cloud-amd64"

    /// The kernel in `cache`, fetched and unpacked first if it is not there yet.
    static func ensure(cache: String, progress: (String) -> Void) throws -> GuestKernel {
        let package = try currentPackage()
        guard let version = package.split(separator: "-", maxSplits: 2).last.map(String.init), package.hasPrefix("linux-image-") else {
            throw LabError.unsupported("unexpected kernel package name '\(package)'")
        }
        let kernel = GuestKernel(version: version, root: cache + "/kernel/" + version)
        let complete = kernel.root + "/.complete"
        if FileManager.default.fileExists(atPath: complete) { return kernel }

        progress("guest kernel: fetching \(package) (apt-get download; unpacked, never installed)")
        let downloads = cache + "/downloads"
        try LabFiles.makeDirectory(downloads)
        try? FileManager.default.removeItem(atPath: kernel.root)
        try Spawn.check(["/usr/bin/apt-get", "download", "-q", package], in: downloads)
        let debs = try FileManager.default.contentsOfDirectory(atPath: downloads).filter { $0.hasPrefix(package + "_") && $0.hasSuffix(".deb") }
        guard let deb = debs.sorted().last else { throw LabError.unsupported("apt-get download \(package) left no .deb in \(downloads)") }
        try LabFiles.makeDirectory(kernel.root)
        try Spawn.check(["/usr/bin/dpkg", "-x", downloads + "/" + deb, kernel.root])
        try Spawn.check([depmod, "-b", kernel.root, version])
        guard FileManager.default.fileExists(atPath: kernel.vmlinuz) else {
            throw LabError.unsupported("\(deb) has no boot/vmlinuz-\(version)")
        }
        try? FileManager.default.removeItem(atPath: downloads + "/" + deb)
        try LabFiles.write("", to: complete)
        return kernel
    }

    static let depmod = "/usr/sbin/depmod"

    /// "linux-image-6.1.0-56-cloud-amd64", from the metapackage's dependency.
    static func currentPackage() throws -> String {
        let output = try Spawn.run(["/usr/bin/apt-cache", "depends", metapackage])
        guard output.status == 0 else {
            throw LabError.unsupported("apt-cache cannot resolve \(metapackage) (run `apt-get update`; `make deps` does): \(output.stderr.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
        for line in output.stdout.split(separator: "\n") {
            let text = line.trimmingCharacters(in: .whitespaces)
            if text.hasPrefix("Depends: linux-image-") { return String(text.dropFirst("Depends: ".count)) }
        }
        throw LabError.unsupported("apt-cache depends \(metapackage) names no linux-image package")
    }
}
