import Testing
@testable import FaultlineWorkloads

@Suite struct RESPParserTests {
    func parse(_ text: String) -> RESPParser.Result { RESPParser.parse(Array(text.utf8)) }

    @Test func everyType() {
        #expect(parse("+OK\r\n") == .complete(.simpleString("OK"), consumed: 5))
        #expect(parse("-ERR no\r\n") == .complete(.error("ERR no"), consumed: 9))
        #expect(parse(":-42\r\n") == .complete(.integer(-42), consumed: 6))
        #expect(parse("$3\r\nc\r1\r\n") == .complete(.bulkString(Array("c\r1".utf8)), consumed: 9))
        #expect(parse("$-1\r\n") == .complete(.bulkString(nil), consumed: 5))
        #expect(parse("*2\r\n:1\r\n$0\r\n\r\n") == .complete(.array([.integer(1), .bulkString([])]), consumed: 14))
        #expect(parse("*-1\r\n") == .complete(.array(nil), consumed: 5))
    }

    @Test func incompleteAndMalformed() {
        #expect(parse("$5\r\nhel") == .incomplete)
        #expect(parse("*2\r\n:1\r\n") == .incomplete)
        #expect(parse("+OK") == .incomplete)
        guard case .malformed = parse("$3\r\nabcd\r\n") else { Issue.record("bad framing accepted"); return }
        guard case .malformed = parse("?x\r\n") else { Issue.record("bad type accepted"); return }
    }

    @Test func commandEncoding() {
        #expect(String(decoding: RESPValue.command(["SET", "k", "vé"]), as: UTF8.self) == "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$3\r\nvé\r\n")
    }
}
