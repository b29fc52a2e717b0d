// swift-tools-version:6.1
// Faultline: chaos engineering and fault injection for Linux.
//
// Modules are split by what they may touch (see docs/architecture.md):
//   FaultlineCore  — the fault vocabulary and units; pure, Foundation only.
//   FaultlinePlan  — YAML plan → validated Plan, targets, timeline; pure (Yams).
//   faultline      — the controller's command line.
//   faultline-agent — the per-host agent.
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
        .executableTarget(
            name: "faultline",
            dependencies: [
                "FaultlineCore", "FaultlinePlan",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            exclude: ["Check.swift"],
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
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "FaultlineCLITests",
            dependencies: ["FaultlinePlan"],
            swiftSettings: swiftSettings
        ),
    ]
)
