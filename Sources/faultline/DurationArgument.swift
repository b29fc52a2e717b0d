import ArgumentParser
import FaultlineCore

/// A duration on the command line, written as plans write them (`5s`, `500ms`, `1m30s`):
/// every command that takes a time takes it this way, so `lab up --timeout 30s` and
/// `halt --timeout 5s` read alike. A bare number is refused (seconds? milliseconds?).
struct DurationArgument: ExpressibleByArgument, Sendable, CustomStringConvertible {
    var span: TimeSpan

    init(_ span: TimeSpan) { self.span = span }

    init?(argument: String) {
        guard let span = TimeSpan(argument), span > .zero else { return nil }
        self.span = span
    }

    var seconds: Double { span.seconds }
    var description: String { "\(span)" }
    var defaultValueDescription: String { "\(span)" }
}
