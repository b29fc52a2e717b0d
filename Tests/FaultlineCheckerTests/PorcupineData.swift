import FaultlineChecker
import Foundation
import Testing

/// Porcupine's test histories and their expected verdicts, kept in the repository
/// (Tests/Fixtures/porcupine, MIT-licensed, see its PROVENANCE.md) so a clone needs nothing else.
enum PorcupineData {
    /// `FAULTLINE_PORCUPINE_DATA` if set; else relative to this file's real location
    /// (symlinks resolved, so a scratch package that links the test directory works too).
    static let directory: URL = {
        if let path = ProcessInfo.processInfo.environment["FAULTLINE_PORCUPINE_DATA"] {
            return URL(fileURLWithPath: path)
        }
        return URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
            .deletingLastPathComponent()
            .appendingPathComponent("../Fixtures/porcupine")
            .standardized
    }()

    struct Case: Sendable, CustomTestStringConvertible {
        var path: String
        var operations: Int
        var expected: Verdict
        var testDescription: String { (path as NSString).lastPathComponent }
    }

    /// Rows of verdicts.tsv: `file  ops  clients  keys  expected`.
    static let cases: [Case] = {
        let url = directory.appendingPathComponent("verdicts.tsv")
        guard let text = try? String(contentsOf: url, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").dropFirst().compactMap { line in
            let fields = line.split(separator: "\t")
            guard fields.count == 5, let operations = Int(fields[1]) else { return nil }
            return Case(path: String(fields[0]), operations: operations,
                        expected: fields[4] == "illegal" ? .illegal : .ok)
        }
    }()

    static func bytes(_ path: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: directory.appendingPathComponent(path)))
    }
}

