import Testing
@testable import FaultlineWorkloads

/// Exact bytes in, exact response out.
@Suite struct HTTPResponseParserTests {
    func parse(_ text: String, method: String = "GET", atEnd: Bool = false) -> HTTPResponseParser.Result {
        HTTPResponseParser.parse(Array(text.utf8), requestMethod: method, atEndOfStream: atEnd)
    }

    @Test func contentLengthBodyAndWhatFollows() {
        let text = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-A:  spaced \r\n\r\nhelloHTTP/1.1"
        guard case .complete(let response, let consumed) = parse(text) else { Issue.record("not complete"); return }
        #expect(response.status == 200)
        #expect(response.reason == "OK")
        #expect(response.text == "hello")
        #expect(response.header("x-a") == "spaced")
        #expect(consumed == text.utf8.count - "HTTP/1.1".utf8.count)
    }

    @Test func incompleteUntilTheLastBodyByte() {
        #expect(parse("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhell") == .incomplete)
        #expect(parse("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n") == .incomplete)
        guard case .malformed = parse("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhell", atEnd: true) else {
            Issue.record("a body cut short by a close must be malformed"); return
        }
    }

    @Test func chunkedWithExtensionsAndTrailer() {
        let text = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;x=y\r\nhello\r\nA\r\n, world!!!\r\n0\r\nT: 1\r\n\r\n"
        guard case .complete(let response, let consumed) = parse(text) else { Issue.record("not complete"); return }
        #expect(response.text == "hello, world!!!")
        #expect(consumed == text.utf8.count)
        #expect(parse(String(text.dropLast(2))) == .incomplete)
        guard case .malformed = parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n") else {
            Issue.record("bad chunk size accepted"); return
        }
    }

    @Test func noBodyForHeadAnd204AndSkips100Continue() {
        guard case .complete(let head, _) = parse("HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n", method: "HEAD") else {
            Issue.record("HEAD"); return
        }
        #expect(head.body.isEmpty)
        guard case .complete(let noContent, _) = parse("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n") else {
            Issue.record("204"); return
        }
        #expect(noContent.status == 204)
    }

    @Test func closeDelimitedBodyNeedsTheClose() {
        let text = "HTTP/1.0 200 OK\r\n\r\nuntil close"
        #expect(parse(text) == .incomplete)
        guard case .complete(let response, _) = parse(text, atEnd: true) else { Issue.record("not complete"); return }
        #expect(response.text == "until close")
    }

    @Test func garbageIsMalformed() {
        guard case .malformed = parse("SSH-2.0-OpenSSH\r\n\r\n") else { Issue.record("accepted garbage"); return }
    }
}
