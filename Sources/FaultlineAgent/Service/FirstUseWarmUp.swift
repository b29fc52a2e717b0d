import FaultlineAgentAPI
import FaultlineCore
import FaultlineProcShims
import Foundation

/// Runs the pure parts of the apply and revert path once, on sample values, before the
/// agent serves: decode an apply request of each documented fault shape, compute, encode
/// and decode its undo record where that is pure (network kinds; a signal pause's record
/// from its JSON shape, as no process is resolved here), encode and decode its ledger
/// records, encode the answers.
///
/// Why: the first time a Swift process codes a type, the runtime instantiates its generic
/// metadata and looks up its protocol conformances (Foundation's JSON coders cast every
/// value they meet, and a miss scans the whole conformance table of a 70 MB binary).
/// Measured on a release agent: the first apply took 3.9 ms and later ones 1.1 ms (strace
/// showed the same system calls for both; the gap was CPU in request decoding and ledger
/// encoding); perf put most of it in `swift_getTypeByMangledName` under `ShimUndo`'s and
/// the wire types' Codable code. 500 fresh agents on 2 cores paid that 2.8 ms each on the
/// first fault (1.3 s instead of 0.5 s). Paid here instead, once, at start-up. Touches
/// nothing: no kernel call, no process resolved, no file written.
enum FirstUseWarmUp {
    /// One request per fault shape, as controllers send them (docs/agent-api.md).
    static let requests = [
        #"{"fault": {"kind": "partition", "parameters": {"topology": {"inbound": {}}, "filter": {"peers": ["10.0.0.12/32"]}}}, "lease": "10s"}"#,
        #"{"fault": {"kind": "loss", "parameters": {"percent": 5}}, "lease": "30s"}"#,
        #"{"fault": {"kind": "latency", "parameters": {"delay": "100ms", "jitter": "10ms"}}}"#,
        #"{"fault": {"kind": "pause", "parameters": {"process": {"pid": 1}, "mechanism": "sigstop"}}, "lease": "30s"}"#,
        #"{"fault": {"kind": "pause", "parameters": {"process": {"name": "etcd"}, "mechanism": "sigstop"}}}"#,
        #"{"fault": {"kind": "kill", "parameters": {"process": {"command-line": "etcd .*--name n2"}, "signal": "TERM"}}}"#,
    ]

    /// A signal pause's undo record, decoded from its JSON shape.
    static let signalPauseUndo = #"{"targets": [{"pid": 1, "startTime": 1}]}"#

    /// Answers how many samples went through (each must, or the samples are out of date):
    /// one per request, and one for the signal pause's undo record.
    @discardableResult
    static func run(injector: ShimInjector) -> Int {
        var done = 0
        let id = "fl-warm-up"
        for text in requests {
            guard case .success(let request) = AgentRouter.decode(ApplyRequest.self, Array(text.utf8)) else { continue }
            var undo = Data("{}".utf8)
            if request.fault.kind.isNetwork {
                guard let record = try? injector.undoRecord(id: id, fault: request.fault), (try? ShimUndo.decode(record)) != nil else { continue }
                undo = record
            }
            let records: [LedgerRecord] = [
                .applying(id: id, fault: request.fault, undo: undo, leaseSeconds: (request.lease ?? AgentWire.defaultLease).seconds),
                .reverted(id: id, reason: .requested),
            ]
            var lines = Data()
            for record in records { lines.append(LedgerCodec.encode(record)) }
            guard let decoded = try? LedgerCodec.decode(lines), decoded.records == records else { continue }
            _ = AgentRouter.Response.json(201, ApplyResult(id: id, status: "applied"))
            _ = AgentRouter.Response.json(200, AppliedFaults(faults: []))
            done += 1
        }
        if let targets = try? JSONDecoder().decode(SignalPause.Undo.self, from: Data(signalPauseUndo.utf8)) {
            let undo = ShimUndo.pauseSignal(targets)
            if let data = try? undo.encoded(), (try? ShimUndo.decode(data)) == undo { done += 1 }
        }
        _ = AgentRouter.decode(LeaseRenewal.self, Array(#"{"ids": ["fl-warm-up"]}"#.utf8))
        _ = AgentRouter.Response.json(200, RenewalResult(renewed: ["fl-warm-up"], unknown: []))
        return done
    }
}
