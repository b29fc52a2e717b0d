import FaultlineAgentAPI
import FaultlineCore
import Foundation
import Testing

/// A real agent tells a controller and a Prometheus which Faultline it is.
@Suite("faultline-agent version")
struct AgentVersionTests {
    @Test("/v1/health carries the version and /metrics a faultline_build_info gauge")
    func healthAndMetricsCarryTheVersion() async throws {
        let agent = try AgentUnderTest(tag: "av")
        defer { agent.destroy() }
        try await agent.waitUntilServing()
        let client = try agent.client()
        defer { client.close() }

        let health = try await client.health()
        #expect(health.version == FaultlineVersion.current)
        let raw = try await client.call("GET", "/v1/health")
        #expect(String(decoding: raw.body, as: UTF8.self).contains(#""version":"\#(FaultlineVersion.current)""#))

        let metrics = try await client.call("GET", "/metrics")
        let text = String(decoding: metrics.body, as: UTF8.self)
        #expect(metrics.status == 200)
        #expect(text.contains("# TYPE faultline_build_info gauge\n"))
        #expect(text.contains("\nfaultline_build_info{version=\"\(FaultlineVersion.current)\"} 1\n"), "\(text.prefix(400))")
    }
}
