import MIME
import XCTest
@testable import Routing

/// The judge's last resort (issue 14): words every family uses decide a reason no code and no
/// phrase named, as whole words, in their order, and never over a code that names one.
final class ReasonKeywordsTests: XCTestCase {
    func testAWordDecidesWhereOnlyTheCodesClassSpoke() {
        // X.7.1 alone says "not authorised": securityerror, unless the words say more.
        XCTAssertEqual(BounceClassifier.reason(status: "5.7.1", replyCode: "550", diagnostic: "550 5.7.1 Fix the PTR of your host first"),
                       .requireptr)
        XCTAssertEqual(BounceClassifier.reason(status: "5.7.1", replyCode: "554", diagnostic: "554 5.7.1 Your IP is on our RBL"),
                       .blocked)
        XCTAssertEqual(BounceClassifier.reason(status: "5.7.1", replyCode: "550", diagnostic: "550 5.7.1 Nothing more to say"),
                       .securityerror)
        XCTAssertEqual(BounceClassifier.reason(status: nil, replyCode: "550", diagnostic: "550 Sorry, no MX for that name"),
                       .notaccept)
    }

    func testWholeWordsOnly() {
        XCTAssertEqual(ReasonKeywords.reason(in: "message refused: spam"), .spamdetected)
        XCTAssertNil(ReasonKeywords.reason(in: "message refused: spamming is not tolerated"))
        XCTAssertNil(ReasonKeywords.reason(in: "cryptographic error"), "ptr is not a word in it")
    }

    func testTheFirstRowWins() {
        // Rate words come before block words: the block is what the rate limit did.
        XCTAssertEqual(ReasonKeywords.reason(in: "too many connections from your host, blocked for an hour"), .toomanyconn)
        XCTAssertEqual(ReasonKeywords.reason(in: "blocked: listed in spamhaus"), .blocked)
    }

    func testNarrowerWordsOfTheTradeComeFirst() {
        // The IP's reputation is the verdict, spam what it protects against.
        XCTAssertEqual(ReasonKeywords.reason(in: "the very low reputation of the sending ip. to protect our users from spam"),
                       .badreputation)
        // An open relay is what the sending server is listed as: a block, not a relay refused.
        XCTAssertEqual(ReasonKeywords.reason(in: "no access from mail server which is an open relay"), .blocked)
        XCTAssertEqual(ReasonKeywords.reason(in: "relaying denied"), .norelaying)
        XCTAssertEqual(BounceClassifier.reason(status: nil, replyCode: "550", diagnostic: "550 Unroutable sender address"), .rejected)
    }

    func testABlocklistNamesTheReasonOverAnAddressStatus() {
        // A listing is of the sending IP: an address status beside it was the server's shorthand.
        XCTAssertEqual(BounceClassifier.reason(status: "5.1.3", replyCode: "553", diagnostic: "553 5.1.3 http://www.example.org/lookup?dnsbl=1&ip=192.0.2.1"),
                       .blocked)
        XCTAssertEqual(BounceClassifier.reason(status: "5.1.3", replyCode: "553", diagnostic: "553 5.1.3 Bad recipient address syntax"),
                       .userunknown)
        XCTAssertFalse(ReasonKeywords.scan("550 5.7.1 your message looked like spam").namesABlocklist)
    }

    func testA451IsALocalErrorInProcessing() {
        // RFC 5321 4.2.3: 451 "Requested action aborted: local error in processing".
        XCTAssertEqual(BounceClassifier.reason(status: "4.0.0", replyCode: "451", diagnostic: "451 Could not load the routing table"),
                       .systemerror)
    }

    func testACodeThatNamesAReasonWins() {
        XCTAssertEqual(BounceClassifier.reason(status: "5.2.2", replyCode: "552", diagnostic: "552 5.2.2 relay says no"),
                       .mailboxfull)
        XCTAssertEqual(BounceClassifier.reason(status: "5.1.1", replyCode: "550", diagnostic: "550 5.1.1 gone, spam or not"),
                       .userunknown)
    }

    func testNoPermissionToSendInTheLanguagesNoticesComeIn() {
        // Exchange's RESOLVER.RST.NotAuthorized and a list's refusal: the sender may not send there.
        XCTAssertEqual(BounceClassifier.reason(status: "5.7.1", replyCode: "550", diagnostic: "550 5.7.1 RESOLVER.RST.NotAuthorized; not authorized"),
                       .rejected)
        XCTAssertEqual(ReasonKeywords.reason(in: "you do not have permission to post to this list"), .rejected)
        // Unspaced scripts: the word inside a sentence, with no spaces around it.
        XCTAssertEqual(ReasonKeywords.reason(in: "您没有在此群组发帖的权限。"), .rejected)
        XCTAssertEqual(ReasonKeywords.reason(in: "グループにメッセージを投稿する権限がない可能性があります"), .rejected)
        XCTAssertEqual(ReasonKeywords.reason(in: "у вас нет прав на отправку сообщений в эту группу"), .rejected)
        XCTAssertEqual(ReasonKeywords.reason(in: "sie haben nicht die erforderlichen berechtigungen"), .rejected)
        // A local delivery agent's file mode is no refusal of the sender.
        XCTAssertNil(ReasonKeywords.reason(in: "maildrop: permission denied"))
        XCTAssertNil(ReasonKeywords.reason(in: "550 5.0.0 insufficient permission"))
    }

    func testALocalisedNoticeWithNoCodeIsReadFromItsProse() throws {
        // A list server of no known family refuses a post in Russian: no code, no delivery-status
        // part, the failed recipient in X-Failed-Recipients.
        let raw = """
            From: Mail Delivery Subsystem <mailer-daemon@lists.example.net>
            To: sender@example.org
            Subject: Delivery Status Notification (Failure)
            X-Failed-Recipients: team@lists.example.net
            Auto-Submitted: auto-replied
            Content-Type: text/plain; charset=utf-8

            Здравствуйте!

            Группа team@lists.example.net не приняла ваше сообщение: у вас нет прав на публикацию в ней.

            ----- Original message -----

            From: sender@example.org
            To: team@lists.example.net
            Subject: hello

            hello
            """
        let m = MIMEParser().parse(Array(raw.replacingOccurrences(of: "\n", with: "\r\n").utf8))
        let r = try XCTUnwrap(BounceClassifier.classify(m)?.recipients.first)
        XCTAssertEqual(r.address, "team@lists.example.net")
        XCTAssertEqual(r.reason, "rejected")
        XCTAssertEqual(r.status, "5.0.918")
        XCTAssertEqual(r.hard, false)
    }
}
