@testable import MailDNS
import TestSupport
import XCTest

/// The resolver against a real dnsmasq on loopback (Tests/Fixtures/dns/zones.conf): answers,
/// and each way of not getting one.
final class DNSResolverTests: XCTestCase {
    nonisolated(unsafe) static var server: DNSTestServer?

    override class func tearDown() {
        server?.stop()
        server = nil
    }

    func resolver() throws -> DNSResolver {
        if Self.server == nil { Self.server = try DNSTestServer() }
        return try DNSResolver(nameserver: Self.server!.address)
    }

    func assertError(_ kind: DNSError.Kind, _ body: () throws -> Any, file: StaticString = #filePath, line: UInt = #line) {
        do {
            let answer = try body()
            XCTFail("expected \(kind), got \(answer)", file: file, line: line)
        } catch let error as DNSError {
            XCTAssertEqual(error.kind, kind, "\(error)", file: file, line: line)
        } catch {
            XCTFail("unexpected \(error)", file: file, line: line)
        }
    }

    // MARK: Answers

    func testTXTJoinsARecordsStringsAndKeepsRecordsApart() throws {
        let records = try resolver().txt("good.test")
        XCTAssertEqual(Set(records), ["v=spf1 mx include:_spf.sender.test ~all", "google-site-verification=abc123"])
    }

    func testTXTFollowsACNAMEChain() throws {
        let records = try resolver().txt("odoo._domainkey.cnamedkim.test")
        XCTAssertEqual(records, ["v=DKIM1; k=rsa; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQC5"])
    }

    func testMX() throws {
        XCTAssertEqual(try resolver().mx("good.test"), [MXRecord(preference: 10, exchange: "mx.good.test")])
    }

    func testNullMXIsTheRootName() throws {
        let records = try resolver().mx("nullmx.test")
        XCTAssertEqual(records, [MXRecord(preference: 0, exchange: "")])
        XCTAssertTrue(records[0].isNull)
    }

    func testAddressesAreIPv4AndIPv6() throws {
        XCTAssertEqual(Set(try resolver().addresses("mx.good.test")), ["192.0.2.10", "2001:db8::10"])
        XCTAssertEqual(try resolver().ipv4("ex.many.test"), ["127.0.0.2"])
    }

    // MARK: No answer records

    func testANameWithoutTheTypeIsNODATA() throws {
        let resolver = try resolver()
        assertError(.noData) { try resolver.mx("nomx.test") }
        assertError(.noData) { try resolver.txt("mx.good.test") }
        assertError(.noData) { try resolver.addresses("good.test") }
    }

    func testAMissingNameIsNXDOMAIN() throws {
        let resolver = try resolver()
        assertError(.nxdomain) { try resolver.txt("nothere.test") }
        assertError(.nxdomain) { try resolver.mx("_dmarc.nodmarc.test") }
        assertError(.nxdomain) { try resolver.addresses("gone.deadmx.test") }
        do {
            _ = try resolver.txt("nothere.test")
        } catch {
            XCTAssertTrue(error.isNoRecord)
            XCTAssertEqual("\(error)", "nothere.test does not exist (NXDOMAIN)")
        }
    }

    // MARK: No answer

    func testAQuestionTheServerWillNotAnswerIsRefused() throws {
        // dnsmasq has no upstream (no-resolv) for names outside .test.
        let resolver = try resolver()
        assertError(.refused) { try resolver.txt("example.com") }
    }

    func testASilentServerIsATimeOut() throws {
        let silent = try SilentUDPServer()
        let resolver = try DNSResolver(nameserver: silent.address, timeout: 0.6)
        assertError(.timeout) { try resolver.txt("good.test") }
        do {
            _ = try resolver.mx("good.test")
        } catch {
            XCTAssertFalse(error.isNoRecord)
            XCTAssertEqual("\(error)", "no answer for MX good.test (DNS time-out)")
        }
    }

    func testAClosedPortIsRefused() throws {
        let resolver = try DNSResolver(nameserver: "127.0.0.1:\(try unusedLoopbackPort())", timeout: 0.6)
        assertError(.refused) { try resolver.txt("good.test") }
    }

    func testNameserverAddressForms() throws {
        XCTAssertEqual(DNSResolver.csvAddress("::1"), "[::1]:53")
        XCTAssertEqual(DNSResolver.csvAddress("[::1]"), "[::1]:53")
        XCTAssertEqual(DNSResolver.csvAddress("[::1]:5353"), "[::1]:5353")
        XCTAssertEqual(DNSResolver.csvAddress("127.0.0.1:5353"), "127.0.0.1:5353")
        XCTAssertEqual(DNSResolver.csvAddress("192.0.2.1"), "192.0.2.1")
        // c-ares takes each form (nothing is sent by opening a resolver).
        for address in ["::1", "[::1]", "[::1]:5353", "2001:db8::53", "127.0.0.1:5353", "127.0.0.1"] {
            XCTAssertNoThrow(try DNSResolver(nameserver: address), address)
        }
    }

    func testAnIPv6Nameserver() throws {
        // Where the host has no IPv6 loopback, there is nothing to ask.
        let probe = socket(AF_INET6, Int32(SOCK_DGRAM.rawValue), 0)
        var loopback = sockaddr_in6()
        loopback.sin6_family = sa_family_t(AF_INET6)
        loopback.sin6_addr = in6addr_loopback
        let bound = withUnsafePointer(to: &loopback) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(probe, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) }
        }
        close(probe)
        guard probe >= 0, bound == 0 else { throw XCTSkip("no IPv6 loopback (::1) on this host") }
        let server = try DNSTestServer(host: "::1")
        defer { server.stop() }
        XCTAssertTrue(server.address.hasPrefix("[::1]:"), server.address)
        XCTAssertEqual(try DNSResolver(nameserver: server.address).mx("good.test"), [MXRecord(preference: 10, exchange: "mx.good.test")])
    }

    func testABadNameserverIsAnError() {
        XCTAssertThrowsError(try DNSResolver(nameserver: "not an address")) { error in
            XCTAssertTrue("\(error)".contains("not a nameserver address"), "\(error)")
        }
    }
}
