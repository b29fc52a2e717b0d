import FaultlineCore
import Foundation
import Testing

/// The agent's linear-time matcher for command-line selectors: it must answer as a
/// regular expression engine would on the syntax it accepts, refuse what it cannot match
/// in linear time with a position, and stay fast on inputs that make a backtracking
/// engine take exponential time.
@Suite struct CommandLinePatternTests {
    @Test(arguments: [
        ("etcd", "/usr/bin/etcd --name n1", true),
        ("^/usr/bin/etcd", "/usr/bin/etcd --name n1", true),
        ("^etcd", "/usr/bin/etcd", false),
        ("n[0-9]$", "etcd --name n3", true),
        ("n[^0-9]$", "etcd --name n3", false),
        ("--name (n1|n2)\\b?", "etcd --name n2", true),
        ("a{2,3}b", "xaab", true),
        ("a{4}b", "aaab", false),
        ("\\d+\\.\\d+", "v3.5", true),
        ("\\s--data-dir\\S*", "etcd --data-dir=/x", true),
        ("(?:ab)+c", "ababc", true),
        ("x*", "", true),
        ("a.c", "a\nc", false),
        ("a.c", "abc", true),
    ])
    func matches(pattern: String, text: String, expected: Bool) throws {
        // `\b?` is not supported: that case checks the refusal instead.
        if pattern.contains("\\b") {
            #expect(throws: CommandLinePattern.SyntaxError.self) { _ = try CommandLinePattern(pattern) }
            return
        }
        #expect(try CommandLinePattern(pattern).matches(text) == expected, "/\(pattern)/ on \(text.debugDescription)")
    }

    @Test(arguments: [
        ("(a)\\1", "backreferences", 3),
        ("(?=a)", "lookaround", 0),
        ("(?<!a)b", "lookaround", 0),
        ("a{1000}", "repetition counts above 100", 1),
        ("[z-a]", "out of order", 3),
        ("(ab", "missing ')'", 0),
        ("ab)", "unbalanced ')'", 2),
        ("*a", "nothing to repeat", 0),
        ("[abc", "missing ']'", 0),
        ("a++", "possessive", 2),
        ("\\", "cannot end with", 0),
    ])
    func refusals(pattern: String, reason: String, offset: Int) {
        do {
            _ = try CommandLinePattern(pattern)
            Issue.record("/\(pattern)/ was accepted")
        } catch {
            #expect(error.reason.contains(reason), "/\(pattern)/: \(error)")
            #expect(error.offset == offset, "/\(pattern)/: \(error)")
        }
    }

    @Test func longPatternsAndHugeProgramsAreRefused() {
        #expect(throws: CommandLinePattern.SyntaxError.self) { _ = try CommandLinePattern(String(repeating: "a", count: 1025)) }
        #expect(throws: CommandLinePattern.SyntaxError.self) { _ = try CommandLinePattern("((a{100}){100}){100}") }
    }

    /// Random patterns over a small grammar against NSRegularExpression (a backtracking
    /// engine with the same semantics for "is there a match"), on random short texts.
    @Test func agreesWithFoundationOnRandomPatterns() throws {
        var rng = SeededGenerator(seed: 0xF1)
        func atom(_ depth: Int) -> String {
            switch rng.next() % (depth > 2 ? 4 : 7) {
            case 0: return "a"
            case 1: return "b"
            case 2: return "."
            case 3: return ["[ab]", "[^a]", "\\d", "[a-c]"][Int(rng.next() % 4)]
            case 4: return "(" + alternation(depth + 1) + ")"
            case 5: return "(?:" + alternation(depth + 1) + ")"
            default: return ["^", "$"][Int(rng.next() % 2)]
            }
        }
        func piece(_ depth: Int) -> String {
            let a = atom(depth)
            if a == "^" || a == "$" { return a }
            return a + ["", "", "*", "+", "?", "{1,2}", "{2}"][Int(rng.next() % 7)]
        }
        func sequence(_ depth: Int) -> String { (0..<Int(1 + rng.next() % 3)).map { _ in piece(depth) }.joined() }
        func alternation(_ depth: Int) -> String {
            rng.next() % 4 == 0 ? sequence(depth) + "|" + sequence(depth) : sequence(depth)
        }
        var compared = 0
        for _ in 0..<2_000 {
            let pattern = alternation(0)
            let text = String((0..<Int(rng.next() % 8)).map { _ in ["a", "b", "c", "1"][Int(rng.next() % 4)] })
            let ours = try CommandLinePattern(pattern)
            let theirs = try NSRegularExpression(pattern: pattern)
            let expected = theirs.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) != nil
            #expect(ours.matches(text) == expected, "/\(pattern)/ on \(text.debugDescription)")
            compared += 1
        }
        #expect(compared == 2_000)
    }

    @Test func exponentialForBacktrackingIsLinearHere() throws {
        let text = String(repeating: "a", count: 4_000) + "!"
        #expect(try CommandLinePattern("(a+)+$").matches(text) == false)
        #expect(try CommandLinePattern("(a|aa)*b").matches(text) == false)
        #expect(try CommandLinePattern("(a+)+!$").matches(text) == true)
    }
}
