import FaultlineCore

#if canImport(Glibc)
import Glibc
#endif

/// Small file helpers over open/read/write/pread/pwrite that retry EINTR and throw
/// errors naming the call, the path and the errno. /proc and /sys files are read with
/// these (not Foundation) so a failure says which syscall failed and why.
public enum SystemFiles {
    /// The whole content of a (usually /proc or /sys) file.
    static func read(_ path: String) throws(ProcShimError) -> [UInt8] {
        let fd = try open(path, O_RDONLY)
        defer { Glibc.close(fd) }
        var result: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 8192)
        while true {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if Glibc.errno == EINTR { continue }
                throw .lastErrno("read", path)
            }
            if count == 0 { break }
            result.append(contentsOf: chunk[0..<count])
        }
        return result
    }

    /// The file as UTF-8 text (invalid bytes repaired).
    /// At most `limit` bytes of a file (a command line can be megabytes long; a selector
    /// needs its start).
    static func read(_ path: String, limit: Int) throws(ProcShimError) -> [UInt8] {
        let fd = try open(path, O_RDONLY)
        defer { Glibc.close(fd) }
        return try readUpTo(fd, limit: limit, path: path)
    }

    /// A small regular file named by a caller (a pidfile): opened without following a
    /// symbolic link and without blocking, refused unless it is a regular file of at most
    /// `limit` bytes (see `CallerFile`). Errors name the path and the rule, never the contents.
    public static func readSmallRegularFile(_ path: String, limit: Int) throws(ProcShimError) -> [UInt8] {
        switch CallerFile.read(path, limit: limit, kind: "a pidfile", followingSymlinks: false) {
        case .success(let bytes): return bytes
        case .failure(let failure): throw .refused("\(path): \(failure)")
        }
    }

    private static func readUpTo(_ fd: Int32, limit: Int, path: String) throws(ProcShimError) -> [UInt8] {
        var result: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: min(8192, max(limit, 1)))
        while result.count < limit {
            let want = min(chunk.count, limit - result.count)
            let count = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, want) }
            if count < 0 {
                if Glibc.errno == EINTR { continue }
                throw .lastErrno("read", path)
            }
            if count == 0 { break }
            result.append(contentsOf: chunk[0..<count])
        }
        return result
    }

    static func readText(_ path: String) throws(ProcShimError) -> String {
        String(decoding: try read(path), as: UTF8.self)
    }

    /// Writes `text` in one write(2), as cgroup control files require.
    static func write(_ path: String, _ text: String) throws(ProcShimError) {
        let fd = try open(path, O_WRONLY)
        defer { Glibc.close(fd) }
        let bytes = Array(text.utf8)
        while true {
            let count = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if Glibc.errno == EINTR { continue }
                throw .lastErrno("write", path)
            }
            if count != bytes.count {
                throw .system(call: "write", target: "\(path) (short write \(count)/\(bytes.count))", errno: EIO)
            }
            return
        }
    }

    static func open(_ path: String, _ flags: Int32) throws(ProcShimError) -> Int32 {
        while true {
            let fd = Glibc.open(path, flags | O_CLOEXEC)
            if fd >= 0 { return fd }
            if Glibc.errno == EINTR { continue }
            throw .lastErrno("open", path)
        }
    }

    /// Names in a directory, without `.` and `..`.
    static func list(_ path: String) throws(ProcShimError) -> [String] {
        guard let dir = opendir(path) else { throw .lastErrno("opendir", path) }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// Subdirectory names (d_type DT_DIR) of a directory.
    static func subdirectories(_ path: String) throws(ProcShimError) -> [String] {
        guard let dir = opendir(path) else { throw .lastErrno("opendir", path) }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            guard entry.pointee.d_type == UInt8(DT_DIR) else { continue }
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// stat(2): (device, inode).
    public static func deviceAndInode(_ path: String) throws(ProcShimError) -> FileIdentity {
        var info = stat()
        guard fstatat(AT_FDCWD, path, &info, 0) == 0 else { throw .lastErrno("fstatat", path) }
        return FileIdentity(device: UInt64(info.st_dev), inode: UInt64(info.st_ino))
    }

    static func exists(_ path: String) -> Bool {
        access(path, F_OK) == 0
    }
}

/// A file's identity as the kernel sees it; namespaces are compared this way.
public struct FileIdentity: Hashable, Sendable, Codable {
    public var device: UInt64
    public var inode: UInt64
}
