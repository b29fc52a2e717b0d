/// One line of /proc/self/mountinfo, parsed without I/O (proc(5)).
public struct MountInfoEntry: Equatable, Sendable {
    /// Field 4: the path inside the filesystem that is mounted here (for cgroups: the
    /// cgroup that appears as this mount's root, "/" outside cgroup namespaces).
    public var root: String
    /// Field 5: where it is mounted.
    public var mountPoint: String
    /// The filesystem type after the " - " separator (`cgroup2`, `cgroup`, `proc`, ...).
    public var filesystemType: String
    /// Super-block options (for cgroup v1: the controllers, e.g. `rw,freezer`, `rw,name=systemd`).
    public var superOptions: [String]
}

public enum MountInfo {
    /// Parses the whole text of /proc/self/mountinfo; lines that do not parse are skipped.
    public static func parse(_ text: String) -> [MountInfoEntry] {
        text.split(separator: "\n").compactMap { parseLine(String($0)) }
    }

    static func parseLine(_ line: String) -> MountInfoEntry? {
        let fields = line.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        guard let dash = fields.firstIndex(of: "-"), dash >= 6, fields.count >= dash + 3 else { return nil }
        return MountInfoEntry(
            root: unescape(fields[3]),
            mountPoint: unescape(fields[4]),
            filesystemType: fields[dash + 1],
            superOptions: fields[dash + 3].split(separator: ",").map(String.init))
    }

    /// mountinfo escapes space, tab, newline and backslash as `\ooo` octal.
    static func unescape(_ field: String) -> String {
        guard field.contains("\\") else { return field }
        var bytes: [UInt8] = []
        let source = Array(field.utf8)
        var index = 0
        while index < source.count {
            if source[index] == UInt8(ascii: "\\"), index + 3 < source.count,
               let value = UInt8(String(decoding: source[(index + 1)...(index + 3)], as: UTF8.self), radix: 8) {
                bytes.append(value)
                index += 4
            } else {
                bytes.append(source[index])
                index += 1
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// One line of /proc/PID/cgroup: `hierarchy-id:controllers:path`.
public struct CgroupMembership: Equatable, Sendable {
    /// 0 for the cgroup v2 (unified) hierarchy.
    public var hierarchyID: Int
    /// Controllers of a v1 hierarchy (`freezer`, `name=systemd`); empty for v2.
    public var controllers: [String]
    /// The cgroup path relative to the hierarchy root ("/" is the root).
    public var path: String

    public var isUnified: Bool { hierarchyID == 0 && controllers.isEmpty }

    public static func parse(_ text: String) -> [CgroupMembership] {
        text.split(separator: "\n").compactMap { line in
            let parts = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard parts.count == 3, let id = Int(parts[0]) else { return nil }
            let controllers = parts[1].isEmpty ? [] : parts[1].split(separator: ",").map(String.init)
            return CgroupMembership(hierarchyID: id, controllers: controllers, path: String(parts[2]))
        }
    }
}

/// Where the cgroup hierarchies Faultline uses are mounted on this host.
///
/// Found from mountinfo, never hard-coded: pure cgroup v2 hosts mount it at /sys/fs/cgroup,
/// hybrid hosts (like the development VM) at /sys/fs/cgroup/unified, with v1 controllers beside it.
public struct CgroupMounts: Equatable, Sendable, Codable {
    /// The cgroup2 mount point and the cgroup its root shows.
    public var unified: Mount?
    /// The v1 hierarchy that has the `freezer` controller.
    public var freezerV1: Mount?
    /// The v1 hierarchy named `systemd` (hybrid hosts keep systemd units there too).
    public var systemdV1: Mount?

    public struct Mount: Equatable, Sendable, Codable {
        public var mountPoint: String
        public var root: String

        /// The directory for a cgroup path as /proc/PID/cgroup prints it, or nil when the
        /// path lies outside what this mount shows.
        public func directory(for cgroupPath: String) -> String? {
            let normalizedRoot = root == "/" ? "" : root
            guard cgroupPath == root || cgroupPath.hasPrefix(normalizedRoot + "/") || normalizedRoot.isEmpty else {
                return nil
            }
            let relative = String(cgroupPath.dropFirst(normalizedRoot.count))
            if relative.isEmpty || relative == "/" { return mountPoint }
            return mountPoint + (relative.hasPrefix("/") ? relative : "/" + relative)
        }
    }

    public init(unified: Mount? = nil, freezerV1: Mount? = nil, systemdV1: Mount? = nil) {
        self.unified = unified
        self.freezerV1 = freezerV1
        self.systemdV1 = systemdV1
    }

    /// Picks the mounts out of parsed mountinfo; the first mount of each kind wins.
    public static func from(_ entries: [MountInfoEntry]) -> CgroupMounts {
        var mounts = CgroupMounts()
        for entry in entries {
            let mount = Mount(mountPoint: entry.mountPoint, root: entry.root)
            if entry.filesystemType == "cgroup2" {
                if mounts.unified == nil { mounts.unified = mount }
            } else if entry.filesystemType == "cgroup" {
                if entry.superOptions.contains("freezer"), mounts.freezerV1 == nil { mounts.freezerV1 = mount }
                if entry.superOptions.contains("name=systemd"), mounts.systemdV1 == nil { mounts.systemdV1 = mount }
            }
        }
        return mounts
    }

    /// Reads /proc/self/mountinfo.
    public static func current() throws(ProcShimError) -> CgroupMounts {
        from(MountInfo.parse(try SystemFiles.readText("/proc/self/mountinfo")))
    }
}
