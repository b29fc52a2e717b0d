import FaultlinePlan

/// `{{host.address}}` and `{{host.name}}` in probe URLs and addresses, filled in per host.
enum HostTemplate {
    static func fill(_ text: String, host: Host?) -> String {
        guard let host else { return text }
        // An IPv6 address inside a URL or host:port needs brackets.
        let address = host.address.contains(":") ? "[\(host.address)]" : host.address
        return text.replacingOccurrences(of: "{{host.address}}", with: address)
            .replacingOccurrences(of: "{{host.name}}", with: host.name)
    }
}
