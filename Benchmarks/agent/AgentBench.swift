// agent-bench: apply and revert latency per fault kind at a real agent, and the agent's
// idle footprint. Run as root (`make bench`); it makes one network namespace, a CA, one
// `faultline-agent` process serving the namespace over mutual TLS, and removes them all.
//
// Latency is measured at the controller side of the API (HTTP/1.1 over TLS on a kept-alive
// connection through a veth), so it includes the round trip, the ledger fsync and the
// kernel work: what a controller waits for. Usage: agent-bench [runs-per-kind] [agent-binary]
import FaultlineAgentAPI
import FaultlineCore
import Foundation

let runs = CommandLine.arguments.count > 1 ? Int(CommandLine.arguments[1]) ?? 200 : 200
let agentBinary = CommandLine.arguments.count > 2 ? CommandLine.arguments[2]
    : URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("faultline-agent").path

@discardableResult
func run(_ argv: [String]) throws -> String {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: argv[0])
    p.arguments = Array(argv.dropFirst())
    let out = Pipe()
    p.standardOutput = out
    try p.run()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    guard p.terminationStatus == 0 else { throw NSError(domain: argv.joined(separator: " "), code: Int(p.terminationStatus)) }
    return String(decoding: data, as: UTF8.self)
}

let tag = "fl-ab\(UInt16.random(in: 0...0xFFF))"

// Ctrl-C or a timeout must not leave the namespace, the agent or the sleeper behind.
func trapSignals() {
    for number in [SIGINT, SIGTERM] {
        signal(number) { _ in
            cleanUp()
            exit(130)
        }
    }
}
// A /30 of its own in 10.79.0.0/16, away from the tests' random picks only by chance:
// the namespace is isolated, but the root-side address must not clash with another run.
let third = Int.random(in: 0...255), fourth = Int.random(in: 0...63) * 4
let controllerAddress = "10.79.\(third).\(fourth + 1)", hostAddress = "10.79.\(third).\(fourth + 2)"
let dir = "/tmp/\(tag)"
nonisolated(unsafe) var agent: Process?

nonisolated(unsafe) var sleeperPID: Int32 = 0

func cleanUp() {
    // SIGTERM lets the agent revert what it holds; processes spawned from a Dispatch
    // thread may have it blocked, so SIGKILL follows after 5 s.
    if let agent, agent.isRunning {
        kill(agent.processIdentifier, SIGTERM)
        for _ in 0..<50 where agent.isRunning { usleep(100_000) }
        if agent.isRunning { kill(agent.processIdentifier, SIGKILL) }
    }
    if sleeperPID > 0 { kill(sleeperPID, SIGKILL) }
    _ = try? run(["/usr/sbin/ip", "netns", "delete", tag])
    _ = try? run(["/usr/sbin/ip", "link", "delete", tag + "r"])
    try? FileManager.default.removeItem(atPath: dir)
}

func percentile(_ sorted: [Double], _ p: Double) -> Double { sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))] }


@main
struct AgentBench {
    static func main() async {
        do {
            trapSignals()
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            try run(["/usr/sbin/ip", "netns", "add", tag])
            try run(["/usr/sbin/ip", "link", "add", tag + "r", "type", "veth", "peer", "name", "eth0", "netns", tag])
            try run(["/usr/sbin/ip", "addr", "add", controllerAddress + "/30", "dev", tag + "r"])
            try run(["/usr/sbin/ip", "link", "set", tag + "r", "up"])
            try run(["/usr/sbin/ip", "-n", tag, "addr", "add", hostAddress + "/30", "dev", "eth0"])
            try run(["/usr/sbin/ip", "-n", tag, "link", "set", "eth0", "up"])
            try run(["/usr/sbin/ip", "-n", tag, "link", "set", "lo", "up"])

            let ca = try CertificateAuthority.create()
            let leaf = try ca.issue(role: .agent, name: hostAddress, ipAddresses: [hostAddress])
            let controller = try ca.issue(role: .controller, name: "bench")
            for (text, name) in [(try CertificateAuthority.pem(ca.certificate), "ca.pem"), (try CertificateAuthority.pem(leaf.certificate), "agent.pem"),
                                 (CertificateAuthority.pem(leaf.key), "agent-key.pem"), (try CertificateAuthority.pem(controller.certificate), "c.pem"),
                                 (CertificateAuthority.pem(controller.key), "c-key.pem")] {
                try text.write(toFile: "\(dir)/\(name)", atomically: true, encoding: .utf8)
            }
            try """
            listen: \(hostAddress):7433
            host-name: bench
            tls: { ca: \(dir)/ca.pem, certificate: \(dir)/agent.pem, key: \(dir)/agent-key.pem }
            ledger: \(dir)/ledger.jsonl
            controllers: [\(controllerAddress)/32]
            network-namespace: \(tag)
            policy: { max-concurrent-faults: 16 }
            """.write(toFile: "\(dir)/agent.yaml", atomically: true, encoding: .utf8)

            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/sbin/ip")
            process.arguments = ["netns", "exec", tag, agentBinary, "--config", "\(dir)/agent.yaml"]
            process.standardError = FileHandle(forWritingAtPath: "/dev/null")
            try process.run()
            agent = process

            let client = HTTPAgentClient(endpoint: AgentEndpoint(name: "bench", address: hostAddress, port: 7433),
                                         security: .mutualTLS(try TLSFiles(ca: "\(dir)/ca.pem", certificate: "\(dir)/c.pem", key: "\(dir)/c-key.pem").clientContext()))
            var ready = false
            for _ in 0..<150 where !ready {
                if (try? await client.health()) != nil { ready = true } else { try await Task.sleep(for: .milliseconds(100)) }
            }
            guard ready else { throw NSError(domain: "agent did not start", code: 1) }

            // A sleeping process inside the namespace for the pause fault.
            let sleeper = Process()
            sleeper.executableURL = URL(fileURLWithPath: "/usr/sbin/ip")
            sleeper.arguments = ["netns", "exec", tag, "/bin/sleep", "3600"]
            try sleeper.run()
            sleeperPID = sleeper.processIdentifier
            defer { kill(sleeper.processIdentifier, SIGKILL) }
            try await Task.sleep(for: .milliseconds(200))

            let peer = NetworkFilter(peers: [.cidr("10.79.254.0/24")])
            let kinds: [(String, Fault)] = [
                ("partition (nftables)", .partition(Partition(topology: .inbound, filter: peer))),
                ("loss (nftables)", .loss(Loss(percent: Percent(points: 10), filter: peer))),
                ("bandwidth (tbf)", .bandwidth(Bandwidth(rate: Rate(bitsPerSecond: 10_000_000)))),
                ("latency (NFQUEUE engine)", .latency(Latency(delay: .milliseconds(50), filter: peer))),
                ("pause (SIGSTOP, pid)", .pause(Pause(process: .pid(sleeper.processIdentifier), mechanism: .sigstop))),
            ]
            print("| fault | apply p50 | apply p99 | revert p50 | revert p99 | runs |")
            print("|---|---|---|---|---|---|")
            for (label, fault) in kinds {
                FileHandle.standardError.write(Data("\(label)…\n".utf8))
                var apply: [Double] = [], revert: [Double] = []
                for i in 0..<runs {
                    let id = "b\(i)"
                    let t0 = DispatchTime.now().uptimeNanoseconds
                    _ = try await client.apply(id: id, fault: fault, lease: .seconds(30))
                    let t1 = DispatchTime.now().uptimeNanoseconds
                    _ = try await client.revert(id: id)
                    let t2 = DispatchTime.now().uptimeNanoseconds
                    apply.append(Double(t1 - t0) / 1e6)
                    revert.append(Double(t2 - t1) / 1e6)
                }
                apply.sort(); revert.sort()
                print(String(format: "| %@ | %.2f ms | %.2f ms | %.2f ms | %.2f ms | %d |", label, percentile(apply, 0.5), percentile(apply, 0.99),
                             percentile(revert, 0.5), percentile(revert, 0.99), runs))
            }

            // Idle footprint: RSS now, and CPU over 10 s with no calls.
            func cpuTicks() throws -> Int {
                let stat = try String(contentsOfFile: "/proc/\(process.processIdentifier)/stat", encoding: .utf8)
                let fields = stat[stat.lastIndex(of: ")")!...].split(separator: " ")
                return Int(fields[12])! + Int(fields[13])!
            }
            client.close()
            try await Task.sleep(for: .seconds(1))
            let status = try String(contentsOfFile: "/proc/\(process.processIdentifier)/status", encoding: .utf8)
            let rss = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? "?"
            let before = try cpuTicks()
            try await Task.sleep(for: .seconds(10))
            let after = try cpuTicks()
            print("\nidle agent: \(rss.replacingOccurrences(of: "VmRSS:", with: "RSS").trimmingCharacters(in: .whitespaces)); CPU over 10 s idle: \(Double(after - before) * 10) ms (\(String(format: "%.2f", Double(after - before) / 10)) %)")
        } catch {
            FileHandle.standardError.write(Data("agent-bench: \(error)\n".utf8))
            cleanUp()
            exit(1)
        }
        cleanUp()
        // NIO's singleton event loop threads would keep the process alive.
        exit(0)

    }
}
