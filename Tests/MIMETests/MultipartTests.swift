import Foundation
import XCTest
@testable import MIME

final class MultipartTests: XCTestCase {
    func crlf(_ s: String) -> String { s.replacingOccurrences(of: "\n", with: "\r\n") }

    func testNestedPreambleEpilogueAndTrailingWhitespaceOnBoundaries() {
        let m = parse(crlf("""
        Content-Type: multipart/mixed; boundary="outer"

        This is the preamble; --outer in the middle of a line is no delimiter.
        --outer \t
        Content-Type: multipart/alternative; boundary=inner

        --inner
        Content-Type: text/plain

        plain body
        --outer-not-a-delimiter (longer than the boundary)
        -- outer (space inside)
        --inner\t
        Content-Type: text/html

        <p>html</p>
        --inner--
        --outer
        Content-Type: application/octet-stream
        Content-Transfer-Encoding: base64

        AAEC
        --outer--   
        epilogue
        --outer
        not a part: after the close delimiter
        """))
        XCTAssertEqual(m.root?.structure, ["0:multipart/mixed", "1:multipart/alternative", "2:text/plain", "2:text/html", "1:application/octet-stream"])
        XCTAssertEqual(m.text, "plain body\n--outer-not-a-delimiter (longer than the boundary)\n-- outer (space inside)")
        XCTAssertEqual(m.html, "<p>html</p>")
        XCTAssertEqual(m.attachments.map(\.size), [3])
        XCTAssertFalse(m.defects.contains { $0.contains("delimiter") })
    }

    func testMissingCloseBoundaryKeepsTheLastPart() {
        let m = parse(crlf("""
        Content-Type: multipart/mixed; boundary=b

        --b
        Content-Type: text/plain

        first
        --b
        Content-Type: image/png
        Content-Transfer-Encoding: base64

        iVBORw0KGgo
        """))
        XCTAssertEqual(m.text, "first")
        XCTAssertEqual(m.attachments.map(\.contentType), ["image/png"])
        XCTAssertEqual(m.attachments.first?.size, 8)
        XCTAssertTrue(m.defects.contains { $0.contains("close delimiter missing") })
    }

    func testMultipartWithoutBoundaryIsText() {
        let m = parse("Content-Type: multipart/alternative\r\n\r\nJust text.\r\n")
        XCTAssertEqual(m.text, "Just text.\n")
        XCTAssertEqual(m.attachments, [])
        XCTAssertTrue(m.defects.contains { $0.contains("without a boundary") })
    }

    func testEncodedEmbeddedMessagesAreParsed() throws {
        let inner = crlf("""
        Message-ID: <inner@example.com>
        Subject: inside
        Content-Type: multipart/mixed; boundary=i

        --i
        Content-Type: text/plain

        inner body
        --i
        Content-Type: application/pdf; name=a.pdf
        Content-Transfer-Encoding: base64

        JVBERi0=
        --i--
        """)
        let b64 = Data(inner.utf8).base64EncodedString(options: [.lineLength76Characters, .endLineWithCarriageReturn, .endLineWithLineFeed])
        let qp = inner.replacingOccurrences(of: "=", with: "=3D").replacingOccurrences(of: "inner body", with: "inner=\r\n body")
        for (cte, body) in [("base64", b64), ("quoted-printable", qp)] {
            let m = parse(crlf("""
            Content-Type: multipart/mixed; boundary=o

            --o
            Content-Type: text/plain

            outer
            --o
            Content-Type: message/rfc822
            Content-Transfer-Encoding: \(cte)


            """) + body + crlf("\n--o--\n"))
            XCTAssertEqual(m.text, "outer", cte)
            XCTAssertEqual(m.attachments.map(\.contentType), ["message/rfc822"], cte)
            XCTAssertNil(m.attachments.first?.filename)
            XCTAssertEqual(m.attachments.first?.size, inner.utf8.count, cte)
            let part = try XCTUnwrap(m.root?.children[1])
            let embedded = try XCTUnwrap(part.children.first, cte)
            XCTAssertEqual(part.encapsulated, Array(inner.utf8))
            XCTAssertEqual(embedded.header("Message-ID")?.value, Array("<inner@example.com>".utf8))
            XCTAssertEqual(embedded.children.map(\.contentType.mimeType), ["text/plain", "application/pdf"])
            // The embedded parts index the decoded bytes.
            XCTAssertEqual(embedded.children[1].decodedBody(in: part.encapsulated!), Array("%PDF-".utf8), cte)
        }
    }

    func testDeliveryStatusFromAnEncodedReport() throws {
        let status = "Reporting-MTA: dns; mx.example.com\r\n\r\nFinal-Recipient: rfc822; a@example.org\r\nAction: failed\r\nStatus: 5.1.1\r\n"
        let m = parse(crlf("""
        Content-Type: multipart/report; report-type=delivery-status; boundary=r

        --r
        Content-Type: text/plain

        failed
        --r
        Content-Type: message/delivery-status
        Content-Transfer-Encoding: base64

        \(Data(status.utf8).base64EncodedString())
        --r
        Content-Type: text/rfc822-headers

        From: shop@example.com
        Message-ID: <returned@example.com>

        --r--
        """))
        let dsn = try XCTUnwrap(m.dsn)
        XCTAssertEqual(dsn.reportingMTA, "mx.example.com")
        XCTAssertEqual(dsn.recipients.map(\.finalRecipient), ["a@example.org"])
        XCTAssertEqual(dsn.recipients.map(\.status), ["5.1.1"])
        XCTAssertEqual(dsn.originalMessageID, "<returned@example.com>")
        XCTAssertEqual(m.attachments.map(\.contentType), ["message/delivery-status", "text/rfc822-headers"])
        XCTAssertEqual(m.attachments.map(\.filename), [nil, nil])
        XCTAssertNil(parse("Subject: x\r\n\r\nhi").dsn)
    }

    func testForwardedBounceIsNoReport() {
        let m = parse(crlf("""
        Subject: Fwd: Undelivered Mail
        Content-Type: multipart/mixed; boundary=f

        --f
        Content-Type: text/plain

        Look at this bounce.
        --f
        Content-Type: message/rfc822

        Subject: Undelivered Mail
        Content-Type: multipart/report; report-type=delivery-status; boundary=r

        --r
        Content-Type: message/delivery-status

        Reporting-MTA: dns; mx.example.com

        Final-Recipient: rfc822; a@example.org
        Action: failed
        Status: 5.1.1
        --r--
        --f--
        """))
        XCTAssertNil(m.dsn)
        XCTAssertNil(m.deliveryStatus)
        XCTAssertEqual(m.attachments.map(\.contentType), ["message/rfc822"])
    }

    func testTypePrefixesAreStripped() {
        XCTAssertEqual(DeliveryReport.strippingType("rfc822; x@y"), "x@y")
        XCTAssertEqual(DeliveryReport.strippingType("smtp; 550 5.1.1 no such user"), "550 5.1.1 no such user")
        XCTAssertEqual(DeliveryReport.strippingType("x@y"), "x@y")
        XCTAssertEqual(DeliveryReport.strippingType("550 user unknown; try later"), "550 user unknown; try later")
        XCTAssertEqual(DeliveryReport.strippingType("rfc822;"), nil)
        XCTAssertEqual(DeliveryReport.strippingType(nil), nil)
    }
}
