/// Watches a run as it happens: the engine calls it with every journal event and every
/// probe sample, in the order it appends them to the journal. `LiveView` is one; a test
/// can collect into an array.
///
/// Calls may come from any task or thread, but never concurrently for one run (the engine
/// records under its own lock); an observer must return quickly and must not throw: what
/// it shows is a view of the journal, never part of the run.
public protocol RunObserver: Sendable {
    func record(_ event: JournalEvent)
    func record(probe: String, _ sample: ProbeSample)
}
