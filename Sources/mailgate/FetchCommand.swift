import ArgumentParser
import Foundation
import Gateway

/// `mailgate fetch`: one poll of the named aliases (every alias with a url when none is named).
struct FetchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fetch",
        abstract: "Poll alias mailboxes once and record every new message.",
        discussion: """
            Each message is stored durably (spool synced to disk, SQLite committed) before the server is told \
            it was fetched (after_fetch). The exit code is the most serious of the aliases' codes: \
            78 config, 77 login refused, 68 host not found, 75 temporary, else 0.
            """)

    @OptionGroup var selection: AliasSelection

    @Option(help: "How many aliases are polled at once, each over its own connection (1 polls them one after another).")
    var workers = 8

    func validate() throws {
        guard workers >= 1 && workers <= 256 else { throw ValidationError("--workers must be between 1 and 256") }
    }

    func run() throws {
        let config = try selection.configOption.load()
        let aliases = try selectAliases(config, names: selection.alias, requireURL: true)
        let poller = try exitingOnFailure { try Poller(config: config) }
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
