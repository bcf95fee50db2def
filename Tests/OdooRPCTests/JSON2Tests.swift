import Foundation
import XCTest
@testable import OdooRPC

/// JSON-2 request bodies and answers (Odoo 19 `addons/rpc/controllers/json2.py`).
final class JSON2Tests: XCTestCase {
    func testMessageProcessBodyHasNamedArgumentsOnly() throws {
        let message = Array("Subject: \u{4e2d}\u{6587}\r\nX: \"q\" \\ \t\u{1}\r\n\r\nbody\r\n".utf8)
        let body = JSON2Request.messageProcess(model: nil, message: message, customValues: [("team_id", .int(3)), ("tag", .string("web"))],
                                               saveOriginal: true, stripAttachments: nil)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(body)) as? [String: Any])
        XCTAssertEqual(Set(object.keys), ["model", "message", "custom_values", "save_original"])
        XCTAssertEqual(object["model"] as? Bool, false)
        XCTAssertEqual(Array((object["message"] as! String).utf8), message)
        XCTAssertEqual((object["custom_values"] as? [String: Any])?["team_id"] as? Int, 3)
        XCTAssertNil(object["ids"])
        XCTAssertNil(object["thread_id"])
        let withModel = JSON2Request.messageProcess(model: "crm.lead", message: [], customValues: nil, saveOriginal: nil,
                                                    stripAttachments: nil)
        XCTAssertEqual(String(decoding: withModel, as: UTF8.self), #"{"model":"crm.lead","message":""}"#)
    }

    func testAnswersOf200() {
        XCTAssertEqual(JSON2Answer.decode(status: 200, body: Array("42".utf8)), .integer(42))
        XCTAssertEqual(JSON2Answer.decode(status: 200, body: Array("false".utf8)), .falsy)
        XCTAssertEqual(JSON2Answer.decode(status: 200, body: Array("null\n".utf8)), .falsy)
    }

    func testErrorObject() {
        let body = #"{"name": "odoo.exceptions.UserError", "message": "nope", "arguments": ["nope"], "context": {}, "debug": "Traceback"}"#
        XCTAssertEqual(JSON2Answer.decode(status: 422, body: Array(body.utf8)),
                       .error(status: 422, name: "odoo.exceptions.UserError", message: "nope"))
        XCTAssertEqual(JSON2Answer.decode(status: 502, body: Array("<html>Bad Gateway</html>".utf8)),
                       .error(status: 502, name: nil, message: "<html>Bad Gateway</html>"))
    }
}
