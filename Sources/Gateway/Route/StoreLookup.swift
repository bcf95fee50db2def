import Foundation
import MailStore
import Routing

/// Routing's questions answered from the records inside the current transaction, so a batch
/// sees what its earlier messages recorded. `excluding` is the message's own row when it is
/// re-routed (replay), which must not make it its own duplicate.
struct StoreLookup: RoutingLookup {
    let records: RecordsTransaction
    var excluding: Int64?

    func routedMessage(messageID: String) throws -> RoutedMessage? {
        try records.routedMessage(messageID: messageID, excluding: excluding).map {
            RoutedMessage(threadID: $0.threadID, model: $0.model)
        }
    }
    func newestRoutedMessage(messageIDs: [String]) throws -> (messageID: String, message: RoutedMessage)? {
        try records.newestRoutedMessage(messageIDs: messageIDs, excluding: excluding).map {
            ($0.messageID, RoutedMessage(threadID: $0.threadID, model: $0.model))
        }
    }
    func isFollower(_ address: String, thread: Int64) throws -> Bool { try records.isFollower(address, thread: thread) }
    func isKnownContact(_ address: String) throws -> Bool { try records.isKnownContact(address) }
    func isFollower(_ address: String, alias: String) throws -> Bool { try records.isFollower(address, alias: alias) }
    func messagesFrom(_ address: String, since: Date) throws -> Int { try records.messagesFrom(address, since: since) }
}
