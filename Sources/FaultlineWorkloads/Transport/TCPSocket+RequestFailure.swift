/// The two points where a request's fate is decided, shared by every protocol client so
/// the `notSent` / `noCompleteAnswer` split (see `RequestFailure`) is made in one place.
extension TCPSocket {
    /// Connects, or fails with `.notSent`: a request that never had a connection never
    /// reached the server.
    static func connectForRequest(host: String, port: UInt16, deadline: Deadline,
                                  connectTimeout: Duration) throws(RequestFailure) -> TCPSocket {
        do {
            return try TCPSocket.connect(host: host, port: port, deadline: min(deadline, Deadline.after(connectTimeout)))
        } catch {
            throw .notSent("\(error)")
        }
    }

    /// Writes a whole request. If not one byte left, the server cannot have seen it
    /// (`.notSent`); after a partial write it may have (`.noCompleteAnswer`).
    func sendRequest(_ bytes: [UInt8], deadline: Deadline) throws(RequestFailure) {
        var written = 0
        do {
            try send(bytes, written: &written, deadline: deadline)
        } catch {
            if written == 0 { throw .notSent("\(error)") }
            throw .noCompleteAnswer("\(error) after writing \(written) bytes")
        }
    }
}
