import Foundation
import Routing
import XCTest

/// One test per step of the routing order, each with a message only that step can decide,
/// and the orderings between steps.
final class RouterTests: XCTestCase {
    final class Memory: RoutingLookup {
        var routed: [String: RoutedMessage] = [:]
        var contacts: Set<String> = []
        var followers: [String: Set<String>] = [:]
        var recent: [String: Int] = [:]
        /// Thread followers by thread id.
        var threadFollowers: [Int64: Set<String>] = [:]
        /// The order messages were recorded in (row ids); unlisted ones are older than any listed.
        var recorded: [String] = []
        func routedMessage(messageID: String) -> RoutedMessage? { routed[messageID] }
        func newestRoutedMessage(messageIDs: [String]) -> (messageID: String, message: RoutedMessage)? {
            let known = messageIDs.filter { routed[$0]?.threadID != nil }
            let newest = known.max { (recorded.firstIndex(of: $0) ?? -1) < (recorded.firstIndex(of: $1) ?? -1) }
            return newest.map { ($0, routed[$0]!) }
        }
        func isFollower(_ address: String, thread: Int64) -> Bool { threadFollowers[thread]?.contains(address) ?? false }
        func isKnownContact(_ address: String) -> Bool { contacts.contains(address) }
        func isFollower(_ address: String, alias: String) -> Bool { followers[alias]?.contains(address) ?? false }
        func messagesFrom(_ address: String, since: Date) -> Int { recent[address] ?? 0 }
    }

    let memory = Memory()
    var rules = RoutingRules(aliases: [
        AliasRule(name: "catchall", address: "catchall@acme.test", role: .catchall),
        AliasRule(name: "bounce", address: "bounce@acme.test", role: .bounce),
        AliasRule(name: "sales", address: "sales@acme.test", model: "crm.lead", values: ["team_id": "1"]),
        AliasRule(name: "jobs", address: "jobs@acme.test", model: "hr.applicant"),
        AliasRule(name: "support", address: "help@support.test", model: "helpdesk.ticket"),
        AliasRule(name: "vip", address: "vip@acme.test", model: "crm.lead", contact: .partners,
                  bouncedContent: "Only customers may write here."),
    ], domain: "acme.test")

    func route(_ m: RoutingInput) -> Route { try! Router(rules: rules, lookup: memory).route(m).route }

    func message(_ id: String = "<m1@x.test>", from: String = "li@customer.test", to: [String] = [],
                 cc: [String] = [], references: [String] = []) -> RoutingInput {
        var m = RoutingInput(messageID: id)
        m.from = MailAddress(from)
        m.to = to.compactMap(MailAddress.init)
        m.cc = cc.compactMap(MailAddress.init)
        m.references = references
        return m
    }

    override func setUp() {
        memory.routed["<lead@x.test>"] = RoutedMessage(threadID: 7, model: "crm.lead")
    }

    func testDuplicate() {
        let r = route(message("<lead@x.test>", to: ["sales@acme.test"]))
        XCTAssertEqual(r.kind, .duplicate)
        XCTAssertEqual(r.threadID, 7)
    }

    func testOdooMessageIDAlsoCountsAsDuplicate() {
        var m = message("<fresh@x.test>", to: ["sales@acme.test"])
        m.odooMessageID = "<lead@x.test>"
        XCTAssertEqual(route(m).kind, .duplicate)
    }

    func testLoopHeaders() {
        let r = route(message(to: ["sales@acme.test"], references: ["<123-loop-detection-bounce-email@acme.test>"]))
        XCTAssertEqual(r.kind, .loop)
    }

    func testBounceByAddressVERPSenderAndContentType() {
        XCTAssertEqual(route(message(to: ["bounce@acme.test"])).kind, .bounce)
        XCTAssertEqual(route(message(to: ["bounce+42-crm.lead-7@acme.test"])).kind, .bounce)
        XCTAssertEqual(route(message(from: "MAILER-DAEMON@mx.test", to: ["someone@acme.test"])).kind, .bounce)
        var report = message(to: ["someone@else.test"])
        report.contentType = "multipart/report"
        XCTAssertEqual(route(report).kind, .bounce)
        var fetched = message(to: ["someone@else.test"])
        fetched.arrivedVia = "bounce"
        XCTAssertEqual(route(fetched).kind, .bounce)
    }

    func testABounceRecognisedByItsTextIsABounceWhateverItsAddress() {
        var m = message(from: "post_master@mx.test", to: ["someone@else.test"])
        m.bounceRecipients = [BounceRecipient(address: "gone@customer.test", status: "5.1.1")]
        XCTAssertEqual(route(m).kind, .bounce)
        m.isAutoReply = true
        XCTAssertNotEqual(route(m).kind, .bounce, "a vacation notice is not a failed delivery")
    }

    func testBounceThatAlsoReferencesAThreadIsABounceOnThatThread() {
        var m = message(to: ["bounce@acme.test"], references: ["<lead@x.test>"])
        m.bouncedMessageID = "<lead@x.test>"
        m.bounceRecipients = [BounceRecipient(address: "gone@customer.test", status: "5.1.1")]
        let r = route(m)
        XCTAssertEqual(r.kind, .bounce)
        XCTAssertEqual(r.threadID, 7)
        XCTAssertEqual(r.bounce?.recipients.first?.address, "gone@customer.test")
        XCTAssertEqual(r.bounce?.originalMessageID, "<lead@x.test>")
    }

    func testReply() {
        let r = route(message(to: ["catchall@acme.test"], references: ["<other@x.test>", "<lead@x.test>"]))
        XCTAssertEqual(r.kind, .reply)
        XCTAssertEqual(r.threadID, 7)
        XCTAssertEqual(r.model, "crm.lead")
    }

    func testReplyOnlyLooksAtTheLast32References() {
        let refs = ["<lead@x.test>"] + (0..<32).map { "<filler\($0)@x.test>" }
        XCTAssertNotEqual(route(message(to: ["nobody@else.test"], references: refs)).kind, .reply)
    }

    func testReplyAddressedToAnotherModelsAliasIsAForward() {
        let (r, steps) = try! Router(rules: rules, lookup: memory).route(message(to: ["jobs@acme.test"], references: ["<lead@x.test>"]))
        XCTAssertEqual(r.kind, .new)
        XCTAssertEqual(r.model, "hr.applicant")
        XCTAssertEqual(steps.filter(\.decided).map(\.name), ["reply"], "the reply step decides it is a forward")
        XCTAssertTrue(steps.first { $0.decided }!.explanation.contains("forward"))
    }

    func testReplyToSameModelsAliasStaysAReply() {
        XCTAssertEqual(route(message(to: ["sales@acme.test"], references: ["<lead@x.test>"])).kind, .reply)
    }

    func testCatchallOnly() {
        let r = route(message(to: ["catchall@acme.test"]))
        XCTAssertEqual(r.kind, .catchall)
        XCTAssertEqual(r.alias, "catchall")
    }

    func testCatchallWithMatchingReferencesIsAReply() {
        XCTAssertEqual(route(message(to: ["catchall@acme.test"], references: ["<lead@x.test>"])).kind, .reply)
    }

    func testCatchallToWithSalesCcIsCatchall() {
        XCTAssertEqual(route(message(to: ["catchall@acme.test"], cc: ["sales@acme.test"])).kind, .catchall)
    }

    func testAliasByAddressAndLocalPartCaseInsensitively() {
        let r = route(message(to: ["Sales@ACME.test"]))
        XCTAssertEqual(r.kind, .new)
        XCTAssertEqual(r.targets, [Route.Target(model: "crm.lead", alias: "sales", values: ["team_id": "1"])])
        var delivered = message(to: ["someone@else.test"])
        delivered.deliveredTo = [MailAddress("jobs@acme.test")!]
        XCTAssertEqual(route(delivered).model, "hr.applicant")
    }

    func testAliasOnAForeignDomainMatchesItsFullAddressOnly() {
        XCTAssertEqual(route(message(to: ["help@support.test"])).model, "helpdesk.ticket")
        XCTAssertEqual(route(message(to: ["help@acme.test"])).kind, .unrouted)
        XCTAssertEqual(route(message(to: ["sales@other.test"])).kind, .unrouted)
    }

    func testAllowedDomainsMatchByLocalPart() {
        rules.aliases[2].allowedDomains = ["acme-sales.test"]
        XCTAssertEqual(route(message(to: ["sales@acme-sales.test"])).model, "crm.lead")
    }

    func testTwoMatchingAliasesEachGetARecord() {
        let r = route(message(to: ["sales@acme.test"], cc: ["jobs@acme.test"]))
        XCTAssertEqual(r.kind, .new)
        XCTAssertEqual(r.targets.map(\.model), ["crm.lead", "hr.applicant"])
    }

    func testContactPolicyRefusesUnknownSenders() {
        let refused = route(message(to: ["vip@acme.test"]))
        XCTAssertEqual(refused.kind, .refused)
        XCTAssertEqual(refused.bouncedContent, "Only customers may write here.")
        memory.contacts.insert("li@customer.test")
        XCTAssertEqual(route(message(to: ["vip@acme.test"])).kind, .new)
    }

    func testFallbackToTheMailboxsModel() {
        var m = message(to: ["someone@else.test"])
        m.arrivedVia = "jobs"
        let r = route(m)
        XCTAssertEqual(r.kind, .new)
        XCTAssertEqual(r.model, "hr.applicant")
    }

    func testUnrouted() {
        var m = message(to: ["someone@else.test"])
        m.arrivedVia = "catchall"
        XCTAssertEqual(route(m).kind, .unrouted)
    }

    func testSenderOverTheLoopThresholdIsALoop() {
        memory.recent["li@customer.test"] = 20
        XCTAssertEqual(route(message(to: ["sales@acme.test"])).kind, .loop)
        rules.loopAllowed = ["li@customer.test"]
        XCTAssertEqual(route(message(to: ["sales@acme.test"])).kind, .new)
    }

    func testExplainSaysWhyEachStepDidOrDidNotDecide() {
        let (r, steps) = try! Router(rules: rules, lookup: memory).route(message(to: ["sales@acme.test"]))
        XCTAssertEqual(r.kind, .new)
        XCTAssertEqual(steps.map(\.name), ["duplicate", "loop headers", "bounce", "reply", "catchall", "alias", "loop guard"])
        XCTAssertEqual(steps.filter(\.decided).map(\.name), ["alias"])
        XCTAssertTrue(steps.allSatisfy { !$0.explanation.isEmpty })
    }

    // MARK: - Odoo's two recipient lists (issue 14)

    // Case 16 (odoo/odoo#140113): Odoo's message_route step "4. Recipients contain catchall and
    // unroutable emails -> bounce", `_detect_write_to_catchall` with `mail_catchall_write_any_to`.
    func testCatchallWithAnUnknownLocalAddressIsTheCatchallRefusal() {
        var m = message("<case-16@stranger.example.test>", from: "sam@stranger.example.test",
                        to: ["catchall@acme.test", "nobody@acme.test"])
        m.arrivedVia = "catchall"
        let (r, steps) = try! Router(rules: rules, lookup: memory).route(m)
        XCTAssertEqual(r.kind, .catchall)
        XCTAssertEqual(r.alias, "catchall")
        XCTAssertEqual(steps.filter(\.decided).map(\.name), ["catchall (any)"], "explain names the rule that decided")
        XCTAssertEqual(steps.map(\.name), ["duplicate", "loop headers", "bounce", "reply", "catchall", "alias", "fallback",
                                          "catchall (any)"])
        XCTAssertTrue(steps.last!.explanation.contains("nobody@acme.test"))
        // The control of case 16: the catchall alone is the strict rule (step 5).
        var control = message("<case-16-control@stranger.example.test>", to: ["catchall@acme.test"])
        control.arrivedVia = "catchall"
        let (c, cSteps) = try! Router(rules: rules, lookup: memory).route(control)
        XCTAssertEqual(c.kind, .catchall)
        XCTAssertEqual(cSteps.filter(\.decided).map(\.name), ["catchall"])
    }

    // Odoo's `_detect_write_to_catchall(match_any=True)` reads `to`: a foreign domain beside the
    // catchall changes nothing (test_mail_gateway.py, test_message_route_write_to_catchall_other_recipients_*).
    func testCatchallWithAForeignAddressIsTheCatchallRefusal() {
        XCTAssertEqual(route(message(to: ["catchall@acme.test", "someone@else.test"])).kind, .catchall)
    }

    // `_detect_write_to_catchall` reads Odoo's `to` (Delivered-To + To), never Cc.
    func testCatchallOnlyInCcIsUnrouted() {
        let (r, steps) = try! Router(rules: rules, lookup: memory).route(message(to: ["nobody@acme.test"], cc: ["catchall@acme.test"]))
        XCTAssertEqual(r.kind, .unrouted)
        XCTAssertTrue(steps.first { $0.name == "catchall (any)" }!.explanation.contains("Cc does not count"))
    }

    // An alias still wins over the any-catchall rule (message_route step 2 comes before step 4).
    func testCatchallBesideAnAliasIsNewMailForTheAlias() {
        XCTAssertEqual(route(message(to: ["catchall@acme.test", "sales@acme.test"])).model, "crm.lead")
    }

    // `_detect_is_bounce` reads `to`, which message_parse builds from Delivered-To and To:
    // mail delivered to bounce@ is a bounce whatever its To says.
    func testDeliveredToTheBounceAliasIsABounce() {
        var m = message(to: ["sales@acme.test"])
        m.deliveredTo = [MailAddress("bounce@acme.test")!]
        let (r, steps) = try! Router(rules: rules, lookup: memory).route(m)
        XCTAssertEqual(r.kind, .bounce)
        XCTAssertTrue(steps.first { $0.decided }!.explanation.contains("delivered to the bounce alias"))
    }

    // message_route: `_detect_write_to_catchall` (strict, all of `to`) sees the alias it was
    // delivered for, so To catchall@ + Delivered-To sales@ is new mail for sales.
    func testToTheCatchallButDeliveredForAnAliasIsNewMailForThatAlias() {
        var m = message(to: ["catchall@acme.test"])
        m.deliveredTo = [MailAddress("sales@acme.test")!]
        let r = route(m)
        XCTAssertEqual(r.kind, .new)
        XCTAssertEqual(r.model, "crm.lead")
    }

    // message_route: `search([('message_id', 'in', msg_references)], limit=1, order='id desc')`:
    // of several known threads the most recently recorded message wins, not the last listed.
    func testTheNewestReferencedMessageWins() {
        memory.routed["<job@x.test>"] = RoutedMessage(threadID: 9, model: "hr.applicant")
        memory.recorded = ["<lead@x.test>", "<job@x.test>"]   // the job message was recorded last
        var (r, steps) = try! Router(rules: rules, lookup: memory)
            .route(message(to: ["nobody@else.test"], references: ["<job@x.test>", "<lead@x.test>"]))
        XCTAssertEqual(r.kind, .reply)
        XCTAssertEqual(r.threadID, 9)
        XCTAssertTrue(steps.first { $0.decided }!.explanation.contains("most recently recorded"))
        memory.recorded = ["<job@x.test>", "<lead@x.test>"]
        (r, steps) = try! Router(rules: rules, lookup: memory)
            .route(message(to: ["nobody@else.test"], references: ["<lead@x.test>", "<job@x.test>"]))
        XCTAssertEqual(r.threadID, 7)
    }

    // message_route "1. Handle reply … if destination = alias with same model -> check contact
    // settings as they still apply": `_routing_check_route` calls `_alias_get_error` on the
    // replied record (test_mail_gateway.py, test_message_process_alias_followers / _partners).
    func testAReplyThroughAFollowersAliasNeedsTheSenderToFollowTheRecord() {
        rules.aliases.append(AliasRule(name: "club", address: "club@acme.test", model: "crm.lead", contact: .followers,
                                       bouncedContent: "Followers only."))
        let reply = message(to: ["club@acme.test"], references: ["<lead@x.test>"])
        let (r, steps) = try! Router(rules: rules, lookup: memory).route(reply)
        XCTAssertEqual(r.kind, .refused)
        XCTAssertEqual(r.alias, "club")
        XCTAssertEqual(r.bouncedContent, "Followers only.")
        XCTAssertEqual(steps.filter(\.decided).map(\.name), ["reply"])
        XCTAssertTrue(steps.last!.explanation.contains("does not follow thread 7"))
        // Following another thread of the alias is not enough: the replied record decides.
        memory.followers["club"] = ["li@customer.test"]
        XCTAssertEqual(route(reply).kind, .refused)
        memory.threadFollowers[7] = ["li@customer.test"]
        XCTAssertEqual(route(reply).kind, .reply)
    }

    func testAReplyThroughAPartnersAliasNeedsAKnownPartner() {
        let reply = message(to: ["vip@acme.test"], references: ["<lead@x.test>"])
        XCTAssertEqual(route(reply).kind, .refused)
        memory.contacts.insert("li@customer.test")
        XCTAssertEqual(route(reply).kind, .reply)
    }

    // Odoo's `_alias_get_error` is only asked for an alias of the thread's model among the
    // recipients: a plain reply to the catchall needs no policy.
    func testAReplyWithoutAnAliasOfItsModelNeedsNoPolicy() {
        XCTAssertEqual(route(message(to: ["catchall@acme.test"], references: ["<lead@x.test>"])).kind, .reply)
    }
}
