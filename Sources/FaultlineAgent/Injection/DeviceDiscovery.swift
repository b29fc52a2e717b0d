import FaultlineNetShims
#if canImport(Glibc)
import Glibc
#endif

/// Finds the device netem and bandwidth faults use when neither the fault nor the agent's
/// config names one: the first interface other than loopback, in interface-index order,
/// as seen from inside the host's namespace.
enum DeviceDiscovery {
    static func firstNonLoopback(in namespace: NetNamespace?) -> String? {
        (try? NetNamespace.run(in: namespace) { () -> String? in
            guard let list = if_nameindex() else { return nil }
            defer { if_freenameindex(list) }
            var entries: [(UInt32, String)] = []
            var cursor = list
            while cursor.pointee.if_index != 0 {
                entries.append((cursor.pointee.if_index, String(cString: cursor.pointee.if_name)))
                cursor += 1
            }
            return entries.sorted { $0.0 < $1.0 }.map(\.1).first { $0 != "lo" }
        }) ?? nil
    }
}
