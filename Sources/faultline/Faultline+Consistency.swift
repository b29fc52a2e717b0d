import ArgumentParser

extension Faultline {
    /// Registered once `faultline check` lands (FaultlineChecker).
    static let consistencyCommands: [ParsableCommand.Type] = []
}
