import ArgumentParser
import Gateway

/// `mailgate threads`: the records routing created (Odoo's threads: leads, applicants, …).
struct ThreadsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "threads",
        abstract: "List the threads (records) routing created, with their message counts.")

    @Option(name: .long, help: ArgumentHelp("Only threads created through this alias.", valueName: "name"))
    var alias: String?

    @OptionGroup var configOption: ConfigOption

    @Flag(name: .long, help: "Print one JSON object per thread (JSON Lines).")
    var json = false

    func run() throws {
        let config = try configOption.load(checkingSecrets: false)
        for thread in try exitingOnFailure({ try LocalTarget(config: config).threads(alias: alias) }) {
            print(json ? thread.json.serialized() : thread.humanLine)
        }
    }
}

/// `mailgate show THREAD`: one thread and its messages.
struct ShowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Show one thread and its messages, with the route and reason of each.")

    @Argument(help: ArgumentHelp("The thread id (from `mailgate threads`).", valueName: "thread"))
    var thread: Int64

    @OptionGroup var configOption: ConfigOption

    @Flag(name: .long, help: "Print one JSON object.")
    var json = false

    func run() throws {
        let config = try configOption.load(checkingSecrets: false)
        let target = try exitingOnFailure { try LocalTarget(config: config) }
        let lookup = Result { try target.thread(thread) }
        guard case .success(let result) = lookup, let found = result else {
            if case .failure(let error) = lookup {
                printError("mailgate: \(error)")
                throw ExitCode(Poller.exitCode(of: error))
            }
            printError("mailgate: no thread \(thread)")
            throw ExitCode(66)
        }
        if json {
            print(showJSON(found.thread, found.messages).serialized())
        } else {
            print(found.thread.humanLine)
            for m in found.messages { print(m.humanText) }
        }
    }
}

/// `mailgate replay`: route stored messages again after a config change.
struct ReplayCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Route stored messages again (after a config change): by id, every unrouted one, or every quarantined one.")

    @Argument(help: ArgumentHelp("Message ids (from `mailgate show` or `status`).", valueName: "id"))
    var ids: [Int64] = []

    @Flag(name: .long, help: "Every message that is currently unrouted.")
    var unrouted = false

    @Flag(name: .long, help: "Every message parked in quarantine.")
    var quarantined = false

    @OptionGroup var configOption: ConfigOption

    @Flag(name: .long, help: "Print one JSON object per message (JSON Lines).")
    var json = false

    func validate() throws {
        if ids.isEmpty && !unrouted && !quarantined {
            throw ValidationError("name message ids, or --unrouted, or --quarantined")
        }
    }

    func run() throws {
        let config = try configOption.load(checkingSecrets: false)
        let results = try exitingOnFailure {
            try LocalTarget(config: config).replay(ids: ids, unrouted: unrouted, quarantined: quarantined)
        }
        var failed = false
        for r in results {
            if let error = r.error { failed = true; printError("mailgate: message \(r.id): \(error)") }
            print(json ? r.json.serialized() : r.humanLine)
        }
        if quarantined && results.contains(where: { $0.note != nil }) {
            // Quarantined messages whose body never arrived: fetch them again now, over a session.
            let poller = try exitingOnFailure { try Poller(config: config) }
            for report in poller.pollFetchRetries(config.aliases.filter(\.hasMailbox)) {
                print(json ? report.jsonLine : report.humanLine)
                for notice in report.notices { printError("mailgate: \(report.alias): \(notice)") }
                if let error = report.error { failed = true; printError("mailgate: \(report.alias): \(error)") }
            }
        }
        if failed { throw ExitCode(75) }
    }
}
