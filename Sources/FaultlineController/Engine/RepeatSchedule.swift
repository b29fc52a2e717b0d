/// When the next iteration of a `repeat` starts. Pure.
///
/// With `every`, iterations start that far apart on the schedule laid out from the first
/// iteration's start; an iteration that overruns pushes the next one to its own end (back
/// to back, never overlapping). Without `every`, iterations run back to back. Same rule
/// as `Timeline` (what `faultline plan` prints).
public enum RepeatSchedule {
    public static func nextStart(previousStart: Double, previousEnd: Double, every: Double?) -> Double {
        guard let every else { return previousEnd }
        return max(previousEnd, previousStart + every)
    }
}
