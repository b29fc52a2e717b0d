import Testing
@testable import FaultlinePlan

/// `require:` on `each` probes: what it parses to, and a precise error, at the field, for
/// each way to get it wrong.
struct ProbeRequirementParsingTests {
    static func guardPlan(_ probe: String, targets: String = "etcd: { labels: { role: etcd } }", inventory: String = "lab") -> String {
        """
        version: 1
        title: t
        inventory: \(inventory)
        targets:
          \(targets)
        guards:
          - name: g
            probe: \(probe)
        method:
          - latency: { target: etcd, delay: 100ms, duration: 10s }

        """
    }

    static func firstGuard(_ text: String) throws -> Probe {
        let plan = try parse(text).get()
        return try #require(plan.guards.first).probe
    }

    @Test func requireParsesEachForm() throws {
        let forms: [(String, HostRequirement)] = [
            ("require: all", .all), ("require: any", .any), ("require: majority", .majority),
            ("require: { at-least: 2 }", .atLeast(2)),
        ]
        for (text, expected) in forms {
            let tcp = try Self.firstGuard(Self.guardPlan("{ tcp: { address: \"{{host.address}}:2379\", each: etcd, \(text) } }"))
            #expect(tcp.require == expected, "\(text)")
            let http = try Self.firstGuard(Self.guardPlan("{ http: { url: \"http://{{host.address}}:2379/health\", each: etcd, \(text) } }"))
            #expect(http.require == expected, "\(text)")
        }
        let plain = try Self.firstGuard(Self.guardPlan("{ tcp: { address: \"{{host.address}}:2379\", each: etcd } }"))
        #expect(plain.require == .all, "the default stays every host")
    }

    @Test func requireMistakesAreLocatedErrors() {
        func errors(_ probe: String, targets: String = "etcd: { labels: { role: etcd } }", inventory: String = "lab") -> [String] {
            diagnostics(Self.guardPlan(probe, targets: targets, inventory: inventory)).map { "\($0.line):\($0.column) \($0.field): \($0.message)" }
        }
        #expect(errors("{ tcp: { address: \"{{host.address}}:2379\", each: etcd, require: most } }")
                == ["8:76 guards[0].probe.tcp.require: expected all, any, majority or {at-least: N}, found 'most'"])
        #expect(errors("{ tcp: { address: \"{{host.address}}:2379\", each: etcd, require: at-least } }")
                == ["8:76 guards[0].probe.tcp.require: 'at-least' needs a number of hosts: write require: {at-least: 2}"])
        #expect(errors("{ tcp: { address: \"{{host.address}}:2379\", each: etcd, require: { at-least: 0 } } }")
                == ["8:88 guards[0].probe.tcp.require.at-least: expected a whole number from 1 to 10000, found 0"])
        let misspelt = errors("{ tcp: { address: \"{{host.address}}:2379\", each: etcd, require: { atleast: 2 } } }")
        #expect(misspelt.contains { $0.contains("guards[0].probe.tcp.require.atleast: unknown field; expected one of: at-least") }, "\(misspelt)")
        #expect(errors("{ tcp: { address: \"127.0.0.1:2379\", require: majority } }")
                == ["8:48 guards[0].probe.tcp.require: 'require' counts the hosts of 'each'; add each: <target> or remove require"])
        // at-least above what the target can hold, when the plan says how many that is.
        #expect(errors("{ tcp: { address: \"{{host.address}}:2379\", each: etcd, require: { at-least: 4 } } }",
                       targets: "etcd: { names: [n1, n2, n3] }")
                == ["8:88 guards[0].probe.tcp.require.at-least: at least 4 hosts must pass, but target 'etcd' has 3 host(s); the probe could never pass"])
        #expect(errors("{ tcp: { address: \"{{host.address}}:2379\", each: etcd, require: { at-least: 3 } } }",
                       targets: "etcd: { names: [n1, n2, n3] }").isEmpty)
        let inline = "\n  hosts:\n    - { name: a, address: 10.0.0.1, agent: \"http://10.0.0.1:7433\", labels: { role: etcd } }\n    - { name: b, address: 10.0.0.2, agent: \"http://10.0.0.2:7433\", labels: { role: etcd } }"
        let inlineErrors = diagnostics(Self.guardPlan("{ tcp: { address: \"{{host.address}}:2379\", each: etcd, require: { at-least: 3 } } }",
                                                      inventory: inline)).map(\.message)
        #expect(inlineErrors == ["at least 3 hosts must pass, but target 'etcd' has 2 host(s); the probe could never pass"])
        // Against the lab the labels' hosts are known only at run time: no error now.
        #expect(errors("{ tcp: { address: \"{{host.address}}:2379\", each: etcd, require: { at-least: 9 } } }").isEmpty)
    }
}

/// `faultline plan` says what a guard with a requirement waits for.
struct ProbeRequirementPrintingTests {
    @Test func theLeaderIsolationGuardSaysMajority() throws {
        let plan = try PlanParser.load(path: repositoryRoot.appendingPathComponent("Experiments/etcd-leader-isolation.yaml").path).get()
        let text = PlanPrinter(plan: plan, inventory: LabInventory.layout(), inventoryNote: "lab", seed: 1, seedNote: "").render()
        #expect(text.contains("guard \"a majority of members still answers\" every 1s, grace 3s: aborts the run if tcp connect {{host.address}}:2379 on each of etcd (n1 n2 n3; a majority must pass) fails"), "\(text)")
    }
}
