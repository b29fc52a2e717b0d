import ArgumentParser
import FaultlineAgent
import FaultlineCore
import Foundation
import Logging

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
          faultline-agent --config agent.yaml --log-level debug --log-format json
        """,
        version: FaultlineVersion.current
    )

    @Option(help: "Path of the agent's YAML configuration (see Agents/agent.yaml).")
    var config: String

    @Flag(help: "Check the configuration and report capabilities, then exit without serving.")
    var check = false

    @Option(help: "Overrides the configuration's log-level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: String?

    @Option(help: "Overrides the configuration's log-format: text or json.")
    var logFormat: String?

    func validate() throws {
        if let logLevel, case .failure(let error) = Logger.Level.parse(logLevel) { throw ValidationError("--log-level: \(error)") }
        if let logFormat, case .failure(let error) = AgentLogFormat.parse(logFormat) { throw ValidationError("--log-format: \(error)") }
    }

    func run() async throws {
        var configuration: AgentConfiguration
        do { configuration = try AgentConfiguration.load(path: config) } catch {
            FileHandle.standardError.write(Data("faultline-agent: \(error)\n".utf8))
            throw ExitCode(78)  // EX_CONFIG
        }
        if let logLevel, case .success(let level) = Logger.Level.parse(logLevel) { configuration.logLevel = level }
        if let logFormat, case .success(let format) = AgentLogFormat.parse(logFormat) { configuration.logFormat = format }
        // The log's lines go through a writer thread (StandardErrorWriter): let it finish
        // before the process exits or prints its last error.
        defer { StandardErrorWriter.standardError.flush() }
        do {
            try await AgentDaemon(configuration: configuration).run(checkOnly: check)
        } catch {
            StandardErrorWriter.standardError.flush()
            FileHandle.standardError.write(Data("faultline-agent: \(error)\n".utf8))
            throw ExitCode(1)
        }
    }
}
