@testable import MailDNS
import XCTest

/// The mail records read from DNS, without DNS: SPF terms (RFC 7208), tag-lists (RFC
/// 6376/7489) and the organizational domain (RFC 7489 §3.2).
final class MailRecordTests: XCTestCase {
    // MARK: SPF terms

    func testSPFTermsAreReadWithTheirQualifiers() throws {
        let record = try SPFRecord.parse("v=spf1 a mx:mail.acme.test/24 -ip4:192.0.2.0/24 ip6:2001:db8::/32 ?include:_spf.odoo.com "
                                         + "~exists:%{i}.rbl.test ptr exp=explain.acme.test foo=bar -all")
        XCTAssertEqual(record.directives.map(\.qualifier), [.pass, .pass, .fail, .pass, .neutral, .softfail, .pass, .fail])
        XCTAssertEqual(record.directives.map(\.mechanism), [
            .a(nil), .mx("mail.acme.test"), .ip4("192.0.2.0/24"), .ip6("2001:db8::/32"), .include("_spf.odoo.com"),
            .exists("%{i}.rbl.test"), .ptr(nil), .all,
        ])
        XCTAssertEqual(record.directives.filter { $0.mechanism.queriesDNS }.count, 5)
        XCTAssertNil(record.redirect)
        XCTAssertEqual(record.all?.text, "-all")
    }

    func testSPFMechanismNamesAreCaseInsensitiveAndCIDRIsCut() throws {
        let record = try SPFRecord.parse("V=SPF1 A:Host.acme.test/28//64 MX//64 INCLUDE:_spf.acme.test redirect=_spf.other.test")
        XCTAssertEqual(record.directives.map(\.mechanism), [.a("Host.acme.test"), .mx(nil), .include("_spf.acme.test")])
        XCTAssertEqual(record.redirect, "_spf.other.test")
        XCTAssertNil(record.all)
    }

    func testWhatIsAnSPFRecord() {
        XCTAssertTrue(SPFRecord.isSPF("v=spf1"))
        XCTAssertTrue(SPFRecord.isSPF("v=spf1 -all"))
        XCTAssertTrue(SPFRecord.isSPF("V=SPF1 -all"))
        XCTAssertFalse(SPFRecord.isSPF("v=spf10 -all"))
        XCTAssertFalse(SPFRecord.isSPF("v=spf1x"))
        XCTAssertFalse(SPFRecord.isSPF(" v=spf1 -all"))
        XCTAssertFalse(SPFRecord.isSPF("v=DMARC1; p=none"))
    }

    func testSPFTermsReceiversRejectAreErrors() {
        func reason(_ text: String) -> String? {
            do { _ = try SPFRecord.parse(text); return nil } catch { return "\(error)" }
        }
        XCTAssertEqual(reason("v=spf1 include -all"), "\"include\": include needs a value after \":\"")
        XCTAssertEqual(reason("v=spf1 ip4: -all"), "\"ip4:\": ip4 needs a value after \":\"")
        XCTAssertEqual(reason("v=spf1 a:/24 -all"), "\"a:/24\": a: names an empty domain")
        XCTAssertEqual(reason("v=spf1 allow -all"), "\"allow\": unknown mechanism \"allow\"")
        XCTAssertEqual(reason("v=spf1 -all:x"), "\"-all:x\": all takes no argument")
        XCTAssertEqual(reason("v=spf1 redirect=a.test redirect=b.test"), "\"redirect=b.test\": redirect= appears twice")
        XCTAssertEqual(reason("v=spf1 redirect="), "\"redirect=\": redirect= names no domain")
        XCTAssertNil(reason("v=spf1  mx   -all"))  // extra spaces are tolerated, as receivers do
    }

    // MARK: Tag-lists

    func testTagListsTrimSpacesAndKeepOrder() {
        let tags = TagList(" v = DMARC1 ;p=reject; sp = none ;; rua=mailto:d@acme.test;bad")
        XCTAssertEqual(tags.tags.map(\.name), ["v", "p", "sp", "rua"])
        XCTAssertEqual(tags["sp"], "none")
        XCTAssertNil(tags["pct"])
        XCTAssertEqual(TagList("v=DKIM1; p=MIIB AQAB\t CD")["p"], "MIIBAQABCD")
        XCTAssertEqual(TagList("v=DKIM1; p=")["p"], "")
    }

    // MARK: Organizational domain

    func testOrganizationalDomainFollowsThePublicSuffixList() {
        let list = PublicSuffixList(text: """
            // a comment
            com
            uk
            co.uk
            *.ck
            !www.ck
            github.io
            """)
        XCTAssertEqual(OrganizationalDomain.of("mail.sales.acme.co.uk", list: list).domain, "acme.co.uk")
        XCTAssertEqual(OrganizationalDomain.of("acme.com", list: list).domain, "acme.com")
        XCTAssertEqual(OrganizationalDomain.of("a.b.acme.com.", list: list).domain, "acme.com")
        XCTAssertEqual(OrganizationalDomain.of("a.acme.foo.ck", list: list).domain, "acme.foo.ck")
        XCTAssertEqual(OrganizationalDomain.of("a.www.ck", list: list).domain, "www.ck")
        XCTAssertEqual(OrganizationalDomain.of("me.github.io", list: list).domain, "me.github.io")
        XCTAssertEqual(OrganizationalDomain.of("co.uk", list: list).domain, "co.uk")
        // Not in the list: the default rule `*`, one label.
        XCTAssertEqual(OrganizationalDomain.of("sub.org.test", list: list).domain, "org.test")
        XCTAssertFalse(OrganizationalDomain.of("sub.org.test", list: list).guessed)
    }

    func testWithoutAListTheLastTwoLabelsAreAGuess() {
        let found = OrganizationalDomain.of("mail.sales.acme.de", list: nil)
        XCTAssertEqual(found.domain, "acme.de")
        XCTAssertTrue(found.guessed)
        XCTAssertNil(PublicSuffixList(path: "/nonexistent/public_suffix_list.dat"))
    }

    func testDebiansListIsRead() throws {
        guard let list = PublicSuffixList.system else {
            throw XCTSkip("no \(PublicSuffixList.debianPath) (Debian package publicsuffix)")
        }
        XCTAssertEqual(OrganizationalDomain.of("mail.acme.co.uk", list: list).domain, "acme.co.uk")
    }
}
