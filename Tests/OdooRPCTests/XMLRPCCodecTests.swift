import XCTest
@testable import OdooRPC

/// The XML-RPC codec against what Python's `xmlrpc.client` (Odoo's marshaller) writes and reads.
final class XMLRPCCodecTests: XCTestCase {
    func testExecuteKwCarriesTheMessageAsBase64AndOmitsNilKeywords() throws {
        let message = Array("Subject: caf\u{e9}\r\n\r\n<b>&</b>\r\n".utf8)
        let body = XMLRPCEncoder.executeKw(database: "acme", uid: 7, password: "k<&>", model: "mail.thread",
                                           method: "message_process", args: [.bool(false), .bytes(message)],
                                           kwargs: [("custom_values", .object([("team_id", .int(3))]))])
        let text = String(decoding: body, as: UTF8.self)
        XCTAssertTrue(text.contains("<methodName>execute_kw</methodName>"))
        XCTAssertTrue(text.contains("<string>k&lt;&amp;&gt;</string>"))
        XCTAssertTrue(text.contains("<boolean>0</boolean>"))
        XCTAssertTrue(text.contains("<name>team_id</name><value><int>3</int></value>"))
        XCTAssertFalse(text.contains("<nil/>"))
        XCTAssertFalse(text.contains("save_original"))
        // The base64 round-trips to the message bytes.
        let start = text.range(of: "<base64>")!.upperBound, end = text.range(of: "</base64>")!.lowerBound
        XCTAssertEqual(Base64.decode(Array(text[start..<end].utf8)), message)
    }

    func testDecodesAnIntegerAFalseAndAnUntypedString() throws {
        XCTAssertEqual(try XMLRPCResponse.decode(Array("""
            <?xml version='1.0'?>
            <methodResponse>
            <params>
            <param>
            <value><int>42</int></value>
            </param>
            </params>
            </methodResponse>
            """.utf8)), .value(.int(42)))
        XCTAssertEqual(try XMLRPCResponse.decode(Array(
            "<methodResponse><params><param><value><boolean>0</boolean></value></param></params></methodResponse>".utf8)),
            .value(.bool(false)))
        XCTAssertEqual(try XMLRPCResponse.decode(Array(
            "<methodResponse><params><param><value>a &amp; b &#233;</value></param></params></methodResponse>".utf8)),
            .value(.string("a & b é")))
    }

    func testDecodesAFaultWithItsTraceback() throws {
        let body = """
            <?xml version='1.0'?>
            <methodResponse>
            <fault>
            <value><struct>
            <member>
            <name>faultCode</name>
            <value><int>1</int></value>
            </member>
            <member>
            <name>faultString</name>
            <value><string>Traceback (most recent call last):
              File "x.py", line 1
            ValueError: No possible route found for incoming message from a@b to c@d (Message-Id &lt;x@y&gt;:).</string></value>
            </member>
            </struct></value>
            </fault>
            </methodResponse>
            """
        guard case let .fault(code, text) = try XMLRPCResponse.decode(Array(body.utf8)) else { return XCTFail("not a fault") }
        XCTAssertEqual(code, 1)
        XCTAssertTrue(text.hasSuffix("(Message-Id <x@y>:)."))
    }

    func testDecodesArraysStructsAndNil() throws {
        let body = "<methodResponse><params><param><value><array><data><value><i4>1</i4></value>"
            + "<value><struct><member><name>a</name><value><nil/></value></member></struct></value>"
            + "<value><double>1.5</double></value><value><base64>aGk=</base64></value></data></array></value>"
            + "</param></params></methodResponse>"
        XCTAssertEqual(try XMLRPCResponse.decode(Array(body.utf8)),
                       .value(.array([.int(1), .object([("a", .null)]), .double(1.5), .bytes(Array("hi".utf8))])))
    }

    func testRefusesWhatIsNotXMLRPC() {
        XCTAssertThrowsError(try XMLRPCResponse.decode(Array("<html><body>502 Bad Gateway</body></html>".utf8)))
        XCTAssertThrowsError(try XMLRPCResponse.decode(Array("<methodResponse><params><param><value><int>x</int>".utf8)))
    }

    func testBase64WrapsAt76AndRoundTrips() {
        let bytes = (0..<1000).map { UInt8($0 % 256) }
        var out: [UInt8] = []
        Base64.encode(bytes, lineLength: 76, into: &out)
        let lines = out.split(separator: 10)
        XCTAssertTrue(lines.dropLast().allSatisfy { $0.count == 76 })
        XCTAssertEqual(Base64.decode(out), bytes)
    }
}
