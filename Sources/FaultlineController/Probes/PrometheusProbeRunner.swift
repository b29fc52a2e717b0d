import FaultlineCore
import FaultlinePlan
import FaultlineWorkloads
import Foundation

/// `prometheus:` probes: an instant query (`GET {url}/api/v1/query?query=…`, over TLS
/// for an `https://` server with the probe's `tls`) whose result
/// must meet the tolerance. A vector passes only if every series does (a guard "error
/// rate below 5%" must hold for every instance); an empty vector fails, since "no data"
/// is not evidence of health.
enum PrometheusProbeRunner {
    static func run(_ probe: PrometheusProbe, timeout: TimeSpan) async -> ProbeObservation {
        let seconds = (probe.timeout ?? timeout).seconds
        if probe.url.hasPrefix("https://") {
            let url = queryURL(probe)
            let result = await HTTPProbeRunner.secureExchange("GET", url, headers: ["Accept": "application/json"], body: nil,
                                                              tls: probe.tls, timeoutSeconds: seconds)
            switch result {
            case .failure(let problem):
                return ProbeObservation(host: nil, ok: false, value: nil, detail: "query \(probe.query): \(problem.detail)", durationSeconds: problem.seconds)
            case .success(let (response, took)):
                let verdict = judge(body: response.body, status: response.status, probe: probe)
                return ProbeObservation(host: nil, ok: verdict.ok, value: verdict.value, detail: verdict.detail, durationSeconds: took)
            }
        }
        return await Blocking.run("fl-probe-prom") { observe(probe, timeoutSeconds: seconds) }
    }

    static func queryURL(_ probe: PrometheusProbe) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        let encoded = probe.query.addingPercentEncoding(withAllowedCharacters: allowed) ?? probe.query
        let base = probe.url.hasSuffix("/") ? String(probe.url.dropLast()) : probe.url
        return "\(base)/api/v1/query?query=\(encoded)"
    }

    static func observe(_ probe: PrometheusProbe, timeoutSeconds: Double) -> ProbeObservation {
        let started = Monotonic.seconds()
        let url = queryURL(probe)
        func done(_ ok: Bool, _ value: Double?, _ detail: String) -> ProbeObservation {
            ProbeObservation(host: nil, ok: ok, value: value, detail: detail, durationSeconds: Monotonic.seconds() - started)
        }
        let parsed: ProbeURL
        do { parsed = try ProbeURL.parse(url) } catch { return done(false, nil, error.description) }
        let connection = HTTPConnection(host: parsed.host, port: parsed.port, connectTimeout: .nanoseconds(Int64(timeoutSeconds * 1e9)), keepAlive: false)
        defer { connection.close() }
        let response: HTTPResponse
        do {
            response = try connection.request("GET", parsed.target, headers: [("Accept", "application/json")], timeout: .nanoseconds(Int64(timeoutSeconds * 1e9)))
        } catch {
            return done(false, nil, "query \(probe.query): \(error)")
        }
        let verdict = judge(body: response.body, status: response.status, probe: probe)
        return done(verdict.ok, verdict.value, verdict.detail)
    }

    /// Pure: the verdict on Prometheus' answer.
    static func judge(body: [UInt8], status: Int, probe: PrometheusProbe) -> (ok: Bool, value: Double?, detail: String) {
        guard let root = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] else {
            return (false, nil, "query \(probe.query): status \(status), not a Prometheus answer: \(HTTPProbeRunner.excerpt(String(decoding: body, as: UTF8.self)))")
        }
        guard status == 200, root["status"] as? String == "success", let data = root["data"] as? [String: Any] else {
            let error = root["error"] as? String ?? "status \(status)"
            return (false, nil, "query \(probe.query) failed: \(error)")
        }
        let resultType = data["resultType"] as? String ?? "?"
        switch resultType {
        case "scalar", "string":
            guard let pair = data["result"] as? [Any], pair.count == 2 else { return (false, nil, "query \(probe.query): malformed \(resultType)") }
            let v = probe.tolerance.judge(pair[1])
            return (v.ok, v.value, "\(probe.query) = \(v.detail)")
        case "vector":
            guard let series = data["result"] as? [[String: Any]] else { return (false, nil, "query \(probe.query): malformed vector") }
            guard !series.isEmpty else { return (false, nil, "\(probe.query) returned no series, expected \(probe.tolerance)") }
            var first: (ok: Bool, value: Double?, detail: String)?
            for s in series {
                guard let pair = s["value"] as? [Any], pair.count == 2 else { return (false, nil, "query \(probe.query): malformed sample") }
                let v = probe.tolerance.judge(pair[1])
                let labels = (s["metric"] as? [String: Any]).map(describe) ?? ""
                let worded = (v.ok, v.value, "\(probe.query)\(labels) = \(v.detail)")
                if !v.ok { return worded }
                if first == nil { first = worded }
            }
            let f = first!
            return (true, f.value, series.count == 1 ? f.detail : f.detail + " (and \(series.count - 1) more series, all within)")
        default:
            return (false, nil, "\(probe.query): a \(resultType) result cannot be compared; write a query that yields a vector or scalar")
        }
    }

    static func describe(_ labels: [String: Any]) -> String {
        guard !labels.isEmpty else { return "" }
        return "{" + labels.keys.sorted().map { "\($0)=\"\(labels[$0].map { "\($0)" } ?? "")\"" }.joined(separator: ",") + "}"
    }
}
