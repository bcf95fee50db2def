import XCTest
@testable import OdooRPC

/// Every answer the issue lists, mapped to delivered / not filed / parked / configuration / transient.
final class PushOutcomeTests: XCTestCase {
    func json2(_ status: Int, _ name: String?, _ message: String) -> PushOutcome {
        PushOutcome.fromJSON2(.error(status: status, name: name, message: message))
    }

    func testJSON2() {
        XCTAssertEqual(PushOutcome.fromJSON2(.integer(7)), .delivered(recordID: 7))
        guard case .notFiled = PushOutcome.fromJSON2(.falsy) else { return XCTFail() }
        guard case .parked(_, noRoute: true) = json2(500, "builtins.ValueError", "No possible route found for incoming message")
        else { return XCTFail() }
        guard case .parked(_, noRoute: false) = json2(422, "odoo.exceptions.UserError", "x") else { return XCTFail() }
        guard case .parked(_, noRoute: false) = json2(422, "odoo.exceptions.ValidationError", "x") else { return XCTFail() }
        for status in [401, 403, 404, 415] {
            guard case .configuration = json2(status, "werkzeug.exceptions.Unauthorized", "Invalid apikey") else {
                return XCTFail("\(status)")
            }
        }
        guard case .configuration = json2(422, "werkzeug.exceptions.UnprocessableEntity", "unexpected keyword 'foo'") else {
            return XCTFail()
        }
        guard case .useXMLRPC = json2(422, "werkzeug.exceptions.UnprocessableEntity", "missing a required argument: 'model'") else {
            return XCTFail()
        }
        guard case .configuration = json2(500, "builtins.ValueError", "Mailbox unavailable - unknown target model crm.leed") else {
            return XCTFail()
        }
        for status in [409, 429, 503] {
            guard case .transient(_, maybeFiled: false, answered: true) = json2(status, nil, "busy") else { return XCTFail("\(status)") }
        }
        for status in [502, 504] {
            guard case .transient(_, maybeFiled: true, answered: true) = json2(status, nil, "gateway") else { return XCTFail("\(status)") }
        }
        guard case .transient = json2(500, "psycopg2.errors.SerializationFailure", "could not serialize") else { return XCTFail() }
        guard case .parked(let text, noRoute: false) = json2(413, nil, "too large") else { return XCTFail() }
        XCTAssertTrue(text.contains("client_max_body_size") && text.contains("web.max_file_upload_size"))
    }

    func testXMLRPC() {
        XCTAssertEqual(PushOutcome.fromXMLRPC(.value(.int(3))), .delivered(recordID: 3))
        guard case .notFiled = PushOutcome.fromXMLRPC(.value(.bool(false))) else { return XCTFail() }
        guard case .notFiled = PushOutcome.fromXMLRPC(.fault(code: 1, text: "TypeError: cannot marshal None unless allow_none is enabled"))
        else { return XCTFail() }
        guard case .parked(let text, noRoute: true) = PushOutcome.fromXMLRPC(
            .fault(code: 1, text: "Traceback…\nValueError: No possible route found for incoming message from a to b"))
        else { return XCTFail() }
        XCTAssertTrue(text.hasPrefix("ValueError: No possible route"))
        guard case .parked(_, noRoute: false) = PushOutcome.fromXMLRPC(.fault(code: 2, text: "UserError")) else { return XCTFail() }
        guard case .configuration = PushOutcome.fromXMLRPC(.fault(code: 3, text: "Access Denied")) else { return XCTFail() }
        guard case .configuration = PushOutcome.fromXMLRPC(.fault(code: 4, text: "AccessError")) else { return XCTFail() }
        guard case .configuration = PushOutcome.fromXMLRPC(.fault(code: 1, text: "ValueError: Mailbox unavailable - unknown target model x"))
        else { return XCTFail() }
        guard case .transient(_, maybeFiled: false, answered: true) = PushOutcome.fromXMLRPC(.fault(code: 1, text: "KeyError: 'x'"))
        else { return XCTFail() }
        guard case .configuration = PushOutcome.fromXMLRPCStatus(404, body: []) else { return XCTFail() }
        guard case .parked = PushOutcome.fromXMLRPCStatus(413, body: []) else { return XCTFail() }
        guard case .transient(_, maybeFiled: true, answered: true) = PushOutcome.fromXMLRPCStatus(504, body: []) else { return XCTFail() }
        guard case .transient(_, maybeFiled: false, answered: true) = PushOutcome.fromXMLRPCStatus(503, body: []) else { return XCTFail() }
    }

    func testNoAnswer() {
        guard case .transient(_, maybeFiled: false, answered: false) =
            PushOutcome.fromTransport(.transport("refused", requestSent: false)) else { return XCTFail() }
        guard case .transient(_, maybeFiled: true, answered: false) =
            PushOutcome.fromTransport(.transport("timeout", requestSent: true)) else { return XCTFail() }
        guard case .configuration = PushOutcome.fromTransport(.configuration("certificate")) else { return XCTFail() }
    }

    func testURLFacts() {
        XCTAssertEqual(HTTPURL.split("https://user:pw@ERP.acme.test:8443/x")?.host, "erp.acme.test")
        XCTAssertEqual(HTTPURL.split("https://erp.acme.test:8443/x")?.port, 8443)
        XCTAssertEqual(HTTPURL.origin("https://user:pw@erp.acme.test/web"), "https://erp.acme.test")
        XCTAssertTrue(HTTPURL.isLoopback("127.0.0.1"))
        XCTAssertTrue(HTTPURL.isLoopback("[::1]"))
        XCTAssertFalse(HTTPURL.isLoopback("erp.acme.test"))
    }
}
