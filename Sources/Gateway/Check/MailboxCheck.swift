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
            let secret = try alias.resolveSecret()
            switch alias.scheme {
            case .pop3, .pop3s: try checkPOP3(alias, secret: secret, into: &report)
            case .imap, .imaps: try checkIMAP(alias, secret: secret, into: &report)
            }
        } catch {
            report.error = String(describing: error)
            report.exitCode = Self.exitCode(of: error)
        }
        return report
    }

    private func checkPOP3(_ alias: AliasConfig, secret: String, into report: inout CheckReport) throws {
        let session = try POP3Session(endpoint: alias.endpoint, secret: secret)
        report.greeting = session.greeting
        report.capabilities = session.capabilities.sorted()
        let listing = try session.listing()
        try session.quit()
        report.messages = listing.count
        let mailbox = try store.mailboxID(host: alias.host, port: alias.port, user: alias.user, folder: "")
        let recorded = try store.recordedUIDLs(mailbox: mailbox)
        let fresh = listing.filter { recorded[$0.uidl] == nil }
        if recorded.isEmpty && alias.start == .new {
            report.wouldFetch = 0
            report.wouldSkip = 0
            report.notes.append("first poll with start = \"new\": the \(listing.count) messages there now are recorded as baseline")
        } else {
            report.wouldSkip = fresh.filter { $0.size > alias.maxMessageSize }.count
            report.wouldFetch = fresh.count - report.wouldSkip!
        }
        if !session.capabilities.contains("PIPELINING") {
            report.notes.append("the server does not offer PIPELINING: messages are retrieved one round trip each")
        }
    }

    private func checkIMAP(_ alias: AliasConfig, secret: String, into report: inout CheckReport) throws {
        let session = try IMAPSession(endpoint: alias.endpoint, secret: secret)
        defer { try? session.logout() }
        report.greeting = session.greeting
        report.capabilities = session.capabilities.sorted()
        let selected = try session.select(alias.folder, readOnly: true)
        report.messages = selected.exists
        report.uidValidity = selected.uidValidity
        let mailbox = try store.mailboxID(host: alias.host, port: alias.port, user: alias.user, folder: alias.folder)
        let previous = try store.mailboxState(mailbox: mailbox)
        let candidates: [UInt32]
        if previous.uidValidity == nil {
            switch alias.start {
            case .all: candidates = try session.searchUIDs(above: 0)
            case .new: candidates = []
            case .unseen: candidates = try session.searchUnseen()
            }
            report.notes.append("first poll of this folder: start = \"\(alias.start)\" decides what is fetched")
        } else if previous.uidValidity != selected.uidValidity {
            candidates = try session.searchUIDs(above: 0)
            report.notes.append("UIDVALIDITY changed since the last poll: messages will be matched by Message-ID and size")
        } else {
            let highWater = try store.highWaterMark(mailbox: mailbox, uidValidity: selected.uidValidity) ?? 0
            candidates = try session.searchUIDs(above: highWater)
        }
        let sizes = candidates.isEmpty ? [:] : try session.fetchSizes(candidates)
        report.wouldSkip = sizes.values.filter { $0.size > alias.maxMessageSize }.count
        report.wouldFetch = sizes.count - report.wouldSkip!
        let caps = session.capabilities
        if case .delete = alias.afterFetch, !caps.contains("UIDPLUS") {
            report.notes.append("the server lacks UIDPLUS: after_fetch = \"delete\" can only flag messages \\Deleted, never expunge them (that would expunge other clients' deleted mail too)")
        }
        if case .move = alias.afterFetch, !caps.contains("MOVE") {
            report.notes.append("the server lacks MOVE: after_fetch = \"move\" copies, then deletes")
        }
        if !caps.contains("IDLE") {
            report.notes.append("the server does not offer IDLE: `mailgate run` polls on the interval only")
        }
    }
}
