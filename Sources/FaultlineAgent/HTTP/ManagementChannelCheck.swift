import NIOCore

/// After a network fault is applied, proves that the controller's packets still reach
/// the agent: the response that says "applied" must be acknowledged by the caller's TCP
/// stack. Those acknowledgements are inbound packets from the controller to the agent's
/// port, exactly the traffic the management exemptions must let through; if a fault drops
/// them, the bytes stay unacknowledged (`tcpi_unacked` > 0) and the fault is reverted
/// (safety rule 3), with the reason in the ledger and the audit log.
///
/// A real end-to-end check of the live connection rather than a loopback self-test, which
/// would take the `lo` path and prove nothing about the controller's path.
enum ManagementChannelCheck {
    /// Long enough for several TCP retransmissions on a slow link, short enough that a
    /// cut-off controller gets its agent back well within a lease.
    static let deadline = TimeAmount.seconds(2)
    static let pollInterval = TimeAmount.milliseconds(20)

    static func run(socket: SocketOptionProvider, eventLoop: EventLoop, result: @escaping @Sendable (Bool) -> Void) {
        let started = NIODeadline.now()
        @Sendable func poll() {
            socket.getTCPInfo().whenComplete { outcome in
                switch outcome {
                case .success(let info) where info.tcpi_unacked == 0:
                    result(true)
                case .success where NIODeadline.now() - started >= deadline:
                    result(false)
                case .success:
                    eventLoop.scheduleTask(in: pollInterval) { poll() }
                case .failure:
                    // The connection is gone (the caller hung up): nothing to judge by.
                    result(true)
                }
            }
        }
        poll()
    }
}
