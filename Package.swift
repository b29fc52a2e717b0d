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
        .library(name: "FaultlineCore", targets: ["FaultlineCore"]),
        .library(name: "FaultlinePlan", targets: ["FaultlinePlan"]),
        .library(name: "FaultlineChecker", targets: ["FaultlineChecker"]),
        .library(name: "FaultlineNetShims", targets: ["FaultlineNetShims"]),
        .library(name: "FaultlineProcShims", targets: ["FaultlineProcShims"]),
        .library(name: "FaultlineWorkloads", targets: ["FaultlineWorkloads"]),
    ],
    dependencies: [
        .package(url: "https://github.com/jpsim/Yams.git", exact: "6.2.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", exact: "1.8.2"),
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
            dependencies: ["CFaultlineProc", "CCap"],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "faultline",
            dependencies: [
                "FaultlineCore", "FaultlinePlan", "FaultlineChecker",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "faultline-agent",
            dependencies: [
                "FaultlineCore",
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
            dependencies: ["FaultlineWorkloads", "FaultlineChecker"],
            swiftSettings: swiftSettings
        ),
        // Benchmarks: `make bench` builds them in release mode and runs them.
        .executableTarget(name: "checker-bench", dependencies: ["FaultlineChecker"],
                          path: "Benchmarks/checker", exclude: ["run-vs-porcupine.sh"], swiftSettings: swiftSettings),
        .executableTarget(name: "netshims-bench", dependencies: ["FaultlineNetShims"],
                          path: "Benchmarks/netshims/Sources/NetShimsBenchmark", swiftSettings: swiftSettings),
        .executableTarget(name: "procshims-bench", dependencies: ["FaultlineProcShims"],
                          path: "Benchmarks/procshims", swiftSettings: swiftSettings),
        .executableTarget(name: "workloads-bench", dependencies: ["FaultlineWorkloads", "FaultlineChecker"],
                          path: "Benchmarks/workloads", exclude: ["run-etcd.sh"], swiftSettings: swiftSettings),
        .testTarget(
            name: "FaultlineCLITests",
            dependencies: ["FaultlinePlan"],
            swiftSettings: swiftSettings
        ),
    ]
)
