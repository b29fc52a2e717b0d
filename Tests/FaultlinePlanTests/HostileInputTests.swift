import Foundation
import Testing
@testable import FaultlinePlan

/// Inputs built to hurt a parser: each must give one precise diagnostic, quickly, with
/// bounded memory, and never crash.
struct HostileInputTests {
    func only(_ result: Result<Plan, PlanError>) -> Diagnostic? {
        guard case .failure(let e) = result else { return nil }
        return e.diagnostics.first
    }

    @Test func twentyMegabyteFileIsRefusedUnread() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("fl-plan-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("huge.yaml").path
        var chunk = basePlan
        chunk += String(repeating: "# padding padding padding padding padding padding padding padding\n", count: 1000)
        let data = Data(chunk.utf8)
        FileManager.default.createFile(atPath: path, contents: nil)
        let handle = try #require(FileHandle(forWritingAtPath: path))
        while (try handle.offset()) < 20_000_000 { handle.write(data) }
        try handle.close()
        let d = try #require(only(PlanParser.load(path: path)))
        #expect(d.line == 0)
        #expect(d.message.contains("a plan file holds at most 1 MiB"), "\(d.message)")
    }

    @Test func binaryContentIsRefused() throws {
        let bytes: [UInt8] = [0x7F, 0x45, 0x4C, 0x46, 0x02, 0x01, 0x01, 0x00] + Array(repeating: 0, count: 100)
        let d = try #require(only(PlanParser.parse(bytes: bytes, file: "a.out", directory: ".")))
        // The first offending byte: ELF's 0x7F at the very start, not the NUL after "ELF".
        #expect((d.line, d.column) == (1, 1) && d.message.contains("control character (U+007F DEL)"), "\(d)")
    }

    @Test func nonUTF8IsRefusedWithItsPosition() throws {
        var bytes = Array("version: 1\ntitle: caf".utf8)
        bytes += [0xE9] // Latin-1 'é'
        bytes += Array("\ninventory: lab\n".utf8)
        let d = try #require(only(PlanParser.parse(bytes: bytes, file: "latin1.yaml", directory: ".")))
        #expect((d.line, d.column) == (2, 11))
        #expect(d.message.contains("not valid UTF-8"))
    }

    /// Whatever rule it breaks, the first offending byte is the one reported, by its code
    /// and position, never echoed (a terminal would run an ESC sequence).
    @Test func theFirstOffendingByteIsReported() throws {
        // Invalid UTF-8 on line 1, a NUL on line 3: line 1.
        let latin1First = Array("title: caf".utf8) + [0xE9] + Array("\nversion: 1\n\u{0}\n".utf8)
        let a = try #require(only(PlanParser.parse(bytes: latin1First, file: "a.yaml", directory: ".")))
        #expect((a.line, a.column) == (1, 11) && a.message.contains("not valid UTF-8"), "\(a)")
        // BEL, and a C1 control (U+009B CSI, encoded C2 9B), with their positions.
        let bell = try #require(only(PlanParser.parse(bytes: Array("version: 1\ntitle: ding\u{7}\n".utf8), file: "b.yaml", directory: ".")))
        #expect((bell.line, bell.column) == (2, 12) && bell.message.contains("U+0007 BEL") && !bell.description.contains("\u{7}"), "\(bell)")
        let csi = try #require(only(PlanParser.parse(bytes: Array("version: 1\ntitle: x".utf8) + [0xC2, 0x9B] + Array("31m\n".utf8), file: "c.yaml", directory: ".")))
        #expect((csi.line, csi.column) == (2, 9) && csi.message.contains("U+009B CSI"), "\(csi)")
        // Tabs inside quoted text, CR LF line ends and non-ASCII letters stay fine.
        guard case .success = PlanParser.parse(bytes: Array((basePlan.replacingOccurrences(of: "\n", with: "\r\n") + "\r\ndescription: \"café\\tau\"\r\n").utf8),
                                               file: "ok.yaml", directory: ".") else {
            Issue.record("CR LF and non-ASCII text must be accepted"); return
        }
    }

    @Test func byteOrderMarkIsAccepted() {
        let bytes: [UInt8] = [0xEF, 0xBB, 0xBF] + Array(basePlan.utf8)
        guard case .success = PlanParser.parse(bytes: bytes, file: "bom.yaml", directory: ".") else {
            Issue.record("a UTF-8 BOM should be accepted"); return
        }
    }

    @Test func aliasBombIsRefusedWithoutExpanding() throws {
        // Nine levels of nine aliases: 9^9 ≈ 387 million nodes if expanded.
        var text = "a0: &a0 [x, x, x, x, x, x, x, x, x]\n"
        for i in 1...9 {
            let refs = Array(repeating: "*a\(i - 1)", count: 9).joined(separator: ", ")
            text += "a\(i): &a\(i) [\(refs)]\n"
        }
        text += "version: 1\ntitle: bomb\ninventory: lab\nmethod: *a9\n"
        let clock = ContinuousClock()
        let start = clock.now
        let d = try #require(only(parse(text)))
        #expect(clock.now - start < .seconds(5))
        #expect(d.message.contains("expands to more than"))
    }

    @Test func deepFlowNestingIsRefused() throws {
        let text = "version: 1\ntitle: deep\ninventory: lab\nmethod: " + String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000) + "\n"
        let d = try #require(only(parse(text)))
        #expect(d.line == 4)
        #expect(d.message.contains("nest deeper than 64"))
    }

    @Test func deepBlockNestingIsRefused() throws {
        let text = "version: 1\ntitle: deep\ninventory: lab\nmethod:\n  " + String(repeating: "- ", count: 50_000) + "x\n"
        let d = try #require(only(parse(text)))
        #expect(d.line == 5)
        #expect(d.message.contains("deeper than 64"))
    }

    @Test func moderateNestingInsideLimitsIsFine() {
        // Anchors and aliases used normally are fine.
        let text = """
        version: 1
        title: aliases are allowed
        inventory: lab
        targets:
          etcd: &sel { labels: { role: etcd } }
          again: *sel
        method:
          - latency: { target: again, delay: 100ms, duration: 10s }
        """
        guard case .success(let plan) = parse(text) else { Issue.record("\(diagnostics(text))"); return }
        #expect(plan.targets.count == 2)
    }

    @Test func everyStepErrorIsReportedNotOnlyTheFirst() {
        let text = basePlan + """
          - loss: { target: etcd, percent: 200%, duration: 1s }
          - bandwidth: { target: etcd, rate: 1zbit, duration: 1s }
          - pause: 0s
          - kill: { target: etcd, process: etcd, signal: NOPE }
        """
        let d = diagnostics(text)
        #expect(d.count == 4, "\(d)")
        #expect(d.map(\.line) == [8, 9, 10, 11])
    }
}
