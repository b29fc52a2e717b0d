#if canImport(Glibc)
import Glibc
#endif

/// Reads and writes another process's memory through /proc/PID/mem.
///
/// Why /proc/PID/mem: writes through it use FOLL_FORCE, so they reach read-only and
/// execute-only pages such as the vDSO and the injected trampoline page, where
/// process_vm_writev fails with EFAULT (KERNEL.md). Opening it needs ptrace-attach
/// permission (same user or CAP_SYS_PTRACE); the target does not have to be stopped.
final class ProcessMemory: Sendable {
    let pid: Int32
    private let descriptor: Int32

    init(pid: Int32) throws(ProcShimError) {
        self.pid = pid
        do {
            descriptor = try SystemFiles.open("/proc/\(pid)/mem", O_RDWR)
        } catch {
            if error.errno == ENOENT { throw .processGone(pid: pid) }
            throw error
        }
    }

    deinit { close(descriptor) }

    func read(_ address: UInt64, count: Int) throws(ProcShimError) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        var done = 0
        while done < count {
            let got = bytes.withUnsafeMutableBytes {
                pread(descriptor, $0.baseAddress! + done, count - done, off_t(Int64(bitPattern: address + UInt64(done))))
            }
            if got < 0 {
                if errno == EINTR { continue }
                throw .lastErrno("pread", "/proc/\(pid)/mem at 0x\(String(address + UInt64(done), radix: 16))")
            }
            if got == 0 {
                throw .system(call: "pread", target: "/proc/\(pid)/mem at 0x\(String(address, radix: 16)) (end of data)", errno: EIO)
            }
            done += got
        }
        return bytes
    }

    func write(_ address: UInt64, _ bytes: [UInt8]) throws(ProcShimError) {
        var done = 0
        while done < bytes.count {
            let put = bytes.withUnsafeBytes {
                pwrite(descriptor, $0.baseAddress! + done, bytes.count - done, off_t(Int64(bitPattern: address + UInt64(done))))
            }
            if put < 0 {
                if errno == EINTR { continue }
                throw .lastErrno("pwrite", "/proc/\(pid)/mem at 0x\(String(address + UInt64(done), radix: 16))")
            }
            if put == 0 {
                throw .system(call: "pwrite", target: "/proc/\(pid)/mem at 0x\(String(address, radix: 16)) (wrote 0)", errno: EIO)
            }
            done += put
        }
    }

    /// Writes, reads back, and throws `.conflict` unless the bytes read back are the ones written.
    func writeVerified(_ address: UInt64, _ bytes: [UInt8], what: String) throws(ProcShimError) {
        try write(address, bytes)
        let back = try read(address, count: bytes.count)
        guard back == bytes else {
            throw .conflict("\(what) at 0x\(String(address, radix: 16)) in pid \(pid) reads back \(back.hex), wrote \(bytes.hex)")
        }
    }
}

extension Array where Element == UInt8 {
    var hex: String { map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined() }
}
