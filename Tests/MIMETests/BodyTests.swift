import Foundation
import XCTest
@testable import MIME

final class BodyTests: XCTestCase {
    func crlf(_ s: String) -> String { s.replacingOccurrences(of: "\n", with: "\r\n") }

    func testAlternativeTextAndHTML() {
        let m = parse(crlf("""
        From: a@example.com
        Content-Type: multipart/alternative; boundary="b1"

        preamble
        --b1
        Content-Type: text/plain; charset=iso-8859-1
        Content-Transfer-Encoding: quoted-printable

        Caf=E9 =93ok=94 soft=
         break
        --b1
        Content-Type: text/html; charset=utf-8
        Content-Transfer-Encoding: base64

        PHA+Q2Fmw6k8L3A+Cg==
        --b1--
        epilogue
        """))
        XCTAssertEqual(m.text, "Café “ok” soft break")
        XCTAssertEqual(m.html, "<p>Café</p>\n")
        XCTAssertEqual(m.attachments, [])
        XCTAssertEqual(m.root?.structure, ["0:multipart/alternative", "1:text/plain", "1:text/html"])
        XCTAssertEqual(m.defects, [])
    }

    func testMixedWithChineseAttachment() {
        let pdf = Array("%PDF-1.4\n".utf8)
        let m = parse(crlf("""
        Content-Type: multipart/mixed; boundary=XYZ

        --XYZ
        Content-Type: text/plain; charset=gbk
        Content-Transfer-Encoding: base64

        xOO6ww==
        --XYZ
        Content-Type: application/pdf; name="=?gb2312?B?sai827WlLnBkZg==?="
        Content-Disposition: attachment;
         filename*0*=utf-8''%E6%8A;
         filename*1*=%A5%E4%BB%B7%E5%8D%95.pdf
        Content-Transfer-Encoding: base64
        Content-ID: <pdf1@example.com>

        JVBERi0xLjQK
        --XYZ--
        """))
        XCTAssertEqual(m.text, "你好")
        XCTAssertEqual(m.attachments.count, 1)
        let a = m.attachments[0]
        XCTAssertEqual(a.filename, "报价单.pdf")
        XCTAssertEqual(a.contentType, "application/pdf")
        XCTAssertEqual(a.disposition, "attachment")
        XCTAssertEqual(a.contentID, "pdf1@example.com")
        XCTAssertEqual(a.size, pdf.count)
        XCTAssertEqual(a.sha256, SHA256.hex(pdf))
        XCTAssertEqual(m.root?.children[1].decodedBody(in: m.raw), pdf)
    }

    func testRelatedUsesStartPartAndAttachedTextIsNoBody() {
        let m = parse(crlf("""
        Content-Type: multipart/mixed; boundary=outer

        --outer
        Content-Type: text/plain
        Content-Disposition: attachment; filename=notes.txt

        not the body
        --outer
        Content-Type: multipart/related; boundary=rel; start="<h@x>"

        --rel
        Content-Type: image/png
        Content-ID: <img@x>
        Content-Transfer-Encoding: base64

        iVBORw0KGgo=
        --rel
        Content-Type: text/html; charset=utf-8
        Content-ID: <h@x>

        <img src="cid:img@x">
        --rel--
        --outer--
        """))
        // No text/plain body: the text is the HTML rendered (an image only: empty).
        XCTAssertEqual(m.text, "")
        XCTAssertEqual(m.html, "<img src=\"cid:img@x\">")
        XCTAssertEqual(m.attachments.map(\.filename), ["notes.txt", nil])
        XCTAssertEqual(m.attachments.map(\.contentType), ["text/plain", "image/png"])
        XCTAssertEqual(m.attachments[1].contentID, "img@x")
    }

    func testEmbeddedMessageAndDSN() throws {
        let m = parse(crlf("""
        From: MAILER-DAEMON@mx.example.com (Mail Delivery System)
        Subject: Undelivered Mail Returned to Sender
        Content-Type: multipart/report; report-type=delivery-status; boundary="R"

        --R
        Content-Type: text/plain

        I'm sorry.
        --R
        Content-Type: message/delivery-status

        Reporting-MTA: dns; mx.example.com

        Final-Recipient: rfc822; nobody@example.org
        Original-Recipient: rfc822;nobody@example.org
        Action: failed
        Status: 5.1.1
        Remote-MTA: dns; mail.example.org
        Diagnostic-Code: smtp; 550 5.1.1 <nobody@example.org>:
            Recipient address rejected

        Final-Recipient: rfc822; second@example.org
        Action: delayed
        Status: 4.4.1
        --R
        Content-Type: message/rfc822

        Message-ID: <orig@shop.example.com>
        Subject: Your order
        From: shop@example.com

        Hello
        --R--
        """))
        XCTAssertEqual(m.text, "I'm sorry.")
        let dsn = try XCTUnwrap(m.deliveryStatus)
        XCTAssertEqual(dsn.count, 2)
        XCTAssertEqual(dsn[0], DeliveryStatusRecipient(
            reportingMTA: "dns; mx.example.com", finalRecipient: "rfc822; nobody@example.org",
            originalRecipient: "rfc822;nobody@example.org", action: "failed", status: "5.1.1",
            remoteMTA: "dns; mail.example.org",
            diagnosticCode: "smtp; 550 5.1.1 <nobody@example.org>: Recipient address rejected", lastAttemptDate: nil))
        XCTAssertEqual(dsn[1].status, "4.4.1")
        XCTAssertEqual(dsn[1].reportingMTA, "dns; mx.example.com")
        XCTAssertEqual(m.attachments.map(\.contentType), ["message/delivery-status", "message/rfc822"])
        // The bounced message is parsed as a child of its message/rfc822 part.
        let embedded = try XCTUnwrap(m.root?.children[2].children.first)
        XCTAssertEqual(embedded.header("Message-ID")?.value, Array("<orig@shop.example.com>".utf8))
        XCTAssertEqual(String(decoding: m.raw[embedded.bodyRange], as: UTF8.self), "Hello")
        let report = try XCTUnwrap(m.dsn)
        XCTAssertEqual(report.reportingMTA, "mx.example.com")
        XCTAssertEqual(report.originalMessageID, "<orig@shop.example.com>")
        XCTAssertEqual(report.recipients, [
            DeliveryReportRecipient(finalRecipient: "nobody@example.org", originalRecipient: "nobody@example.org",
                                    action: "failed", status: "5.1.1",
                                    diagnosticCode: "550 5.1.1 <nobody@example.org>: Recipient address rejected",
                                    remoteMTA: "mail.example.org"),
            DeliveryReportRecipient(finalRecipient: "second@example.org", originalRecipient: nil, action: "delayed",
                                    status: "4.4.1", diagnosticCode: nil, remoteMTA: nil),
        ])
        let obj = try JSONSerialization.jsonObject(with: Data(m.jsonLine().utf8)) as! [String: Any]
        let json = try XCTUnwrap(obj["dsn"] as? [String: Any])
        XCTAssertEqual(json["reporting_mta"] as? String, "mx.example.com")
        XCTAssertEqual(json["original_message_id"] as? String, "<orig@shop.example.com>")
        let r0 = try XCTUnwrap((json["recipients"] as? [[String: Any]])?.first)
        XCTAssertEqual(r0["final_recipient"] as? String, "nobody@example.org")
        XCTAssertEqual(r0["status"] as? String, "5.1.1")
        XCTAssertEqual(r0["diagnostic_code"] as? String, "550 5.1.1 <nobody@example.org>: Recipient address rejected")
        XCTAssertEqual(Set(r0.keys), ["final_recipient", "original_recipient", "action", "status", "diagnostic_code", "remote_mta"])
        XCTAssertTrue(parse("Subject: x\r\n\r\nbody").jsonLine().contains("\"dsn\":null"))
    }

    func testDigestPartsDefaultToMessage() {
        let m = parse("Content-Type: multipart/digest; boundary=d\n\n--d\n\nFrom: x@y.z\nSubject: one\n\nbody\n--d--\n")
        XCTAssertEqual(m.root?.structure, ["0:multipart/digest", "1:message/rfc822"])
        XCTAssertEqual(m.attachments.map(\.contentType), ["message/rfc822"])
    }

    func testMissingCloseDelimiterAndBoundary() {
        let m = parse("Content-Type: multipart/mixed; boundary=q\n\n--q\nContent-Type: text/plain\n\nlast part\n")
        XCTAssertEqual(m.text, "last part")
        XCTAssertTrue(m.defects.contains { $0.contains("close delimiter missing") })
        // A multipart without a boundary reads as text, with a defect.
        let n = parse("Content-Type: multipart/mixed\n\nno boundary at all\n")
        XCTAssertEqual(n.text, "no boundary at all\n")
        XCTAssertTrue(n.defects.contains { $0.contains("without a boundary") })
        XCTAssertEqual(n.attachments.count, 0)
    }

    func testDepthAndPartLimits() {
        var s = ""
        for i in 0..<200 { s += "Content-Type: multipart/mixed; boundary=b\(i)\n\n--b\(i)\n" }
        s += "Content-Type: text/plain\n\ndeep\n"
        let m = parse(s)
        XCTAssertTrue(m.defects.contains { $0.contains("nesting deeper") })
        var many = "Content-Type: multipart/mixed; boundary=m\n\n"
        for _ in 0..<50 { many += "--m\nContent-Type: application/octet-stream\n\nx\n" }
        many += "--m--\n"
        let p = parse(many, ParserOptions(maxParts: 10))
        XCTAssertLessThanOrEqual(p.attachments.count, 10)
        XCTAssertTrue(p.defects.contains { $0.contains("more than 10 MIME parts") })
    }

    func testUnlabelled8BitBodyAndUnknownCharset() {
        let gbk: [UInt8] = Array("Subject: x\r\n\r\n".utf8) + [0xC4, 0xE3, 0xBA, 0xC3]
        XCTAssertEqual(parse(bytes: gbk).text, "你好")
        let utf8 = parse("Content-Type: text/plain; charset=x-mystery\r\n\r\nÜber")
        XCTAssertEqual(utf8.text, "Über")
    }

    /// Exchange writes a blank line before Diagnostic-Code: that block is the rest of the
    /// recipient before it, not a second recipient.
    func testExchangeDiagnosticCodeAfterABlankLineBelongsToItsRecipient() throws {
        let m = parse(crlf("""
        From: postmaster@contoso.test
        Content-Type: multipart/report; report-type=delivery-status; boundary="E"

        --E
        Content-Type: message/delivery-status

        Reporting-MTA: dns;mx.contoso.test

        Final-recipient: RFC822; carol@contoso.test
        Action: failed
        Status: 5.1.10

        Diagnostic-Code: smtp;550 5.1.10 RESOLVER.ADR.RecipientNotFound

        --E--
        """))
        XCTAssertEqual(m.dsn?.recipients.count, 1)
        XCTAssertEqual(m.dsn?.recipients.first?.finalRecipient, "carol@contoso.test")
        XCTAssertEqual(m.dsn?.recipients.first?.diagnosticCode, "550 5.1.10 RESOLVER.ADR.RecipientNotFound")
    }
}
