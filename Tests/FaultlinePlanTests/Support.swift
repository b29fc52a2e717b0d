import Foundation
@testable import FaultlinePlan

/// The repository's root, found from this file's path (tests run from any folder).
let repositoryRoot: URL = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

func parse(_ text: String) -> Result<Plan, PlanError> { PlanParser.parse(text, file: "t.yaml") }

func diagnostics(_ text: String) -> [Diagnostic] {
    if case .failure(let e) = parse(text) { return e.diagnostics }
    return []
}

/// A small valid plan that tests vary.
let basePlan = """
version: 1
title: base
inventory: lab
targets:
  etcd: { labels: { role: etcd } }
method:
  - latency: { target: etcd, delay: 100ms, duration: 10s }

"""
