import ArgumentParser
import FaultlineAgent
import FaultlineCore
import Foundation

/// The per-host agent: `faultline-agent --config /etc/faultline/agent.yaml`.
@main
struct FaultlineAgentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "faultline-agent",
        abstract: "Injects and reverts faults on this host for a Faultline controller.",
        discussion: """
        The agent serves Faultline's /v1 API over mutual TLS, applies only what its policy \
        allows, writes every fault to its ledger before touching the kernel, reverts any \
        fault whose lease runs out, and at start reverts whatever a previous run left.

        Examples:
          faultline-agent --config /etc/faultline/agent.yaml
          faultline-agent --config agent.yaml --check      # validate the config, print capabilities, exit
        """,
        version: FaultlineVersion.current
    )

    @Option(help: "Path of the agent's YAML configuration (see Agents/agent.yaml).")
    var config: String

    @Flag(help: "Check the configuration and report capabilities, then exit without serving.")
    var check = false

    func run() async throws {
        let configuration: AgentConfiguration
        do { configuration = try AgentConfiguration.load(path: config) } catch {
            FileHandle.standardError.write(Data("faultline-agent: \(error)\n".utf8))
            throw ExitCode(78)  // EX_CONFIG
        }
        do {
            try await AgentDaemon(configuration: configuration).run(checkOnly: check)
        } catch {
            FileHandle.standardError.write(Data("faultline-agent: \(error)\n".utf8))
            throw ExitCode(1)
        }
    }
}
