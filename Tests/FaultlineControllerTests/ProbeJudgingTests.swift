import FaultlineCore
import FaultlinePlan
import FaultlineWorkloads
import Foundation
import Testing
@testable import FaultlineController

@Suite("Probe verdicts: exact responses in, verdicts and words out")
struct ProbeJudgingTests {
    func expectation(_ yaml: String) throws -> HTTPExpectation {
        let plan = try TestPlans.parse("""
        version: 1
        title: t
        \(TestPlans.inventory(1))
        steady-state:
          - name: p
            probe: { http: { url: "http://127.0.0.1:1/", expect: \(yaml) } }
        method:
          - pause: 1s
        """)
        guard case .http(let p) = plan.steadyState[0].probe else { throw TestPlans.Invalid(description: "not http") }
        return p.expect
    }

    @Test func statusMismatchSaysWhatCameAndWhatWasExpected() throws {
        let o = HTTPProbeRunner.judge(HTTPResponse(status: 503), expect: try expectation("{ status: [200, 204] }"),
                                      latencySeconds: 0.01, url: "http://h/", host: "n1")
        #expect(!o.ok)
        #expect(o.detail.hasPrefix("status 503, expected 200 or 204"))
        #expect(o.host == "n1")
    }

    @Test func jsonPathBooleanAndLatencyBudget() throws {
        let body = Array(#"{"health":"true","members":[{"n":1},{"n":2}],"ok":true}"#.utf8)
        let e = try expectation(#"{ status: 200, jsonpath: { path: $.health, equals: "true" } }"#)
        #expect(HTTPProbeRunner.judge(HTTPResponse(status: 200, body: body), expect: e, latencySeconds: 0.01, url: "u", host: nil).ok)
        let e2 = try expectation(#"{ jsonpath: { path: "$.members[-1].n", above: 1 } }"#)
        #expect(HTTPProbeRunner.judge(HTTPResponse(status: 200, body: body), expect: e2, latencySeconds: 0.01, url: "u", host: nil).ok)
        let e3 = try expectation(#"{ jsonpath: { path: $.ok, equals: "false" } }"#)
        let o3 = HTTPProbeRunner.judge(HTTPResponse(status: 200, body: body), expect: e3, latencySeconds: 0.01, url: "u", host: nil)
        #expect(!o3.ok)
        #expect(o3.detail.contains("$.ok is true, expected = false"))
        let slow = try expectation("{ latency-below: 100ms }")
        let o4 = HTTPProbeRunner.judge(HTTPResponse(status: 200), expect: slow, latencySeconds: 0.25, url: "u", host: nil)
        #expect(!o4.ok)
        #expect(o4.detail.contains("250.0 ms, expected below 100ms"))
    }

    @Test func bodyRegex() throws {
        let e = try expectation(#"{ body: "ready: [0-9]+" }"#)
        #expect(HTTPProbeRunner.judge(HTTPResponse(status: 200, body: Array("ready: 3".utf8)), expect: e, latencySeconds: 0, url: "u", host: nil).ok)
        #expect(!HTTPProbeRunner.judge(HTTPResponse(status: 200, body: Array("starting".utf8)), expect: e, latencySeconds: 0, url: "u", host: nil).ok)
    }

    func prometheus(_ tolerance: String) throws -> PrometheusProbe {
        let plan = try TestPlans.parse("""
        version: 1
        title: t
        \(TestPlans.inventory(1))
        guards:
          - name: g
            probe: { prometheus: { url: "http://127.0.0.1:9090", query: "rate(x[1m])", \(tolerance) } }
        method:
          - pause: 1s
        """)
        guard case .prometheus(let p) = plan.guards[0].probe else { throw TestPlans.Invalid(description: "not prometheus") }
        return p
    }

    @Test func prometheusVectorMustHoldForEverySeries() throws {
        let p = try prometheus("below: 0.05")
        let body = Array(#"{"status":"success","data":{"resultType":"vector","result":[{"metric":{"instance":"a"},"value":[1.7e9,"0.01"]},{"metric":{"instance":"b"},"value":[1.7e9,"0.2"]}]}}"#.utf8)
        let v = PrometheusProbeRunner.judge(body: body, status: 200, probe: p)
        #expect(!v.ok)
        #expect(v.value == 0.2)
        #expect(v.detail.contains(#"{instance="b"} = 0.2, expected < 0.05"#))
        let empty = Array(#"{"status":"success","data":{"resultType":"vector","result":[]}}"#.utf8)
        #expect(!PrometheusProbeRunner.judge(body: empty, status: 200, probe: p).ok)
        let scalar = Array(#"{"status":"success","data":{"resultType":"scalar","result":[1.7e9,"0.001"]}}"#.utf8)
        #expect(PrometheusProbeRunner.judge(body: scalar, status: 200, probe: p).ok)
        let error = Array(#"{"status":"error","errorType":"bad_data","error":"parse error at char 5"}"#.utf8)
        let e = PrometheusProbeRunner.judge(body: error, status: 400, probe: p)
        #expect(!e.ok && e.detail.contains("parse error at char 5"))
    }

    @Test func prometheusQueryIsPercentEncoded() throws {
        let p = try prometheus("below: 1")
        #expect(PrometheusProbeRunner.queryURL(p) == "http://127.0.0.1:9090/api/v1/query?query=rate%28x%5B1m%5D%29")
    }

    @Test func urlsAndAddresses() throws {
        #expect(try ProbeURL.parse("http://10.0.0.1:2379/health") == ProbeURL(host: "10.0.0.1", port: 2379, target: "/health"))
        #expect(try ProbeURL.parse("http://[fd00::1]/x?y=1") == ProbeURL(host: "fd00::1", port: 80, target: "/x?y=1"))
        #expect(try ProbeURL.parse("http://h?q") == ProbeURL(host: "h", port: 80, target: "/?q"))
        #expect(try ProbeURL.parse("https://h/") == ProbeURL(host: "h", port: 443, target: "/", secure: true))
        #expect(throws: ProbeURL.Invalid.self) { try ProbeURL.parse("ftp://h/") }
        #expect(throws: ProbeURL.Invalid.self) { try ProbeURL.parse("http://h:99999/") }
        #expect(TCPProbeRunner.split("10.0.0.1:2379")! == ("10.0.0.1", 2379))
        #expect(TCPProbeRunner.split("[fd00::1]:80")! == ("fd00::1", 80))
        #expect(TCPProbeRunner.split("fd00::1:80") == nil)
        let host = Host(name: "n1", address: "fd00::7", agent: "")
        #expect(HostTemplate.fill("http://{{host.address}}:2379/{{host.name}}", host: host) == "http://[fd00::7]:2379/n1")
    }

    @Test func etcdStatusAndLeaderVote() throws {
        let a = ServiceTargetResolver.parseEtcdStatus(Array(#"{"header":{"cluster_id":"1","member_id":"111"},"leader":"222"}"#.utf8), status: 200)
        let b = ServiceTargetResolver.parseEtcdStatus(Array(#"{"header":{"member_id":"222"},"leader":"222"}"#.utf8), status: 200)
        let c = ServiceTargetResolver.parseEtcdStatus(Array("unavailable".utf8), status: 503)
        #expect(try a.get() == .init(memberID: "111", leader: "222"))
        let hosts = (1...3).map { Host(name: "n\($0)", address: "10.0.0.\($0)", agent: "") }
        #expect(try ServiceTargetResolver.etcdLeader([a, b, c], candidates: hosts).name == "n2")
        #expect(throws: ServiceTargetResolver.NoAnswer.self) { try ServiceTargetResolver.etcdLeader([c, c, c], candidates: hosts) }
        // The leader named is not among the candidates (it answered nothing).
        #expect(throws: ServiceTargetResolver.NoAnswer.self) { try ServiceTargetResolver.etcdLeader([a, c, c], candidates: hosts) }
        #expect(try ServiceTargetResolver.parseRedisRole("# Replication\r\nrole:master\r\nconnected_slaves:2\r\n").get() == "master")
    }

    @Test func toleranceWords() {
        #expect(Tolerance.between(1, 2).judge("1.5").ok)
        #expect(!Tolerance.above(3).judge(NSNumber(value: 3)).ok)
        #expect(Tolerance.equals("3").judge(NSNumber(value: 3.0)).ok)
        #expect(Tolerance.matches("^v3\\.").judge("v3.4.30").ok)
        #expect(Tolerance.below(1).judge("NaN").detail == "nan, expected < 1.0")
        #expect(!Tolerance.below(1).judge(nil).ok)
    }

    @Test func agentURLs() throws {
        #expect(try AgentDirectory.parse("https://10.77.0.11:7433", host: "n1") == .init(secure: true, address: "10.77.0.11", port: 7433))
        #expect(try AgentDirectory.parse("http://[fd00::1]:8000/", host: "n1") == .init(secure: false, address: "fd00::1", port: 8000))
        #expect(try AgentDirectory.parse("https://agent.example", host: "n1").port == 7433)
        #expect(throws: AgentDirectory.URLError.self) { try AgentDirectory.parse("ftp://x", host: "n1") }
        #expect(throws: AgentDirectory.URLError.self) { try AgentDirectory.parse("https://x:7433/v1", host: "n1") }
    }
}
