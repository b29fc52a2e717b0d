#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Where a journal goes while its run is under way.
///
/// The seam between the journal and the disk (tests give a sink that counts writes);
/// `JournalFile` is the real one.
public protocol JournalSink: Sendable {
    /// Replaces what was written before with `journal` as it stands now. Throws when it
    /// could not be written; the run goes on (the journal is still rendered at the end).
    func write(_ journal: Journal) throws
}

/// The journal file, rewritten whole at each sync: into a temporary file beside it,
/// `fsync`ed, renamed over the old one, and the folder `fsync`ed, so at every moment the
/// path holds a complete journal — the last synced state — however the controller dies
/// (a rename is atomic; a half-written temporary file is never the journal).
///
/// Why whole rewrites rather than appended lines: readers (people, `faultline report`, the
/// tests, jq) get one format, the same for a finished run and a killed one — a killed run's
/// journal just has no `outcome`. A journal is small (events and probe samples, not the
/// workload's operations, which go to the history file), so a rewrite costs milliseconds.
public struct JournalFile: JournalSink {
    public let path: String

    public init(path: String) { self.path = path }

    public func write(_ journal: Journal) throws {
        let data = try journal.encoded()
        let url = URL(fileURLWithPath: path)
        let folder = url.deletingLastPathComponent().path
        let temporary = folder + "/." + url.lastPathComponent + ".writing"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0o644)
        guard fd >= 0 else { throw JournalFileError(path: temporary, operation: "open", errno: errno) }
        var written = 0
        let failure: JournalFileError? = data.withUnsafeBytes { raw -> JournalFileError? in
            while written < raw.count {
                let n = Glibc.write(fd, raw.baseAddress! + written, raw.count - written)
                if n < 0 {
                    if errno == EINTR { continue }
                    return JournalFileError(path: temporary, operation: "write", errno: errno)
                }
                written += n
            }
            return fsync(fd) == 0 ? nil : JournalFileError(path: temporary, operation: "fsync", errno: errno)
        }
        close(fd)
        if let failure {
            unlink(temporary)
            throw failure
        }
        guard rename(temporary, path) == 0 else {
            let error = JournalFileError(path: path, operation: "rename", errno: errno)
            unlink(temporary)
            throw error
        }
        // The rename itself survives a crash only once the folder is on disk.
        let dir = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dir >= 0 { _ = fsync(dir); close(dir) }
    }
}

public struct JournalFileError: Error, CustomStringConvertible {
    public var path: String
    public var operation: String
    public var errno: Int32
    public var description: String { "cannot \(operation) \(path): \(String(cString: strerror(errno)))" }
}
