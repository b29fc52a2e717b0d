import FaultlinePlan

/// Foundation also declares a `Host` (a macOS-era class); in this module `Host` always
/// means the inventory's host.
public typealias Host = FaultlinePlan.Host
