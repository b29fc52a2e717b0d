import FaultlineCore
import FaultlinePlan
import FaultlineWorkloads
import Foundation

/// `http:` probes: one request per host (or one, without `each`), judged on status,
/// latency, body regex and a JSONPath value.
///
/// `http://` speaks through FaultlineWorkloads' blocking `HTTPConnection`, whose every
/// step waits in poll(2) for at most the time left; `https://` through `HTTPSExchange`
/// (NIOSSL) with the probe's `tls`. Either way the probe's timeout bounds connect, send
/// and receive together, so a partitioned server costs exactly the timeout, never more.
enum HTTPProbeRunner {
    static func run(_ probe: HTTPProbe, host: Host?, timeout: TimeSpan) async -> ProbeObservation {
        let url = HostTemplate.fill(probe.url, host: host)
        let seconds = (probe.timeout ?? timeout).seconds
        if url.hasPrefix("https://") {
            let result = await secureExchange(probe.method, url, headers: probe.headers, body: probe.body, tls: probe.tls, timeoutSeconds: seconds)
            return verdict(result, probe: probe, url: url, host: host?.name)
        }
        return await Blocking.run("fl-probe-http") {
            observe(probe, url: url, host: host?.name, timeoutSeconds: seconds)
        }
    }

    /// One `https://` request with the probe's TLS settings.
    static func secureExchange(_ method: String, _ url: String, headers: [String: String], body: String?, tls: ProbeTLS,
                               timeoutSeconds: Double) async -> Result<(HTTPResponse, Double), Problem> {
        let parsed: ProbeURL
        do { parsed = try ProbeURL.parse(url) } catch { return .failure(Problem(detail: error.description, seconds: 0)) }
        return await HTTPSExchange.request(method, parsed, shown: url, headers: fields(headers, body: body), body: Array((body ?? "").utf8),
                                           tls: tls, timeoutSeconds: timeoutSeconds)
    }

    static func verdict(_ result: Result<(HTTPResponse, Double), Problem>, probe: HTTPProbe, url: String, host: String?) -> ProbeObservation {
        switch result {
        case .failure(let problem):
            return ProbeObservation(host: host, ok: false, value: nil, detail: problem.detail, durationSeconds: problem.seconds)
        case .success(let (response, latency)):
            return judge(response, expect: probe.expect, latencySeconds: latency, url: url, host: host)
        }
    }

    /// Header fields in a stable order, with a JSON content type for a body that names none.
    static func fields(_ headers: [String: String], body: String?) -> [(String, String)] {
        var fields = headers.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        if body != nil, !headers.keys.contains(where: { $0.lowercased() == "content-type" }) {
            fields.append(("Content-Type", "application/json"))
        }
        return fields
    }

    static func observe(_ probe: HTTPProbe, url: String, host: String?, timeoutSeconds: Double) -> ProbeObservation {
        verdict(exchange(probe.method, url, headers: probe.headers, body: probe.body, timeoutSeconds: timeoutSeconds), probe: probe, url: url, host: host)
    }

    struct Problem: Error { var detail: String; var seconds: Double }

    /// One plain-HTTP request, its response and the time it took (for probes and `http`
    /// actions; blocking, so call it on a thread of its own).
    static func exchange(_ method: String, _ url: String, headers: [String: String], body: String?,
                         timeoutSeconds: Double) -> Result<(HTTPResponse, Double), Problem> {
        let started = Monotonic.seconds()
        let parsed: ProbeURL
        do { parsed = try ProbeURL.parse(url) } catch { return .failure(Problem(detail: error.description, seconds: 0)) }
        if parsed.secure {
            return .failure(Problem(detail: "'\(url)': https:// is spoken by http and prometheus probes (with their tls settings); an http action speaks plain http:// only", seconds: 0))
        }
        let timeout = Duration.nanoseconds(Int64(timeoutSeconds * 1e9))
        let connection = HTTPConnection(host: parsed.host, port: parsed.port, connectTimeout: timeout, keepAlive: false)
        defer { connection.close() }
        let fields = fields(headers, body: body)
        do {
            let response = try connection.request(method, parsed.target, headers: fields, body: Array((body ?? "").utf8), timeout: timeout)
            return .success((response, Monotonic.seconds() - started))
        } catch {
            return .failure(Problem(detail: "\(method) \(url): \(error)", seconds: Monotonic.seconds() - started))
        }
    }

    /// Pure: the verdict on one response. The value recorded is the latency in ms.
    static func judge(_ response: HTTPResponse, expect: HTTPExpectation, latencySeconds: Double, url: String, host: String?) -> ProbeObservation {
        let ms = latencySeconds * 1000
        func result(_ ok: Bool, _ detail: String) -> ProbeObservation {
            ProbeObservation(host: host, ok: ok, value: ms, detail: detail, durationSeconds: latencySeconds)
        }
        guard expect.status.contains(response.status) else {
            let expected = expect.status.map(String.init).joined(separator: " or ")
            return result(false, "status \(response.status), expected \(expected) (\(url))")
        }
        if let budget = expect.latencyBelow, latencySeconds >= budget.seconds {
            return result(false, "answered in \(String(format: "%.1f", ms)) ms, expected below \(budget) (\(url))")
        }
        if let pattern = expect.body {
            guard let regex = try? NSRegularExpression(pattern: pattern) else { return result(false, "invalid body regular expression /\(pattern)/") }
            let text = response.text
            if regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) == nil {
                return result(false, "body does not match /\(pattern)/: \(excerpt(text)) (\(url))")
            }
        }
        if let jp = expect.jsonPath {
            guard let path = JSONPath.parse(jp.path) else { return result(false, "invalid JSONPath '\(jp.path)'") }
            guard let root = try? JSONSerialization.jsonObject(with: Data(response.body), options: [.fragmentsAllowed]) else {
                return result(false, "body is not JSON, expected \(jp.path) \(jp.tolerance): \(excerpt(response.text)) (\(url))")
            }
            guard let value = path.evaluate(root) else {
                return result(false, "\(jp.path) not found in the body, expected \(jp.tolerance): \(excerpt(response.text))")
            }
            let verdict = jp.tolerance.judge(value)
            if !verdict.ok { return result(false, "\(jp.path) is \(verdict.detail) (\(url))") }
        }
        return result(true, "status \(response.status) in \(String(format: "%.1f", ms)) ms")
    }

    static func excerpt(_ text: String) -> String {
        let flat = text.replacingOccurrences(of: "\n", with: " ")
        return flat.count > 120 ? "\"\(flat.prefix(120))…\"" : "\"\(flat)\""
    }
}
