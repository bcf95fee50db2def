import Foundation
import MailSource
import MailStore

/// What `mailgate check` learns about an alias mailbox without changing anything: Odoo's
/// "TEST & CONFIRM". It logs in, opens the folder read-only and counts what the next poll
/// would fetch.
public struct CheckReport: Sendable {
    public var alias: String
    public var mailbox: String
    public var greeting: String?
    public var capabilities: [String] = []
    public var messages: Int?
    public var uidValidity: UInt32?
    /// Messages the next poll would download (new and within max_message_size).
    public var wouldFetch: Int?
    /// Messages the next poll would record as too large without downloading them.
    public var wouldSkip: Int?
    /// Things the admin should know (e.g. no UIDPLUS: `after_fetch = "delete"` only flags).
    public var notes: [String] = []
    public var error: String?
    public var exitCode: Int32 = 0
}

extension Poller {
    public func check(_ alias: AliasConfig) -> CheckReport {
        var report = CheckReport(alias: alias.name, mailbox: alias.mailboxDescription)
        do {
            guard let mailbox = alias.mailbox else {
                throw ConfigError(file: alias.file, alias: alias.name, key: "url", message: "a routing-only alias has no mailbox to check")
            }
            let id = try store.mailboxID(host: mailbox.host, port: mailbox.port, user: mailbox.user,
                                         folder: mailbox.isIMAP ? mailbox.folder : "INBOX")
            try login.withSecret(for: alias) { secret in
                if mailbox.isIMAP {
                    try checkIMAP(alias, mailbox, id, secret: secret, into: &report)
                } else {
                    try checkPOP3(alias, mailbox, id, secret: secret, into: &report)
                }
            }
        } catch {
            report.error = String(describing: error)
            report.exitCode = Self.exitCode(of: error)
        }
        return report
    }

    private func checkPOP3(_ alias: AliasConfig, _ mailbox: AliasConfig.Mailbox, _ mailboxID: Int64, secret: String,
                           into report: inout CheckReport) throws {
        let session = try POP3Session(endpoint: mailbox.endpoint, secret: secret)
        report.greeting = session.greeting
        report.capabilities = session.capabilities.sorted()
        let listing = POP3Listing.distinct(try session.listing()).entries
        try session.quit()
        report.messages = listing.count
        let recorded = try store.recordedUIDLs(mailbox: mailboxID)
        let fresh = listing.filter { recorded[$0.uidl] == nil }
        if recorded.isEmpty && mailbox.start == .new {
            report.wouldFetch = 0
            report.wouldSkip = 0
            report.notes.append("first poll with start = \"new\": the \(listing.count) messages there now are recorded as baseline")
        } else {
            report.wouldSkip = fresh.filter { Int64($0.size) > alias.maxMessageSize }.count
            report.wouldFetch = fresh.count - report.wouldSkip!
        }
        if !session.capabilities.contains("PIPELINING") {
            report.notes.append("the server does not offer PIPELINING: messages are retrieved one round trip each")
        }
    }

    private func checkIMAP(_ alias: AliasConfig, _ mailbox: AliasConfig.Mailbox, _ mailboxID: Int64, secret: String,
                           into report: inout CheckReport) throws {
        let session = try IMAPSession(endpoint: mailbox.endpoint, secret: secret)
        defer { session.logout() }
        report.greeting = session.greeting
        report.capabilities = session.capabilities.sorted()
        let selected = try session.select(mailbox.folder, readOnly: true)
        report.messages = Int(selected.exists)
        report.uidValidity = selected.uidValidity
        let saved = try store.mailbox(mailboxID)
        let previous = saved?.uidValidity
        var candidates: [UInt32]
        if previous == nil {
            switch mailbox.start {
            case .all: candidates = try session.searchUIDs(from: 1)
            case .new: candidates = []
            case .unseen: candidates = try session.searchUnseen()
            }
            report.notes.append("first poll of this folder: start = \"\(mailbox.start.rawValue)\" decides what is fetched")
        } else if previous != selected.uidValidity {
            candidates = try session.searchUIDs(from: 1)
            report.notes.append("UIDVALIDITY changed since the last poll: messages will be matched by Message-ID and size")
        } else {
            // As the poll does: from the saved UIDNEXT, what has no seen row yet, plus failed messages now due.
            let start = saved?.uidNext ?? 1
            let known = try store.recordedUIDs(mailbox: mailboxID, uidValidity: selected.uidValidity, from: start)
            candidates = try session.searchUIDs(from: start).filter { known[$0] == nil }
            let retries = try store.fetchRetries(mailbox: mailboxID, uidValidity: selected.uidValidity, dueBy: Date())
            candidates += retries.compactMap(\.uid)
            if !retries.isEmpty { report.notes.append("\(retries.count) message(s) that failed before are due to be fetched again") }
        }
        let sizes = try session.fetchSizes(candidates)
        report.wouldSkip = sizes.values.filter { Int64($0.size ?? 0) > alias.maxMessageSize }.count
        report.wouldFetch = candidates.count - report.wouldSkip!
        let caps = session.capabilities
        if case .delete = mailbox.afterFetch, !caps.contains("UIDPLUS") {
            report.notes.append("the server lacks UIDPLUS: after_fetch = \"delete\" can only flag messages \\Deleted, never expunge them (that would expunge other clients' deleted mail too)")
        }
        if case .move = mailbox.afterFetch, !caps.contains("MOVE") {
            report.notes.append("the server lacks MOVE: after_fetch = \"move\" copies, then deletes")
        }
        if !caps.contains("IDLE") {
            report.notes.append("the server does not offer IDLE: `mailgate run` polls on the interval only")
        }
    }
}
