import ArgumentParser
import Dispatch
import Foundation
import Gateway
import Logging

/// `mailgate run`: the service. Polls every alias with a url on its own schedule, IMAP IDLE
/// where offered, until SIGTERM/SIGINT.
struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run as a service: poll every alias on its schedule, IMAP IDLE where offered.",
        discussion: """
            Each alias is polled every `interval` (the alias's, else [defaults], else 5m); first polls \
            are spread over --jitter seconds. IMAP aliases also keep an IDLE session (unless `idle = false`) \
            so new mail is fetched within seconds; their polls then run inside that session (no new login). Failures back off exponentially up to `backoff_max` \
            (1h); after `disable_after` (5d) of continuous failure an alias is `failing`. \
            Signals: SIGTERM/SIGINT stop gracefully (exit 0), SIGHUP reloads the config (a broken \
            one is refused and the old one kept), SIGUSR1 polls every alias now. \
            Logs go to standard error, one line per poll per alias.
            """)

    @OptionGroup var configOption: ConfigOption

    @Option(name: .long, help: ArgumentHelp("Log format: text or json.", valueName: "format"))
    var logFormat: String = "text"

    @Option(name: .long, help: ArgumentHelp("trace, debug, info, notice, warning, error or critical.", valueName: "level"))
    var logLevel: String = "info"

    @Option(name: .long, help: ArgumentHelp("Spread the first polls over at most this many seconds.", valueName: "seconds"))
    var jitter: Double = 60

    @Option(name: .long, help: ArgumentHelp("Polls running at once at most.", valueName: "n"))
    var workers: Int = 4

    @Flag(name: .long, help: "Never use IMAP IDLE (poll every interval only).")
    var noIdle = false

    @Option(name: .long, help: ArgumentHelp("Seconds a graceful stop may take before the batch in hand is left for the next start.",
                                            valueName: "seconds"))
    var stopGrace: Double = 20

    func validate() throws {
        guard MailgateLogHandler.Format(rawValue: logFormat) != nil else {
            throw ValidationError("--log-format must be text or json")
        }
        guard Logger.Level(rawValue: logLevel) != nil else {
            throw ValidationError("--log-level must be one of trace, debug, info, notice, warning, error, critical")
        }
        guard jitter >= 0, workers >= 1, stopGrace > 0 else {
            throw ValidationError("--jitter must be 0 or more, --workers and --stop-grace above 0")
        }
    }

    func run() throws {
        // A SIGUSR1 (poll now) or SIGHUP (reload) sent while the service is still starting must
        // not kill it with the default action: ignored until the service's handlers take over.
        signal(SIGUSR1, SIG_IGN)
        signal(SIGHUP, SIG_IGN)
        let format = MailgateLogHandler.Format(rawValue: logFormat)!
        let level = Logger.Level(rawValue: logLevel)!
        LoggingSystem.bootstrap { label in MailgateLogHandler(label: label, format: format, level: level) }
        let logger = Logger(label: "mailgate")

        let path = configOption.config ?? Config.defaultPath()
        let config: Config
        do { config = try Config.load(path: path) } catch {
            logger.critical("\(error)")
            throw ExitCode(78)
        }
        for warning in config.warnings { logger.warning("\(warning)") }
        guard config.aliases.contains(where: { $0.hasMailbox }) else {
            printError("mailgate: no alias in \(path) has a url to poll")
            throw ExitCode(78)
        }
        var options = ServiceScheduler.Options()
        options.jitter = jitter
        options.workers = workers
        options.idle = !noIdle
        options.stopGrace = stopGrace
        let scheduler: ServiceScheduler
        do { scheduler = try ServiceScheduler(config: config, options: options, logger: logger) } catch {
            printError("mailgate: \(error)")
            throw ExitCode(Poller.exitCode(of: error))
        }
        let group = MailgateService(scheduler: scheduler, configPath: path, logger: logger).group()
        // Aliases with target = "odoo": their outbox is drained continuously.
        let pump = config.odooServers.isEmpty ? nil : (try? OdooDeliverer(config: config)).map { deliverer in
            deliverer.log = { logger.warning("\($0)") }
            let pump = OdooPump(deliverer: deliverer)
            pump.report = { logger.info("\($0.humanLine)") }
            return pump
        }
        scheduler.afterPoll = { [pump] _ in pump?.wake() }
        pump?.start()
        defer { pump?.stop() }

        // The main thread only waits; the service group runs on the cooperative pool and the
        // scheduler's blocking work on its own threads.
        let done = DispatchSemaphore(value: 0)
        let failure = FailureBox()
        Task {
            do { try await group.run() } catch { failure.error = error }
            done.signal()
        }
        done.wait()
        if let error = failure.error {
            logger.error("mailgate run failed: \(error)")
            throw ExitCode(70)
        }
    }
}

private final class FailureBox: @unchecked Sendable {
    var error: Error?
}
