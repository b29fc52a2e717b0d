import Testing
@testable import FaultlinePlan

/// `outcome:` on http-kv consistency probes: what it parses to, and a precise error, at the
/// field, for each way to get it wrong.
struct HTTPWriteOutcomeParsingTests {
    static func consistencyPlan(_ fields: String, workload: String = "http-kv") -> String {
        """
        version: 1
        title: t
        inventory: lab
        targets:
          api: { labels: { role: etcd } }
          etcd: { labels: { role: etcd } }
        steady-state:
          - name: kv
            probe:
              consistency:
                workload: \(workload)
                target: api
        \(fields.split(separator: "\n").map { "        " + $0 }.joined(separator: "\n"))
        method:
          - latency: { target: etcd, delay: 100ms, duration: 10s }

        """
    }

    @Test func outcomeDefaultsAndEveryField() throws {
        func outcome(_ fields: String) throws -> HTTPWriteOutcome {
            let plan = try parse(Self.consistencyPlan(fields)).get()
            guard case .consistency(let c) = try #require(plan.steadyState.first).probe else { throw PlanError([]) }
            return c.outcome
        }
        let defaults = try outcome("")
        #expect(defaults.header == "X-Applied" && defaults.failed == ["no"] && defaults.indeterminate == ["unknown"] && defaults.failedStatuses.isEmpty)
        let custom = try outcome("outcome: { header: X-Committed, failed: [false, rejected], indeterminate: maybe, failed-status: [503, 507] }")
        #expect(custom.header == "X-Committed" && custom.failed == ["false", "rejected"] && custom.indeterminate == ["maybe"]
                && custom.failedStatuses == [503, 507])
        let statusOnly = try outcome("outcome: { header: none, failed-status: [503] }")
        #expect(statusOnly.header == nil && statusOnly.failedStatuses == [503])
    }

    @Test func outcomeMistakesAreLocatedErrors() {
        func errors(_ fields: String, workload: String = "http-kv") -> [String] {
            diagnostics(Self.consistencyPlan(fields, workload: workload)).map { "\($0.line):\($0.column) \($0.field): \($0.message)" }
        }
        let path = "steady-state[0].probe.consistency.outcome"
        #expect(errors("outcome: { failed-status: [404] }")
                == ["13:36 \(path).failed-status[0]: every 4xx already means a failed write; list 5xx statuses here, found 404"])
        #expect(errors("outcome: { failed-status: 200 }")
                == ["13:35 \(path).failed-status[0]: expected a whole number from 400 to 599, found 200"])
        #expect(errors("outcome: { header: \"X Applied\" }")
                == ["13:28 \(path).header: expected a header name such as X-Applied (letters, digits and !#$%&'*+-.^_`|~), or none, found 'X Applied'"])
        #expect(errors("outcome: { failed: [no], indeterminate: [NO] }")
                == ["13:49 \(path).indeterminate: 'NO' is both failed and indeterminate; a header value can mean only one"])
        #expect(errors("outcome: { header: none, failed: [no] }")
                == ["13:20 \(path).header: 'header: none' reads no header, so 'failed' and 'indeterminate' values would never be seen"])
        #expect(errors("outcome: { applied: no }").first?.hasPrefix("13:20 \(path).applied: unknown field; expected one of: header, failed, indeterminate, failed-status") == true)
        #expect(errors("outcome: { failed: [no] }", workload: "etcd-register")
                == ["13:9 steady-state[0].probe.consistency.outcome: 'outcome' is for the http-kv workload; etcd-register reads its service's own errors"])
    }
}
