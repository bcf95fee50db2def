import Foundation
import OdooRPC
import TestSupport
import XCTest

/// `OdooClient.searchRead`/`searchCount`/`version` against Scripts/odoo-test-server, each of
/// Odoo's refusals arriving as its `OdooCallError` on JSON-2 (19) and on XML-RPC (17, 16).
final class OdooClientReadTests: XCTestCase {
    func client(_ server: OdooTestServer, key: String = "test-key", protocolChoice: OdooServer.ProtocolChoice = .auto) throws -> OdooClient {
        try OdooClient(server: OdooServer(name: "main", url: server.url, database: "acme", user: "mailgate@acme.test", apiKey: key,
                                          protocolChoice: protocolChoice, timeout: 10))
    }

    func testSearchReadGivesOdoosRecordsOnBothProtocols() throws {
        for version in [19, 17] {
            let server = try OdooTestServer(version: version)
            defer { server.stop() }
            try server.configure(["aliases": ["sales@acme.test": "crm.lead"]])
            let odoo = try client(server)
            XCTAssertEqual(try odoo.version().major, version)
            let aliases = try odoo.searchRead(model: "mail.alias",
                                              domain: .array([.array([.string("alias_name"), .string("in"), .array([.string("sales")])])]),
                                              fields: ["alias_name", "alias_model_id", "alias_full_name"])
            XCTAssertEqual(aliases.count, 1, "Odoo \(version)")
            XCTAssertEqual(aliases.first?["alias_full_name"], .string("sales@acme.test"))
            guard case .array(let model)? = aliases.first?["alias_model_id"] else { return XCTFail("many2one: \(aliases)") }
            XCTAssertEqual(model.last, .string("Lead/Opportunity"), "a many2one reads as [id, display name]")
            XCTAssertEqual(try odoo.searchCount(model: "crm.lead", domain: .array([])), 0)
            XCTAssertEqual(try server.counter(version >= 19 ? "json2" : "xmlrpc"), 0, "counted are only pushes")
        }
    }

    func testOdoosRefusalsArriveTyped() throws {
        for version in [19, 17] {
            let server = try OdooTestServer(version: version)
            defer { server.stop() }
            try server.configure(["settings_rights": false])
            let odoo = try client(server)
            XCTAssertThrowsError(try odoo.searchRead(model: "fetchmail.server", domain: .array([]), fields: ["name"])) { error in
                guard case .accessError(let text)? = error as? OdooCallError else { return XCTFail("Odoo \(version): \(error)") }
                XCTAssertTrue(text.hasPrefix("You are not allowed to access 'Incoming Mail Server' (fetchmail.server) records."), text)
            }
            XCTAssertThrowsError(try odoo.searchCount(model: "no.such.model", domain: .array([]))) { error in
                guard case .missingModel? = error as? OdooCallError else { return XCTFail("Odoo \(version): \(error)") }
            }
            let refused = try client(server, key: "wrong-key")
            XCTAssertThrowsError(try refused.searchCount(model: "crm.lead", domain: .array([]))) { error in
                guard case .loginRefused? = error as? OdooCallError else { return XCTFail("Odoo \(version): \(error)") }
            }
        }
    }

    func testOdoo16HasNoAliasDomainModelNorAliasFullName() throws {
        let server = try OdooTestServer(version: 16)
        defer { server.stop() }
        // With no row found Odoo's search_read returns [] before reading any field: one alias to read.
        try server.configure(["aliases": ["sales@acme.test": "crm.lead"]])
        let odoo = try client(server)
        XCTAssertEqual(try odoo.version(), OdooVersion("16.0"))
        XCTAssertThrowsError(try odoo.searchRead(model: "mail.alias.domain", domain: .array([]), fields: ["name"])) { error in
            XCTAssertEqual(error as? OdooCallError, .missingModel("Object mail.alias.domain doesn't exist"))
        }
        XCTAssertThrowsError(try odoo.searchRead(model: "mail.alias", domain: .array([]), fields: ["alias_full_name"])) { error in
            guard case .other(let text)? = error as? OdooCallError else { return XCTFail("\(error)") }
            XCTAssertTrue(text.contains("Invalid field 'alias_full_name'"), text)
        }
    }

    func testAnUnreachableServerIsUnreachable() throws {
        let port = try unusedLoopbackPort()
        let odoo = try OdooClient(server: OdooServer(name: "main", url: "http://127.0.0.1:\(port)", database: "acme",
                                                     user: "u", apiKey: "k", timeout: 5))
        XCTAssertThrowsError(try odoo.version()) { error in
            guard case .unreachable? = error as? OdooCallError else { return XCTFail("\(error)") }
        }
    }
}
