#if canImport(Glibc)
import Glibc
#endif

/// An exclusive lock on the lab's folder (flock on the directory itself), held by `up`,
/// `down` and `restart` so two of them never interleave on one lab. The descriptor is
/// close-on-exec and lab processes are spawned with closefrom(3): none of them inherits it.
final class LabLock {
    private var fd: Int32

    init(directory: String) throws {
        fd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw LabError.system(call: "open(\(directory))", errno: errno) }
        while flock(fd, LOCK_EX) != 0 {
            guard errno == EINTR else { let e = errno; close(fd); throw LabError.system(call: "flock(\(directory))", errno: e) }
        }
    }

    func release() {
        guard fd >= 0 else { return }
        close(fd)
        fd = -1
    }

    deinit { release() }
}
