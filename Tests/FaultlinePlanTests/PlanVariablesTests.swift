import FaultlineCore
import Testing
@testable import FaultlinePlan

/// `vars:`, `--var` and `{{env.NAME}}` (issue 22): one plan for several environments,
/// expanded before the plan is checked, every mistake located in the plan's text.
struct PlanVariablesTests {
    static let plan = """
    version: 1
    title: "leader cut off on {{vars.cluster}}"
    inventory: lab
    vars:
      cluster: staging
      port: 2379
      lease: 10s
      seed: "{{env.FL_TEST_SEED:-7}}"
    targets:
      etcd: { labels: { role: etcd } }
    steady-state:
      - name: healthy
        probe: { http: { url: "http://{{host.address}}:{{vars.port}}/health", each: etcd } }
    method:
      - latency: { target: etcd, delay: 100ms, duration: 5s }
    settings:
      lease: "{{vars.lease}}"
      seed: "{{vars.seed}}"
    """

    func parse(_ text: String = plan, vars: [String: String] = [:], env: [String: String] = [:]) -> Result<Plan, PlanError> {
        PlanParser.parse(bytes: Array(text.utf8), file: "p.yaml", directory: ".", inputs: PlanInputs(variables: vars, environment: env))
    }

    func errors(_ result: Result<Plan, PlanError>) -> [Diagnostic] {
        if case .failure(let e) = result { return e.diagnostics }
        return []
    }

    @Test func defaultsApplyAndHostTemplatesStayForRunTime() throws {
        let p = try parse().get()
        #expect(p.title == "leader cut off on staging")
        #expect(p.settings.lease == .seconds(10) && p.settings.seed == 7)
        guard case .http(let probe) = p.steadyState[0].probe else { Issue.record("not http"); return }
        #expect(probe.url == "http://{{host.address}}:2379/health")
        #expect(p.variables.map(\.name) == ["cluster", "port", "lease", "seed"])
        #expect(p.variables.map(\.source) == ["default", "default", "default", "default, from the environment"])
    }

    @Test func varsAndTheEnvironmentOverride() throws {
        let p = try parse(vars: ["cluster": "ci", "lease": "30s"], env: ["FL_TEST_SEED": "42"]).get()
        #expect(p.title == "leader cut off on ci" && p.settings.lease == .seconds(30) && p.settings.seed == 42)
        #expect(p.variables.first { $0.name == "cluster" }?.source == "--var")
    }

    /// A value that came from a variable is checked where the plan uses it.
    @Test func aBadValueIsLocatedWhereTheVariableIsUsed() {
        let d = errors(parse(vars: ["lease": "soon"]))
        #expect(d.count == 1 && d[0].line == 17 && d[0].field == "settings.lease", "\(d)")
        #expect(d.first?.message.contains("soon") == true, "\(d)")
        // A number field: the seed.
        let n = errors(parse(vars: ["seed": "twelve"]))
        #expect(n.count == 1 && n[0].line == 18 && n[0].field == "settings.seed" && n[0].message.contains("'twelve'"), "\(n)")
    }

    @Test func mistakesAreRefusedWithTheirPlace() {
        // An --var the plan does not declare, with a suggestion.
        let undeclared = errors(parse(vars: ["clustr": "x"]))
        #expect(undeclared.contains { $0.message.contains("--var clustr: the plan has no variable 'clustr'") && $0.suggestion == "cluster" }, "\(undeclared)")
        // A reference to an undeclared variable.
        let typo = errors(parse(Self.plan.replacingOccurrences(of: "{{vars.port}}", with: "{{vars.prot}}")))
        #expect(typo.count == 1 && typo[0].line == 13 && typo[0].message.hasPrefix("there is no variable 'prot'") && typo[0].suggestion == "port", "\(typo)")
        // A variable without a default and no --var.
        let required = errors(parse(Self.plan.replacingOccurrences(of: "cluster: staging", with: "cluster: ~")))
        #expect(required.count == 1 && required[0].line == 5 && required[0].message.contains("--var cluster=VALUE"), "\(required)")
        #expect((try? parse(Self.plan.replacingOccurrences(of: "cluster: staging", with: "cluster: ~"), vars: ["cluster": "prod"]).get())?.title == "leader cut off on prod")
        // An unset environment variable without a default.
        let unset = errors(parse(Self.plan.replacingOccurrences(of: "{{env.FL_TEST_SEED:-7}}", with: "{{env.FL_TEST_SEED}}")))
        #expect(unset.count == 1 && unset[0].line == 8 && unset[0].message.contains("FL_TEST_SEED is not set"), "\(unset)")
        // Control characters in a value never reach the title.
        let escape = errors(parse(vars: ["cluster": "\u{1B}[2J"]))
        #expect(escape.count == 1 && escape[0].message.contains("U+001B ESC"), "\(escape)")
    }
}
