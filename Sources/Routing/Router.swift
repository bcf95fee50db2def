import Foundation

/// Odoo 17/18's `mail.thread.message_route` order for the local target. The first step that
/// decides wins; every step leaves a line in `steps` saying why it did or did not decide.
/// Two recipient lists, as Odoo's `message_parse` makes them: `to` (Delivered-To + To) for the
/// bounce and catchall steps and for telling a forward, `recipients` (+ Cc, Resent-To,
/// Resent-Cc) for matching aliases.
public struct Router {
    public let rules: RoutingRules
    public let lookup: RoutingLookup

    public init(rules: RoutingRules, lookup: RoutingLookup) {
        self.rules = rules
        self.lookup = lookup
    }

    /// Odoo's loop-detection bounces carry this in their Message-ID.
    static let loopMarker = "-loop-detection-bounce-email@"
    /// Odoo looks only at the last 32 References (long threads carry hundreds).
    static let referenceWindow = 32

    public func route(_ message: RoutingInput, now: Date = Date()) throws -> (route: Route, steps: [RoutingStep]) {
        var steps: [RoutingStep] = []
        func step(_ name: String, _ decided: Bool, _ why: String) {
            steps.append(RoutingStep(name: name, decided: decided, explanation: why))
        }

        // 1. Duplicate.
        for id in [message.messageID] + [message.odooMessageID].compactMap({ $0 }) {
            if let existing = try lookup.routedMessage(messageID: id) {
                let why = "A message with Message-ID \(id) was already routed, so this copy creates nothing."
                step("duplicate", true, why)
                return (Route(kind: .duplicate, model: existing.model, threadID: existing.threadID, reason: why), steps)
            }
        }
        step("duplicate", false, "No message with Message-ID \(message.messageID) was routed before.")

        // 2. Loop headers.
        if let id = (message.references + message.inReplyTo).first(where: { $0.lowercased().contains(Self.loopMarker) }) {
            let why = "It refers to \(id), a loop-detection bounce Odoo sent itself: routing it again would loop."
            step("loop headers", true, why)
            return (Route(kind: .loop, reason: why), steps)
        }
        step("loop headers", false, "No References or In-Reply-To id carries Odoo's loop-detection marker.")

        // 3. Bounce.
        if let why = bounceEvidence(message) {
            step("bounce", true, why)
            let original = message.bouncedMessageID
            let thread = try original.flatMap { try lookup.routedMessage(messageID: $0)?.threadID }
            var route = Route(kind: .bounce, threadID: thread, alias: rules.bounceAlias?.name, reason: why)
            route.bounce = Route.Bounce(recipients: message.bounceRecipients, originalMessageID: original)
            return (try guardLoop(route, message, now: now, steps: &steps), steps)
        }
        step("bounce", false, "Not addressed to the bounce alias, not from MAILER-DAEMON, not a delivery report and no failed delivery in its text.")

        // 4. Reply. Odoo (`message_route`) takes the most recently recorded of the referenced
        // messages (`order='id desc'`), not the last one listed.
        let window = message.references.isEmpty ? message.inReplyTo : Array(message.references.suffix(Self.referenceWindow))
        var replied: (id: String, original: RoutedMessage)?
        if !window.isEmpty, let found = try lookup.newestRoutedMessage(messageIDs: window), found.message.threadID != nil {
            replied = (found.messageID, found.message)
        }
        if let (id, original) = replied {
            let thread = original.threadID!
            // A reply addressed (Delivered-To or To) to an alias of another model is a forward.
            let forwardAliases = matchingAliases(in: message.toList).filter { $0.model != nil && $0.model != original.model }
            if forwardAliases.isEmpty {
                let newest = window.count > 1 ? " (the most recently recorded of the messages it refers to)" : ""
                // An alias of the thread's own model among the recipients still applies its contact
                // policy, checked on the thread's record (Odoo's `_routing_check_route` → `_alias_get_error`).
                if let alias = matchingAliases(in: message.recipients).first(where: { $0.role == .normal && $0.model != nil && $0.model == original.model }),
                   let words = try refusal(alias, sender: message.from?.address, thread: thread) {
                    let why = "It answers \(id)\(newest) in thread \(thread) (\(original.model ?? "no model")) through the alias \(alias.name), which \(words): refused."
                    step("reply", true, why)
                    return (Route(kind: .refused, model: nil, alias: alias.name, bouncedContent: alias.bouncedContent,
                                  reason: why), steps)
                }
                let why = "It answers \(id)\(newest), which belongs to thread \(thread) (\(original.model ?? "no model")), so it is a reply there."
                step("reply", true, why)
                let route = Route(kind: .reply, model: original.model, threadID: original.threadID, reason: why)
                return (try guardLoop(route, message, now: now, steps: &steps), steps)
            }
            let context = "It answers \(id) in thread \(thread), but it is addressed to \(forwardAliases.map(\.address).joined(separator: ", ")), an alias of another model: a forward. "
            return try newRoute(forwardAliases, message, now: now, steps: &steps, step: "reply", via: "the alias", context: context)
        }
        step("reply", false, window.isEmpty
             ? "It has no References or In-Reply-To."
             : "None of the \(window.count) ids it refers to is a routed message.")

        // 5. Catchall only (Odoo's `_detect_write_to_catchall`, strict): every address of `to`
        // (Delivered-To and To) is the catchall.
        let toList = message.toList
        if let catchall = rules.catchallAlias, !toList.isEmpty, toList.allSatisfy({ matches(catchall, $0) }) {
            let why = "Every To and Delivered-To address is the catchall alias \(catchall.address) and it replies to nothing known: Odoo bounces such mail."
            step("catchall", true, why)
            return (Route(kind: .catchall, alias: catchall.name, reason: why), steps)
        }
        step("catchall", false, "Not addressed (To, Delivered-To) to the catchall alias alone.")

        // 6. Alias.
        let recipients = message.recipients
        let aliases = matchingAliases(in: recipients).filter { $0.role == .normal && $0.model != nil }
        if !aliases.isEmpty {
            return try newRoute(aliases, message, now: now, steps: &steps, step: "alias", via: "the alias")
        }
        step("alias", false, recipients.isEmpty
             ? "It has no recipient headers."
             : "No recipient (\(recipients.map(\.address).joined(separator: ", "))) is an alias with a model.")

        // 7. Fallback: the mailbox it came from.
        if let name = message.arrivedVia, let alias = rules.aliases.first(where: { $0.name == name }), alias.model != nil {
            return try newRoute([alias], message, now: now, steps: &steps, step: "fallback",
                                via: "the mailbox it was fetched from,")
        }
        step("fallback", false, message.arrivedVia.map { "The alias \($0) it arrived through has no model." }
             ?? "It did not arrive through an alias mailbox.")

        // 8. Catchall among other unroutable addresses (Odoo's step 4, `_detect_write_to_catchall`
        // with `mail_catchall_write_any_to`): any address of `to` is the catchall → bounced.
        if let catchall = rules.catchallAlias, let hit = toList.first(where: { matches(catchall, $0) }) {
            let others = toList.filter { !matches(catchall, $0) }.map(\.address)
            let why = "It is addressed to the catchall alias \(hit.address) together with \(others.joined(separator: ", ")), none of which routes: Odoo bounces such mail."
            step("catchall (any)", true, why)
            return (Route(kind: .catchall, alias: catchall.name, reason: why), steps)
        }
        step("catchall (any)", false, rules.catchallAlias == nil
             ? "No catchall alias is configured."
             : "No To or Delivered-To address is the catchall alias\(message.cc.isEmpty ? "" : " (Cc does not count)").")

        let why = "No rule claims it: not a reply, not addressed to an alias with a model, and its mailbox has no model."
        step("unrouted", true, why)
        return (Route(kind: .unrouted, reason: why), steps)
    }

    // MARK: - Steps' helpers

    private func bounceEvidence(_ message: RoutingInput) -> String? {
        if let bounce = rules.bounceAlias {
            if let to = message.toList.first(where: { isBounceAddress($0, bounce) }) {
                let delivered = message.deliveredTo.contains(to) ? "delivered" : "addressed"
                return "It is \(delivered) to the bounce alias (\(to.address))."
            }
            if message.arrivedVia == bounce.name {
                return "It arrived in the bounce alias's mailbox (\(bounce.name))."
            }
        }
        if message.from?.local == "mailer-daemon" {
            return "It comes from MAILER-DAEMON."
        }
        if !message.bounceRecipients.isEmpty && !message.isAutoReply {
            return "Its text reports \(message.bounceRecipients.count) failed deliver\(message.bounceRecipients.count == 1 ? "y" : "ies") (a non-standard bounce)."
        }
        if message.contentType == "multipart/report" {
            return "It is a delivery report (multipart/report\(message.reportType.map { "; report-type=\($0)" } ?? ""))."
        }
        return nil
    }

    /// `bounce@domain` or its VERP form `bounce+<mail_id>-<model>-<res_id>@domain`.
    private func isBounceAddress(_ address: MailAddress, _ bounce: AliasRule) -> Bool {
        guard domainMatches(address.domain, bounce) else { return false }
        return address.local == bounce.local || address.local.hasPrefix(bounce.local + "+")
    }

    private func matches(_ alias: AliasRule, _ address: MailAddress) -> Bool {
        address.address == alias.address || (address.local == alias.local && domainMatches(address.domain, alias))
    }

    private func domainMatches(_ domain: String, _ alias: AliasRule) -> Bool {
        domain == alias.domain || alias.allowedDomains.contains(domain)
    }

    /// Aliases matching any of the addresses, each once, in config order.
    private func matchingAliases(in addresses: [MailAddress]) -> [AliasRule] {
        rules.aliases.filter { alias in addresses.contains { matches(alias, $0) } }
    }

    private func newRoute(_ aliases: [AliasRule], _ message: RoutingInput, now: Date,
                          steps: inout [RoutingStep], step stepName: String, via: String,
                          context: String = "") throws -> (route: Route, steps: [RoutingStep]) {
        let sender = message.from?.address
        var admitted: [AliasRule] = []
        var refused: (AliasRule, String)?
        for alias in aliases {
            if let words = try refusal(alias, sender: sender, thread: nil) {
                refused = refused ?? (alias, words)
            } else {
                admitted.append(alias)
            }
        }
        guard let first = admitted.first else {
            let (alias, words) = refused!
            let why = context + "The alias \(alias.name) \(words)."
            step(&steps, stepName, true, why)
            return (Route(kind: .refused, model: nil, alias: alias.name, bouncedContent: alias.bouncedContent, reason: why), steps)
        }
        let targets = admitted.map { Route.Target(model: $0.model!, alias: $0.name, values: $0.values) }
        let why = context + (admitted.count == 1
            ? "It is new mail for \(via) \(first.name), so it creates a \(first.model!) record."
            : "It is new mail for the aliases \(admitted.map(\.name).joined(separator: ", ")), so it creates one record for each.")
        step(&steps, stepName, true, why)
        let route = Route(kind: .new, model: first.model, alias: first.name, targets: targets, reason: why)
        return (try guardLoop(route, message, now: now, steps: &steps), steps)
    }

    /// Why the alias's contact policy (`alias_contact`) refuses the sender, nil when it admits
    /// them. For a reply, `thread` is the record replied to: followers are that record's
    /// (Odoo's `_alias_get_error` on the thread); for new mail, any thread of the alias.
    private func refusal(_ alias: AliasRule, sender: String?, thread: Int64?) throws -> String? {
        switch alias.contact {
        case .everyone:
            return nil
        case .partners:
            if let sender, try lookup.isKnownContact(sender) { return nil }
            return "only accepts mail from known contacts and \(sender ?? "the sender") is not one"
        case .followers:
            if let thread {
                if let sender, try lookup.isFollower(sender, thread: thread) { return nil }
                return "only accepts mail from followers and \(sender ?? "the sender") does not follow thread \(thread)"
            }
            if let sender, try lookup.isFollower(sender, alias: alias.name) { return nil }
            return "only accepts mail from followers and \(sender ?? "the sender") follows none of its threads"
        }
    }

    private func step(_ steps: inout [RoutingStep], _ name: String, _ decided: Bool, _ why: String) {
        steps.append(RoutingStep(name: name, decided: decided, explanation: why))
    }

    /// After a route is chosen: a sender who created or posted `loop_threshold` or more
    /// records/messages in the last `loop_minutes` is looping (an auto-responder war).
    private func guardLoop(_ route: Route, _ message: RoutingInput, now: Date, steps: inout [RoutingStep]) throws -> Route {
        guard route.kind == .new || route.kind == .reply, let sender = message.from?.address,
              !rules.loopAllowed.contains(sender) else { return route }
        let since = now.addingTimeInterval(-Double(rules.loopMinutes) * 60)
        let count = try lookup.messagesFrom(sender, since: since)
        guard count >= rules.loopThreshold else {
            step(&steps, "loop guard", false, "\(sender) sent \(count) messages in the last \(rules.loopMinutes) minutes (limit \(rules.loopThreshold)).")
            return route
        }
        let why = "\(sender) already sent \(count) messages in the last \(rules.loopMinutes) minutes (limit \(rules.loopThreshold)): treated as a mail loop, nothing created."
        step(&steps, "loop guard", true, why)
        return Route(kind: .loop, reason: why)
    }
}
