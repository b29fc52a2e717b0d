#if canImport(Glibc)
import Glibc
#endif

import CNFTables

/// Swift wrapper of libnftables: run one batch, capture its errors.
///
/// Why nft's text syntax rather than its JSON input: the batches are small and fully generated
/// from validated values (`IPNetwork`, integers, `FaultID`), so nothing user-supplied reaches
/// the parser unchecked; the text is exactly what `nft list ruleset` prints back and what the
/// nftables wiki documents, so a human can read a fault's ruleset in the ledger or a log; and
/// libnftables parses a whole text buffer as one atomic transaction just as it does JSON.
/// Errors come from `nft_ctx_buffer_error`/`nft_ctx_get_error_buffer`, never from stderr.
///
/// A context is created per call, inside the namespace thread: libnftables opens its netlink
/// socket in the namespace of the calling thread.
enum NFTables {
    /// Runs `commands` as one atomic batch in the calling thread's namespace and returns what
    /// libnftables printed (listings), or throws with libnftables' error text.
    @discardableResult
    static func run(_ commands: String, json: Bool = false) throws -> String {
        guard let context = nft_ctx_new(0) else {
            throw NetShimError.library(call: "nft_ctx_new", message: "returned NULL")
        }
        defer { nft_ctx_free(context) }
        guard nft_ctx_buffer_error(context) == 0, nft_ctx_buffer_output(context) == 0 else {
            throw NetShimError.library(call: "nft_ctx_buffer_error", message: "could not buffer output")
        }
        if json {
            nft_ctx_output_set_flags(context, UInt32(NFT_CTX_OUTPUT_JSON))
        }
        let status = nft_run_cmd_from_buffer(context, commands)
        guard status == 0 else {
            let message = nft_ctx_get_error_buffer(context).map { String(cString: $0) } ?? ""
            throw NetShimError.library(
                call: "nft_run_cmd_from_buffer",
                message: message.trimmingTrailingNewlines().isEmpty
                    ? "status \(status)" : message.trimmingTrailingNewlines())
        }
        return nft_ctx_get_output_buffer(context).map { String(cString: $0) } ?? ""
    }
}

/// The undo record of a fault made of one nftables table (partition, loss).
public struct NFTablesUndo: Sendable, Codable, Hashable {
    /// `inet`: one table covers IPv4 and IPv6.
    public var family: String
    /// `fl_<fault id>`.
    public var table: String
    public var namespace: NetNamespace?
}

extension NFTablesUndo {
    init(id: FaultID, namespace: NetNamespace?) {
        self.init(family: "inet", table: "fl_\(id.rawValue)", namespace: namespace)
    }

    /// Whether the table exists (read in the calling thread's namespace).
    func exists() throws -> Bool {
        try NFTables.run("list tables \(family)\n").split(separator: "\n").contains { $0 == "table \(family) \(table)" }
    }

    /// Applies a fault's table: a plain create when it does not exist yet, an atomic
    /// delete-and-recreate when it does (re-apply after a crash). `batch(replacing)` builds it.
    func apply(batch: (Bool) -> String) throws {
        _ = try NamespaceThread.run(in: .init(namespace)) {
            try NFTables.run(batch(try exists()))
        }
    }

    /// Deletes the table, idempotently and atomically: `add table` is a no-op on an existing
    /// table and creates an empty one otherwise, so the `delete` in the same batch always has
    /// something to delete. (nft 1.0.6 has no `destroy` command, and matching the English of
    /// "No such file or directory" would be fragile.)
    func revert() throws {
        do {
            _ = try NamespaceThread.run(in: .init(namespace)) {
                // Reading first makes the common "already gone" revert cheap: a delete costs
                // the kernel an RCU grace period even for an empty table.
                guard try exists() else { return "" }
                return try NFTables.run("add table \(family) \(table)\ndelete table \(family) \(table)\n")
            }
        } catch NetShimError.syscall(let call, ENOENT) where call.hasPrefix("open(") {
            return  // the namespace is gone, and with it the table
        }
    }
}
