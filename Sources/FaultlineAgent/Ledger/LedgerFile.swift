import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The ledger on disk: append-only, each record synced before `append` returns.
///
/// One file, opened with O_APPEND; each record is one `write(2)` followed by `fsync(2)`
/// (and the directory is synced once when the file is created, so the file itself
/// survives a crash). Compaction rewrites the file with only the open records through a
/// temporary file and `rename(2)`, which is atomic.
public final class LedgerFile: @unchecked Sendable {
    public let path: String
    private var fd: Int32
    private let lock = NSLock()

    public struct IOError: Error, CustomStringConvertible, Sendable {
        public var call: String, path: String, errno: Int32
        public var description: String { "\(call)(\(path)): \(String(cString: strerror(errno))) (errno \(errno))" }
    }

    /// What opening found in the file.
    public struct Contents: Sendable {
        public var records: [LedgerRecord]
        /// A torn last line (a write cut by a crash) was dropped.
        public var tornTail: Bool
        /// Damaged lines that were skipped (1-based); their faults are left to the sweep.
        public var damagedLines: [Int]
    }

    /// Opens (creating if needed) the ledger and returns it with what it holds. A damaged
    /// ledger is read as far as it can be (see `LedgerCodec.decodeSalvaging`) and the file
    /// is kept as it was until the caller compacts it, so the damage can still be examined.
    public static func open(path: String) throws -> (LedgerFile, Contents) {
        let directory = (path as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: directory.isEmpty ? "." : directory, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        let existing = FileManager.default.contents(atPath: path) ?? Data()
        let (records, torn, damaged) = LedgerCodec.decodeSalvaging(existing)
        if !damaged.isEmpty {
            // Keep the damaged file beside the new one for whoever investigates.
            _ = try? existing.write(to: URL(fileURLWithPath: path + ".damaged"), options: .atomic)
        }
        let file = try LedgerFile(path: path)
        if torn || !damaged.isEmpty {
            // Rewrite without the torn tail so later appends start on a clean line.
            try file.compact(to: records)
        }
        return (file, Contents(records: records, tornTail: torn, damagedLines: damaged))
    }

    private init(path: String) throws {
        self.path = path
        fd = Glibc.open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw IOError(call: "open", path: path, errno: errno) }
        try LedgerFile.syncDirectory(of: path)
    }

    deinit { close(fd) }

    /// Appends a record and syncs it to disk before returning.
    public func append(_ record: LedgerRecord) throws {
        let line = LedgerCodec.encode(record)
        try lock.withLock {
            try line.withUnsafeBytes { buffer in
                var offset = 0
                while offset < buffer.count {
                    let n = write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                    if n < 0 {
                        if errno == EINTR { continue }
                        throw IOError(call: "write", path: path, errno: errno)
                    }
                    offset += n
                }
            }
            guard fsync(fd) == 0 else { throw IOError(call: "fsync", path: path, errno: errno) }
        }
    }

    /// Replaces the file's contents with `records` atomically.
    public func compact(to records: [LedgerRecord]) throws {
        try lock.withLock {
            let temporary = path + ".compact"
            let tfd = Glibc.open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
            guard tfd >= 0 else { throw IOError(call: "open", path: temporary, errno: errno) }
            var data = Data()
            for r in records { data.append(LedgerCodec.encode(r)) }
            let ok = data.withUnsafeBytes { write(tfd, $0.baseAddress, $0.count) == $0.count } && fsync(tfd) == 0
            close(tfd)
            guard ok else { throw IOError(call: "write", path: temporary, errno: errno) }
            guard rename(temporary, path) == 0 else { throw IOError(call: "rename", path: path, errno: errno) }
            close(fd)
            fd = Glibc.open(path, O_WRONLY | O_APPEND | O_CLOEXEC)
            guard fd >= 0 else { throw IOError(call: "open", path: path, errno: errno) }
            try LedgerFile.syncDirectory(of: path)
        }
    }

    static func syncDirectory(of path: String) throws {
        let directory = (path as NSString).deletingLastPathComponent
        let dfd = Glibc.open(directory.isEmpty ? "." : directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard dfd >= 0 else { throw IOError(call: "open", path: directory, errno: errno) }
        defer { close(dfd) }
        guard fsync(dfd) == 0 else { throw IOError(call: "fsync", path: directory, errno: errno) }
    }
}
