import ArgumentParser
import Foundation
import Gateway

/// `mailgate fetch`: one poll of the named aliases (every alias with a url when none is named).
struct FetchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fetch",
        abstract: "Poll alias mailboxes once and record every new message.",
        discussion: """
            Each message is stored durably (bytes and row in one SQLite commit, large ones synced to the spool first) before the server is told \
            it was fetched (after_fetch). The exit code is the most serious of the aliases' codes: \
            78 config, 77 login refused, 68 host not found, 75 temporary, else 0.
            """)

    @OptionGroup var selection: AliasSelection

    @Option(name: .long, help: ArgumentHelp("Aliases with target = \"odoo\": push what was recorded for at most this long; "
                                            + "the rest stays queued (exit still 0).", valueName: "seconds"))
    var drainTimeout: Double = 60

    @Option(help: "How many aliases are polled at once, each over its own connection (1 polls them one after another).")
    var workers = 8

    func validate() throws {
        guard workers >= 1 && workers <= 256 else { throw ValidationError("--workers must be between 1 and 256") }
    }

    func run() throws {
        let config = try selection.configOption.load()
        let aliases = try selectAliases(config, names: selection.alias, requireURL: true)
        // The first polls' logins run while the store opens (a first run migrates it).
        let early = EarlyLogins(Poller.pollingOrder(aliases), limit: workers)
        defer { early.closeUntaken() }
        let poller = try exitingOnFailure { try Poller(config: config) }
        poller.earlyLogins = early
        if standardOutputIsTerminal && !selection.json {
            // A progress line on a terminal when a backlog is large (on stderr, overwritten in place).
            poller.progress = { alias, done, total in
                guard total >= 500 else { return }
                fputs("\r\(alias): \(done)/\(total) messages", stderr)
                if done >= total { fputs("\n", stderr) }
            }
        }
        // Each alias's line as its poll ends (several run at once).
        let reports = poller.poll(aliases, workers: workers) { report in
            print(selection.json ? report.jsonLine : report.humanLine)
            if !selection.json { for notice in report.notices { printError("mailgate: \(report.alias): \(notice)") } }
            if !selection.json, let error = report.error { printError("mailgate: \(report.alias): \(error)") }
        }
        let codes = reports.map(\.exitCode)
        poller.cleanupSpool()
        drainOdoo(config, aliases: aliases, timeout: drainTimeout, json: selection.json)
        let code = PollReport.mostSerious(codes)
        if code != 0 { throw ExitCode(code) }
    }
}

/// Resolves `--alias` names against the config; an unknown name is a usage error (64).
func selectAliases(_ config: Config, names: [String], requireURL: Bool) throws -> [AliasConfig] {
    if names.isEmpty {
        let all = config.aliases.filter { !requireURL || $0.hasMailbox }
        if all.isEmpty { printError("mailgate: no alias in the config has a url to poll") }
        return all
    }
    return try names.map { name in
        guard let alias = config.aliases.first(where: { $0.name == name }) else {
            let known = config.aliases.map(\.name).joined(separator: ", ")
            printError("mailgate: no alias named \"\(name)\" in the config (known: \(known))")
            throw ExitCode(64)
        }
        if requireURL && !alias.hasMailbox {
            printError("mailgate: alias \"\(name)\" has no url: it is routing-only, there is no mailbox to poll")
            throw ExitCode(64)
        }
        return alias
    }
}

/// Pushes the outbox of the Odoo servers these aliases use, for at most `timeout` seconds; a
/// paused server is left alone (`mailgate push` resumes it). Says what remains queued.
func drainOdoo(_ config: Config, aliases: [AliasConfig], timeout: Double, json: Bool) {
    let servers = Array(Set(aliases.compactMap { $0.odoo?.server })).sorted()
    guard !servers.isEmpty else { return }
    guard let deliverer = try? OdooDeliverer(config: config) else { return }
    deliverer.log = { printError("mailgate: \($0)") }
    for report in deliverer.drain(servers: servers, until: Date().addingTimeInterval(timeout), resume: false,
                                  ignoringBackoff: false) {
        printError("mailgate: \(json ? report.jsonLine : report.humanLine)")
    }
}
