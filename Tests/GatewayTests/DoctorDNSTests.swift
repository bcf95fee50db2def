import Foundation
@testable import Gateway
import TestSupport
import XCTest

/// `mailgate doctor`'s dns.* checks against a real dnsmasq serving Tests/Fixtures/dns/zones.conf:
/// each check passes on a right domain and fails (or warns) on a broken one. One doctor run
/// over all fixture domains is shared by the tests (the checks only read the DNS).
final class DoctorDNSTests: XCTestCase {
    /// Every fixture domain, each an alias's address.
    static let domains = [
        "good.test", "twospf.test", "ten.test", "eleven.test", "voids.test", "twovoids.test", "nosender.test",
        "redirect.test", "plusall.test", "cnamedkim.test", "revoked.test", "nodmarc.test", "sub.org.test",
        "twodmarc.test", "nullmx.test", "nomx.test", "deadmx.test", "nothere.test", "neutral.test", "openinclude.test",
        "brokeninclude.test",
    ]

    nonisolated(unsafe) static var running: DNSTestServer?
    nonisolated(unsafe) static var report: DoctorReport?
    nonisolated(unsafe) static var directory: TemporaryDirectory?

    override class func tearDown() {
        running?.stop()
        running = nil
        report = nil
        directory = nil
    }

    /// The address of the class's dnsmasq, started on first use.
    static func nameserver() throws -> String {
        if let running { return running.address }
        let started = try DNSTestServer()
        running = started
        return started.address
    }

    /// A config whose aliases have the `domains` (no mailbox: doctor only reads the DNS), with
    /// `extra` lines (a `[doctor]` table) in front.
    static func configText(domains: [String], doctor: String) -> String {
        doctor + "\n" + domains.enumerated().map { "[alias.a\($0.offset)]\naddress = \"a\($0.offset)@\($0.element)\"\n" }.joined()
    }

    static func load(_ text: String) throws -> Config {
        if directory == nil { directory = try TemporaryDirectory(prefix: "doctor-dns") }
        let path = directory!.file("mailgate-\(UUID().uuidString).toml")
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        chmod(path, 0o600)
        return try Config.load(path: path, environment: [:])
    }

    static let settings = """
        [doctor]
        spf_include = ["_spf.sender.test"]
        dkim_selectors = ["odoo"]
        """

    /// The shared run over all fixture domains.
    func fullReport() throws -> DoctorReport {
        if let report = Self.report { return report }
        let config = try Self.load(Self.configText(domains: Self.domains, doctor: Self.settings))
        let report = Doctor(config: config, nameserver: try Self.nameserver()).run(only: [.dns])
        Self.report = report
        return report
    }

    func check(_ id: String, _ subject: String, file: StaticString = #filePath, line: UInt = #line) throws -> DoctorCheck {
        let matches = try fullReport().checks.filter { $0.id == id && $0.subject == subject }
        XCTAssertEqual(matches.count, 1, "\(id) \(subject)", file: file, line: line)
        return try XCTUnwrap(matches.first, file: file, line: line)
    }

    func assertVerdict(_ id: String, _ subject: String, _ verdict: DoctorCheck.Verdict, found: String? = nil, fix: String? = nil,
                       file: StaticString = #filePath, line: UInt = #line) throws {
        let check = try check(id, subject, file: file, line: line)
        XCTAssertEqual(check.verdict, verdict, "\(id) \(subject): \(check.found)", file: file, line: line)
        if let found { XCTAssertTrue(check.found.contains(found), "found: \(check.found)", file: file, line: line) }
        if let fix { XCTAssertTrue(check.fix?.contains(fix) == true, "fix: \(check.fix ?? "nil")", file: file, line: line) }
        if verdict == .warn || verdict == .fail {
            XCTAssertFalse(check.fix?.isEmpty ?? true, "\(id) \(subject) has no fix", file: file, line: line)
        }
    }

    // MARK: The report's shape

    func testEveryDomainGetsEveryCheckInOrder() throws {
        let checks = try fullReport().checks
        XCTAssertEqual(Set(checks.map(\.id)), Set(Doctor.dnsCheckIDs))
        XCTAssertEqual(checks.count, Self.domains.count * Doctor.dnsCheckIDs.count)
        // Domain by domain, in the config's order.
        var order: [String] = []
        for check in checks where check.id == "dns.mx" { order.append(check.subject) }
        XCTAssertEqual(order, Self.domains)
    }

    // MARK: dns.mx

    func testMX() throws {
        try assertVerdict("dns.mx", "good.test", .ok, found: "10 mx.good.test (192.0.2.10, 2001:db8::10)")
        try assertVerdict("dns.mx", "nullmx.test", .fail, found: "null MX", fix: "replace the null MX")
        try assertVerdict("dns.mx", "nomx.test", .fail, found: "no MX record", fix: "publish MX at nomx.test")
        try assertVerdict("dns.mx", "deadmx.test", .fail, found: "gone.deadmx.test", fix: "give gone.deadmx.test an A or AAAA record")
        try assertVerdict("dns.mx", "nothere.test", .fail, found: "NXDOMAIN")
    }

    // MARK: dns.spf.single

    func testSPFSingle() throws {
        // Two strings of one record are joined; the other TXT record is not SPF.
        try assertVerdict("dns.spf.single", "good.test", .ok, found: "\"v=spf1 mx include:_spf.sender.test ~all\"")
        try assertVerdict("dns.spf.single", "twospf.test", .fail, found: "2 SPF records", fix: "merge the 2 records into one: v=spf1 include:")
        // The merged record has both includes once, in the order the DNS gave the records.
        let merged = try XCTUnwrap(check("dns.spf.single", "twospf.test").fix)
        XCTAssertTrue(merged.hasSuffix(" ~all"), merged)
        XCTAssertTrue(merged.contains("include:_spf.sender.test") && merged.contains("include:_spf.other.test"), merged)
        try assertVerdict("dns.spf.single", "nothere.test", .fail, found: "no SPF record",
                          fix: "publish one TXT at nothere.test: v=spf1 mx include:_spf.sender.test ~all")
        try assertVerdict("dns.spf.single", "plusall.test", .warn, found: "+all lets any server pass",
                          fix: "v=spf1 include:_spf.sender.test ~all")
    }

    func testSPFThatLetsAnyonePassWarns() throws {
        try assertVerdict("dns.spf.single", "neutral.test", .warn, found: "?all", fix: "v=spf1 include:_spf.sender.test ~all")
        try assertVerdict("dns.spf.single", "openinclude.test", .warn, found: "+all in _spf.open.test",
                          fix: "remove the include whose record ends in +all")
        try assertVerdict("dns.spf.single", "ten.test", .ok)  // -all in its includes is no matter
    }

    // MARK: dns.spf.include

    func testSPFInclude() throws {
        try assertVerdict("dns.spf.include", "good.test", .ok, found: "_spf.sender.test")
        try assertVerdict("dns.spf.include", "redirect.test", .ok)
        try assertVerdict("dns.spf.include", "ten.test", .ok)
        try assertVerdict("dns.spf.include", "nosender.test", .fail, found: "does not authorise _spf.sender.test",
                          fix: "v=spf1 mx include:_spf.sender.test -all")
        try assertVerdict("dns.spf.include", "twospf.test", .fail)
    }

    // MARK: dns.spf.lookups

    func testSPFLookups() throws {
        try assertVerdict("dns.spf.lookups", "good.test", .ok, found: "2 DNS-querying terms")
        try assertVerdict("dns.spf.lookups", "ten.test", .ok, found: "10 DNS-querying terms (at most 10)")
        try assertVerdict("dns.spf.lookups", "eleven.test", .fail, found: "11 DNS-querying terms", fix: "flatten")
        try assertVerdict("dns.spf.lookups", "twovoids.test", .ok, found: "2 void lookups (at most 2)")
        try assertVerdict("dns.spf.lookups", "voids.test", .fail, found: "nx1.voids.test, nx2.voids.test, nx3.voids.test",
                          fix: "remove the terms that name")
        try assertVerdict("dns.spf.lookups", "nothere.test", .skip)
        try assertVerdict("dns.spf.lookups", "brokeninclude.test", .fail, found: "include:_spf.nosuch.test: _spf.nosuch.test has no SPF record",
                          fix: "fix or remove the broken term")
    }

    // MARK: dns.dkim

    func testDKIM() throws {
        try assertVerdict("dns.dkim", "odoo._domainkey.good.test", .ok, found: "DKIM key published")
        try assertVerdict("dns.dkim", "odoo._domainkey.cnamedkim.test", .ok, found: "DKIM key published")
        try assertVerdict("dns.dkim", "odoo._domainkey.revoked.test", .fail, found: "revoked")
        try assertVerdict("dns.dkim", "odoo._domainkey.nodmarc.test", .fail, found: "no DKIM key",
                          fix: "CNAME odoo._domainkey.nodmarc.test → odoo._domainkey.odoo.com")
    }

    // MARK: dns.dmarc

    func testDMARC() throws {
        try assertVerdict("dns.dmarc", "good.test", .ok, found: "p=quarantine")
        try assertVerdict("dns.dmarc", "sub.org.test", .ok, found: "_dmarc.org.test")
        XCTAssertTrue(try check("dns.dmarc", "sub.org.test").found.contains("sp=reject"))
        try assertVerdict("dns.dmarc", "nodmarc.test", .warn, found: "no DMARC record",
                          fix: "publish TXT at _dmarc.nodmarc.test: v=DMARC1; p=quarantine")
        try assertVerdict("dns.dmarc", "twodmarc.test", .fail, found: "2 DMARC records", fix: "delete all but one")
    }

    // MARK: Not applicable, not answered

    func testChecksWithoutTheirSettingsSkip() throws {
        let config = try Self.load(Self.configText(domains: ["good.test"], doctor: ""))
        let checks = Doctor(config: config, nameserver: try Self.nameserver()).run(only: [.dns]).checks
        XCTAssertEqual(checks.first { $0.id == "dns.spf.include" }?.verdict, .skip)
        XCTAssertEqual(checks.first { $0.id == "dns.dkim" }?.verdict, .skip)
        XCTAssertEqual(checks.first { $0.id == "dns.dkim" }?.found.contains("dkim_selectors"), true)
        XCTAssertEqual(checks.filter { $0.verdict == .ok }.map(\.id), ["dns.mx", "dns.spf.single", "dns.spf.lookups", "dns.dmarc"])
    }

    func testNoDomainSkipsEveryCheck() throws {
        let config = try Self.load("[alias.sales]\nmodel = \"crm.lead\"\n")
        let checks = Doctor(config: config, nameserver: "127.0.0.1:9").run(only: [.dns]).checks
        XCTAssertEqual(checks.map(\.id), Doctor.dnsCheckIDs)
        XCTAssertEqual(Set(checks.map(\.verdict)), [.skip])
    }

    func testASilentServerWarnsOfTheTimeOut() throws {
        let silent = try SilentUDPServer()
        let config = try Self.load(Self.configText(domains: ["good.test"], doctor: Self.settings))
        let checks = Doctor(config: config, nameserver: silent.address).run(only: [.dns]).checks
        XCTAssertEqual(checks.count, Doctor.dnsCheckIDs.count)
        for check in checks {
            XCTAssertEqual(check.verdict, .warn, "\(check.id): \(check.found)")
            XCTAssertTrue(check.found.contains("time-out"), "\(check.id): \(check.found)")
            XCTAssertTrue(check.fix?.contains(silent.address) == true, "\(check.id): \(check.fix ?? "nil")")
        }
    }

    // MARK: The command

    func testTheCommandPrintsJSONAndExitsOneOnAFailure() throws {
        let directory = try TemporaryDirectory(prefix: "doctor-dns-cli")
        let path = directory.file("mailgate.toml")
        try Data(Self.configText(domains: ["good.test", "twospf.test"], doctor: Self.settings).utf8)
            .write(to: URL(fileURLWithPath: path))
        let run = try runMailgate(args: ["doctor", "--only", "dns", "--json", "--config", path,
                                         "--nameserver", try Self.nameserver()])
        XCTAssertEqual(run.exitCode, 1, run.stderr)
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        let checks = try XCTUnwrap(json["checks"] as? [[String: Any]])
        func verdict(_ id: String, _ subject: String) -> String? {
            checks.first { $0["id"] as? String == id && $0["subject"] as? String == subject }?["verdict"] as? String
        }
        XCTAssertEqual(verdict("dns.spf.single", "good.test"), "ok")
        XCTAssertEqual(verdict("dns.dkim", "odoo._domainkey.good.test"), "ok")
        XCTAssertEqual(verdict("dns.spf.single", "twospf.test"), "fail")
    }

    func testTheCommandExitsZeroWhenNothingFails() throws {
        let directory = try TemporaryDirectory(prefix: "doctor-dns-cli")
        let path = directory.file("mailgate.toml")
        let text = "[doctor]\nnameserver = \"\(try Self.nameserver())\"\nspf_include = [\"_spf.sender.test\"]\n"
            + "dkim_selectors = [\"odoo\"]\n\n[alias.sales]\naddress = \"sales@good.test\"\n"
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        let run = try runMailgate(args: ["doctor", "--only", "dns", "--config", path])
        XCTAssertEqual(run.exitCode, 0, run.stdout + run.stderr)
        XCTAssertTrue(run.stdout.contains("dns.spf.lookups"), run.stdout)
        XCTAssertFalse(run.stdout.contains("✗"), run.stdout)
    }
}
