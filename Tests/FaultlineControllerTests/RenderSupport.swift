#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Testing

/// Helpers for the renderer tests: running the outside tools that read what we write
/// (a JUnit parser from PyPI, Python's parsers, headless Chromium) with no descriptor of
/// ours inherited (closefrom 3: the test runner may hold the build lock), in a process
/// group of their own that we kill by id on timeout; temporary directories; paths.
enum RenderSupport {
    struct Failure: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }

    static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// Where screenshots and rendered files are kept for people to look at after a run.
    static func artifactDirectory() throws -> URL {
        let url = repositoryRoot.appendingPathComponent(".build/artifacts/render")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    struct Result { var status: Int32; var output: String }

    /// Runs `argv` (an absolute path first) to completion, stdout and stderr together.
    /// Throws on timeout (after killing the process group it made) or if it cannot start.
    static func run(_ argv: [String], timeout: Duration = .seconds(120), environment: [String: String]? = nil) throws -> Result {
        let directory = try TemporaryDirectory("run")
        defer { directory.remove() }
        let logPath = directory.path + "/output"
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, logPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        guard let closeFrom = addCloseFrom, closeFrom(&actions, 3) == 0 else {
            throw Failure("posix_spawn_file_actions_addclosefrom_np is not available (glibc ≥ 2.34 needed)")
        }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP))
        posix_spawnattr_setpgroup(&attributes, 0)
        let env = (environment ?? ProcessInfo.processInfo.environment).map { "\($0.key)=\($0.value)" }
        let cArgs = argv.map { strdup($0) } + [nil]
        let cEnv = env.map { strdup($0) } + [nil]
        defer { cArgs.forEach { free($0) }; cEnv.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, argv[0], &actions, &attributes, cArgs, cEnv)
        guard spawned == 0 else { throw Failure("cannot start \(argv[0]): \(String(cString: strerror(spawned)))") }
        let deadline = ContinuousClock.now + timeout
        var status: Int32 = 0
        while true {
            let r = waitpid(pid, &status, WNOHANG)
            if r == pid { break }
            if r < 0 && errno != EINTR { throw Failure("waitpid \(pid): \(String(cString: strerror(errno)))") }
            if ContinuousClock.now > deadline {
                // Only the group we made: the tool and whatever it started.
                _ = kill(-pid, SIGKILL)
                while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
                let output = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
                throw Failure("\(argv.joined(separator: " ")) did not finish within \(timeout); output:\n\(output.suffix(2000))")
            }
            usleep(20_000)
        }
        // Leftover children of the tool (Chromium's helpers) go with it.
        _ = kill(-pid, SIGKILL)
        let output = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
        let code: Int32 = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        return Result(status: code, output: output)
    }

    private typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
    private static let addCloseFrom: AddCloseFrom? = {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np") else { return nil }
        return unsafeBitCast(symbol, to: AddCloseFrom.self)
    }()

    /// A temporary directory for one test, removed by `remove()` (call it in `defer`).
    final class TemporaryDirectory: Sendable {
        let path: String
        init(_ tag: String) throws {
            let unique = String(UInt32.random(in: 0...UInt32.max), radix: 16)
            var template = Array("/tmp/fl-render-\(tag)-\(unique)-XXXXXX".utf8CString)
            guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
                throw Failure("mkdtemp: \(String(cString: strerror(errno)))")
            }
            path = String(cString: made)
        }
        func remove() { try? FileManager.default.removeItem(atPath: path) }
    }

    /// Debian's Python (the one `python3-venv` belongs to); a failure names the package.
    static func python() throws -> String {
        let path = "/usr/bin/python3"
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw Failure("\(path) is missing: install Debian's python3 and python3-venv (make deps)")
        }
        return path
    }

    /// A fresh virtual environment in `directory` with `packages` from PyPI; its python.
    static func virtualEnvironment(in directory: String, packages: [String]) throws -> String {
        let venv = directory + "/venv"
        let made = try run([try python(), "-m", "venv", venv])
        guard made.status == 0 else { throw Failure("python3 -m venv failed (is python3-venv installed? make deps):\n\(made.output)") }
        let pip = try run([venv + "/bin/python", "-m", "pip", "install", "--quiet", "--disable-pip-version-check"] + packages, timeout: .seconds(300))
        guard pip.status == 0 else { throw Failure("pip install \(packages.joined(separator: " ")) failed (PyPI unreachable?):\n\(pip.output.suffix(3000))") }
        return venv + "/bin/python"
    }

    static func chromium() throws -> String {
        for path in ["/usr/bin/chromium", "/usr/bin/chromium-browser"] where FileManager.default.isExecutableFile(atPath: path) {
            return path
        }
        throw Failure("headless Chromium is missing: install Debian's chromium package (make deps)")
    }

    /// Runs a Python script (given as text) with arguments; throws with its output if it fails.
    static func python(_ interpreter: String, script: String, arguments: [String], in directory: String) throws -> String {
        let file = directory + "/script-\(UInt32.random(in: 0...UInt32.max)).py"
        try script.write(toFile: file, atomically: true, encoding: .utf8)
        let result = try run([interpreter, file] + arguments)
        guard result.status == 0 else { throw Failure("python script failed (\(result.status)):\n\(result.output.suffix(4000))") }
        return result.output
    }
}
