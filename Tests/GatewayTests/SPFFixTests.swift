@testable import Gateway
import XCTest

/// The SPF records `doctor` proposes as fixes (dns.spf.*).
final class SPFFixTests: XCTestCase {
    // MARK: Proposed records

    func testProposedSPFRecords() {
        XCTAssertEqual(SPFFix.fresh(including: ["_spf.odoo.com"]), "v=spf1 mx include:_spf.odoo.com ~all")
        XCTAssertEqual(SPFFix.merged(["v=spf1 mx include:a.test -all", "v=spf1 include:a.test include:b.test ~all"]),
                       "v=spf1 include:a.test include:b.test mx -all")
        XCTAssertEqual(SPFFix.adding(["_spf.odoo.com"], to: "v=spf1 mx -all"), "v=spf1 mx include:_spf.odoo.com -all")
        XCTAssertEqual(SPFFix.adding(["_spf.odoo.com"], to: "v=spf1 mx redirect=x.test"),
                       "v=spf1 mx include:_spf.odoo.com redirect=x.test")
        XCTAssertEqual(SPFFix.adding(["o.test"], to: "v=spf1 mx"), "v=spf1 mx include:o.test ~all")
        // The same proposal whichever order DNS answered in, with the strictest all.
        XCTAssertEqual(SPFFix.merged(["v=spf1 mx ~all", "v=spf1 a -all"]), "v=spf1 a mx -all")
        XCTAssertEqual(SPFFix.merged(["v=spf1 a -all", "v=spf1 mx ~all"]), "v=spf1 a mx -all")
        XCTAssertEqual(SPFFix.merged(["v=spf1 mx ?all", "v=spf1 a"]), "v=spf1 a mx ?all")
        XCTAssertEqual(SPFFix.softened("v=spf1 mx +all"), "v=spf1 mx ~all")
        XCTAssertEqual(SPFFix.softened("v=spf1 mx ?all"), "v=spf1 mx ~all")
        XCTAssertEqual(SPFFix.softened("v=spf1 mx all"), "v=spf1 mx ~all")
    }
}
