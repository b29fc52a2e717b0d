import Foundation

/// The base initramfs every lab guest boots: busybox (static), iproute2's `ip` and `tc`,
/// `faultline-agent` and `fl-netprobe` with the shared libraries they load, the kernel
/// modules for virtio, fw_cfg, traffic control (netem, tbf, htb, ifb, u32, mirred) and
/// netfilter, and `/init` (`GuestInit`). Nothing is installed into the host.
///
/// Built once per (kernel, binaries) and kept in the cache folder; a rebuilt agent makes a
/// new image. Uncompressed: the kernel unpacks it without decompressing (software
/// emulation would spend seconds on gzip), and QEMU reads it straight from the file.
enum GuestImage {
    /// A program copied in, with the libraries `ldd` says it loads.
    struct Program: Sendable {
        var source: String
        var target: String
        /// Debug builds carry ~45 MB of symbols the guest never needs.
        var strip: Bool
    }

    static let busybox = "/bin/busybox"
    static let strip = "/usr/bin/strip"
    /// Bump when the image's layout changes, so cached images are rebuilt.
    static let layoutVersion = 5

    /// Module trees and single modules every guest needs; their dependencies come along.
    static func wantsModule(_ path: String) -> Bool {
        path.hasPrefix("kernel/net/") || path.hasPrefix("kernel/drivers/virtio/")
            || ["virtio_net", "net_failover", "ifb", "veth", "dummy", "tun", "qemu_fw_cfg", "virtio_console"].contains {
                path.hasSuffix("/\($0).ko") || path.hasSuffix("/\($0).ko.xz")
            }
    }

    /// The image for `kernel` with `programs`, built if the cache has none yet.
    static func ensure(kernel: GuestKernel, programs: [Program], cache: String, progress: (String) -> Void) throws -> String {
        let folder = cache + "/images"
        try LabFiles.makeDirectory(folder)
        let key = try cacheKey(kernel: kernel, programs: programs)
        let path = folder + "/base-\(key).cpio"
        if FileManager.default.fileExists(atPath: path) { return path }
        progress("guest image: building \(path)")
        // Older images (other agents, other kernels) are replaced, not accumulated.
        for old in (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [] where old.hasPrefix("base-") {
            try? FileManager.default.removeItem(atPath: folder + "/" + old)
        }
        let temporary = path + ".partial-\(getpid())"
        FileManager.default.createFile(atPath: temporary, contents: nil)
        do {
            guard let handle = FileHandle(forWritingAtPath: temporary) else { throw LabError.system(call: "open(\(temporary))", errno: errno) }
            defer { try? handle.close() }
            var writer = Writer(archive: CPIOArchive(writingTo: handle))
            try writer.directories(["proc", "sys", "dev", "tmp", "run", "root", "etc/faultline", "var/lib/faultline", "bin", "sbin", "usr/bin", "usr/sbin"])
            try writer.file("init", Data(GuestInit.script.utf8), mode: 0o755)
            try writer.file("bin/busybox", try read(busybox), mode: 0o755)
            for program in programs {
                let contents = program.strip ? try stripped(program.source) : try read(program.source)
                try writer.file(program.target, contents, mode: 0o755)
                for library in try sharedLibraries(of: program.source) where !writer.has(library) {
                    try writer.file(library, try read(library), mode: 0o755)
                }
            }
            try addModules(kernel, to: &writer)
            try writer.archive.finish()
        } catch {
            unlink(temporary)
            throw error
        }
        guard rename(temporary, path) == 0 else { throw LabError.system(call: "rename(\(path))", errno: errno) }
        return path
    }

    /// Copies each module the guest wants, its dependencies (modules.dep) and the kernel's
    /// module indexes, so busybox `modprobe` (and the kernel's autoloading through it) works.
    static func addModules(_ kernel: GuestKernel, to writer: inout Writer) throws {
        let dependencies = try parseModulesDep(String(contentsOfFile: kernel.modules + "/modules.dep", encoding: .utf8))
        var selected = Set<String>()
        var pending = dependencies.keys.filter(wantsModule)
        while let module = pending.popLast() {
            guard selected.insert(module).inserted else { continue }
            pending += dependencies[module] ?? []
        }
        let base = "lib/modules/\(kernel.version)/"
        for module in selected.sorted() {
            try writer.file(base + module, try read(kernel.modules + "/" + module), mode: 0o644)
        }
        for index in try FileManager.default.contentsOfDirectory(atPath: kernel.modules).sorted() where index.hasPrefix("modules.") {
            try writer.file(base + index, try read(kernel.modules + "/" + index), mode: 0o644)
        }
    }

    /// "kernel/a.ko: kernel/b.ko kernel/c.ko" lines → module → dependencies.
    static func parseModulesDep(_ text: String) -> [String: [String]] {
        var result: [String: [String]] = [:]
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 1)
            guard let module = parts.first else { continue }
            result[String(module)] = parts.count > 1 ? parts[1].split(separator: " ").map(String.init) : []
        }
        return result
    }

    /// The absolute paths `ldd` resolves for `binary` (libraries and the loader).
    static func sharedLibraries(of binary: String) throws -> [String] {
        let output = try Spawn.run(["/usr/bin/ldd", binary])
        // A static binary: "not a dynamic executable", status 1.
        guard output.status == 0 else { return [] }
        return parseLdd(output.stdout)
    }

    /// "\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x…)" and "\t/lib64/ld-linux-x86-64.so.2 (0x…)".
    static func parseLdd(_ text: String) -> [String] {
        text.split(separator: "\n").compactMap { line in
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            if let arrow = fields.firstIndex(of: "=>"), arrow + 1 < fields.count, fields[arrow + 1].hasPrefix("/") {
                return String(fields[arrow + 1])
            }
            if let first = fields.first, first.hasPrefix("/") { return String(first) }
            return nil
        }
    }

    static func cacheKey(kernel: GuestKernel, programs: [Program]) throws -> String {
        var description = "layout \(layoutVersion) kernel \(kernel.version) init \(GuestInit.script.hashValueStable)"
        for path in [busybox] + programs.map(\.source) {
            let attributes = try FileManager.default.attributesOfItem(atPath: path)
            let size = (attributes[.size] as? NSNumber)?.intValue ?? 0
            let modified = (attributes[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
            description += " \(path) \(size) \(modified)"
        }
        return String(format: "%016llx", description.hashValueStable)
    }

    static func read(_ path: String) throws -> Data {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw LabError.unsupported("cannot read \(path) for the guest image")
        }
        return data
    }

    static func stripped(_ path: String) throws -> Data {
        let output = NSTemporaryDirectory() + "fl-guest-strip-\(getpid())"
        defer { unlink(output) }
        try Spawn.check([strip, "--strip-debug", "-o", output, path])
        return try read(output)
    }

    /// Adds entries, creating each parent directory once (the kernel does not create them).
    struct Writer {
        var archive: CPIOArchive
        private var made: Set<String> = [""]

        init(archive: CPIOArchive) { self.archive = archive }

        func has(_ path: String) -> Bool { made.contains(Self.relative(path)) }

        mutating func directories(_ paths: [String]) throws {
            for path in paths { try directory(Self.relative(path)) }
        }

        mutating func file(_ path: String, _ contents: Data, mode: UInt32) throws {
            let relative = Self.relative(path)
            try directory((relative as NSString).deletingLastPathComponent)
            try archive.append(.file(path: relative, contents: contents, mode: mode))
            made.insert(relative)
        }

        private mutating func directory(_ relative: String) throws {
            guard !made.contains(relative) else { return }
            try directory((relative as NSString).deletingLastPathComponent)
            try archive.append(.directory(path: relative))
            made.insert(relative)
        }

        static func relative(_ path: String) -> String {
            path.hasPrefix("/") ? String(path.dropFirst()) : path
        }
    }
}

extension String {
    /// FNV-1a: stable across runs (Swift's `hashValue` is seeded per process).
    var hashValueStable: UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return hash
    }
}
