import ArgumentParser
import Foundation
import Gateway

/// `mailgate push`: drains the Odoo outbox by hand.
struct PushCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "push",
        abstract: "Push every queued message to its Odoo server now (resumes a paused server).",
        discussion: """
            Rows waiting for a retry go now too. Exit codes: 0 the outbox is drained (or only parked \
            messages remain), 75 messages remain queued (server unreachable or --timeout reached), \
            78 a server is paused by a configuration problem (wrong key, URL, database).
            """)

    @Option(name: .long, help: ArgumentHelp("Only this [odoo.NAME] server.", valueName: "name"))
    var server: String?

    @Option(name: .long, help: ArgumentHelp("Stop pushing after this many seconds.", valueName: "seconds"))
    var timeout: Double = 600

    @OptionGroup var configOption: ConfigOption

    @Flag(name: .long, help: "Print one JSON object per server.")
    var json = false

    func run() throws {
        let config = try configOption.load(checkingSecrets: false)
        if let server, config.odooServer(named: server) == nil {
            printError("mailgate: no [odoo.\(server)] server in \(config.file)")
            throw ExitCode(64)
        }
        if config.odooServers.isEmpty { printError("mailgate: no [odoo] server in \(config.file)") }
        let deliverer = try exitingOnFailure { try OdooDeliverer(config: config) }
        deliverer.log = { printError("mailgate: \($0)") }
        let reports = deliverer.drain(servers: server.map { [$0] }, until: Date().addingTimeInterval(timeout),
                                      resume: true, ignoringBackoff: true)
        for report in reports { print(json ? report.jsonLine : report.humanLine) }
        if reports.contains(where: { $0.state == "paused" }) { throw ExitCode(78) }
        if reports.contains(where: { $0.remaining > 0 }) { throw ExitCode(75) }
    }
}
