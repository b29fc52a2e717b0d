#if canImport(Glibc)
import Glibc
#endif

import CNFTables
import Foundation

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
            let buffer = nft_ctx_get_error_buffer(context).map { String(cString: $0) } ?? ""
            throw NetShimError.library(call: "nft_run_cmd_from_buffer",
                                       message: errorMessage(buffer, status: status, commands: commands))
        }
        return nft_ctx_get_output_buffer(context).map { String(cString: $0) } ?? ""
    }

    /// libnftables' own error text on one line, for an API answer and a journal line.
    ///
    /// nft prints each error record as `Error: …` followed by the input line and a caret
    /// line under the offending bytes. From a buffer, nft 1.0.6 prints the buffer's *first*
    /// line there whatever line the error is on, so the context lines are dropped and the
    /// record's own text kept; the rule itself is named when the text quotes a value that
    /// occurs in exactly one line of the batch.
    static func errorMessage(_ buffer: String, status: Int32, commands: String) -> String {
        let lines = buffer.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        let records = lines.filter { $0.hasPrefix("Error:") || $0.hasPrefix("Warning:") || $0.contains(": Error:") }
        guard !records.isEmpty else {
            let text = lines.filter { !$0.isEmpty }.joined(separator: " ")
            return text.isEmpty ? "status \(status), and libnftables gave no error text" : text
        }
        var message = records.joined(separator: "; ")
        let rules = commands.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        let quoted = records.flatMap { $0.split(separator: " ").filter { $0.allSatisfy(\.isNumber) } }
        if let value = quoted.first,
           case let hits = rules.filter({ $0.split(separator: " ").contains(Substring(value)) }), hits.count == 1 {
            message += " (in: \(hits[0]))"
        }
        return message
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
