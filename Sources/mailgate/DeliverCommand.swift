import ArgumentParser
import Foundation
import Gateway

/// `mailgate deliver`: the MTA pipe (`"|mailgate deliver --alias sales"` in Postfix).
struct DeliverCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deliver",
        abstract: "Store, route and record one message read from standard input (for an MTA pipe).",
        discussion: """
            Exit codes, as odoo-mailgate.py: 0 recorded (new, reply, bounce, duplicate or loop); \
            67 refused, catchall-only or unrouted — the MTA bounces it, the message is still \
            stored for inspection; 75 the store is busy or unwritable — the MTA retries; \
            78 configuration error.
            """)

    @Option(name: .long, help: ArgumentHelp("The alias this message was delivered to.", valueName: "name"))
    var alias: String?

    @OptionGroup var configOption: ConfigOption

    @Flag(name: .long, help: "Print the routing decision as JSON.")
    var json = false

    func run() throws {
        let config = try configOption.load(checkingSecrets: false)
        if let alias, config.alias(named: alias) == nil {
            printError("mailgate: no alias named \"\(alias)\" in \(config.file)")
            throw ExitCode(78)
        }
        let raw = Array(FileHandle.standardInput.readDataToEndOfFile())
        let result: RoutingResult
        do { result = try LocalTarget(config: config).deliver(raw: raw, arrivedVia: alias) } catch {
            printError("mailgate: \(error)")
            let code = Poller.exitCode(of: error)
            throw ExitCode(code == 78 ? 78 : 75)
        }
        if json { print(result.json.serialized()) } else { printError("mailgate: \(result.kind): \(result.reason)") }
        if result.deliverExitCode != 0 { throw ExitCode(result.deliverExitCode) }
    }
}
