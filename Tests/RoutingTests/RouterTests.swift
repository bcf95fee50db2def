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
        func routedMessage(messageID: String) -> RoutedMessage? { routed[messageID] }
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
}
