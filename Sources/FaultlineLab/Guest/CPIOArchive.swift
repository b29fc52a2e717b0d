import Foundation

/// Writes a cpio archive in the "newc" format, the one the kernel unpacks as an initramfs
/// (Documentation/driver-api/early-userspace/buffer-format.rst): a 110-byte ASCII header
/// per entry, the name NUL-terminated, name and data each padded to 4 bytes, and a
/// `TRAILER!!!` entry at the end. Archives can be concatenated; the kernel unpacks each in turn.
///
/// Pure apart from the `FileHandle` it writes to: no external `cpio` is needed.
struct CPIOArchive {
    enum Entry {
        case directory(path: String, mode: UInt32 = 0o755)
        case file(path: String, contents: Data, mode: UInt32 = 0o644)
        case symlink(path: String, target: String)
    }

    private let output: FileHandle
    private var inode: UInt32 = 1
    private(set) var bytesWritten = 0

    init(writingTo output: FileHandle) { self.output = output }

    mutating func append(_ entry: Entry) throws {
        switch entry {
        case let .directory(path, mode): try write(name: path, mode: 0o040000 | mode, links: 2, data: Data())
        case let .file(path, contents, mode): try write(name: path, mode: 0o100000 | mode, links: 1, data: contents)
        case let .symlink(path, target): try write(name: path, mode: 0o120777, links: 1, data: Data(target.utf8))
        }
    }

    /// Ends the archive (another archive may follow it in the same file).
    mutating func finish() throws {
        try write(name: "TRAILER!!!", mode: 0, links: 1, data: Data())
    }

    /// Names are relative ("usr/bin/x"), as the kernel expects.
    private mutating func write(name: String, mode: UInt32, links: UInt32, data: Data) throws {
        let relative = name.hasPrefix("/") ? String(name.dropFirst()) : name
        let nameBytes = Data(relative.utf8) + [0]
        let fields: [UInt32] = [inode, mode, 0, 0, links, 0, UInt32(data.count), 0, 0, 0, 0, UInt32(nameBytes.count), 0]
        var header = Data("070701".utf8)
        for field in fields { header += Data(Self.hex8(field).utf8) }
        var chunk = header + nameBytes
        chunk += Data(count: Self.padding(chunk.count))
        try output.write(contentsOf: chunk)
        try output.write(contentsOf: data)
        let tail = Self.padding(data.count)
        if tail > 0 { try output.write(contentsOf: Data(count: tail)) }
        bytesWritten += chunk.count + data.count + tail
        inode += 1
    }

    static func padding(_ count: Int) -> Int { (4 - count % 4) % 4 }

    static func hex8(_ value: UInt32) -> String {
        let digits = String(value, radix: 16, uppercase: true)
        return String(repeating: "0", count: 8 - digits.count) + digits
    }
}
