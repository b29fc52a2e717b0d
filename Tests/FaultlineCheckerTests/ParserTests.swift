import FaultlineChecker
import Testing

@Suite struct ParserTests {
    static func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    static func error(_ text: String, _ format: HistoryFormat? = nil) -> ParseError? {
        do {
            _ = try HistoryFormat.parse(bytes(text), format: format)
            return nil
        } catch {
            return error
        }
    }

    // MARK: Jepsen etcd logs

    @Test func jepsenTabAndSpaceSeparated() throws {
        let text = "INFO  jepsen.util - 0\t:invoke\t:write\t3\n"
            + "INFO  jepsen.util - 1   :invoke :cas    [3 4]\n"
            + "INFO  jepsen.util - 0\t:ok\t:write\t3\n"
            + "INFO  jepsen.util - 1   :fail   :cas    [3 4]\n"
            + "INFO  jepsen.util - 2\t:invoke\t:read\tnil\n"
            + "INFO  jepsen.util - 2\t:ok\t:read\t3\n"
            + "INFO  jepsen.util - 3\t:invoke\t:write\t1\n"
            + "INFO  jepsen.util - 3\t:info\t:write\t:timed-out\n"
            + "INFO  jepsen.util - 8\t:invoke\t:read\tnil\n"
        let history = try HistoryFormat.parse(Self.bytes(text))
        #expect(history.operations == [
            Operation(client: 0, kind: .write, value: "3", outcome: .ok, invoke: 1, completion: 3, line: 1),
            Operation(client: 1, kind: .cas, value: "4", expected: "3", outcome: .fail, invoke: 2, completion: 4, line: 2),
            Operation(client: 2, kind: .read, value: "3", outcome: .ok, invoke: 5, completion: 6, line: 5),
            Operation(client: 3, kind: .write, value: "1", outcome: .info, invoke: 7, completion: nil, line: 7),
            Operation(client: 8, kind: .read, value: nil, outcome: .info, invoke: 9, completion: nil, line: 9),
        ])
    }

    @Test func jepsenErrors() {
        #expect(Self.error("INFO  jepsen.util - 0\t:invoke\t:read\tnil\nINFO  jepsen.util - x\t:ok\t:read\t1\n")
                == ParseError(line: 2, column: 21, "expected a process number, found 'x'"))
        #expect(Self.error("INFO  jepsen.util - 0\t:invoke\t:delete\tnil\n")
                == ParseError(line: 1, column: 31, "expected an operation (:read, :write or :cas), found ':delete'"))
        #expect(Self.error("INFO  jepsen.util - 0\t:invoke\t:write\tfive\n")
                == ParseError(line: 1, column: 38, "expected an integer after ':invoke :write', found 'five'"))
        #expect(Self.error("INFO  jepsen.util - 0\t:invoke\t:cas\t[1]\n", .jepsenEtcd)?.message
                == "expected [old new], two integers in brackets after ':invoke :cas', found '[1]'")
        #expect(Self.error("INFO  jepsen.util - 0\t:ok\t:read\t1\n")
                == ParseError(line: 1, "expected ':invoke' for process 0 before its completion ':ok'"))
        #expect(Self.error("INFO  jepsen.util - 0\t:invoke\t:read\tnil\nINFO  jepsen.util - 0\t:invoke\t:read\tnil\n")
                == ParseError(line: 2, "expected a completion for process 0, which has an operation outstanding since line 1, found another ':invoke'"))
        #expect(Self.error("INFO  jepsen.util - 0\t:invoke\t:read\tnil\nINFO  jepsen.util - 0\t:ok\t:write\t1\n")
                == ParseError(line: 2, "expected ':read' to complete the ':invoke' of process 0 on line 1, found ':write'"))
        #expect(Self.error("WARN  jepsen.util - 0\t:invoke\t:read\tnil\n", .jepsenEtcd)?.line == 1)
    }

    // MARK: Porcupine kv logs

    @Test func porcupineKV() throws {
        let text = """
            {:process 0, :type :invoke, :f :append, :key "1", :value "x 0 0 y"}
            {:process 1, :type :invoke, :f :get, :key "1", :value nil}
            {:process 0, :type :ok, :f :append, :key "1", :value "x 0 0 y"}
            {:process 1, :type :ok, :f :get, :key "1", :value ""}

            """
        let history = try HistoryFormat.parse(Self.bytes(text))
        #expect(history.operations == [
            Operation(client: 0, kind: .append, key: "1", value: "x 0 0 y", outcome: .ok, invoke: 1, completion: 3, line: 1),
            Operation(client: 1, kind: .read, key: "1", value: "", outcome: .ok, invoke: 2, completion: 4, line: 2),
        ])
    }

    @Test func porcupineKVErrors() {
        #expect(Self.error("{:process 0, :type :invoke, :f :get, :key \"1\", :value nil}\n{:process 0, :type :ok, :f :get, :key 1, :value \"\"}\n")
                == ParseError(line: 2, column: 39, "expected a string in double quotes, found '1, :value \"\"}'"))
        #expect(Self.error("{:process 0, :type :started, :f :get, :key \"1\", :value nil}\n")
                == ParseError(line: 1, column: 20, "expected one of :invoke, :ok, :fail, :info, found ':started, :f :get, :key \"1\", :value nil}'"))
        #expect(Self.error("{:process 0, :type :invoke, :f :get, :key \"1\", :value nil}", .porcupineKV) == nil)
        #expect(Self.error("{:process 0, :type :invoke, :f :get, :key \"1\", :value nil} extra\n")?.message
                == "expected end of line after '}', found 'extra'")
        #expect(Self.error("{:process 0, :type :invoke, :f :put, :key \"1\", :value nil}\n")
                == ParseError(line: 1, "expected a string :value for :put, found nil"))
    }

    // MARK: Faultline JSON Lines

    @Test func faultlineRoundTrip() throws {
        var generator = HistoryGenerator(object: .casRegister, clients: 4, operations: 200, keys: 3)
        generator.infoRate = 0.1
        var history = generator.generate(seed: 5)
        history.operations.append(Operation(client: 9, kind: .read, key: "q\"\\\n\u{1}é😀", value: nil,
                                            outcome: .ok, invoke: 1, completion: 2, node: "n1", isFinalRead: true))
        let text = FaultlineHistoryWriter.write(history)
        let parsed = try HistoryFormat.parse(Self.bytes(text))
        #expect(parsed.operations.map { var o = $0; o.line = nil; return o } == history.operations)
        #expect(parsed.operations.first?.line == 2)   // line 1 is the header
    }

    @Test func faultlineAcceptsAliasesNumbersAndNoHeader() throws {
        let text = """
            {"client": 1, "op": "put", "key": "x", "value": 7, "outcome": "ok", "invoke": 10, "complete": 20}
            {"client": 2, "op": "get", "key": "x", "value": "7", "outcome": "ok", "invoke": 30, "complete": 40}
            {"client": 3, "op": "cas", "key": "x", "expected": null, "value": "8", "outcome": "info", "invoke": 50}
            """
        let history = try HistoryFormat.parse(Self.bytes(text))
        #expect(history.operations.map(\.kind) == [.write, .read, .cas])
        #expect(history.operations[0].value == "7")
        #expect(history.operations[2].completion == nil)
        #expect(history.operations[2].expected == nil)
    }

    @Test func faultlineErrors() {
        let header = "{\"faultline-history\": 1}\n"
        #expect(Self.error(header + "{\"client\": 1, \"op\": \"read\", \"value\": null, \"outcome\": \"ok\", \"invoke\": 5}\n")
                == ParseError(line: 2, "expected field 'complete'"))
        #expect(Self.error(header + "{\"client\": 1, \"op\": \"read\", \"value\": null, \"outcome\": \"ok\", \"invoke\": 5, \"complete\": 4}\n")
                == ParseError(line: 2, column: 86, "expected 'complete' (4) to be at or after 'invoke' (5)"))
        #expect(Self.error(header + "{\"client\": \"a\"}\n")
                == ParseError(line: 2, column: 12, "expected 'client' to be a non-negative integer, found a string"))
        #expect(Self.error(header + "{\"client\": 1, \"op\": \"delete\"}\n")?.message
                == "expected 'op' to be one of \"read\", \"get\", \"write\", \"put\", \"cas\", \"append\"")
        #expect(Self.error(header + "{\"client\": 1, \"valeu\": 3}\n")?.message.hasPrefix("expected only the fields client, complete, expected") == true)
        #expect(Self.error(header + "{\"client\": 1, \"op\": [1]}\n")
                == ParseError(line: 2, column: 21, "expected a string, number, boolean or null (nested values are not part of the format), found '[1]}'"))
        #expect(Self.error(header + "{\"client\": 1,\n")
                == ParseError(line: 2, column: 14, "expected a field name in double quotes, found end of line"))
        #expect(Self.error("{\"faultline-history\": 2}\n")
                == ParseError(line: 1, column: 23, "expected format version 1, found an integer"))
        #expect(Self.error(header + header)
                == ParseError(line: 2, "expected the header only as the first line"))
        #expect(Self.error(header + "{\"client\": 1, \"op\": \"write\", \"outcome\": \"ok\", \"invoke\": 1, \"complete\": 2}\n")
                == ParseError(line: 2, "expected field 'value'"))
    }

    @Test func detection() throws {
        #expect(try HistoryFormat.detect(Self.bytes("\n\n{\"client\":1}")) == .faultline)
        #expect(try HistoryFormat.detect(Self.bytes("{:process 1}")) == .porcupineKV)
        #expect(try HistoryFormat.detect(Self.bytes("INFO  jepsen")) == .jepsenEtcd)
        #expect(try HistoryFormat.detect([]) == .faultline)
        #expect(Self.error("\nhello\n")?.line == 2)
        #expect(try HistoryFormat.parse([]).isEmpty)
    }
}

@Suite struct TimeoutTests {
    // A budget that runs out gives `unknown`, never a verdict.
    @Test func tinyTimeoutGivesUnknown() throws {
        var generator = HistoryGenerator(object: .register, clients: 20, operations: 5_000, keys: 1)
        generator.infoRate = 0.02
        let history = generator.generate(seed: 3)
        // The general search (the block test for unique-value registers takes no budget: it
        // runs in O(n log n)).
        let result = try LinearizabilityChecker.check(history, model: .register, timeout: .nanoseconds(1),
                                                      strategy: .searchOnly)
        #expect(result.verdict == .unknown)
        #expect(result.partitions.first?.verdict == .unknown)
        #expect(result.partitions.first?.limitReached == .time)
        // With time enough, the same history is ok (the block test decides it at once; the
        // search alone needs several GiB for 20 concurrent clients on one key).
        #expect(try LinearizabilityChecker.check(history, model: .register, timeout: .seconds(60)).verdict == .ok)
    }
}
