import ArgumentParser
import FaultlineCore

/// The controller's command line.
@main
struct Faultline: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "faultline",
        abstract: "Run chaos experiments against Linux hosts and check that the system kept its promises.",
        discussion: """
        A plan (YAML) names hosts, a steady-state hypothesis, guards and the faults to inject. \
        `faultline` checks the hypothesis, has the agents on the hosts apply the faults under \
        leases, watches the guards, reverts everything, checks the hypothesis again and writes \
        a journal, a JUnit file and an HTML report.

        Examples:
          faultline validate Experiments/*.yaml
          faultline plan Experiments/etcd-leader-isolation.yaml --seed 7
          faultline check history.jsonl --model kv

        Exit codes:
          0  the hypothesis held (validate: every plan is valid)
          1  the hypothesis deviated, before or after the method (check: a violation)
          2  the run was aborted: a guard tripped, a halt, or a signal
          3  the plan is invalid
          4  the run could not start: an agent unreachable or a capability missing
          5  check: a verdict is unknown (the time budget ran out)
        """,
        version: FaultlineVersion.current,
        groupedSubcommands: [
            CommandGroup(name: "Plans", subcommands: [Validate.self, PlanCommand.self]),
            CommandGroup(name: "Experiments", subcommands: [Run.self, Halt.self, Report.self]),
            CommandGroup(name: "Agents", subcommands: [Certs.self]),
            CommandGroup(name: "Consistency", subcommands: Faultline.consistencyCommands),
            CommandGroup(name: "Lab", subcommands: [LabCommand.self, Demo.self]),
        ]
    )
}

/// Exit codes shared by every subcommand (README, `faultline --help`).
enum FaultlineExit {
    static let held = ExitCode(0)
    static let deviated = ExitCode(1)
    static let aborted = ExitCode(2)
    static let invalidPlan = ExitCode(3)
    static let couldNotRun = ExitCode(4)
    static let unknown = ExitCode(5)
}
