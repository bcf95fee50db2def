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
            78 configuration error. \
            For an alias with target = "odoo" (replacing odoo-mailgate.py): once recorded the message \
            is in the outbox and pushed at once (bounded by --push-timeout); the exit is 0 whatever the \
            push did, except 67 when Odoo answered "No possible route". 75, 77, 78 only when nothing \
            could be recorded.
            """)

    @Option(name: .long, help: ArgumentHelp("Target odoo: push for at most this long; the rest stays queued.",
                                            valueName: "seconds"))
    var pushTimeout: Double = 30

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
        if let alias, let odoo = config.alias(named: alias)?.odoo {
            // Recorded and queued: the outbox owns the message now.
            try pushNow(config, server: odoo.server, raw: raw)
            return
        }
        if json { print(result.json.serialized()) } else { printError("mailgate: \(result.kind): \(result.reason)") }
        if result.deliverExitCode != 0 { throw ExitCode(result.deliverExitCode) }
    }
}

extension DeliverCommand {
    /// Pushes the outbox of `server` (this message among it) for at most --push-timeout; exits
    /// 67 only when Odoo found no route for this message, else 0.
    func pushNow(_ config: Config, server: String, raw: [UInt8]) throws {
        guard let deliverer = try? OdooDeliverer(config: config) else { return }
        deliverer.log = { printError("mailgate: \($0)") }
        let reports = deliverer.drain(servers: [server], until: Date().addingTimeInterval(pushTimeout), resume: false,
                                      ignoringBackoff: false)
        let row = try? deliverer.outboxRow(server: server, raw: raw)
        if json, let row {
            print("{\"outbox\":\(row.id),\"state\":\"\(row.state.rawValue)\"}")
        } else if let row {
            printError("mailgate: odoo \(server): \(row.state.rawValue)" + (row.lastAnswer.map { ": \($0)" } ?? ""))
        }
        for report in reports where report.state != "ok" { printError("mailgate: \(report.humanLine)") }
        if let row, row.state == .parked, row.noRoute { throw ExitCode(67) }
    }
}
