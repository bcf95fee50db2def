import XCTest
@testable import OdooRPC

/// The pieces of the read calls that need no server: versions, JSON-2 results, fault sorting.
final class ReadDecodingTests: XCTestCase {
    func testVersionsAsOdooSpellsThem() {
        XCTAssertEqual(OdooVersion("17.0")?.major, 17)
        XCTAssertEqual(OdooVersion("saas~17.2")?.major, 17)
        XCTAssertEqual(OdooVersion("18.0+e")?.major, 18)
        XCTAssertNil(OdooVersion("master"))
        XCTAssertTrue(OdooVersion("19.0")!.offersJSON2)
        XCTAssertFalse(OdooVersion("18.0")!.offersJSON2)
        XCTAssertTrue(OdooVersion("17.0")!.hasAliasDomainModel)
        XCTAssertFalse(OdooVersion("16.0")!.hasAliasDomainModel)
    }

    func testJSON2ResultsKeepBooleansApartFromIntegers() throws {
        let body = #"[{"id": 3, "alias_model_id": [7, "Lead/Opportunity"], "alias_domain_id": false, "port": 993, "x": null}]"#
        let value = try JSON2Value.decode(Array(body.utf8))
        guard case .array(let records) = value, let record = records.first else { return XCTFail("\(value)") }
        XCTAssertEqual(record["id"], .int(3))
        XCTAssertEqual(record["alias_model_id"], .array([.int(7), .string("Lead/Opportunity")]))
        XCTAssertEqual(record["alias_domain_id"], .bool(false))
        XCTAssertEqual(record["port"], .int(993))
        XCTAssertEqual(record["x"], .null)
    }

    func testFaultsSortedLikeOdooRaisesThem() {
        XCTAssertEqual(OdooCallError.fromXMLRPC(code: 4, text: "You are not allowed"), .accessError("You are not allowed"))
        XCTAssertEqual(OdooCallError.fromXMLRPC(code: 2, text: "Object x.y doesn't exist"), .missingModel("Object x.y doesn't exist"))
        XCTAssertEqual(OdooCallError.fromXMLRPC(code: 2, text: "L'objet fetchmail.server n'existe pas", model: "fetchmail.server"),
                       .missingModel("L'objet fetchmail.server n'existe pas"), "translated for the user's language")
        guard case .other = OdooCallError.fromXMLRPC(code: 2, text: "The record could not be created", model: "crm.lead") else {
            return XCTFail("another UserError is not a missing model")
        }
        guard case .loginRefused = OdooCallError.fromXMLRPC(code: 3, text: "Access Denied") else { return XCTFail() }
        XCTAssertEqual(OdooCallError.fromJSON2(status: 403, name: "odoo.exceptions.AccessError", message: "no"), .accessError("no"))
        XCTAssertEqual(OdooCallError.fromJSON2(status: 404, name: "werkzeug.exceptions.NotFound", message: "the model 'x' does not exist"),
                       .missingModel("the model 'x' does not exist"))
        guard case .loginRefused = OdooCallError.fromJSON2(status: 401, name: nil, message: "Invalid apikey") else { return XCTFail() }
        guard case .unreachable = OdooCallError.fromJSON2(status: 502, name: nil, message: "Bad Gateway") else { return XCTFail() }
    }
}
