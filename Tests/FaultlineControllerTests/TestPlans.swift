import FaultlinePlan

/// Plans for tests, from YAML text (the parser is the only way to make a `Plan`).
enum TestPlans {
    struct Invalid: Error, CustomStringConvertible { var description: String }

    static func parse(_ yaml: String) throws -> Plan {
        switch PlanParser.parse(yaml) {
        case .success(let plan): return plan
        case .failure(let error): throw Invalid(description: error.description)
        }
    }

    /// An inline inventory of `count` hosts n1…nN at 10.0.0.(10+i), labelled role=db.
    static func inventory(_ count: Int, agentScheme: String = "http", port: Int = 7433) -> String {
        var text = "inventory:\n  hosts:\n"
        for i in 1...count {
            text += "    - { name: n\(i), address: 10.0.0.\(10 + i), agent: \"\(agentScheme)://10.0.0.\(10 + i):\(port)\", labels: { role: db } }\n"
        }
        return text
    }
}

/// Foundation also declares a `Host`; in these tests it is the inventory's.
typealias Host = FaultlinePlan.Host
