import Foundation
import XCTest
@testable import MIME

/// Odoo's body model (`_message_parse_extract_payload`).
final class BodyModelTests: XCTestCase {
    func crlf(_ s: String) -> String { s.replacingOccurrences(of: "\n", with: "\r\n") }

    func testHTMLOnlyMessageGetsRenderedText() {
        let m = parse(crlf("""
        Content-Type: text/html; charset=utf-8

        <html><head><title>T</title><style>p { color: red }</style></head><body>
        <script>alert("x")</script>
        <h1>Order&nbsp;confirmed</h1><p>Dear   customer,<br>see <a href="https://shop.example.com/o/42">your order</a>.</p>
        <ul><li>One &amp; two</li><li>caf&eacute; &#8364;5 &#x263A;</li></ul><!-- hidden --><div>Bye</div>
        </body></html>
        """))
        XCTAssertEqual(m.text, "Order confirmed\n\nDear customer,\nsee your order [https://shop.example.com/o/42].\n\n* One & two\n* café €5 ☺\nBye")
        XCTAssertNotNil(m.html)
    }

    func testAlternativeHTMLWinsAndInlineTextIsAppended() {
        let m = parse(crlf("""
        Content-Type: multipart/mixed; boundary=m

        --m
        Content-Type: text/plain

        first
        --m
        Content-Type: text/plain; charset=utf-8
        Content-Disposition: inline

        second
        --m
        Content-Type: text/plain
        Content-Disposition: attachment

        attached text
        --m
        Content-Type: text/csv; name=data.csv

        a,b
        --m
        Content-Type: text/calendar

        BEGIN:VCALENDAR
        --m--
        """))
        XCTAssertEqual(m.text, "first\nsecond")
        XCTAssertNil(m.html)
        XCTAssertEqual(m.attachments.map(\.contentType), ["text/plain", "text/csv", "text/calendar"])
        XCTAssertEqual(m.attachments.map(\.disposition), ["attachment", nil, nil])
        XCTAssertEqual(m.attachments.map(\.filename), [nil, "data.csv", nil])
        XCTAssertEqual(m.attachments[0].size, 13)

        let alt = parse(crlf("""
        Content-Type: multipart/alternative; boundary=a

        --a
        Content-Type: text/plain

        plain
        --a
        Content-Type: text/html

        <p>rich</p>
        --a--
        """))
        XCTAssertEqual(alt.text, "plain")
        XCTAssertEqual(alt.html, "<p>rich</p>")
        XCTAssertEqual(alt.attachments, [])
    }

    func testInlineImagesAreLinkedToTheirParts() {
        let m = parse(crlf("""
        Content-Type: multipart/related; boundary=r

        --r
        Content-Type: text/html

        <p>Logo: <img src="cid:logo@x"> <img src="cid:missing@x"></p>
        --r
        Content-Type: image/png
        Content-ID: <logo@x>
        Content-Disposition: inline; filename=logo.png
        Content-Transfer-Encoding: base64

        iVBORw0KGgo=
        --r--
        """))
        XCTAssertEqual(m.attachments.map(\.contentID), ["logo@x"])
        XCTAssertEqual(m.attachments.map(\.disposition), ["inline"])
        XCTAssertEqual(m.inlineImages, ["logo@x": 0])
        XCTAssertEqual(m.text, "Logo:")
    }

    func testJSONAttachmentShape() throws {
        let m = parse(crlf("""
        Content-Type: multipart/mixed; boundary=m

        --m
        Content-Type: text/plain

        hi
        --m
        Content-Type: message/rfc822

        Subject: inner

        x
        --m--
        """))
        let obj = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(m.jsonLine().utf8)) as? [String: Any])
        let a = try XCTUnwrap((obj["attachments"] as? [[String: Any]])?.first)
        XCTAssertEqual(Set(a.keys), ["filename", "content_type", "disposition", "content_id", "size", "sha256"])
        XCTAssertTrue(a["filename"] is NSNull)
        XCTAssertEqual(a["content_type"] as? String, "message/rfc822")
        XCTAssertEqual(a["size"] as? Int, 19)
        XCTAssertEqual(obj["text"] as? String, "hi")
        XCTAssertTrue(obj["dsn"] is NSNull)
    }
}
