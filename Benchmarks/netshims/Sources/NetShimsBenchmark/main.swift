// NetShimsBenchmark: apply/revert latency of each network shim, in-process (libnftables,
// libnl-route-3) side by side with spawning the `nft`/`tc`/`ip` binaries for the same change,
// and the delay engine's accuracy and throughput. Run as root:
//
//   swift run -c release NetShimsBenchmark [runs]      (default 200 runs per measurement)
//
// It makes two namespaces of its own (fl-bench-<pid>-a/b on a veth pair, 10.250.9.1/.2) and
// deletes them at the end. Output: a Markdown table on stdout.
import Foundation
import FaultlineNetShims

let runs = CommandLine.arguments.dropFirst().first.flatMap(Int.init) ?? 200
let tag = "fl-bench-\(getpid())"
let nsA = "\(tag)-a", nsB = "\(tag)-b"
let vethA = "flb\(getpid() % 100000)a", vethB = "flb\(getpid() % 100000)b"
let addressA = "10.250.9.1", addressB = "10.250.9.2"
let a = NetNamespace.named(nsA), b = NetNamespace.named(nsB)

// MARK: - helpers

/// posix_spawn by argv on the calling thread (so the child inherits its namespace); output
/// discarded; exits the benchmark on failure.
func spawn(_ argv: [String]) {
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
    let cArgs: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
    defer { cArgs.forEach { free($0) } }
    var pid: pid_t = 0
    guard posix_spawn(&pid, argv[0], &actions, nil, cArgs, environ) == 0 else { fatalError("spawn \(argv)") }
    var status: Int32 = 0
    waitpid(pid, &status, 0)
    guard status == 0 else { fatalError("\(argv.joined(separator: " ")) failed with status \(status)") }
}

func now() -> UInt64 {
    var time = timespec()
    clock_gettime(CLOCK_MONOTONIC, &time)
    return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
}

func milliseconds(_ body: () throws -> Void) rethrows -> Double {
    let start = now()
    try body()
    return Double(now() - start) / 1e6
}

func percentile(_ values: [Double], _ p: Double) -> Double {
    guard !values.isEmpty else { return .nan }
    let sorted = values.sorted()
    return sorted[min(sorted.count - 1, Int((Double(sorted.count - 1) * p).rounded()))]
}

func f(_ value: Double, _ digits: Int = 2) -> String { String(format: "%.\(digits)f", value) }

/// A locked list, shared with the threads of a measurement.
final class Collector<T>: @unchecked Sendable {
    private let lock = NSLock()
    private var storage: [T] = []
    func append(_ item: T) { lock.withLock { storage.append(item) } }
    var items: [T] { lock.withLock { storage } }
}

let rows = Collector<String>()
func row(_ mechanism: String, _ how: String, apply: [Double], revert: [Double]) {
    let line = "| \(mechanism) | \(how) | \(f(percentile(apply, 0.5))) | \(f(percentile(apply, 0.99))) | \(f(percentile(revert, 0.5))) | \(f(percentile(revert, 0.99))) | \(apply.count) |"
    rows.append(line)
    FileHandle.standardError.write((line + "\n").data(using: .utf8)!)
}

/// Measures `runs` apply/revert pairs.
func pairs(_ apply: () throws -> Void, _ revert: () throws -> Void) rethrows -> ([Double], [Double]) {
    var applied: [Double] = [], reverted: [Double] = []
    for _ in 0..<runs {
        applied.append(try milliseconds(apply))
        reverted.append(try milliseconds(revert))
    }
    return (applied, reverted)
}

// MARK: - sockets for traffic

func socketAddress(_ address: String, _ port: UInt16) -> sockaddr_in {
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_port = port.bigEndian
    inet_pton(AF_INET, address, &addr.sin_addr)
    return addr
}

func withSockaddr<T>(_ address: String, _ port: UInt16, _ body: (UnsafePointer<sockaddr>, socklen_t) -> T) -> T {
    var addr = socketAddress(address, port)
    return withUnsafePointer(to: &addr) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
}

func udpSocket(in namespace: NetNamespace, _ address: String, _ port: UInt16) throws -> Int32 {
    try NetNamespace.run(in: namespace) {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        var size: Int32 = 8 << 20
        setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, 4)
        guard withSockaddr(address, port, { bind(fd, $0, $1) }) == 0 else { fatalError("bind \(address):\(port)") }
        return fd
    }
}

/// Sends `count` UDP datagrams `spacing` seconds apart from a to b and returns one-way
/// delays seen at the receiver (the sender's monotonic clock stamp is in the payload; both
/// namespaces share the clock).
func oneWayDelays(count: Int, spacing: Double, port: UInt16) throws -> [Double] {
    let sender = try udpSocket(in: a, addressA, port)
    let receiver = try udpSocket(in: b, addressB, port)
    defer { close(sender); close(receiver) }
    let delays = Collector<Double>()
    let done = DispatchSemaphore(value: 0)
    let stopAt = UInt64(Double(count) * spacing * 1e9) + now() + 300_000_000
    Thread {
        var buffer = [UInt8](repeating: 0, count: 256)
        while now() < stopAt {
            var pfd = pollfd(fd: receiver, events: Int16(POLLIN), revents: 0)
            guard poll(&pfd, 1, 20) == 1 else { continue }
            let got = recv(receiver, &buffer, buffer.count, 0)
            let arrived = now()
            if got >= 8 {
                let sent = buffer.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }
                delays.append(Double(arrived - sent) / 1e6)
            }
        }
        done.signal()
    }.start()
    let interval = UInt64(spacing * 1e9)
    var next = now()
    for _ in 0..<count {
        while now() < next { usleep(50) }
        var stamp = now()
        _ = withSockaddr(addressB, port) { addr, length in
            withUnsafeBytes(of: &stamp) { sendto(sender, $0.baseAddress, 64, 0, addr, length) }
        }
        next += interval
    }
    done.wait()
    return delays.items
}

/// TCP bulk transfer a → b for `seconds`; Mbit/s at the receiver.
func tcpThroughput(port: UInt16, seconds: Double) throws -> Double {
    let listener = try NetNamespace.run(in: b) { () -> Int32 in
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, 4)
        guard withSockaddr(addressB, port, { bind(fd, $0, $1) }) == 0, listen(fd, 4) == 0 else { fatalError("listen") }
        return fd
    }
    defer { close(listener) }
    let client = try NetNamespace.run(in: a) { () -> Int32 in
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard withSockaddr(addressB, port, { connect(fd, $0, $1) }) == 0 else { fatalError("connect") }
        return fd
    }
    let server = accept(listener, nil, nil)
    defer { close(server) }
    let stopAt = now() + UInt64((seconds + 0.3) * 1e9)
    Thread {
        let chunk = [UInt8](repeating: 1, count: 65536)
        while now() < stopAt { if send(client, chunk, chunk.count, Int32(MSG_NOSIGNAL)) <= 0 { break } }
        close(client)
    }.start()
    var buffer = [UInt8](repeating: 0, count: 65536)
    let warmup = now() + 300_000_000
    while now() < warmup { _ = recv(server, &buffer, buffer.count, 0) }
    let start = now()
    var bytes = 0
    while true {
        let got = recv(server, &buffer, buffer.count, 0)
        if got <= 0 { break }
        bytes += got
    }
    return Double(bytes) * 8 / (Double(now() - start) / 1e9) / 1e6
}

// MARK: - setup

func setUp() {
    spawn(["/usr/sbin/ip", "netns", "add", nsA])
    spawn(["/usr/sbin/ip", "netns", "add", nsB])
    spawn(["/usr/sbin/ip", "link", "add", vethA, "netns", nsA, "type", "veth", "peer", "name", vethB, "netns", nsB])
    for (ns, dev, address) in [(nsA, vethA, addressA), (nsB, vethB, addressB)] {
        spawn(["/usr/sbin/ip", "-n", ns, "addr", "add", "\(address)/24", "dev", dev])
        spawn(["/usr/sbin/ip", "-n", ns, "link", "set", dev, "up"])
        spawn(["/usr/sbin/ip", "-n", ns, "link", "set", "lo", "up"])
    }
}

func tearDown() {
    for ns in [nsA, nsB] { spawn(["/usr/sbin/ip", "netns", "delete", ns]) }
}

// MARK: - benchmark

setUp()
defer { tearDown() }
let id = try FaultID("bench")
let peers = InboundMatch(peers: [try IPNetwork(addressA)])
let exemptions = [ManagementExemption(address: try IPNetwork("192.0.2.10"), port: 9000)]

// Partition and loss: libnftables in-process vs the nft binary with the same batch.
do {
    let partition = PartitionShim()
    let spec = PartitionSpec(namespace: b, match: peers, exemptions: exemptions)
    let (apply, revert) = try pairs({ try partition.apply(spec, for: id) }, { try partition.revert(partition.undoRecord(for: id, spec: spec)) })
    row("partition (nftables)", "in-process libnftables, setns thread per call", apply: apply, revert: revert)
    let batchFile = "/tmp/\(tag)-partition.nft"
    try partition.batch(for: id, spec: spec).write(toFile: batchFile, atomically: true, encoding: .utf8)
    defer { unlink(batchFile) }
    let (spawnApply, spawnRevert) = try NetNamespace.run(in: b) {
        pairs({ spawn(["/usr/sbin/nft", "-f", batchFile]) }, { spawn(["/usr/sbin/nft", "delete", "table", "inet", "fl_bench"]) })
    }
    row("partition (nftables)", "spawn `nft -f` / `nft delete table`", apply: spawnApply, revert: spawnRevert)

    let loss = LossShim()
    let lossSpec = LossSpec(namespace: b, match: peers, exemptions: exemptions, percent: 12.5)
    let (lossApply, lossRevert) = try pairs({ try loss.apply(lossSpec, for: id) }, { try loss.revert(loss.undoRecord(for: id, spec: lossSpec)) })
    row("loss (nftables numgen)", "in-process libnftables, setns thread per call", apply: lossApply, revert: lossRevert)
}

// Bandwidth: libnl-route in-process vs the tc/ip binaries.
do {
    let shim = BandwidthShim()
    let egress = BandwidthSpec(namespace: a, device: vethA, direction: .egress, bitsPerSecond: 50_000_000)
    let (apply, revert) = try pairs({ try shim.apply(egress, for: id) }, { try shim.revert(shim.undoRecord(for: id, spec: egress)) })
    row("bandwidth egress (tbf)", "in-process libnl-route-3", apply: apply, revert: revert)
    let (tcApply, tcRevert) = pairs({
        spawn(["/usr/sbin/tc", "-n", nsA, "qdisc", "add", "dev", vethA, "root", "handle", "f001:", "tbf", "rate", "50mbit", "burst", "62500", "latency", "50ms"])
    }, {
        spawn(["/usr/sbin/tc", "-n", nsA, "qdisc", "del", "dev", vethA, "root", "handle", "f001:"])
    })
    row("bandwidth egress (tbf)", "spawn `tc qdisc add` / `tc qdisc del`", apply: tcApply, revert: tcRevert)

    let perPeer = BandwidthSpec(namespace: a, device: vethA, direction: .egress, bitsPerSecond: 20_000_000, peers: [try IPNetwork(addressB)])
    let (htbApply, htbRevert) = try pairs({ try shim.apply(perPeer, for: id) }, { try shim.revert(shim.undoRecord(for: id, spec: perPeer)) })
    row("bandwidth per destination (htb + u32)", "in-process libnl-route-3", apply: htbApply, revert: htbRevert)
    let (htbToolApply, htbToolRevert) = pairs({
        spawn(["/usr/sbin/tc", "-n", nsA, "qdisc", "add", "dev", vethA, "root", "handle", "f001:", "htb"])
        spawn(["/usr/sbin/tc", "-n", nsA, "class", "add", "dev", vethA, "parent", "f001:", "classid", "f001:1", "htb", "rate", "20mbit", "ceil", "20mbit"])
        spawn(["/usr/sbin/tc", "-n", nsA, "filter", "add", "dev", vethA, "parent", "f001:", "protocol", "ip", "prio", "1", "u32", "match", "ip", "dst", "\(addressB)/32", "flowid", "f001:1"])
    }, {
        spawn(["/usr/sbin/tc", "-n", nsA, "qdisc", "del", "dev", vethA, "root", "handle", "f001:"])
    })
    row("bandwidth per destination (htb + u32)", "spawn 3× `tc` / `tc qdisc del`", apply: htbToolApply, revert: htbToolRevert)

    let ingress = BandwidthSpec(namespace: b, device: vethB, direction: .ingress, bitsPerSecond: 50_000_000)
    let (inApply, inRevert) = try pairs({ try shim.apply(ingress, for: id) }, { try shim.revert(shim.undoRecord(for: id, spec: ingress)) })
    row("bandwidth ingress (ifb + mirred + tbf)", "in-process libnl-route-3", apply: inApply, revert: inRevert)
    let (inToolApply, inToolRevert) = pairs({
        spawn(["/usr/sbin/ip", "-n", nsB, "link", "add", "fl-benchifb", "type", "ifb"])
        spawn(["/usr/sbin/ip", "-n", nsB, "link", "set", "fl-benchifb", "up"])
        spawn(["/usr/sbin/tc", "-n", nsB, "qdisc", "add", "dev", "fl-benchifb", "root", "handle", "f001:", "tbf", "rate", "50mbit", "burst", "62500", "latency", "50ms"])
        spawn(["/usr/sbin/tc", "-n", nsB, "qdisc", "add", "dev", vethB, "ingress"])
        spawn(["/usr/sbin/tc", "-n", nsB, "filter", "add", "dev", vethB, "parent", "ffff:", "protocol", "all", "u32", "match", "u32", "0", "0", "action", "mirred", "egress", "redirect", "dev", "fl-benchifb"])
    }, {
        spawn(["/usr/sbin/tc", "-n", nsB, "qdisc", "del", "dev", vethB, "ingress"])
        spawn(["/usr/sbin/ip", "-n", nsB, "link", "del", "fl-benchifb"])
    })
    row("bandwidth ingress (ifb + mirred + tbf)", "spawn 5× `ip`/`tc` / 2×", apply: inToolApply, revert: inToolRevert)
}

// Delay engine: libnetfilter_queue in-process + one iptables-save and one iptables-restore.
do {
    let shim = DelayEngineShim()
    let spec = DelayEngineSpec(namespace: b, match: peers, exemptions: exemptions, delay: .milliseconds(10))
    let engineRuns = min(runs, 200)
    var apply: [Double] = [], revert: [Double] = []
    for _ in 0..<engineRuns {
        apply.append(try milliseconds { try shim.apply(spec, for: id) })
        revert.append(try milliseconds { try shim.revert(shim.undoRecord(for: id, spec: spec)) })
    }
    row("delay engine (NFQUEUE)", "apply: nfq bind + spawned iptables-restore; revert: libnftables", apply: apply, revert: revert)
}

print("## Apply / revert latency (ms), \(runs) runs each\n")
print("| mechanism | how | apply p50 | apply p99 | revert p50 | revert p99 | runs |")
print("|---|---|---|---|---|---|---|")
rows.items.forEach { print($0) }

// Delay engine accuracy: the engine's own record of |held − requested| per packet, and the
// one-way delay seen by a receiver (minus the undelayed baseline).
print("\n## Delay engine accuracy (2000 UDP datagrams at 1000/s per delay)\n")
print("| requested | engine abs(held − requested) p50 | p99 | max | one-way added p50 (ms) | p99 | delivered |")
print("|---|---|---|---|---|---|---|")
let baseline = percentile(try oneWayDelays(count: 500, spacing: 0.001, port: 9100), 0.5)
for requested in [1, 10, 50] {
    let shim = DelayEngineShim(recordAccuracy: true)
    let spec = DelayEngineSpec(namespace: b, match: InboundMatch(peers: [try IPNetwork(addressA)], transport: .udp),
                               exemptions: [], delay: .milliseconds(requested))
    try shim.apply(spec, for: id)
    let delays = try oneWayDelays(count: 2000, spacing: 0.001, port: UInt16(9100 + requested))
    let samples = shim.accuracySamples(of: id).map { abs(($0.held - $0.requested).nanosecondsValue) / 1e6 }
    try shim.revert(shim.undoRecord(for: id, spec: spec))
    let added = delays.map { $0 - baseline }
    print("| \(requested) ms | \(f(percentile(samples, 0.5), 3)) ms | \(f(percentile(samples, 0.99), 3)) ms | \(f(samples.max() ?? .nan, 3)) ms | \(f(percentile(added, 0.5), 3)) | \(f(percentile(added, 0.99), 3)) | \(delays.count)/2000 |")
}

print("\n## Throughput through the delay engine (TCP a → b, 1.5 s)\n")
print("| configuration | Mbit/s |")
print("|---|---|")
print("| no fault | \(f(try tcpThroughput(port: 9200, seconds: 1.5), 0)) |")
for requested in [0, 1, 10] {
    let shim = DelayEngineShim()
    let spec = DelayEngineSpec(namespace: b, match: peers, exemptions: [], delay: .milliseconds(requested))
    try shim.apply(spec, for: id)
    let mbit = try tcpThroughput(port: UInt16(9201 + requested), seconds: 1.5)
    try shim.revert(shim.undoRecord(for: id, spec: spec))
    print("| engine, delay \(requested) ms | \(f(mbit, 0)) |")
}

extension Duration {
    var nanosecondsValue: Double {
        Double(components.seconds) * 1e9 + Double(components.attoseconds) / 1e9
    }
}
