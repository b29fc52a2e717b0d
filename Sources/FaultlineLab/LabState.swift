import FaultlinePlan
import Foundation

/// What a lab consists of, written to `$LAB_DIR/state.json` before each object is created,
/// so `lab down` can remove exactly what `lab up` made even if `up` crashed half way.
///
/// An object recorded here may not exist (the crash came between recording and creating
/// it): teardown treats "already gone" as done.
public struct LabState: Codable, Sendable, Equatable {
    public enum Phase: String, Codable, Sendable { case creating, up }

    /// One process the lab started. `marker` is a string its command line must still
    /// contain (the lab's folder) and `startTime` its start time in clock ticks since boot
    /// (/proc/PID/stat field 22): both must match before `down` signals the pid, so a pid
    /// the kernel reused for someone else's process is never killed.
    public struct Process: Codable, Sendable, Equatable {
        public var role: String      // "agent", "etcd", "redis", "sentinel"
        public var host: String      // "n1"
        public var pid: Int32
        public var startTime: UInt64
        public var marker: String
    }

    public var name: String
    public var subnetIndex: Int
    public var directory: String
    public var hosts: Int
    /// QEMU guests beside the namespace hosts (nil in labs made before guests existed).
    public var guests: Int?
    public var service: String
    public var phase: Phase
    public var bridge: String?
    public var namespaces: [String] = []
    public var links: [String] = []
    public var processes: [Process] = []
    public var startedAt: Date

    public init(name: String, subnetIndex: Int, directory: String, hosts: Int, service: String) {
        self.name = name; self.subnetIndex = subnetIndex; self.directory = directory
        self.hosts = hosts; self.service = service; self.phase = .creating; self.startedAt = Date()
    }

    /// The addressing this lab was built with.
    public func addressing() throws -> LabAddressing {
        switch LabAddressing.make(name: name, subnetIndex: subnetIndex) {
        case .success(let a): return a
        case .failure(let e): throw LabError.invalid("\(Self.path(in: directory)): \(e.message)")
        }
    }

    static func path(in directory: String) -> String { directory + "/state.json" }

    public static func load(directory: String) throws -> LabState? {
        let path = path(in: directory)
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        do {
            let decoder = JSONDecoder()
            decoder.dateDecodingStrategy = .iso8601
            return try decoder.decode(LabState.self, from: data)
        } catch {
            throw LabError.invalid("\(path) is unreadable (\(error)); `faultline lab down` still removes the lab's objects by name")
        }
    }

    /// Writes atomically (temporary file, fsync, rename) so a crash leaves the old or the
    /// new state, never half of one.
    func save() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        try LabFiles.writeDurably(try encoder.encode(self), to: Self.path(in: directory), mode: 0o600)
    }
}
