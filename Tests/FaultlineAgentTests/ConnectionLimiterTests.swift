@testable import FaultlineAgent
import FaultlineAgentAPI
import FaultlineCore
import Testing

/// The connection caps and the deny list's file format, without sockets.
struct ConnectionLimiterTests {
    func limiter(total: Int = 8, perPeer: Int = 3, reserve: Int = 2) -> ConnectionLimiter {
        var limits = ServerLimits()
        limits.connections = total; limits.connectionsPerPeer = perPeer; limits.controllerReserve = reserve
        return ConnectionLimiter(limits: limits, controllers: [CIDR("10.0.0.5/32")!])
    }

    @Test func perPeerCapThenTotalWithTheReserveLeftForControllers() {
        let limits = limiter()
        for _ in 0..<3 { #expect(limits.admit("10.9.0.1") == nil) }
        #expect(limits.admit("10.9.0.1")?.contains("at most 3 per peer") == true)
        for _ in 0..<3 { #expect(limits.admit("10.9.0.2") == nil) }
        // 6 open: the last 2 of 8 are the controllers'.
        #expect(limits.admit("10.9.0.3")?.contains("the last 2 are kept for controllers") == true)
        #expect(limits.admit("10.0.0.5") == nil)
        #expect(limits.admit("::ffff:10.0.0.5") == nil)
        #expect(limits.admit("10.0.0.5")?.contains("at most 8") == true)
        limits.release("10.9.0.1")
        #expect(limits.open == 7)
        #expect(limits.admit("10.9.0.3") != nil, "a freed slot under the reserve line is still the controllers'")
        #expect(limits.admit("10.0.0.5") == nil)
    }

    @Test func limitsShrinkToTheDescriptorLimit() {
        let fitted = ServerLimits().fitting(descriptors: 256)
        #expect(fitted.connections == 128 && fitted.controllerReserve == 32 && fitted.connectionsPerPeer == 32)
        #expect(ServerLimits().fitting(descriptors: 1 << 20) == ServerLimits())
    }

    @Test func denyListAcceptsOpenSSLSpellingsAndNamesBadLines() throws {
        let list = try CertificateDenyList.parse("# revoked\n5F:3A:09  # ci\n0x00ab\n\n", file: "revoked-serials")
        #expect(list.serials == ["5f3a09", "ab"])
        #expect(throws: CertificateDenyList.ParseError.self) { try CertificateDenyList.parse("5f3a\nnot-hex\n", file: "r") }
        do { _ = try CertificateDenyList.parse("5f3a\nnot-hex\n", file: "r") } catch { #expect(error.description == "r:2: expected a certificate serial in hex, found 'not-hex'") }
    }
}
