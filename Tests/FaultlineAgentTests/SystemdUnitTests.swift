import FaultlineProcShims
import FaultlineTestSupport
import Foundation
import Testing

/// Agents/systemd/faultline-agent.service: systemd accepts it without a warning, and it
/// grants every capability the mechanisms the agent offers under it need.
@Suite("systemd unit")
struct SystemdUnitTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let unitPath = root.appendingPathComponent("Agents/systemd/faultline-agent.service").path
    static let analyze = "/usr/bin/systemd-analyze"

    static func unit() throws -> String { try String(contentsOfFile: unitPath, encoding: .utf8) }

    /// `systemd-analyze verify` on a copy whose ExecStart is the agent `swift build` made
    /// (verify checks that the executable exists). Any output is a warning (unknown key,
    /// bad value, invalid URL): verify still exits 0 for those, so the test wants none.
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: analyze), "needs systemd-analyze (package systemd; make deps installs it)"))
    func systemdAnalyzeVerifyIsClean() throws {
        let directory = try TemporaryDirectory("unit")
        defer { directory.remove() }
        let unit = try Self.unit()
        #expect(unit.contains("\nExecStart=/usr/local/bin/faultline-agent --config /etc/faultline/agent.yaml\n"),
                "make install and make deb rewrite this exact ExecStart")
        let copy = directory.path + "/faultline-agent.service"
        try unit.replacingOccurrences(of: "ExecStart=/usr/local/bin/faultline-agent", with: "ExecStart=\(AgentUnderTest.agentBinary)")
            .write(toFile: copy, atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.analyze)
        process.arguments = ["verify", copy]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = out
        try process.run()
        let output = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(output)")
        #expect(output.isEmpty, "systemd-analyze verify warned:\n\(output)")
    }

    /// The capabilities in `Key=CAP_A CAP_B …`.
    static func capabilities(_ key: String, in unit: String) -> Set<String> {
        let line = unit.split(separator: "\n").first { $0.hasPrefix(key + "=") } ?? ""
        return Set(line.dropFirst(key.count + 1).split(separator: " ").map(String.init))
    }

    /// Every capability the process mechanisms require (kill, pause by signal and by the
    /// freezer, process clock skew) and the network kinds' three, in both the ambient and the
    /// bounding set; host clock stepping (CAP_SYS_TIME) stays out, as the policy forbids it
    /// by default.
    @Test func unitGrantsWhatTheMechanismsRequire() throws {
        let unit = try Self.unit()
        let ambient = Self.capabilities("AmbientCapabilities", in: unit)
        let bounding = Self.capabilities("CapabilityBoundingSet", in: unit)
        // nftables/tc; the delay engine's raw socket; the scratch-namespace probes
        var needed: Set<String> = ["CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_SYS_ADMIN"]
        for requirement in KillFault.requires + SignalPause.requires + CgroupFreezePause.requires + VDSOClockSkew.requires {
            if case .capability(let capability) = requirement { needed.insert(capability.rawValue) }
        }
        #expect(needed.isSubset(of: ambient), "AmbientCapabilities lacks \(needed.subtracting(ambient).sorted())")
        #expect(needed.isSubset(of: bounding), "CapabilityBoundingSet lacks \(needed.subtracting(bounding).sorted())")
        #expect(!ambient.contains("CAP_SYS_TIME") && !bounding.contains("CAP_SYS_TIME"))
        for capability in needed {
            #expect(unit.contains("#   \(capability) "), "the unit's header should say what \(capability) is for")
        }
    }
}
