/// What a consistency probe's workload lived through, over time: per interval, how many
/// operations answered, failed or were left indeterminate, and how long the answered ones
/// took; and the longest unbroken run of failures, overall and per client — the
/// unavailability window a fault opened, measured from the recorded history.
///
/// Times are run seconds (the journal's `t`). Operations are counted in the interval in
/// which they were sent. "Answered" means the service gave an answer: an ok operation, or
/// a compare-and-set refused because the value had changed (a mismatch is an answer, not
/// an outage). "Failed" is an operation the service refused or could not take (a write
/// not applied, a refused connection); "indeterminate" one whose outcome is unknown.
public struct WorkloadTimeline: Codable, Sendable, Hashable {
    public struct Interval: Codable, Sendable, Hashable {
        /// Start of the interval (run seconds); it lasts `WorkloadTimeline.intervalSeconds`.
        public var t: Double
        public var answered: Int
        public var failed: Int
        public var indeterminate: Int
        /// Latency of the answered operations sent in the interval, in milliseconds
        /// (absent when none was answered).
        public var p50Milliseconds: Double?
        public var p99Milliseconds: Double?
        public init(t: Double, answered: Int, failed: Int, indeterminate: Int, p50Milliseconds: Double?, p99Milliseconds: Double?) {
            self.t = t; self.answered = answered; self.failed = failed; self.indeterminate = indeterminate
            self.p50Milliseconds = p50Milliseconds; self.p99Milliseconds = p99Milliseconds
        }
    }

    /// A run of consecutive operations (in the order they were sent) none of which was
    /// answered: from the first one's send to the moment the last one ended (its reply,
    /// or when it was given up; its send when neither is known).
    public struct FailureRun: Codable, Sendable, Hashable {
        /// The client whose operations these are; absent for the run across all clients.
        public var client: Int?
        public var start: Double
        public var end: Double
        public var operations: Int
        public var seconds: Double { end - start }
        public init(client: Int?, start: Double, end: Double, operations: Int) {
            self.client = client; self.start = start; self.end = end; self.operations = operations
        }

        enum CodingKeys: String, CodingKey { case client, start, end, operations, seconds }
        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            client = try c.decodeIfPresent(Int.self, forKey: .client)
            start = try c.decode(Double.self, forKey: .start)
            end = try c.decode(Double.self, forKey: .end)
            operations = try c.decode(Int.self, forKey: .operations)
        }
        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encodeIfPresent(client, forKey: .client)
            try c.encode(start, forKey: .start)
            try c.encode(end, forKey: .end)
            try c.encode(operations, forKey: .operations)
            // Written for readers (jq, people); recomputed from start and end on reading.
            try c.encode((seconds * 1000).rounded() / 1000, forKey: .seconds)
        }
    }

    public var intervalSeconds: Double
    public var intervals: [Interval]
    /// The longest run across all clients (operations of every client in send order):
    /// how long the service as a whole answered nothing. Absent when nothing failed.
    public var longestFailureRun: FailureRun?
    /// Each client's longest run, for clients that had one, by client.
    public var longestFailureRunPerClient: [FailureRun]

    public init(intervalSeconds: Double, intervals: [Interval], longestFailureRun: FailureRun?, longestFailureRunPerClient: [FailureRun]) {
        self.intervalSeconds = intervalSeconds; self.intervals = intervals
        self.longestFailureRun = longestFailureRun; self.longestFailureRunPerClient = longestFailureRunPerClient
    }
}
