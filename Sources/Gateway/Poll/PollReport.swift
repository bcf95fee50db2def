import Foundation

/// What one poll of one alias did: the `mailgate fetch --json` line and the `status` history.
public struct PollReport: Sendable {
    public var alias: String
    /// The mailbox as a URL without credentials, e.g. `imaps://imap.acme.test:993/INBOX`.
    public var mailbox: String
    public var fetched = 0
    public var skipped = 0
    /// Messages that failed in this poll (not fetched, or not routed): kept, retried, reported.
    public var failed = 0
    /// Listed messages the server verifiably no longer had when their body was asked for.
    public var dropped = 0
    /// One line per message that did not simply arrive: failed (with the server's words),
    /// quarantined, skipped as too large, dropped as gone. For the log and `fetch`'s stderr.
    public var notices: [String] = []
    /// How the fetched messages were routed, by route kind (`new`, `reply`, …).
    public var routes: [String: Int] = [:]
    public var uidValidity: UInt32?
    /// IMAP: the folder's UIDNEXT when the poll selected it (mail that arrived later is for
    /// the next poll).
    public var uidNext: UInt32?
    /// IMAP: the folder's message count when the poll selected it.
    public var existsAtSelect: UInt32?
    /// IMAP: the exchanges with the server the poll waited for after login (an idle poll one,
    /// a poll with new mail about three); libcurl's connect, TLS and login are not counted.
    public var roundTrips = 0
    public var elapsedMilliseconds = 0
    /// The failure in words an admin understands (never a secret); nil when the poll succeeded.
    public var error: String?
    /// sysexits code: 0, 68, 75, 77 or 78.
    public var exitCode: Int32 = 0
    /// Another process held the mailbox's lease (it is polling it now): this poll was skipped.
    public var busy = false
    /// A stop was requested (SIGTERM): the poll ended after the batch in hand; the rest waits.
    public var interrupted = false

    public init(alias: String, mailbox: String) {
        self.alias = alias
        self.mailbox = mailbox
    }

    /// Counts what a part of this poll counted on its own (a batch committed on the recording thread).
    mutating func add(_ part: PollReport) {
        fetched += part.fetched
        skipped += part.skipped
        failed += part.failed
        dropped += part.dropped
        notices += part.notices
        routes.merge(part.routes, uniquingKeysWith: +)
    }

    /// Most serious first: a config problem hides everything else, then a refused login, then
    /// an unknown host, then a temporary failure.
    public static func mostSerious(_ codes: [Int32]) -> Int32 {
        let order: [Int32] = [78, 77, 68, 75]
        return order.first(where: codes.contains) ?? codes.first(where: { $0 != 0 }) ?? 0
    }
}
