/// A blocking connection to a Redis server speaking RESP2 over TCP.
///
/// Like `HTTPConnection` it tells a command that never left (`RequestFailure.notSent`)
/// from one that may have been executed (`noCompleteAnswer`), and closes the socket after
/// any failure: a reply still in flight would otherwise be taken as the next command's.
/// Not thread-safe: one client thread owns one connection.
public final class RESPConnection {
    public let host: String
    public let port: UInt16
    public let connectTimeout: Duration
    private var socket: TCPSocket?
    private var received: [UInt8] = []

    public init(host: String, port: UInt16, connectTimeout: Duration = .seconds(1)) {
        self.host = host
        self.port = port
        self.connectTimeout = connectTimeout
    }

    deinit { socket?.close() }

    /// Sends one command and returns its reply (an `.error` reply is a reply, not a throw).
    public func command(_ arguments: [String], timeout: Duration) throws(RequestFailure) -> RESPValue {
        let deadline = Deadline.after(timeout)
        let connection = try connectedSocket(deadline: deadline)
        do {
            try connection.sendRequest(RESPValue.command(arguments), deadline: deadline)
        } catch {
            close()
            throw error
        }
        while true {
            switch RESPParser.parse(received) {
            case .complete(let value, let consumed):
                received.removeFirst(consumed)
                return value
            case .malformed(let reason):
                close()
                throw .noCompleteAnswer("malformed reply: \(reason)")
            case .incomplete:
                break
            }
            do {
                let chunk = try connection.receive(deadline: deadline)
                guard !chunk.isEmpty else {
                    close()
                    throw TCPSocket.Failure.closedByPeer
                }
                received += chunk
            } catch {
                close()
                throw .noCompleteAnswer("\(error)")
            }
        }
    }

    public func close() {
        socket?.close()
        socket = nil
        received = []
    }

    private func connectedSocket(deadline: Deadline) throws(RequestFailure) -> TCPSocket {
        if let socket, socket.isIdleAndOpen, received.isEmpty { return socket }
        close()
        let fresh = try TCPSocket.connectForRequest(host: host, port: port, deadline: deadline, connectTimeout: connectTimeout)
        socket = fresh
        return fresh
    }
}
