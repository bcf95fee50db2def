import ArgumentParser
import Gateway

/// `mailgate status`: per alias counts and the last poll, read from the store.
struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show per alias what is recorded, done, skipped, failed and quarantined, and the last poll.",
        discussion: "Reads the SQLite store only, so it works while `mailgate run` is polling.")

    @OptionGroup var configOption: ConfigOption

    @Flag(name: .long, help: "Print one JSON object per alias (JSON Lines).")
    var json = false

    func run() throws {
        let config = try configOption.load(checkingSecrets: false)
        let lines = try exitingOnFailure { try Poller(config: config).statusLines() }
        for line in lines { print(json ? line.jsonLine : line.humanText) }
        if !config.odooServers.isEmpty {
            let servers = try exitingOnFailure { try OdooDeliverer(config: config).statusLines() }
            for server in servers { print(json ? server.jsonLine : server.humanText) }
        }
    }
}
