// swift-tools-version:6.1
// Faultline: chaos engineering and fault injection for Linux.
//
// Modules are split by what they may touch (see docs/architecture.md):
//   FaultlineCore      — the fault vocabulary and units; pure, Foundation only.
//   FaultlinePlan      — YAML plan → validated Plan, targets, timeline; pure (Yams).
//   FaultlineChecker   — histories and consistency checks; pure, no dependencies.
//   FaultlineNetShims  — network faults in the kernel (libnftables, libnl-route-3, NFQUEUE).
//   FaultlineProcShims — process and clock faults (pidfd, freezer, ptrace), libcap.
//   FaultlineWorkloads — consistency workloads (etcd, Redis, HTTP kv) recorded as histories.
//   FaultlineAgentAPI  — the agent's wire types, its HTTP client and the certificate authority
//                        (shared by agent and controller; NIO, NIOSSL, swift-certificates).
//   FaultlineAgent     — the agent: ledger, leases, policy, API server, shim-backed injector.
//   FaultlineController— the experiment engine: probes, guards, journal, JUnit, HTML report.
//   FaultlineLab       — the local lab: namespace hosts on a bridge, agents, etcd.
//   faultline          — the controller's command line.
//   faultline-agent    — the per-host agent.
// C libraries come from Debian's -dev packages (the Makefile installs them).
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
]

let package = Package(
    name: "Faultline",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "faultline", targets: ["faultline"]),
        .executable(name: "faultline-agent", targets: ["faultline-agent"]),
        .executable(name: "fl-netprobe", targets: ["fl-netprobe"]),
        .library(name: "FaultlineCore", targets: ["FaultlineCore"]),
        .library(name: "FaultlinePlan", targets: ["FaultlinePlan"]),
        .library(name: "FaultlineChecker", targets: ["FaultlineChecker"]),
        .library(name: "FaultlineNetShims", targets: ["FaultlineNetShims"]),
        .library(name: "FaultlineProcShims", targets: ["FaultlineProcShims"]),
        .library(name: "FaultlineWorkloads", targets: ["FaultlineWorkloads"]),
        .library(name: "FaultlineAgentAPI", targets: ["FaultlineAgentAPI"]),
        .library(name: "FaultlineAgent", targets: ["FaultlineAgent"]),
        .library(name: "FaultlineController", targets: ["FaultlineController"]),
        .library(name: "FaultlineLab", targets: ["FaultlineLab"]),
    ],
    dependencies: [
        .package(url: "https://github.com/jpsim/Yams.git", exact: "6.2.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", exact: "1.8.2"),
        .package(url: "https://github.com/apple/swift-nio.git", exact: "2.101.3"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", exact: "2.37.6"),
        .package(url: "https://github.com/apple/swift-certificates.git", exact: "1.21.1"),
        .package(url: "https://github.com/apple/swift-crypto.git", exact: "4.5.2"),
        .package(url: "https://github.com/apple/swift-log.git", exact: "1.16.2"),
    ],
    targets: [
        .target(
            name: "FaultlineCore",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "FaultlinePlan",
            dependencies: ["FaultlineCore", .product(name: "Yams", package: "Yams")],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "FaultlineChecker",
            swiftSettings: swiftSettings
        ),
        .systemLibrary(name: "CNFTables", pkgConfig: "libnftables", providers: [.apt(["libnftables-dev"])]),
        .systemLibrary(name: "CNetfilterQueue", pkgConfig: "libnetfilter_queue", providers: [.apt(["libnetfilter-queue-dev"])]),
        .systemLibrary(name: "CNLRoute", pkgConfig: "libnl-route-3.0", providers: [.apt(["libnl-route-3-dev"])]),
        .systemLibrary(name: "CCap", pkgConfig: "libcap", providers: [.apt(["libcap-dev"])]),
        .target(name: "CFaultlineNet"),
        .target(name: "CFaultlineProc"),
        .target(
            name: "FaultlineNetShims",
            dependencies: ["CFaultlineNet", "CNFTables", "CNetfilterQueue", "CNLRoute"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "FaultlineWorkloads",
            dependencies: ["FaultlineChecker"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "FaultlineProcShims",
            dependencies: ["FaultlineCore", "CFaultlineProc", "CCap"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "FaultlineAgentAPI",
            dependencies: [
                "FaultlineCore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "FaultlineAgent",
            dependencies: [
                "FaultlineCore", "FaultlineAgentAPI", "FaultlineNetShims", "FaultlineProcShims",
                .product(name: "Yams", package: "Yams"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "FaultlineController",
            dependencies: [
                "FaultlineCore", "FaultlinePlan", "FaultlineChecker", "FaultlineWorkloads", "FaultlineAgentAPI",
                // https:// probes speak TLS as the agent client does.
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"), .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "FaultlineLab",
            dependencies: ["FaultlineCore", "FaultlinePlan", "FaultlineAgentAPI", "FaultlineWorkloads"],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "faultline",
            dependencies: [
                "FaultlineCore", "FaultlinePlan", "FaultlineChecker", "FaultlineAgentAPI",
                "FaultlineController", "FaultlineLab",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "faultline-agent",
            dependencies: [
                "FaultlineCore", "FaultlineAgent", "FaultlineAgentAPI",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "FaultlineCoreTests",
            dependencies: ["FaultlineCore"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "FaultlinePlanTests",
            dependencies: ["FaultlinePlan", "FaultlineCore"],
            exclude: ["Malformed"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "FaultlineCheckerTests",
            dependencies: ["FaultlineChecker"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "FaultlineNetShimsTests",
            dependencies: ["FaultlineNetShims"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "FaultlineProcShimsTests",
            dependencies: ["FaultlineProcShims"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "FaultlineWorkloadsTests",
            dependencies: ["FaultlineWorkloads", "FaultlineChecker", "FaultlineTestSupport"],
            swiftSettings: swiftSettings
        ),
        // Benchmarks: `make bench` builds them in release mode and runs them.
        // A C tool that measures delay, loss, duplicates, reordering, corruption and clock
        // offset between lab hosts; the guest lab bakes it into its images.
        .executableTarget(name: "fl-netprobe", path: "Sources/fl-netprobe"),
        .executableTarget(name: "checker-bench", dependencies: ["FaultlineChecker"],
                          path: "Benchmarks/checker", exclude: ["run-vs-porcupine.sh"], swiftSettings: swiftSettings),
        .executableTarget(name: "netshims-bench", dependencies: ["FaultlineNetShims"],
                          path: "Benchmarks/netshims/Sources/NetShimsBenchmark", swiftSettings: swiftSettings),
        .executableTarget(name: "procshims-bench", dependencies: ["FaultlineProcShims"],
                          path: "Benchmarks/procshims", swiftSettings: swiftSettings),
        .executableTarget(name: "workloads-bench", dependencies: ["FaultlineWorkloads", "FaultlineChecker"],
                          path: "Benchmarks/workloads", exclude: ["run-etcd.sh"], swiftSettings: swiftSettings),
        .executableTarget(name: "controller-bench", dependencies: ["FaultlineAgentAPI", "FaultlineCore"],
                          path: "Benchmarks/controller", exclude: ["run-vs-chaostoolkit.sh"], swiftSettings: swiftSettings),
        .executableTarget(name: "agent-bench", dependencies: ["FaultlineAgentAPI", "FaultlineCore"],
                          path: "Benchmarks/agent", exclude: ["footprint.sh"], swiftSettings: swiftSettings),
        // Helpers every real-process test needs: spawning (without leaking descriptors),
        // temporary directories, namespaces made for one test.
        .target(name: "FaultlineTestSupport", path: "Tests/FaultlineTestSupport", swiftSettings: swiftSettings),
        .testTarget(
            name: "FaultlineAgentTests",
            dependencies: ["FaultlineAgent", "FaultlineAgentAPI", "FaultlineCore", "FaultlineNetShims", "FaultlineProcShims", "FaultlineTestSupport",
                           .product(name: "NIOSSL", package: "swift-nio-ssl"), .product(name: "Logging", package: "swift-log")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "FaultlineControllerTests",
            dependencies: ["FaultlineController", "FaultlineAgentAPI", "FaultlinePlan", "FaultlineCore", "FaultlineTestSupport",
                           .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
                           .product(name: "NIOHTTP1", package: "swift-nio"), .product(name: "NIOSSL", package: "swift-nio-ssl")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "FaultlineLabTests",
            dependencies: ["FaultlineLab", "FaultlinePlan", "FaultlineTestSupport", "FaultlineCore", "FaultlineAgentAPI"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "FaultlineCLITests",
            dependencies: ["FaultlinePlan"],
            swiftSettings: swiftSettings
        ),
    ]
)
