import Foundation
import MIME
import MailStore

/// What Mailgate decides itself for an Odoo target (DESIGN.md guarantee 8): mail carrying
/// Odoo's loop header is not sent, nor exact duplicates of bytes already queued for that
/// server (the outbox's unique key); everything else is queued for Odoo to judge.
enum OdooQueue {
    /// Odoo adds `generate_tracking_message_id("loop-detection-bounce-email")` to the
    /// References of its own gateway bounces (`mail_thread.py` `_detect_loop_headers`).
    static let loopMarker = "-loop-detection-bounce-email@"

    static func hasLoopHeader(_ message: Message) -> Bool {
        (message.references + message.inReplyTo).contains { $0.contains(loopMarker) }
    }

    /// Queues `message` (recorded in `records`) for the alias's Odoo server. Returns whether
    /// a row was added.
    @discardableResult
    static func queue(_ message: Message, messageID: String, rawSHA256: String, alias: String, odoo: AliasOdoo,
                      in records: RecordsTransaction, now: Date) throws -> Bool {
        guard !hasLoopHeader(message) else { return false }
        let parent = message.inReplyTo.last ?? message.references.last
        return try records.queueForOdoo(NewOutboxRow(server: odoo.server, alias: alias, messageID: messageID,
                                                     parentMessageID: parent == messageID ? nil : parent,
                                                     rawSHA256: rawSHA256), now: now)
    }
}
