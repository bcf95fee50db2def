import Foundation
import MailSource

/// IMAP logins started before the store is opened, so that a one-shot `mailgate fetch` spends
/// the round trips of connect, TLS, greeting and login (three or more) while it opens and
/// migrates the store instead of after. At 20 ms round trips that hides the ~30 ms a process
/// needs before it could connect (the store's migrations on a first run, `Poller`'s set-up).
///
/// Only aliases whose secret is read from the config (a password, its variable, file or
/// command) log in early: an OAuth2 token comes from the store. A login that failed is
/// handed to the poll as its error, exactly as if the poll had connected itself; a session
/// nobody took (the poll was skipped: another process held the mailbox) is logged out by
/// `closeUntaken()`.
public final class EarlyLogins: @unchecked Sendable {
    /// A logged-in session and the secret it used (the poll needs it again to reconnect).
    struct Login {
        var session: IMAPSession
        var secret: String
    }

    private let lock = NSCondition()
    /// nil while the login runs; taken logins are removed.
    private var results: [String: Result<Login, Error>?] = [:]

    /// Starts one thread per eligible alias among `aliases` (IMAP, a secret from the config),
    /// at most `limit` of them: the polls that will run first.
    public init(_ aliases: [AliasConfig], limit: Int) {
        let eligible = aliases.filter { alias in
            guard let mailbox = alias.mailbox, mailbox.isIMAP else { return false }
            if case .oauth = mailbox.secret { return false }
            return true
        }.prefix(limit)
        // Every entry exists before the first thread can write one (they write under the lock).
        for alias in eligible { results[alias.name] = .some(nil) }
        for alias in eligible {
            let thread = Thread { [self] in
                let result = Result { () throws -> Login in
                    let secret = try alias.resolveSecret()
                    return Login(session: try IMAPSession(endpoint: alias.mailbox!.endpoint, secret: secret), secret: secret)
                }
                lock.lock()
                results[alias.name] = .some(result)
                lock.broadcast()
                lock.unlock()
            }
            thread.name = "mailgate-login"
            thread.start()
        }
    }

    /// The alias's early login, waiting for it to finish; nil when none was started or it
    /// was taken already. Throws what the login threw.
    func take(_ alias: String) throws -> Login? {
        lock.lock()
        defer { lock.unlock() }
        guard results[alias] != nil else { return nil }
        while case .some(.none) = results[alias] { lock.wait() }
        guard case .some(.some(let result)) = results.removeValue(forKey: alias) else { return nil }
        return try result.get()
    }

    /// Logs out every session no poll took, once their logins have finished.
    public func closeUntaken() {
        lock.lock()
        while results.values.contains(where: { $0 == nil }) { lock.wait() }
        let untaken = results.values.compactMap { try? $0?.get() }
        results = [:]
        lock.unlock()
        for login in untaken { login.session.logout() }
    }
}
