import Foundation

/// Works out, from libnftables' JSON listing of iptables-nft's `ip mangle` table, the one
/// atomic batch that removes the delay engine's rules.
///
/// Why JSON here: the decision needs rule handles and jump targets, which the JSON listing
/// gives as fields (`{"rule": {"chain": "PREROUTING", "handle": 7, "expr": [..., {"jump":
/// {"target": "FL-…"}}]}}`), instead of parsing nft's human text.
enum MangleTableCleanup {
    struct Contents: Equatable {
        var ourJumpHandles: [Int] = []
        var ourChainExists = false
        /// Rules, non-base chains, sets, maps or other objects that are not ours.
        var foreignObjects = 0
    }

    /// The batch that removes our rules, or nil if nothing of ours is there. Runs on the
    /// namespace thread.
    static func revertBatch(_ undo: DelayEngineUndo) throws -> String? {
        let tables = try NFTables.run("list tables ip\n")
        guard tables.split(separator: "\n").contains(where: { $0 == "table ip \(undo.table)" }) else { return nil }
        let json = try NFTables.run("list table ip \(undo.table)\n", json: true)
        let contents = try parse(json, chain: undo.chain, hookChain: undo.hookChain)
        return batch(contents, undo: undo)
    }

    /// Pure: the deletion batch for what the listing holds.
    static func batch(_ contents: Contents, undo: DelayEngineUndo) -> String? {
        guard !contents.ourJumpHandles.isEmpty || contents.ourChainExists else { return nil }
        if contents.foreignObjects == 0 {
            // Only iptables-nft's empty base chains would remain: remove the table it made.
            return "delete table ip \(undo.table)\n"
        }
        var lines = contents.ourJumpHandles.map { "delete rule ip \(undo.table) \(undo.hookChain) handle \($0)" }
        if contents.ourChainExists {
            lines += ["flush chain ip \(undo.table) \(undo.chain)", "delete chain ip \(undo.table) \(undo.chain)"]
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Pure: reads a `list table` JSON listing.
    static func parse(_ json: String, chain ourChain: String, hookChain: String) throws -> Contents {
        guard let root = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any],
              let items = root["nftables"] as? [[String: Any]] else {
            throw NetShimError.library(call: "nft_run_cmd_from_buffer(list table, json)", message: "unexpected JSON listing")
        }
        var contents = Contents()
        for item in items {
            if let chain = item["chain"] as? [String: Any] {
                let name = chain["name"] as? String
                if name == ourChain {
                    contents.ourChainExists = true
                } else if chain["hook"] == nil {
                    contents.foreignObjects += 1
                }
            } else if let rule = item["rule"] as? [String: Any] {
                let chain = rule["chain"] as? String
                if chain == ourChain { continue }
                let expressions = rule["expr"] as? [[String: Any]] ?? []
                let jumpsToOurs = expressions.contains {
                    (($0["jump"] as? [String: Any])?["target"] as? String) == ourChain
                }
                if chain == hookChain, jumpsToOurs, let handle = rule["handle"] as? Int {
                    contents.ourJumpHandles.append(handle)
                } else {
                    contents.foreignObjects += 1
                }
            } else if item["table"] == nil && item["metainfo"] == nil {
                contents.foreignObjects += 1  // set, map, flowtable, counter, quota...
            }
        }
        return contents
    }
}
