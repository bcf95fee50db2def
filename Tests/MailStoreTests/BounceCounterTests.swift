import Foundation
@testable import MailStore
import XCTest

/// The contact's bounce counter: a hard bounce counts at once, a soft one only when the
/// address soft-bounced before; vacation and feedback never count.
final class BounceCounterTests: TemporaryDirectoryTestCase {
    var store: Store!
    var n = 0

    override func setUpWithError() throws {
        try super.setUpWithError()
        store = try Store(path: directory + "/mailgate.sqlite")
        // The contact exists because it wrote to us once.
        try record(kind: "new", author: "bob@shop.test", bounces: [])
    }

    func record(kind: String, author: String?, bounces: [BounceRow], counts: Bool = true) throws {
        n += 1
        let message = MessageRecord(seenID: nil, messageID: "<m\(n)@test>", author: author, authorName: nil,
                                    recipients: [], date: nil, subject: nil, text: nil, html: nil,
                                    rawSHA256: key(n), arrivedVia: "bounce")
        let route = RouteRecord(kind: kind, alias: "bounce", reason: "test", bounces: bounces, countsAgainstContacts: counts)
        _ = try store.recordsTransaction("test") { try $0.recordRouting(message, route) }
    }

    func bounce(_ reason: String, hard: Bool?) -> BounceRow {
        BounceRow(recipient: "Bob@Shop.test", status: nil, replyCode: nil, diagnostic: nil, reason: reason, hard: hard,
                  originalMessageID: nil)
    }

    var count: Int { (try? store.contact("bob@shop.test"))??.bounceCount ?? -1 }

    func testHardBounceCountsAtOnce() throws {
        try record(kind: "bounce", author: "mailer-daemon@mx.test", bounces: [bounce("userunknown", hard: true)])
        XCTAssertEqual(count, 1)
    }

    func testSoftBounceCountsOnlyWhenRepeated() throws {
        try record(kind: "bounce", author: nil, bounces: [bounce("mailboxfull", hard: false)])
        XCTAssertEqual(count, 0, "one full mailbox is no reason to stop writing")
        try record(kind: "bounce", author: nil, bounces: [bounce("expired", hard: false)])
        XCTAssertEqual(count, 1, "the address soft-bounced before")
        try record(kind: "bounce", author: nil, bounces: [bounce("mailboxfull", hard: nil)])
        XCTAssertEqual(count, 2)
    }

    func testVacationAndFeedbackNeverCount() throws {
        try record(kind: "bounce", author: nil, bounces: [bounce("vacation", hard: false)], counts: false)
        try record(kind: "bounce", author: nil, bounces: [bounce("feedback", hard: false)], counts: false)
        XCTAssertEqual(count, 0)
        // Nor do they make a later soft bounce a repeated one.
        try record(kind: "bounce", author: nil, bounces: [bounce("mailboxfull", hard: false)])
        XCTAssertEqual(count, 0)
    }
}
