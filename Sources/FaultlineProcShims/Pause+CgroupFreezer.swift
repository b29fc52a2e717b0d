#if canImport(Glibc)
import Glibc
#endif

/// Pauses every process of a cgroup with the cgroup freezer: v2 `cgroup.freeze`, or the
/// v1 `freezer.state` when the cgroup exists only in a v1 freezer hierarchy.
///
/// Freezes a whole service at once (children included, new forks included) without
/// sending signals the service could observe. It takes a cgroup that already exists — a
/// systemd unit's, a container's. Faultline does not move arbitrary pids into a cgroup of
/// its own to freeze them: moving changes their resource limits and accounting, and after
/// an agent crash they would have to be moved back to a cgroup that may be gone. Small
/// sets of loose pids are paused with `SignalPause` instead.
///
/// Safety: refuses the root cgroup and any cgroup that contains the agent itself.
/// `revert` thaws whatever the `Undo` names; thawing a thawed or removed cgroup succeeds.
public struct CgroupFreezePause: ProcFaultMechanism {
    public struct Spec: Sendable, Codable, Equatable {
        /// Cgroup path as /proc/PID/cgroup prints it, e.g. `/system.slice/etcd.service`.
        public var cgroup: String
        /// How long to wait for the kernel to report the cgroup frozen.
        public var timeout: Duration

        public init(cgroup: String, timeout: Duration = .seconds(5)) {
            self.cgroup = cgroup
            self.timeout = timeout
        }
    }

    public enum Freezer: String, Sendable, Codable, Equatable {
        /// cgroup v2: write 0/1 to `cgroup.freeze`, observe `frozen` in `cgroup.events`.
        case unified
        /// cgroup v1 freezer controller: write THAWED/FROZEN to `freezer.state`.
        case v1
    }

    public struct Undo: Sendable, Codable, Equatable {
        public var cgroup: String
        public var freezer: Freezer
        /// Absolute directory of the cgroup, resolved at prepare time.
        public var directory: String
    }

    public struct Applied: Sendable, Codable, Equatable {
        public var freezer: Freezer
        public var directory: String
    }

    public static let name = "pause.cgroup-freezer"
    public static let requires: [Requirement] = [
        .kernelFeature("cgroup v2 cgroup.freeze (Linux 5.2) or the cgroup v1 freezer"),
        .capability(.dacOverride),  // unless the agent owns the cgroup's files
    ]

    public init() {}

    public func availability(capabilities: CapabilityReport) -> Availability {
        var missing: [Requirement] = []
        var notes: [String] = []
        do {
            let mounts = try CgroupMounts.current()
            if let unified = mounts.unified { notes.append("cgroup v2 at \(unified.mountPoint)") }
            if let v1 = mounts.freezerV1 { notes.append("v1 freezer at \(v1.mountPoint)") }
            let v2Freeze = mounts.unified != nil && KernelVersion.current().atLeast(5, 2)
            if !v2Freeze && mounts.freezerV1 == nil {
                missing.append(.kernelFeature(
                    "cgroup freezer: no cgroup2 mount with cgroup.freeze (Linux ≥ 5.2) and no v1 freezer mount in /proc/self/mountinfo"))
            }
        } catch {
            missing.append(.kernelFeature("cgroup mounts unreadable: \(error)"))
        }
        return Availability.evaluate(mechanism: Self.name, requires: Self.requires, capabilities: capabilities,
                                     otherMissing: missing, notes: notes)
    }

    public func prepare(_ spec: Spec) throws(ProcShimError) -> Undo {
        let path = try CgroupPath.validate(spec.cgroup)
        guard path != "/" else { throw .refused("the root cgroup cannot be frozen") }
        let mounts = try CgroupMounts.current()
        let own = try ProcFS.cgroups(of: getpid())
        if let unified = mounts.unified, let directory = unified.directory(for: path),
           SystemFiles.exists(directory + "/cgroup.freeze") {
            if let mine = own.first(where: \.isUnified)?.path, CgroupPath.contains(path, mine) {
                throw .refused("cgroup \(path) contains the agent itself (\(mine))")
            }
            return Undo(cgroup: path, freezer: .unified, directory: directory)
        }
        if let v1 = mounts.freezerV1, let directory = v1.directory(for: path),
           SystemFiles.exists(directory + "/freezer.state") {
            if let mine = own.first(where: { $0.controllers.contains("freezer") })?.path, CgroupPath.contains(path, mine) {
                throw .refused("cgroup \(path) contains the agent itself (\(mine))")
            }
            return Undo(cgroup: path, freezer: .v1, directory: directory)
        }
        throw .invalidSpec("cgroup \(path) not found with cgroup.freeze under the v2 mount "
            + "(\(mounts.unified?.mountPoint ?? "none")) nor with freezer.state under the v1 freezer "
            + "(\(mounts.freezerV1?.mountPoint ?? "none"))")
    }

    public func apply(_ spec: Spec, undo: Undo) throws(ProcShimError) -> Applied {
        switch undo.freezer {
        case .unified:
            try SystemFiles.write(undo.directory + "/cgroup.freeze", "1")
            try waitUntil(spec.timeout, "\(undo.directory) to report frozen 1") {
                () throws(ProcShimError) -> Bool in try Self.unifiedFrozen(undo.directory)
            }
        case .v1:
            try SystemFiles.write(undo.directory + "/freezer.state", "FROZEN")
            try waitUntil(spec.timeout, "\(undo.directory)/freezer.state to read FROZEN") {
                () throws(ProcShimError) -> Bool in
                try SystemFiles.readText(undo.directory + "/freezer.state").trimmingSpaces == "FROZEN"
            }
        }
        return Applied(freezer: undo.freezer, directory: undo.directory)
    }

    public func revert(_ undo: Undo) throws(ProcShimError) -> RevertReport {
        let control = undo.directory + (undo.freezer == .unified ? "/cgroup.freeze" : "/freezer.state")
        guard SystemFiles.exists(control) else {
            return RevertReport(entries: [.init(target: undo.cgroup, outcome: .targetGone,
                                                detail: "\(undo.directory) no longer exists")])
        }
        let wasFrozen: Bool
        switch undo.freezer {
        case .unified:
            wasFrozen = try SystemFiles.readText(control).trimmingSpaces == "1"
            try SystemFiles.write(control, "0")
            try waitUntil(.seconds(5), "\(undo.directory) to report frozen 0") {
                () throws(ProcShimError) -> Bool in try !Self.unifiedFrozen(undo.directory)
            }
        case .v1:
            wasFrozen = try SystemFiles.readText(control).trimmingSpaces != "THAWED"
            try SystemFiles.write(control, "THAWED")
        }
        return RevertReport(entries: [.init(target: undo.cgroup, outcome: wasFrozen ? .reverted : .alreadyReverted,
                                            detail: "\(undo.freezer.rawValue) freezer thawed")])
    }

    static func unifiedFrozen(_ directory: String) throws(ProcShimError) -> Bool {
        let events = try SystemFiles.readText(directory + "/cgroup.events")
        return events.split(separator: "\n").contains("frozen 1")
    }
}

/// Polls `condition` every 200 µs until true or `timeout`.
func waitUntil(_ timeout: Duration, _ what: String,
               _ condition: () throws(ProcShimError) -> Bool) throws(ProcShimError) {
    let clock = ContinuousClock()
    let deadline = clock.now.advanced(by: timeout)
    while try !condition() {
        if clock.now >= deadline { throw .timedOut(what: what, after: timeout) }
        usleep(200)
    }
}

/// Cgroup paths as /proc/PID/cgroup prints them, checked without I/O.
public enum CgroupPath {
    /// Absolute, no `.`/`..` components, no empty components; trailing slash removed.
    public static func validate(_ path: String) throws(ProcShimError) -> String {
        guard path.hasPrefix("/") else { throw .invalidSpec("cgroup path \(path) must start with /") }
        let components = path.split(separator: "/", omittingEmptySubsequences: false).dropFirst()
        if path == "/" { return "/" }
        var kept: [Substring] = []
        for (index, component) in components.enumerated() {
            if component.isEmpty && index == components.count - 1 { continue }
            guard !component.isEmpty, component != ".", component != ".." else {
                throw .invalidSpec("cgroup path \(path) has an empty, . or .. component")
            }
            kept.append(component)
        }
        return "/" + kept.joined(separator: "/")
    }

    /// Whether cgroup `outer` is `inner` or one of its ancestors.
    public static func contains(_ outer: String, _ inner: String) -> Bool {
        outer == "/" || inner == outer || inner.hasPrefix(outer + "/")
    }
}

/// The running kernel's version from uname(2), for feature checks.
struct KernelVersion {
    var major: Int
    var minor: Int

    static func current() -> KernelVersion {
        var name = utsname()
        uname(&name)
        let release = withUnsafePointer(to: name.release) {
            $0.withMemoryRebound(to: CChar.self, capacity: 65) { String(cString: $0) }
        }
        return parse(release)
    }

    static func parse(_ release: String) -> KernelVersion {
        let numbers = release.split(whereSeparator: { !$0.isNumber }).prefix(2).compactMap { Int($0) }
        return KernelVersion(major: numbers.first ?? 0, minor: numbers.count > 1 ? numbers[1] : 0)
    }

    func atLeast(_ major: Int, _ minor: Int) -> Bool {
        self.major > major || (self.major == major && self.minor >= minor)
    }
}
