import FaultlineChecker

/// Reads every key on every node once the run is over, for the convergence check.
///
/// Each node gets a fresh client (and fresh client ids, above every id the run used);
/// nodes are read one after another. A read that fails or times out is retried up to
/// `finalReadAttempts` times; every attempt is recorded, so a dead node shows up as
/// failed final reads rather than as silence.
struct FinalReads {
    let configuration: WorkloadConfiguration
    let firstClientID: Int
    let log: OperationLog
    let makeClient: WorkloadRecorder.ClientFactory

    func run() {
        var clientID = firstClientID
        for node in configuration.finalReadNodes ?? configuration.nodes {
            let client = makeClient(node, configuration)
            defer { client.close() }
            for key in configuration.keyNames {
                for attempt in 1...configuration.finalReadAttempts {
                    let (operation, reason) = client.perform(PlannedOperation(kind: .read, key: key), client: clientID,
                                                             timeout: configuration.operationTimeout, isFinalRead: true)
                    log.append(operation, reason: reason)
                    if operation.outcome == .ok { break }
                    if operation.outcome == .info { clientID += 1 }
                    if attempt < configuration.finalReadAttempts { sleepMonotonic(.milliseconds(100)) }
                }
            }
            clientID += 1
        }
    }
}
