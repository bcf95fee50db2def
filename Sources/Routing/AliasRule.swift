import Foundation

/// What routing needs to know about one configured alias (Odoo's `mail.alias`).
public struct AliasRule: Sendable {
    public enum Role: String, Sendable { case normal, bounce, catchall }
    public enum ContactPolicy: String, Sendable { case everyone, partners, followers }

    public var name: String
    /// The full address, lower-case (default `name@domain`).
    public var address: String
    public var role: Role
    /// The model a new record is created in (`crm.lead`); nil for aliases that only receive.
    public var model: String?
    /// Odoo's alias defaults, recorded on every new record.
    public var values: [String: String]
    public var contact: ContactPolicy
    public var bouncedContent: String?
    /// Domains besides the alias domain whose local part matches this alias.
    public var allowedDomains: [String]

    public init(name: String, address: String, role: Role = .normal, model: String? = nil,
                values: [String: String] = [:], contact: ContactPolicy = .everyone,
                bouncedContent: String? = nil, allowedDomains: [String] = []) {
        self.name = name
        self.address = address.lowercased()
        self.role = role
        self.model = model
        self.values = values
        self.contact = contact
        self.bouncedContent = bouncedContent
        self.allowedDomains = allowedDomains.map { $0.lowercased() }
    }

    var local: String { MailAddress(address)?.local ?? name.lowercased() }
    var domain: String { MailAddress(address)?.domain ?? "" }
}

/// Routing's configuration: the aliases plus the loop guard.
public struct RoutingRules: Sendable {
    public var aliases: [AliasRule]
    /// The alias domain (`[defaults] domain`): an alias without an address is `name@domain`.
    public var domain: String?
    public var loopThreshold: Int
    public var loopMinutes: Int
    /// Senders never treated as loops (lower-case addresses).
    public var loopAllowed: Set<String>

    public init(aliases: [AliasRule], domain: String?, loopThreshold: Int = 20, loopMinutes: Int = 120,
                loopAllowed: Set<String> = []) {
        self.aliases = aliases
        self.domain = domain?.lowercased()
        self.loopThreshold = loopThreshold
        self.loopMinutes = loopMinutes
        self.loopAllowed = Set(loopAllowed.map { $0.lowercased() })
    }

    var bounceAlias: AliasRule? {
        aliases.first { $0.role == .bounce } ?? aliases.first { $0.name == "bounce" }
    }
    var catchallAlias: AliasRule? {
        aliases.first { $0.role == .catchall } ?? aliases.first { $0.name == "catchall" }
    }
}

/// What routing asks the store; the Gateway implements it over SQLite. A failing lookup
/// fails the routing (the message is retried), never guesses.
public protocol RoutingLookup {
    /// The thread of a message already routed with this Message-ID, if any.
    func routedMessage(messageID: String) throws -> RoutedMessage?
    /// True when the address is a known contact (Odoo: a partner).
    func isKnownContact(_ address: String) throws -> Bool
    /// True when the address follows a thread of this alias.
    func isFollower(_ address: String, alias: String) throws -> Bool
    /// True when the address follows this thread (Odoo: the record's `message_partner_ids`).
    func isFollower(_ address: String, thread: Int64) throws -> Bool
    /// Of the messages with these Message-IDs that were routed into a thread, the one recorded
    /// last, with its id (Odoo searches `mail.message` by `message_id in refs`, `order='id desc'`).
    func newestRoutedMessage(messageIDs: [String]) throws -> (messageID: String, message: RoutedMessage)?
    /// How many records or messages this sender created since the date.
    func messagesFrom(_ address: String, since: Date) throws -> Int
}

public struct RoutedMessage: Sendable, Equatable {
    public var threadID: Int64?
    public var model: String?
    public init(threadID: Int64?, model: String?) {
        self.threadID = threadID
        self.model = model
    }
}
