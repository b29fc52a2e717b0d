/// The iptables binary, run by argv inside a namespace thread, for the one thing no library
/// here can express: the xtables `NFQUEUE` target with `--queue-bypass`.
///
/// Why not libnftables: this kernel lacks nftables' native `queue` statement (no NFT_QUEUE),
/// and nft's text/JSON input cannot express an xt compat target; only iptables-nft builds one
/// (an nft rule with the `xt NFQUEUE` compat expression). So the delay engine's rules live in
/// iptables' `mangle` table, in a chain of our own, and everything else stays in libnftables.
enum IPTables {
    static var binary: String? {
        Subprocess.locate(["/usr/sbin/iptables", "/sbin/iptables", "/usr/bin/iptables"])
    }

    /// Runs `iptables -w -t <table> <arguments>` on the calling thread (its namespace).
    @discardableResult
    static func run(table: String, _ arguments: [String]) throws -> String {
        guard let binary else { throw NetShimError.unavailable("iptables binary not found in /usr/sbin, /sbin, /usr/bin") }
        return try Subprocess.check([binary, "-w", "-t", table] + arguments)
    }

    /// Applies `script` (iptables-restore format) atomically with `--noflush`: only the chains
    /// and rules named in it change.
    static func restore(_ script: String) throws {
        guard let binary = Subprocess.locate(["/usr/sbin/iptables-restore", "/sbin/iptables-restore"]) else {
            throw NetShimError.unavailable("iptables-restore binary not found")
        }
        try Subprocess.check([binary, "-w", "--noflush"], input: script)
    }

    /// `iptables-save -t <table>` lines (rules and chain declarations, without comments).
    static func save(table: String) throws -> [String] {
        guard let binary = Subprocess.locate(["/usr/sbin/iptables-save", "/sbin/iptables-save"]) else {
            throw NetShimError.unavailable("iptables-save binary not found")
        }
        return try Subprocess.check([binary, "-t", table]).split(separator: "\n").map(String.init)
            .filter { !$0.hasPrefix("#") }
    }
}
