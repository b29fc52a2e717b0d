import FaultlineTestSupport
import Testing
@testable import FaultlineAgent

/// The start-up warm-up (`FirstUseWarmUp`): every sample still decodes and round-trips
/// (a fault shape or undo record that drifted would silently warm nothing), and it leaves
/// the kernel as it was. Its effect on the first apply is measured by controller-bench,
/// not here (docs/benchmarks.md).
@Suite("First-use warm-up")
struct FirstUseWarmUpTests {
    @Test func everySampleGoesThroughAndTheKernelIsUntouched() throws {
        let injector = try ShimInjector(.init(controllers: ["127.0.0.1/32"], agentPort: 7433))
        let tables = try TestHostNamespace.run(["/usr/sbin/nft", "list", "tables"])
        let qdiscs = try TestHostNamespace.run(["/usr/sbin/tc", "qdisc", "show"])
        #expect(FirstUseWarmUp.run(injector: injector) == FirstUseWarmUp.requests.count + 1)
        #expect(try TestHostNamespace.run(["/usr/sbin/nft", "list", "tables"]) == tables)
        #expect(try TestHostNamespace.run(["/usr/sbin/tc", "qdisc", "show"]) == qdiscs)
    }
}
