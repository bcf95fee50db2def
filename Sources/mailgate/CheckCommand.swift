import ArgumentParser
import Gateway

/// `mailgate check`: log in, open the folder, report what the next poll would do.
struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Test an alias's mailbox: connect, log in, open the folder, report what the next poll would fetch.",
        discussion: "Changes nothing on the server or in the store (the folder is opened read-only).")

    @OptionGroup var selection: AliasSelection

    func run() throws {
        let config = try selection.configOption.load()
        let aliases = try selectAliases(config, names: selection.alias, requireURL: true)
        let poller = try exitingOnFailure { try Poller(config: config) }
        var codes: [Int32] = []
        for alias in aliases {
            let report = poller.check(alias)
            codes.append(report.exitCode)
            print(selection.json ? report.jsonLine : report.humanText)
        }
        let code = PollReport.mostSerious(codes)
        if code != 0 { throw ExitCode(code) }
    }
}
