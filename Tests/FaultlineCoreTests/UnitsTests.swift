import Foundation
import Testing
import FaultlineCore

struct TimeSpanTests {
    @Test(arguments: [("250ms", 250_000_000), ("20s", 20_000_000_000), ("1m30s", 90_000_000_000),
                      ("1h", 3_600_000_000_000), ("1.5ms", 1_500_000), ("100us", 100_000), ("-5m", -300_000_000_000), ("1h30m", 5_400_000_000_000)] as [(String, Int64)])
    func parses(text: String, nanos: Int64) {
        #expect(TimeSpan(text)?.nanoseconds == nanos)
    }

    @Test(arguments: ["100", "ms", "", "1s30m", "5 minutes", "1.2.3s", "10sec", "1m1m"])
    func refuses(text: String) {
        guard case .failure(let e) = TimeSpan.parse(text) else { Issue.record("'\(text)' accepted"); return }
        #expect(!e.message.isEmpty)
    }

    @Test func bareNumberSaysItNeedsAUnit() {
        guard case .failure(let e) = TimeSpan.parse("100") else { Issue.record("accepted"); return }
        #expect(e.message == "'100' has no unit; write e.g. 100s or 100ms (units: ns, us, ms, s, m, h)")
    }

    @Test(arguments: ["250ms", "20s", "1m30s", "1h", "1.5ms", "-5m", "1h1m1s", "2.25s"])
    func printsWhatItParses(text: String) throws {
        let span = try #require(TimeSpan(text))
        #expect(span.description == text)
        let json = try JSONEncoder().encode(span)
        #expect(try JSONDecoder().decode(TimeSpan.self, from: json) == span)
    }
}

struct UnitTests {
    @Test func percentages() throws {
        #expect(try Percent.parse("12.5%").get().points == 12.5)
        #expect(try Percent.parse("30").get().points == 30)
        #expect((try? Percent.parse("101%").get()) == nil)
        #expect((try? Percent.parse("-1%").get()) == nil)
        #expect((try? Percent.parse("ten").get()) == nil)
    }

    @Test func ratesFollowTcUnits() throws {
        #expect(try Rate.parse("10mbit").get().bitsPerSecond == 10_000_000)
        #expect(try Rate.parse("1gbit").get().bitsPerSecond == 1_000_000_000)
        #expect(try Rate.parse("500kbit").get().bitsPerSecond == 500_000)
        #expect(try Rate.parse("1mbps").get().bitsPerSecond == 8_000_000, "mbps is megabytes per second in tc")
        #expect((try? Rate.parse("10").get()) == nil)
        #expect((try? Rate.parse("10mbits").get()) == nil)
        #expect(try Rate.parse("50mbit").get().description == "50mbit")
    }

    @Test func sizesAreBinaryLikeTc() throws {
        #expect(try ByteSize.parse("64kb").get().bytes == 65_536)
        #expect(try ByteSize.parse("1500b").get().bytes == 1500)
        #expect(try ByteSize.parse("1500").get().bytes == 1500)
        #expect(try ByteSize.parse("1mb").get().bytes == 1_048_576)
        #expect((try? ByteSize.parse("1qb").get()) == nil)
    }

    @Test func cidrs() throws {
        #expect(CIDR("10.0.0.0/24")?.prefixLength == 24)
        #expect(CIDR("10.0.0.7")?.prefixLength == 32)
        #expect(CIDR("fd00::1/64")?.family == .ipv6)
        #expect(CIDR("::1")?.bytes.last == 1)
        for bad in ["10.0.0.300", "10.0.0/24", "10.0.0.0/33", "1.2.3.4.5", "fd00:::1", "etcd", "01234.1.1.1"] {
            #expect(CIDR(bad) == nil, "\(bad)")
        }
        let net = try #require(CIDR("10.77.0.0/24"))
        #expect(net.contains(try #require(CIDR("10.77.0.11"))))
        #expect(!net.contains(try #require(CIDR("10.78.0.11"))))
    }

    @Test func portsAndSignals() throws {
        #expect(try PortRange.parse("2379-2380").get() == PortRange(2379, 2380))
        #expect((try? PortRange.parse("0").get()) == nil)
        #expect((try? PortRange.parse("2380-2379").get()) == nil)
        #expect(Signal(name: "SIGKILL")?.number == 9)
        #expect(Signal(name: "term")?.number == 15)
        #expect(Signal(name: "NOPE") == nil)
    }
}

struct FaultWireTests {
    @Test func faultsRoundTripThroughJSON() throws {
        let faults: [Fault] = [
            .latency(Latency(delay: .milliseconds(50), jitter: .milliseconds(10), filter: NetworkFilter(peers: [.cidr("10.77.0.12")], ports: [PortRange(2380)]))),
            .loss(Loss(percent: Percent(points: 12.5))),
            .bandwidth(Bandwidth(rate: Rate(bitsPerSecond: 50_000_000))),
            .partition(Partition(topology: .inbound, filter: NetworkFilter(peers: [.cidr("10.77.0.0/24")]))),
            .kill(Kill(process: .name("etcd"), signal: .term)),
            .pause(Pause(process: .commandLine("etcd --name n1"))),
            .clock(ClockSkew(offset: .seconds(3600), process: .pid(1234), strobe: .init(every: .milliseconds(100)))),
        ]
        for fault in faults {
            let data = try JSONEncoder().encode(fault)
            let decoded = try JSONDecoder().decode(Fault.self, from: data)
            #expect(decoded == fault, "\(String(decoding: data, as: UTF8.self))")
            #expect(fault.problems().isEmpty, "\(fault.problems())")
        }
        let text = String(decoding: try JSONEncoder().encode(faults[0]), as: UTF8.self)
        #expect(text.contains("\"kind\":\"latency\""))
        #expect(text.contains("\"delay\":\"50ms\""))
    }

    @Test func problemsNameTheirFields() {
        #expect(Latency(delay: .zero).problems().map(\.field) == ["delay"])
        #expect(Latency(delay: .milliseconds(5), jitter: .milliseconds(9)).problems().map(\.field) == ["jitter"])
        #expect(ClockSkew(offset: .seconds(1)).problems().map(\.field) == ["process"])
        #expect(Kill(process: .pid(1)).problems().map(\.field) == ["process"])
        #expect(Loss(percent: Percent(points: 0)).problems().map(\.field) == ["percent"])
        #expect(Loss(percent: Percent(points: 5), filter: NetworkFilter(peers: [.cidr("nope")])).problems().map(\.field) == ["peers[0]"])
    }

    @Test func unknownKindIsADecodingError() {
        let json = Data(#"{"kind":"meteor","parameters":{}}"#.utf8)
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(Fault.self, from: json) }
    }
}
