import Dispatch
import Foundation
import Logging
import ServiceLifecycle

/// `mailgate run` as a swift-service-lifecycle `Service`: the `ServiceGroup` turns SIGTERM
/// and SIGINT into a graceful shutdown, which stops the scheduler (polls in hand finish their
/// batch, commit, acknowledge and log out). SIGHUP reloads the configuration and SIGUSR1
/// polls every alias now, through dispatch signal sources.
///
/// The async side only waits: every blocking call runs on the scheduler's own threads.
public struct MailgateService: Service {
    public let scheduler: ServiceScheduler
    public let configPath: String
    let logger: Logger

    public init(scheduler: ServiceScheduler, configPath: String, logger: Logger) {
        self.scheduler = scheduler
        self.configPath = configPath
        self.logger = logger
    }

    public func run() async throws {
        let signals = ServiceSignals(scheduler: scheduler, configPath: configPath)
        defer { signals.cancel() }
        scheduler.start()
        await withTaskCancellationHandler {
            await withGracefulShutdownHandler {
                await scheduler.stopped()
            } onGracefulShutdown: { [scheduler] in
                scheduler.stop()
            }
        } onCancel: { [scheduler] in
            scheduler.stop()
        }
    }

    /// A `ServiceGroup` with SIGTERM and SIGINT as graceful shutdown signals.
    public func group() -> ServiceGroup {
        ServiceGroup(configuration: ServiceGroupConfiguration(
            services: [ServiceGroupConfiguration.ServiceConfiguration(service: self)],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger))
    }
}

/// SIGHUP → reload, SIGUSR1 → poll now, as long as it lives.
final class ServiceSignals: @unchecked Sendable {
    private let sources: [DispatchSourceSignal]

    init(scheduler: ServiceScheduler, configPath: String) {
        let queue = DispatchQueue(label: "mailgate.signals")
        signal(SIGHUP, SIG_IGN)
        signal(SIGUSR1, SIG_IGN)
        let hup = DispatchSource.makeSignalSource(signal: SIGHUP, queue: queue)
        hup.setEventHandler { scheduler.reload(path: configPath) }
        let usr1 = DispatchSource.makeSignalSource(signal: SIGUSR1, queue: queue)
        usr1.setEventHandler { scheduler.pollNow() }
        sources = [hup, usr1]
        for source in sources { source.resume() }
    }

    func cancel() {
        for source in sources { source.cancel() }
    }
}
