import Foundation

/// Network namespaces made for one test: a "host" namespace joined to the root namespace
/// by a veth pair, so the test process (in the root namespace) is the controller and the
/// namespace is the host it manages. Names are `fl-<tag><random>`, addresses come from
/// 10.79.N.0/30 with N random, so tests run in parallel. `destroy()` in `defer`.
///
/// Setup runs `ip` by argv: this is test scaffolding, not the mechanism under test.
public struct TestHostNamespace: Sendable {
    public let name: String
    /// The root-namespace end of the veth.
    public let rootLink: String
    /// The controller's address (root side) and the host's address (namespace side).
    public let controllerAddress: String
    public let hostAddress: String

    public static func make(tag: String) throws -> TestHostNamespace {
        let suffix = UniqueName.random4()
        let third = Int.random(in: 0...255), fourth = Int.random(in: 0...63) * 4
        let host = TestHostNamespace(name: "fl-\(tag)\(suffix)", rootLink: "fl-\(tag)\(suffix)r",
                                     controllerAddress: "10.79.\(third).\(fourth + 1)", hostAddress: "10.79.\(third).\(fourth + 2)")
        do {
            try run(["/usr/sbin/ip", "netns", "add", host.name])
            try run(["/usr/sbin/ip", "link", "add", host.rootLink, "type", "veth", "peer", "name", "eth0", "netns", host.name])
            try run(["/usr/sbin/ip", "addr", "add", "\(host.controllerAddress)/30", "dev", host.rootLink])
            try run(["/usr/sbin/ip", "link", "set", host.rootLink, "up"])
            try run(["/usr/sbin/ip", "-n", host.name, "addr", "add", "\(host.hostAddress)/30", "dev", "eth0"])
            try run(["/usr/sbin/ip", "-n", host.name, "link", "set", "eth0", "up"])
            try run(["/usr/sbin/ip", "-n", host.name, "link", "set", "lo", "up"])
        } catch {
            host.destroy()
            throw error
        }
        return host
    }

    /// Deleting the namespace deletes its veth end, and with it the root end.
    public func destroy() {
        _ = try? Self.run(["/usr/sbin/ip", "netns", "delete", name])
        _ = try? Self.run(["/usr/sbin/ip", "link", "delete", rootLink])
    }

    /// `nft list tables` inside the namespace.
    public func nftTables() throws -> String {
        try Self.run(["/usr/sbin/ip", "netns", "exec", name, "/usr/sbin/nft", "list", "tables"])
    }

    /// Runs a program to completion and answers its stdout; throws on a non-zero exit.
    @discardableResult
    public static func run(_ argv: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: argv[0])
        process.arguments = Array(argv.dropFirst())
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        let errors = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw TestFailure("\(argv.joined(separator: " ")) exited \(process.terminationStatus): \(String(decoding: errors, as: UTF8.self))")
        }
        return String(decoding: data, as: UTF8.self)
    }
}
