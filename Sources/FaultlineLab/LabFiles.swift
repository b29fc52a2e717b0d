#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// The lab's folder and the files in it: configs, keys (0600), state, logs.
enum LabFiles {
    /// Writes to a temporary file beside `path`, syncs it, sets `mode` and renames it over
    /// `path`: readers see the old or the new content, never a torn one.
    static func writeDurably(_ data: Data, to path: String, mode: mode_t = 0o644) throws {
        let temporary = path + ".tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
        guard fd >= 0 else { throw LabError.system(call: "open(\(temporary))", errno: errno) }
        var failure: Int32 = 0
        data.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let n = Glibc.write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                if n < 0 { if errno == EINTR { continue }; failure = errno; break }
                offset += n
            }
        }
        if failure == 0, fchmod(fd, mode) != 0 { failure = errno }
        if failure == 0, fsync(fd) != 0 { failure = errno }
        close(fd)
        guard failure == 0 else { unlink(temporary); throw LabError.system(call: "write(\(temporary))", errno: failure) }
        guard rename(temporary, path) == 0 else { throw LabError.system(call: "rename(\(temporary))", errno: errno) }
    }

    static func write(_ text: String, to path: String, mode: mode_t = 0o644) throws {
        try writeDurably(Data(text.utf8), to: path, mode: mode)
    }

    static func makeDirectory(_ path: String, mode: Int = 0o700) throws {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: mode])
        } catch {
            throw LabError.invalid("cannot create \(path): \(error.localizedDescription)")
        }
    }

    /// The last `bytes` of a log, for error messages.
    static func tail(_ path: String, bytes: Int = 1500) -> String {
        guard let data = FileManager.default.contents(atPath: path) else { return "" }
        return String(decoding: data.suffix(bytes), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
