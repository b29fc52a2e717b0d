#if canImport(Glibc)
import Glibc
#endif
import FaultlinePlan
import Foundation

extension Lab {
    /// What `down` removed.
    public struct Teardown: Sendable, CustomStringConvertible {
        public var killed: [String] = []
        public var namespaces: [String] = []
        public var links: [String] = []
        public var removedDirectory = false
        public var seconds: TimeInterval = 0

        public var isEmpty: Bool { killed.isEmpty && namespaces.isEmpty && links.isEmpty && !removedDirectory }
        public var description: String {
            if isEmpty { return "nothing to remove" }
            var parts: [String] = []
            if !killed.isEmpty { parts.append("\(killed.count) processes (\(killed.joined(separator: ", ")))") }
            if !namespaces.isEmpty { parts.append("\(namespaces.count) namespaces") }
            if !links.isEmpty { parts.append("\(links.count) links") }
            if removedDirectory { parts.append("its folder") }
            return "removed " + parts.joined(separator: ", ")
        }
    }

    /// Removes the lab: its processes (by pid, only while /proc/PID/cmdline still names
    /// the lab's folder and the start time matches), namespaces, links, bridge and folder.
    ///
    /// Safe to run twice, with no state file, and after an `up` that crashed half way:
    /// besides what `state.json` lists it finds processes naming the lab's folder and
    /// kernel objects named `fl-NAME-`.
    @discardableResult
    public static func down(addressing: LabAddressing, directory: String) throws -> Teardown {
        let started = Date()
        var report = Teardown()
        let folderExists = FileManager.default.fileExists(atPath: directory)
        let lock = folderExists ? try? LabLock(directory: directory) : nil
        defer { lock?.release() }
        // An unreadable state file must not stop the cleanup: the names and the marker suffice.
        let state = (try? LabState.load(directory: directory)) ?? nil
        if let state, state.name != addressing.name {
            throw LabError.invalid("\(directory) holds lab '\(state.name)', not '\(addressing.name)'; pass --name \(state.name)")
        }
        let marker = directory.hasSuffix("/") ? directory : directory + "/"

        // Processes first: a namespace with a process in it outlives `ip netns delete`.
        for p in state?.processes ?? [] where LabProcesses.kill(p.pid, marker: p.marker, startTime: p.startTime) {
            report.killed.append("\(p.role) \(p.host) pid \(p.pid)")
        }
        for pid in LabProcesses.findByMarker(marker) where LabProcesses.kill(pid, marker: marker, startTime: nil) {
            report.killed.append("pid \(pid)")
        }

        let namespaces = Set((state?.namespaces ?? []) + (try LabNetwork.namespaces(prefix: addressing.prefix)))
        for ns in namespaces.sorted() where try LabNetwork.deleteNamespace(ns) {
            report.namespaces.append(ns)
        }
        // Veths vanish with their namespace (asynchronously); the bridge is ours to delete.
        let links = Set((state?.links ?? []) + [state?.bridge].compactMap { $0 } + (try LabNetwork.links(prefix: addressing.prefix)))
        for link in links.sorted(by: { a, b in a == addressing.bridge ? false : (b == addressing.bridge ? true : a < b) })
            where try LabNetwork.deleteLink(link) {
            report.links.append(link)
        }

        if folderExists {
            // Only a folder that is a lab's (it has state, or the lab's own files) is removed.
            let looksLikeLab = state != nil || ["state.json", "pki", "logs", "agents", "etcd"].contains {
                FileManager.default.fileExists(atPath: directory + "/" + $0)
            }
            let isEmpty = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).isEmpty
            if looksLikeLab || isEmpty {
                try FileManager.default.removeItem(atPath: directory)
                report.removedDirectory = true
                // /run/faultline was made for the default lab: remove it too once empty.
                let parent = (directory as NSString).deletingLastPathComponent
                if parent == "/run/faultline" { rmdir(parent) }
            }
        }
        report.seconds = Date().timeIntervalSince(started)
        return report
    }
}
