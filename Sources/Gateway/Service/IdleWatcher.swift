import Foundation
import Logging
import MailSource

/// Watches one IMAP folder with IDLE (RFC 2177) on its own thread and calls `onNewMail`
/// when the server announces a message, so the alias is polled within seconds instead of
/// at its next interval.
///
/// This is a second connection beside the polls (which log in, fetch and log out as
/// `mailgate fetch` does): the watcher only EXAMINEs the folder and IDLEs, re-issuing IDLE at
/// least every `idle_refresh`; it never fetches and never holds the mailbox lease. A dropped
/// session reconnects with exponential backoff (2 s doubling up to `backoff_max`), running
/// `password_command` again for a fresh token, and triggers a catch-up poll once it is back.
/// A server without IDLE is left to the interval polls. TCP keepalive comes from
/// `CurlConnection`.
final class IdleWatcher: @unchecked Sendable {
    let alias: AliasConfig
    private let logger: Logger
    private let onNewMail: @Sendable () -> Void
    private let onState: @Sendable (Bool) -> Void
    private let condition = NSCondition()
    private var stopped = false
    private var done = false
    private var connection: CurlConnection?

    init(alias: AliasConfig, logger: Logger, onNewMail: @escaping @Sendable () -> Void,
         onState: @escaping @Sendable (Bool) -> Void) {
        self.alias = alias
        self.logger = logger
        self.onNewMail = onNewMail
        self.onState = onState
    }

    func start() {
        let thread = Thread { [self] in
            run()
            condition.lock()
            done = true
            connection = nil
            condition.broadcast()
            condition.unlock()
        }
        thread.name = "mailgate-idle-\(alias.name)"
        thread.start()
    }

    /// Ends the IDLE session (from any thread): wakes the waiting thread by shutting its
    /// socket down; the thread then closes the connection.
    func stop() {
        condition.lock()
        stopped = true
        connection?.interrupt()
        condition.broadcast()
        condition.unlock()
    }

    /// Waits up to `timeout` seconds for the thread to end (a connect in progress cannot be
    /// interrupted; it ends within the connect timeout).
    func join(timeout: TimeInterval) {
        condition.lock()
        let deadline = Date().addingTimeInterval(timeout)
        while !done && Date() < deadline { _ = condition.wait(until: deadline) }
        condition.unlock()
    }

    private var isStopped: Bool {
        condition.lock()
        defer { condition.unlock() }
        return stopped
    }

    private func run() {
        guard let mailbox = alias.mailbox else { return }
        let endpoint = mailbox.endpoint
        var failures = 0
        var meta: Logger.Metadata { ["alias": "\(alias.name)"] }
        while !isStopped {
            var wasUp = false
            do {
                let secret = try alias.resolveSecret()  // a fresh token at every connect
                let connection = try CurlConnection(endpoint: endpoint, secret: secret)
                defer { connection.close() }
                condition.lock()
                if stopped { condition.unlock(); return }
                self.connection = connection
                condition.unlock()
                let session = try IMAPSession(stream: connection, greeting: connection.greeting,
                                              address: endpoint.address, folder: mailbox.folder)
                guard session.hasCapability("IDLE") else {
                    logger.notice("the server does not offer IDLE: polling every interval only", metadata: meta)
                    try? session.logout()
                    return
                }
                _ = try session.select(mailbox.folder, readOnly: true)
                wasUp = true
                onState(true)
                logger.info("IDLE session up", metadata: meta)
                if failures > 0 { onNewMail() }  // mail may have arrived while the session was down
                failures = 0
                while !isStopped {
                    if try session.idle(for: alias.idleRefresh) {
                        logger.debug("IDLE: new mail", metadata: meta)
                        onNewMail()
                    }
                }
                try? session.logout()
                return
            } catch {
                if isStopped { return }
                if wasUp { onState(false) }
                failures += 1
                let wait = min(alias.backoffMax, 2 * pow(2, Double(min(failures - 1, 20))))
                var m = meta
                m["error"] = "\(error)"
                m["retry_in_s"] = "\(Int(wait))"
                if failures == 1 {
                    logger.warning("IDLE session lost; reconnecting", metadata: m)
                } else {
                    logger.debug("IDLE reconnect failed", metadata: m)
                }
                condition.lock()
                connection = nil
                let deadline = Date().addingTimeInterval(wait)
                while !stopped && Date() < deadline { _ = condition.wait(until: deadline) }
                condition.unlock()
            }
        }
    }
}
