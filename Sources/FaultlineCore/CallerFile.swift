#if canImport(Glibc)
import Glibc
#endif

/// Reading a file that a caller named (a plan, an inventory, a history, a pidfile), so
/// that no name can block the reader or fill its memory.
///
/// The file is opened without blocking (a FIFO would otherwise block `open` itself until
/// a writer comes, and a device such as /dev/zero never ends), refused unless it is a
/// regular file, and read only up to `limit` bytes. Failures say which rule was broken and
/// never quote the contents (a secret named as a pidfile must not come back in an error).
public enum CallerFile {
    public struct Failure: Error, Sendable, Equatable, CustomStringConvertible {
        public var message: String
        public var description: String { message }
    }

    /// At most `limit` bytes of the regular file at `path`; larger files are refused, not cut.
    /// `kind` names the file in messages ("a plan file", "a pidfile").
    public static func read(_ path: String, limit: Int, kind: String,
                            followingSymlinks: Bool = true) -> Result<[UInt8], Failure> {
        var flags = O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC
        if !followingSymlinks { flags |= O_NOFOLLOW }
        let fd = open(path, flags)
        guard fd >= 0 else { return .failure(Failure(message: openFailure(errno))) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { return .failure(Failure(message: "cannot read it: \(errorText(errno))")) }
        switch info.st_mode & S_IFMT {
        case S_IFREG: break
        case S_IFDIR: return .failure(Failure(message: "this is a folder, not a regular file; \(kind) must be one"))
        case S_IFIFO: return .failure(Failure(message: "this is a named pipe, not a regular file; \(kind) must be one"))
        default: return .failure(Failure(message: "this is not a regular file (a device or socket); \(kind) must be one"))
        }
        guard info.st_size <= off_t(limit) else {
            return .failure(Failure(message: "it is \(size(Int(info.st_size))); \(kind) holds at most \(size(limit))"))
        }
        return readToEnd(fd, limit: limit, what: "it", kind: kind)
    }

    /// Reads `fd` to its end, refusing (not cutting) more than `limit` bytes; `limit + 1`
    /// is read so a file that grew after fstat is still refused.
    private static func readToEnd(_ fd: Int32, limit: Int, what: String, kind: String) -> Result<[UInt8], Failure> {
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: min(65_536, limit + 1))
        while bytes.count <= limit {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, min($0.count, limit + 1 - bytes.count)) }
            if count < 0 {
                if errno == EINTR { continue }
                return .failure(Failure(message: "cannot read \(what): \(errorText(errno))"))
            }
            if count == 0 { return .success(bytes) }
            bytes.append(contentsOf: chunk[0..<count])
        }
        return .failure(Failure(message: (what == "it" ? "it is larger than " : what + " holds more than ") + "\(size(limit)); \(kind) holds at most \(size(limit))"))
    }

    /// At most `limit` bytes of standard input (a plan piped in as `-`); more is refused,
    /// not cut. Reads until end of input, as a pipe or a redirected file gives it.
    public static func readStandardInput(limit: Int, kind: String) -> Result<[UInt8], Failure> {
        readToEnd(STDIN_FILENO, limit: limit, what: "standard input", kind: kind)
    }

    private static func openFailure(_ code: Int32) -> String {
        switch code {
        case ENOENT: "no such file"
        case EACCES, EPERM: "cannot open the file for reading (permissions?)"
        case ELOOP: "it is a symbolic link, which is not followed here (\(errorText(code)))"
        default: "cannot open it: \(errorText(code))"
        }
    }

    /// "64 bytes", "16 KiB", "1 MiB" (rounded down), for messages.
    static func size(_ bytes: Int) -> String {
        if bytes < 1 << 10 { return "\(bytes) bytes" }
        if bytes < 1 << 20 { return "\(bytes >> 10) KiB" }
        return "\(bytes >> 20) MiB"
    }

    private static func errorText(_ code: Int32) -> String { String(cString: strerror(code)) }
}
