/// The iptables binary, run by argv inside a namespace thread, for the one thing no library
/// here can express: the xtables `NFQUEUE` target with `--queue-bypass`.
///
/// Why not libnftables: this kernel lacks nftables' native `queue` statement (no NFT_QUEUE),
/// and nft's text/JSON input cannot express an xt compat target; only iptables-nft builds one
/// (an nft rule with the `xt NFQUEUE` compat expression). So the delay engine's rules are
/// written by `iptables-restore` into iptables' `mangle` table, in a chain of our own; reading
/// them back and removing them is done with libnftables (`MangleTableCleanup`), so crash
/// recovery does not need the iptables binary.
enum IPTables {
    static var binary: String? {
        Subprocess.locate(["/usr/sbin/iptables", "/sbin/iptables", "/usr/bin/iptables"])
    }

    /// Applies `script` (iptables-restore format) atomically with `--noflush`: only the chains
    /// and rules named in it change.
    static func restore(_ script: String) throws {
        guard let binary = Subprocess.locate(["/usr/sbin/iptables-restore", "/sbin/iptables-restore"]) else {
            throw NetShimError.unavailable("iptables-restore binary not found")
        }
        try Subprocess.check([binary, "-w", "--noflush"], input: script)
    }
}
