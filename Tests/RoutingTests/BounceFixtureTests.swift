import Foundation
import MIME
@testable import Routing
import XCTest

/// One hand-written bounce per recognised family (Tests/Fixtures/bounces), modelled on the
/// format, with every field the classifier reports.
final class BounceFixtureTests: XCTestCase {
    struct Want {
        let address: String
        let status: String
        let replyCode: String
        let reason: String
        let hard: Bool
    }

    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/bounces")

    func report(_ name: String) throws -> BounceReport {
        let bytes = try [UInt8](Data(contentsOf: Self.fixtures.appendingPathComponent(name)))
        return try XCTUnwrap(BounceClassifier.classify(MIMEParser().parse(bytes)), "\(name) is read as a report")
    }

    func check(_ name: String, _ wants: [Want], kind: BounceReport.Kind = .failure, original: String? = nil,
               file: StaticString = #filePath, line: UInt = #line) throws {
        let r = try report(name)
        XCTAssertEqual(r.kind, kind, "\(name) kind", file: file, line: line)
        XCTAssertEqual(r.recipients.count, wants.count, "\(name) recipients: \(r.recipients)", file: file, line: line)
        for (got, want) in zip(r.recipients, wants) {
            XCTAssertEqual(got.address, want.address, name, file: file, line: line)
            XCTAssertEqual(got.status, want.status, "\(name) \(want.address) status", file: file, line: line)
            XCTAssertEqual(got.replyCode ?? "", want.replyCode, "\(name) \(want.address) reply code", file: file, line: line)
            XCTAssertEqual(got.reason, want.reason, "\(name) \(want.address) reason; \(got.diagnostic ?? "")",
                           file: file, line: line)
            XCTAssertEqual(got.hard, want.hard, "\(name) \(want.address) hard", file: file, line: line)
        }
        if let original { XCTAssertEqual(r.originalMessageID, original, "\(name) original", file: file, line: line) }
    }

    func testQmailListsEachRecipientWithItsOwnAnswer() throws {
        try check("qmail.eml", [Want(address: "nobody@shop.test", status: "5.1.1", replyCode: "550", reason: "userunknown", hard: true),
                                Want(address: "full@shop.test", status: "5.2.2", replyCode: "552", reason: "mailboxfull", hard: false)],
                  original: "<quote-42@sender.test>")
        let r = try report("qmail.eml")
        XCTAssertEqual(r.format, "qmail")
        XCTAssertEqual(r.originalSubject, "Quote 42")
        XCTAssertEqual(r.originalSender, "alice@sender.test")
        XCTAssertTrue(r.recipients[0].diagnostic?.contains("User unknown") == true, r.recipients[0].diagnostic ?? "")
    }

    func testEximUnrouteableAddressIsAnUnknownHost() throws {
        try check("exim.eml", [Want(address: "gone@nowhere.test", status: "5.0.912", replyCode: "", reason: "hostunknown", hard: true)],
                  original: "<invoice-7@sender.test>")
    }

    // Exim's "retry timeout exceeded" gives up on a recipient that kept failing temporarily: the
    // implied status is temporary (4.0.947), as sisimai reports lhost-exim-08 and lhost-mailru-10.
    func testEximRetryTimeoutIsExpired() throws {
        try check("exim-expired.eml", [Want(address: "slow@far.test", status: "4.0.947", replyCode: "", reason: "expired", hard: false)])
    }

    func testEximDMARCRefusalAfterDataIsAnAuthenticationFailure() throws {
        try check("exim-dmarc.eml", [Want(address: "leo@strict.test", status: "5.7.26", replyCode: "550", reason: "authfailure", hard: false)])
    }

    func testSendmailTranscript() throws {
        try check("sendmail.eml", [Want(address: "ghost@shop.test", status: "5.1.1", replyCode: "550", reason: "userunknown", hard: true)],
                  original: "<hello-3@sender.test>")
    }

    func testPostfixDSNBlockedByABlocklist() throws {
        try check("postfix-dsn.eml", [Want(address: "bob@shop.test", status: "5.7.1", replyCode: "550", reason: "blocked", hard: false)],
                  original: "<offer-9@sender.test>")
        XCTAssertEqual(try report("postfix-dsn.eml").recipients.first?.remoteMTA, "mx.shop.test")
        XCTAssertEqual(try report("postfix-dsn.eml").recipients.first?.action, "failed")
    }

    func testOffice365RecipientNotFound() throws {
        try check("office365.eml", [Want(address: "carol@contoso.test", status: "5.1.10", replyCode: "550", reason: "userunknown", hard: true)],
                  original: "<meeting-1@sender.test>")
    }

    func testGmailDomainNotFound() throws {
        try check("gmail.eml", [Want(address: "dave@nodomain.test", status: "5.0.912", replyCode: "", reason: "hostunknown", hard: true)],
                  original: "<hi-dave@sender.test>")
    }

    func testYahooUserWithoutAccount() throws {
        try check("yahoo.eml", [Want(address: "erin@yahoo.com", status: "5.0.911", replyCode: "554", reason: "userunknown", hard: true)])
    }

    func testAmazonSESNotification() throws {
        try check("amazonses.eml", [Want(address: "frank@shop.test", status: "5.1.1", replyCode: "550", reason: "userunknown", hard: true)],
                  original: "<0100abc>")
        XCTAssertEqual(try report("amazonses.eml").originalSubject, "Newsletter")
        XCTAssertEqual(try report("amazonses.eml").originalSender, "alice@sender.test")
    }

    func testCourierMailboxFull() throws {
        try check("courier.eml", [Want(address: "grace@full.test", status: "5.2.2", replyCode: "552", reason: "mailboxfull", hard: false)])
    }

    func testDominoUserNotListed() throws {
        try check("domino.eml", [Want(address: "henry@acme.test", status: "5.0.911", replyCode: "", reason: "userunknown", hard: true)])
    }

    func testOpenSMTPDEnvelopeExpired() throws {
        try check("opensmtpd.eml", [Want(address: "ivan@late.test", status: "5.0.947", replyCode: "", reason: "expired", hard: false)],
                  original: "<reminder-1@sender.test>")
    }

    func testFeedbackReportIsNoFailure() throws {
        try check("arf.eml", [Want(address: "judy@mailbox.test", status: "", replyCode: "", reason: "feedback", hard: false)],
                  kind: .feedback, original: "<sale-1@sender.test>")
    }

    func testAutoReplyIsVacation() throws {
        try check("vacation.eml", [Want(address: "kim@customer.test", status: "", replyCode: "", reason: "vacation", hard: false)],
                  kind: .autoReply)
    }

    func testOrdinaryMailIsNoReport() {
        let m = MIMEParser().parse(Array("From: a@b.test\r\nTo: c@d.test\r\nSubject: Hello\r\n\r\nHi, user unknown to me.\r\n".utf8))
        XCTAssertNil(BounceClassifier.classify(m))
        // A no-reply notification naming an address is no bounce either.
        let notice = MIMEParser().parse(Array(("From: Shop <noreply@shop.test>\r\nTo: c@d.test\r\nSubject: Your order\r\n\r\n"
            + "Questions? Write to support@shop.test, we answer within 2 days.\r\n").utf8))
        XCTAssertNil(BounceClassifier.classify(notice))
        // Nor is a customer's mail whose subject happens to sound like one.
        let reply = MIMEParser().parse(Array(("From: Kim <kim@customer.test>\r\nTo: sales@acme.test\r\n"
            + "Subject: Re: quote rejected\r\n\r\nPlease ask bob@customer.test, the user unknown to you.\r\n").utf8))
        XCTAssertNil(BounceClassifier.classify(reply))
    }

    func testReasonFromStatusCodeAndTextTogether() {
        // A generic status with words that say more.
        XCTAssertEqual(BounceClassifier.reason(status: "5.0.0", replyCode: "550", diagnostic: "550 User unknown",
                                               command: "RCPT"), .userunknown)
        // The same words after DATA are a content filter, not a missing mailbox.
        XCTAssertEqual(BounceClassifier.reason(status: "5.0.0", replyCode: "550", diagnostic: "550 User unknown",
                                               command: "DATA"), .filtered)
        XCTAssertEqual(BounceClassifier.reason(status: "4.2.2", replyCode: "452", diagnostic: nil), .mailboxfull)
        XCTAssertEqual(BounceClassifier.reason(status: "5.0.0", replyCode: "554",
                                               diagnostic: "554 Message size exceeds fixed limit"), .mesgtoobig)
        XCTAssertEqual(BounceClassifier.reason(status: nil, replyCode: nil, diagnostic: nil), .undefined)
        XCTAssertEqual(BounceClassifier.reason(status: "4.4.7", replyCode: nil, diagnostic: nil, action: "delayed"), .expired)
    }

    func testUnableToRouteYieldsToADomainThatTakesNoMail() {
        // X.4.4 only says no route was found; the words say the domain has no MX.
        XCTAssertEqual(BounceClassifier.reason(status: "5.4.4", replyCode: nil,
                                               diagnostic: "Sorry, I couldn't find a mail exchanger or IP address. (#5.4.4)"),
                       .notaccept)
        // X.1.2 is a host that does not exist, whatever else the text says.
        XCTAssertEqual(BounceClassifier.reason(status: "5.1.2", replyCode: "550",
                                               diagnostic: "550 5.1.2 Host unknown (Name server: .: host not found)"),
                       .hostunknown)
        // A null MX is named inside the DNS error that found it.
        XCTAssertEqual(BounceClassifier.reason(status: "4.0.0", replyCode: nil,
                                               diagnostic: "DNS Error: DNS type 'mx' lookup of example.org responded with code "
                                                   + "NOERROR The domain example.org doesn't receive email: returned Null MX"),
                       .notaccept)
    }

    func testADirectoryMissIsAnUnknownUserWhateverTheCommand() {
        // The reporting system's own directory did not know the recipient: no content filter.
        XCTAssertEqual(BounceClassifier.reason(status: nil, replyCode: nil,
                                               diagnostic: "User some.name (a@example.test) not listed in Example Directory"),
                       .userunknown)
        XCTAssertEqual(BounceClassifier.reason(status: "5.0.0", replyCode: nil, diagnostic: "The recipient name is not recognized",
                                               command: "DATA"),
                       .userunknown)
        // Plain "user unknown" with no command named stays a filter's words.
        XCTAssertEqual(BounceClassifier.reason(status: nil, replyCode: nil, diagnostic: "[User unknown]"), .filtered)
        // A status that names another reason is the server's verdict.
        XCTAssertEqual(BounceClassifier.reason(status: "5.2.2", replyCode: "552",
                                               diagnostic: "552 5.2.2 mailbox full; not listed in the directory of quotas"),
                       .mailboxfull)
    }

    func testAMailboxProviderSaysNoSuchUserAfterData() throws {
        let text = """
            From: MAILER-DAEMON@mx.acme.test
            To: bounce@acme.test
            Subject: Undelivered Mail Returned to Sender
            MIME-Version: 1.0
            Content-Type: multipart/report; report-type=delivery-status; boundary="b"
            
            --b
            Content-Type: text/plain
            
            <gone@yahoo.com>: host mta5.am0.yahoodns.net[192.0.2.5] said: 554 delivery error: dd This user
                doesn't have a yahoo.com account (gone@yahoo.com) [0] (in reply to end of DATA command)
            --b
            Content-Type: message/delivery-status
            
            Reporting-MTA: dns; mx.acme.test
            
            Final-Recipient: rfc822; gone@yahoo.com
            Action: failed
            Status: 5.0.0
            Diagnostic-Code: smtp; 554 delivery error: dd This user doesn't have a yahoo.com account (gone@yahoo.com) [0]
            --b--

            """
        let r = try XCTUnwrap(BounceClassifier.classify(MIMEParser().parse(Array(text.utf8))))
        XCTAssertEqual(r.recipients.map(\.reason), ["userunknown"])
        // Any other server's same words after DATA are a content filter.
        let other = text.replacingOccurrences(of: "yahoo.com", with: "example.org")
            .replacingOccurrences(of: "yahoodns.net", with: "example.net")
        let o = try XCTUnwrap(BounceClassifier.classify(MIMEParser().parse(Array(other.utf8))))
        XCTAssertEqual(o.recipients.map(\.reason), ["filtered"])
    }

    func testAGatewayThatSaysNothingPassesOnTheAttachedReportsReason() throws {
        let text = """
            From: postmaster@gw.example.test
            To: bounce@acme.test
            Subject: Mail could not be delivered
            MIME-Version: 1.0
            Content-Type: multipart/mixed; boundary="g"
            
            --g
            Content-Type: text/plain
            
            The following mail could not be delivered.
            Reason:  Unable to deliver message to <gone@example.test>.
            --g
            Content-Type: message/rfc822
            
            From: sales@acme.test
            To: gone@example.test
            Subject: order
            
            ----- The following addresses had permanent fatal errors -----
            <gone@example.test>
            
            ----- Transcript of session follows -----
            >>> RCPT To:<gone@example.test>
            <<< 550 5.1.1 <gone@example.test>... Invalid recipient
            --g--

            """
        let r = try XCTUnwrap(BounceClassifier.classify(MIMEParser().parse(Array(text.utf8))))
        XCTAssertEqual(r.recipients.map(\.address), ["gone@example.test"])
        XCTAssertEqual(r.recipients.first?.reason, "userunknown")
        // The gateway gave no status: the one the reason implies, not the attached report's.
        XCTAssertEqual(r.recipients.first?.status, "5.0.911")
        XCTAssertEqual(r.recipients.first?.hard, true)
    }

    func testHardnessFollowsTheReasonAndTheReplyClass() {
        XCTAssertTrue(BounceReason.userunknown.isHard(status: "5.1.1", replyCode: "550"))
        XCTAssertTrue(BounceReason.hasmoved.isHard(status: "5.1.6", replyCode: nil))
        XCTAssertTrue(BounceReason.notaccept.isHard(status: "5.3.2", replyCode: "521"))
        XCTAssertFalse(BounceReason.notaccept.isHard(status: "4.3.2", replyCode: "421"))
        XCTAssertFalse(BounceReason.mailboxfull.isHard(status: "5.2.2", replyCode: "552"))
        XCTAssertFalse(BounceReason.vacation.isHard(status: nil, replyCode: nil))
    }

    // MARK: - Case 23 (sisimai/rb-sisimai#91): a text Office 365 NDR, Microsoft's 5.1.10 =
    // RESOLVER.ADR.RecipientNotFound. Exactly one failed recipient; `Sender Address:` names our
    // own sender, never a failed recipient.

    func testCase23TextNDRNamesOnlyTheFailedRecipient() throws {
        let want = Want(address: "buyer@contoso.example.test", status: "5.1.10", replyCode: "550", reason: "userunknown", hard: true)
        try check("case23-office365-text.eml", [want])
        try check("case23-office365-min.eml", [want])
        try check("case23-office365-dsn.eml", [want], original: "<outgoing-so-1188@acme.test>")
        // The diagnostic ends at the blank line, before "Original Message Details".
        let r = try report("case23-office365-text.eml")
        XCTAssertFalse(r.recipients[0].diagnostic?.contains("Sender Address") ?? true, r.recipients[0].diagnostic ?? "")
    }

    func testAConfiguredAliasIsNeverAFailedRecipientOfATextBounce() throws {
        let text = """
            From: postmaster@contoso.example.test\r
            To: bounce@acme.test\r
            Subject: Undeliverable: order SO-1188\r
            \r
            Your message from sales@acme.test to buyer@contoso.example.test couldn't be delivered.\r
            Reported error: 550 5.1.1 User unknown\r

            """
        let m = MIMEParser().parse(Array(text.utf8))
        XCTAssertEqual(BounceClassifier.classify(m, ownAddresses: ["sales@acme.test"])?.recipients.map(\.address),
                       ["buyer@contoso.example.test"])
    }

    func testADiagnosticEndsAtABannerLine() throws {
        let text = """
            From: MAILER-DAEMON@mx.example.test\r
            To: bounce@acme.test\r
            Subject: failure notice\r
            \r
            <gone@example.test>: 550 5.1.1 mailbox unavailable\r
            --- Below this line is a copy of the message.\r
            Return-Path: <sales@acme.test>\r
            Subject: quota exceeded for everyone\r

            """
        let r = try XCTUnwrap(BounceClassifier.classify(MIMEParser().parse(Array(text.utf8))))
        XCTAssertEqual(r.recipients.map(\.address), ["gone@example.test"])
        XCTAssertFalse(r.recipients.first?.diagnostic?.lowercased().contains("quota") ?? true, r.recipients.first?.diagnostic ?? "")
        XCTAssertEqual(r.recipients.first?.reason, "userunknown")
    }
}
