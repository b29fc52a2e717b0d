import FaultlinePlan

/// The configuration files of the lab's Redis servers and Sentinels (pure: text only).
///
/// Both are written into the host's folder in the lab (`redis/nI/`) and stay writable:
/// Sentinel records what it learns there (`CONFIG REWRITE`), and on every failover it
/// rewrites each server's file with its new `replicaof`, so a server restarted from its
/// file comes back in the role the Sentinels last gave it.
enum LabRedisConfig {
    /// The name Sentinels monitor the primary by (`SENTINEL get-master-addr-by-name`).
    static let masterName = "faultline"

    /// Sentinel timings short enough that a failover takes a few seconds in a lab: the
    /// primary is subjectively down after `downAfterMilliseconds` without a valid reply.
    /// Not shorter: on a loaded 2-core machine a pause of a second must not fail over.
    static let downAfterMilliseconds = 2000
    /// Bounds one failover attempt (and the wait before another Sentinel may retry it).
    static let failoverTimeoutMilliseconds = 6000

    /// Sentinels that must agree the primary is down: a majority of one per host.
    static func quorum(hosts: Int) -> Int { hosts / 2 + 1 }

    /// Settings both kinds of process share.
    private static func common(address: String, port: Int, directory: String) -> String {
        """
        bind \(address)
        port \(port)
        # Only the lab's subnet reaches this address, and lab clients carry no password.
        protected-mode no
        daemonize no
        # Keep argv as it was: `lab down` recognises lab processes by the folder in their command line.
        set-proc-title no
        dir "\(directory)"
        logfile ""

        """
    }

    /// One server: the primary when `primaryAddress` is nil, else its replica.
    ///
    /// Append-only file, fsync every second: a killed server restarts with its data rather
    /// than empty (an empty restarted primary would make its replicas drop everything).
    /// Diskless full syncs start at once (the default waits 5 s for more replicas), so a
    /// returning old primary resyncs promptly.
    static func server(address: String, directory: String, primaryAddress: String?) -> String {
        var text = "# Written by `faultline lab up`; Sentinel rewrites `replicaof` here on failover.\n"
        text += common(address: address, port: LabRedis.port, directory: directory)
        text += """
        save ""
        appendonly yes
        appendfsync everysec
        repl-diskless-sync yes
        repl-diskless-sync-delay 0

        """
        if let primaryAddress { text += "replicaof \(primaryAddress) \(LabRedis.port)\n" }
        return text
    }

    /// One Sentinel, monitoring the primary at `primaryAddress` with a majority quorum.
    static func sentinel(address: String, directory: String, primaryAddress: String, hosts: Int) -> String {
        var text = "# Written by `faultline lab up`; Sentinel adds what it learns below.\n"
        text += common(address: address, port: LabRedis.sentinelPort, directory: directory)
        text += """
        sentinel monitor \(masterName) \(primaryAddress) \(LabRedis.port) \(quorum(hosts: hosts))
        sentinel down-after-milliseconds \(masterName) \(downAfterMilliseconds)
        sentinel failover-timeout \(masterName) \(failoverTimeoutMilliseconds)
        sentinel parallel-syncs \(masterName) 1

        """
        return text
    }
}
