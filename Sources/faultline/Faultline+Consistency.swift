import ArgumentParser

extension Faultline {
    static let consistencyCommands: [ParsableCommand.Type] = [Check.self]
}
