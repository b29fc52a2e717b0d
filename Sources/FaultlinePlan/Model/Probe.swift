import FaultlineCore

/// A question the controller asks the system under test: is it healthy, is it correct?
public enum Probe: Sendable, Hashable {
    case http(HTTPProbe)
    case tcp(TCPProbe)
    case command(CommandProbe)
    case prometheus(PrometheusProbe)
    case consistency(ConsistencyProbe)

    public var kindName: String {
        switch self {
        case .http: "http"
        case .tcp: "tcp"
        case .command: "command"
        case .prometheus: "prometheus"
        case .consistency: "consistency"
        }
    }

    /// The target whose hosts the probe is run against, one call per host.
    public var each: String? {
        switch self {
        case .http(let p): p.each
        case .tcp(let p): p.each
        case .command, .prometheus: nil
        case .consistency(let p): p.target
        }
    }

    /// How many of the `each` target's hosts must pass (`all` without `each`).
    public var require: HostRequirement {
        switch self {
        case .http(let p): p.require
        case .tcp(let p): p.require
        case .command, .prometheus, .consistency: .all
        }
    }
}

/// GET (or another method) a URL and judge the answer. `{{host.address}}` and
/// `{{host.name}}` in the URL are filled in per host when `each` names a target.
public struct HTTPProbe: Sendable, Hashable {
    public var url: String
    public var method: String = "GET"
    public var headers: [String: String] = [:]
    public var body: String?
    public var each: String?
    /// How many of `each`'s hosts must pass.
    public var require: HostRequirement = .all
    public var timeout: TimeSpan?
    public var expect = HTTPExpectation()
    /// For `https://` URLs: trust, client certificate, verification.
    public var tls = ProbeTLS()
}

public struct HTTPExpectation: Sendable, Hashable {
    /// Acceptable status codes; default 200.
    public var status: [Int] = [200]
    /// A regular expression the body must match.
    public var body: String?
    /// A value inside a JSON body that must meet a tolerance.
    public var jsonPath: JSONPathExpectation?
    /// The answer must arrive within this time.
    public var latencyBelow: TimeSpan?
}

/// `$.a.b[0].c`-style path into a JSON body, and the tolerance its value must meet.
public struct JSONPathExpectation: Sendable, Hashable {
    public var path: String
    public var tolerance: Tolerance
}

/// What a measured value must be.
public enum Tolerance: Sendable, Hashable, CustomStringConvertible {
    case equals(String)
    /// Inclusive range.
    case between(Double, Double)
    case below(Double)
    case above(Double)
    case matches(String)

    public var description: String {
        switch self {
        case .equals(let v): "= \(v)"
        case .between(let a, let b): "in [\(a), \(b)]"
        case .below(let v): "< \(v)"
        case .above(let v): "> \(v)"
        case .matches(let r): "~ /\(r)/"
        }
    }
}

/// Connect to `address` (`host:port`, templated per host with `each`).
public struct TCPProbe: Sendable, Hashable {
    public var address: String
    public var each: String?
    public var timeout: TimeSpan?
    /// How many of `each`'s hosts must pass.
    public var require: HostRequirement = .all

    public init(address: String, each: String? = nil, timeout: TimeSpan? = nil, require: HostRequirement = .all) {
        self.address = address
        self.each = each
        self.timeout = timeout
        self.require = require
    }
}

/// Run a program on the controller host (an argv list, never a shell string).
public struct CommandProbe: Sendable, Hashable {
    public var argv: [String]
    public var exitCode: Int32 = 0
    public var stdout: String?
    public var timeout: TimeSpan?
}

/// An instant query against a Prometheus server, compared with a tolerance.
public struct PrometheusProbe: Sendable, Hashable {
    public var url: String
    public var query: String
    public var tolerance: Tolerance
    public var timeout: TimeSpan?
    /// For an `https://` server URL: trust, client certificate, verification.
    public var tls = ProbeTLS()
}

/// A recorded concurrent workload, checked for consistency after the method.
public struct ConsistencyProbe: Sendable, Hashable {
    public enum Workload: String, Sendable, Hashable, CaseIterable {
        case etcdRegister = "etcd-register"
        case httpKV = "http-kv"
        case redisRegister = "redis-register"
    }
    public enum Check: String, Sendable, Hashable, CaseIterable {
        case linearizable
        case lostWrites = "lost-writes"
        case convergence
    }
    public var workload: Workload
    /// The hosts the clients talk to (clients are spread over them).
    public var target: String
    public var clients: Int = 4
    public var keys: Int = 8
    /// Operations per second per client; nil runs each client flat out.
    public var rate: Double?
    /// Over which part of the run the workload runs.
    public var during: WorkloadSpan = .method
    public var checks: [Check] = Check.allCases
    /// Per-operation timeout; a timed-out operation is recorded as indeterminate.
    public var timeout: TimeSpan = .seconds(1)
    /// For http-kv: base URL template (default `http://{{host.address}}:8080`).
    public var url: String?
    /// For http-kv: how the service says whether a write it did not acknowledge was applied.
    public var outcome = HTTPWriteOutcome()
}

/// How an HTTP key-value service says whether a write (or compare-and-set) that it did not
/// acknowledge took effect: a response header whose value answers "no" or "unknown", and
/// statuses that mean "refused, not applied". An ok status is an acknowledgement whatever
/// the header says. Without a known header value, a 4xx is a failed write (the client's
/// fault, nothing changed) and a 5xx is indeterminate (it may follow a commit).
public struct HTTPWriteOutcome: Sendable, Hashable {
    /// The header's name, matched case-insensitively; nil: read no header.
    public var header: String? = "X-Applied"
    /// Header values (compared case-insensitively) that make the write failed.
    public var failed: [String] = ["no"]
    /// Header values (compared case-insensitively) that make the write indeterminate.
    public var indeterminate: [String] = ["unknown"]
    /// Statuses beyond 4xx that make the write failed when the header does not decide.
    public var failedStatuses: [Int] = []

    public init() {}
}

public enum WorkloadSpan: String, Sendable, Hashable, CaseIterable {
    /// From just before the method starts until just after every fault is reverted.
    case method
    /// From before the steady-state check to after the final one.
    case run
}
