import FaultlineNetShims
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Starts a restart command from the agent's policy as its own session (so it outlives
/// the agent), in the host's network namespace, with no inherited descriptors beyond
/// stdin/stdout/stderr pointed at /dev/null. argv only: nothing is passed to a shell.
enum DetachedProcess {
    struct SpawnError: Error, CustomStringConvertible {
        var description: String
    }

    /// glibc's POSIX_SPAWN_SETSID (2.26+), which Swift's Glibc module does not export.
    static let setsidFlag: Int32 = 0x80

    /// glibc's posix_spawn_file_actions_addclosefrom_np (2.34+), which Swift's Glibc module
    /// does not export: looked up once by name.
    static let addCloseFrom: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32)? = {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np") else { return nil }
        return unsafeBitCast(symbol, to: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32).self)
    }()

    @discardableResult
    static func spawn(_ argv: [String], networkNamespace: NetNamespace?) throws -> pid_t {
        guard let program = argv.first, program.hasPrefix("/") else {
            throw SpawnError(description: "restart command must start with an absolute path, found \(argv.first ?? "nothing")")
        }
        return try NetNamespace.run(in: networkNamespace) { () throws -> pid_t in
            var actions = posix_spawn_file_actions_t()
            posix_spawn_file_actions_init(&actions)
            defer { posix_spawn_file_actions_destroy(&actions) }
            for fd in 0...2 { posix_spawn_file_actions_addopen(&actions, Int32(fd), "/dev/null", fd == 0 ? O_RDONLY : O_WRONLY, 0) }
            guard let closeFrom = Self.addCloseFrom else { throw SpawnError(description: "posix_spawn_file_actions_addclosefrom_np is missing (glibc 2.34 or later needed)") }
            _ = closeFrom(&actions, 3)
            var attributes = posix_spawnattr_t()
            posix_spawnattr_init(&attributes)
            defer { posix_spawnattr_destroy(&attributes) }
            // The agent's threads block signals (Dispatch workers do); a child inherits its
            // spawner's mask, and a restarted service that ignores SIGTERM is a trap for
            // whoever stops it next. Start it with an empty mask and default handlers.
            var empty = sigset_t()
            sigemptyset(&empty)
            posix_spawnattr_setsigmask(&attributes, &empty)
            var all = sigset_t()
            sigfillset(&all)
            posix_spawnattr_setsigdefault(&attributes, &all)
            posix_spawnattr_setflags(&attributes, Int16(Self.setsidFlag | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
            var pid: pid_t = 0
            let cArgs = argv.map { strdup($0) } + [nil]
            defer { for p in cArgs { free(p) } }
            let rc = posix_spawn(&pid, program, &actions, &attributes, cArgs, environ)
            guard rc == 0 else { throw SpawnError(description: "spawning \(program): \(String(cString: strerror(rc)))") }
            return pid
        }
    }
}
