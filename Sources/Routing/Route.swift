/// Where a message goes: the decision, its targets and the reason in one sentence.
public struct Route: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable {
        case new, reply, bounce, duplicate, loop, refused, catchall, unrouted
    }

    /// One record a `new` route creates: Odoo creates one per matching alias.
    public struct Target: Sendable, Equatable {
        public var model: String
        public var alias: String
        public var values: [String: String]

        public init(model: String, alias: String, values: [String: String] = [:]) {
            self.model = model
            self.alias = alias
            self.values = values
        }
    }

    public struct Bounce: Sendable, Equatable {
        public var recipients: [BounceRecipient]
        public var originalMessageID: String?
    }

    public var kind: Kind
    /// new: the (first) model; reply: the thread's model.
    public var model: String?
    /// reply: the thread replied to; duplicate: the existing message's thread; bounce: the
    /// thread of the bounced message when it is recorded.
    public var threadID: Int64?
    /// The alias that decided, when one did.
    public var alias: String?
    /// Every record a `new` route creates.
    public var targets: [Target] = []
    public var bounce: Bounce?
    /// refused: the alias's `bounced_content`.
    public var bouncedContent: String?
    /// One sentence an admin understands.
    public var reason: String
}

/// One step of the routing order and what it concluded, for `route --explain`.
public struct RoutingStep: Sendable, Equatable {
    public var name: String
    public var decided: Bool
    public var explanation: String
}
