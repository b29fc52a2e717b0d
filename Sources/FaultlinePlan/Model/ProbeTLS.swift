/// How an `https://` probe checks the server and proves who the controller is.
///
/// Paths are resolved against the plan's directory and checked (readable, PEM) when the
/// plan is parsed, so a typo fails `faultline validate`, not the first probe call.
public struct ProbeTLS: Sendable, Hashable {
    /// PEM certificates to trust instead of the system's roots.
    public var ca: String?
    /// The client certificate (PEM) to present, for servers that ask for one (mTLS).
    public var certificate: String?
    /// The client certificate's private key (PEM).
    public var key: String?
    /// Accept any server certificate and name. Off by default: a probe that trusts
    /// anything can be answered by anything.
    public var insecureSkipVerify: Bool = false

    public init(ca: String? = nil, certificate: String? = nil, key: String? = nil, insecureSkipVerify: Bool = false) {
        self.ca = ca; self.certificate = certificate; self.key = key; self.insecureSkipVerify = insecureSkipVerify
    }
}
