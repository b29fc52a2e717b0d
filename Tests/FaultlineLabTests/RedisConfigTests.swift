import Testing
@testable import FaultlineLab

/// The pure parts of the Redis lab: the config files it writes and how it reads the
/// answers of `INFO replication` and `SENTINEL master` (text as Redis 7.0 sends it).
struct RedisConfigTests {
    @Test func quorumIsAMajorityOfSentinels() {
        #expect([3, 4, 5, 6, 7].map(LabRedisConfig.quorum) == [2, 3, 3, 4, 4])
    }

    @Test func serverConfigsNameThePrimaryOnlyOnReplicas() {
        let primary = LabRedisConfig.server(address: "10.77.5.11", directory: "/tmp/fl-x/redis/n1", primaryAddress: nil)
        let replica = LabRedisConfig.server(address: "10.77.5.12", directory: "/tmp/fl-x/redis/n2", primaryAddress: "10.77.5.11")
        #expect(!primary.contains("\nreplicaof "))
        #expect(replica.contains("\nreplicaof 10.77.5.11 6379\n"))
        for text in [primary, replica] {
            // argv kept (lab down recognises its processes by it), data inside the lab's folder.
            #expect(text.contains("\nset-proc-title no\n") && text.contains("\nappendonly yes\n") && text.contains("\nrepl-diskless-sync-delay 0\n"))
        }
        #expect(primary.contains("\nbind 10.77.5.11\n") && primary.contains("\ndir \"/tmp/fl-x/redis/n1\"\n"))
    }

    @Test func sentinelConfigMonitorsThePrimaryWithAMajorityAndShortTimings() {
        let text = LabRedisConfig.sentinel(address: "10.77.5.13", directory: "/tmp/fl-x/redis/n3", primaryAddress: "10.77.5.11", hosts: 5)
        #expect(text.contains("\nport 26379\n"))
        #expect(text.contains("\nsentinel monitor faultline 10.77.5.11 6379 3\n"))
        #expect(text.contains("\nsentinel down-after-milliseconds faultline 2000\n"))
        #expect(text.contains("\nsentinel failover-timeout faultline 6000\n"))
    }

    @Test func replicationInfoOfAPrimaryAndOfAReplica() throws {
        let primary = try LabRedisQuery.parseReplication("# Replication\r\nrole:master\r\nconnected_slaves:2\r\nslave0:ip=10.77.5.12,port=6379,state=online,offset=42,lag=0\r\nmaster_repl_offset:42\r\n")
        #expect(primary == .init(role: "master", primaryAddress: nil, linkUp: false, connectedReplicas: 2))
        let replica = try LabRedisQuery.parseReplication("# Replication\r\nrole:slave\r\nmaster_host:10.77.5.11\r\nmaster_port:6379\r\nmaster_link_status:down\r\n")
        #expect(replica == .init(role: "slave", primaryAddress: "10.77.5.11", linkUp: false, connectedReplicas: 0))
        #expect(throws: LabError.self) { try LabRedisQuery.parseReplication("# Replication\r\n") }
    }

    @Test func sentinelViewNeedsAddressAndFlags() throws {
        let view = try LabRedisQuery.parseSentinelView(["name": "faultline", "ip": "10.77.5.12", "port": "6379", "flags": "master",
                                                        "num-slaves": "2", "num-other-sentinels": "2", "config-epoch": "1"])
        #expect(view == .init(primaryAddress: "10.77.5.12", replicas: 2, otherSentinels: 2, flags: "master", configEpoch: 1))
        #expect(throws: LabError.self) { try LabRedisQuery.parseSentinelView(["name": "faultline"]) }
    }
}
