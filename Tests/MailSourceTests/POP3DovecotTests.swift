import XCTest
import MailSource
import TestSupport

/// POP3Session against the test Dovecot (Scripts/dovecot-start).
final class POP3DovecotTests: XCTestCase {
    private func endpoint(_ dovecot: Dovecot, _ user: String, tls: Endpoint.TLS, caFile: String? = nil) -> Endpoint {
        switch tls {
        case .none:
            return Endpoint(scheme: .pop3, host: dovecot.host, port: dovecot.pop3Port, user: user, tls: .none)
        case .starttls:
            return Endpoint(scheme: .pop3, host: "127.0.0.1", port: dovecot.pop3Port, user: user, tls: .starttls, caFile: caFile)
        case .implicit:
            return Endpoint(scheme: .pop3s, host: "localhost", port: dovecot.pop3sPort, user: user, caFile: caFile)
        }
    }

    /// Delivers `count` LF messages, lists and retrieves them; each must equal its CRLF form.
    private func roundTrip(tls: Endpoint.TLS, count: Int, size: Int = 1_500) throws {
        let dovecot = try Dovecot.require()
        let user = dovecot.makeUser(prefix: "pop3-\(tls.rawValue)")
        let originals = (0..<count).map { sampleMessage(index: $0, size: size + ($0 % 13) * 97, crlf: false) }
        try dovecot.deliver(user: user, messages: originals)

        let session = try POP3Session(endpoint: endpoint(dovecot, user, tls: tls, caFile: dovecot.certificatePath),
                                      secret: dovecot.password)
        XCTAssertEqual(session.greeting?.hasPrefix("+OK"), true)
        XCTAssertTrue(session.supportsPipelining)
        XCTAssertTrue(session.hasCapability("UIDL"))
        let list = try session.listing()
        XCTAssertEqual(list.count, count)
        XCTAssertEqual(Set(list.map(\.uidl)).count, count, "UIDLs must be unique")
        XCTAssertEqual(list.map(\.number), Array(1...count))

        let expected = originals.map(SampleMessage.crlf)
        let sizes = Dictionary(uniqueKeysWithValues: list.map { ($0.number, $0.size) })
        var seen = 0
        try session.retrieve(list.map(\.number)) { number, bytes in
            XCTAssertEqual(bytes.count, sizes[number], "message \(number): LIST size vs RETR bytes")
            XCTAssertTrue(bytes == expected[number - 1], "message \(number) differs from what was delivered")
            XCTAssertEqual(number, seen + 1)
            seen += 1
        }
        XCTAssertEqual(seen, count)
        if count > 1 { XCTAssertLessThan(session.writeCount, session.commandCount, "RETRs must be pipelined") }
        try session.quit()
        XCTAssertTrue(session.isClosed)
        XCTAssertEqual(dovecot.messageCount(user: user), count, "nothing deleted")
    }

    func testPlainWithoutTLS() throws { try roundTrip(tls: .none, count: 5) }

    func testSTLSWithCAFile() throws { try roundTrip(tls: .starttls, count: 5) }

    func testPOP3SWithCAFile() throws { try roundTrip(tls: .implicit, count: 5) }

    func testThousandMessagesListedAndRetrievedByteExact() throws { try roundTrip(tls: .implicit, count: 1_000) }

    func testLargeMessageWithLongLines() throws {
        let dovecot = try Dovecot.require()
        let user = dovecot.makeUser(prefix: "pop3-large")
        var big = Array("Subject: big\r\nMessage-ID: <big@mailgate.test>\r\n\r\n".utf8)
        big += [UInt8](repeating: UInt8(ascii: "x"), count: 3_000_000) + [13, 10]  // one 3 MB line
        for i in 0..<20_000 { big += Array(".line \(i)\r\n".utf8) }
        try dovecot.deliver(user: user, messages: [big])
        let session = try POP3Session(endpoint: endpoint(dovecot, user, tls: .none), secret: dovecot.password)
        defer { session.close() }
        let list = try session.listing()
        var got: [UInt8]?
        try session.retrieve([1]) { _, bytes in got = bytes }
        XCTAssertEqual(got?.count, list.first?.size)
        XCTAssertTrue(got == big)
    }

    func testDeleteAndQuitEmptiesTheMailbox() throws {
        let dovecot = try Dovecot.require()
        let user = dovecot.makeUser(prefix: "pop3-dele")
        try dovecot.deliver(user: user, messages: (0..<150).map { sampleMessage(index: $0, size: 600) })
        let session = try POP3Session(endpoint: endpoint(dovecot, user, tls: .none), secret: dovecot.password)
        let list = try session.listing()
        XCTAssertEqual(list.count, 150)
        try session.delete(list.map(\.number))
        XCTAssertEqual(dovecot.messageCount(user: user), 150, "DELE is not final before QUIT")
        try session.quit()
        XCTAssertEqual(dovecot.messageCount(user: user), 0)

        // A new session sees an empty maildrop.
        let again = try POP3Session(endpoint: endpoint(dovecot, user, tls: .none), secret: dovecot.password)
        XCTAssertEqual(try again.listing(), [])
        try again.quit()
    }

    func testCloseWithoutQuitKeepsDeletedMessages() throws {
        let dovecot = try Dovecot.require()
        let user = dovecot.makeUser(prefix: "pop3-abort")
        try dovecot.deliver(user: user, messages: (0..<3).map { sampleMessage(index: $0) })
        let session = try POP3Session(endpoint: endpoint(dovecot, user, tls: .starttls, caFile: dovecot.certificatePath),
                                      secret: dovecot.password)
        try session.delete([1, 2, 3])
        session.close()  // no QUIT: the server must forget the DELEs (libcurl must not QUIT for us)
        let check = try POP3Session(endpoint: endpoint(dovecot, user, tls: .none), secret: dovecot.password)
        XCTAssertEqual(try check.listing().count, 3)
        try check.quit()
        XCTAssertEqual(dovecot.messageCount(user: user), 3)
    }

    func testRetrieveOfMissingMessageIsReportedAndTheSessionGoesOn() throws {
        let dovecot = try Dovecot.require()
        let user = dovecot.makeUser(prefix: "pop3-err")
        try dovecot.deliver(user: user, messages: [sampleMessage(index: 1), sampleMessage(index: 2)])
        let session = try POP3Session(endpoint: endpoint(dovecot, user, tls: .none), secret: dovecot.password)
        defer { session.close() }
        var got: [Int] = []
        let refused = try session.retrieve([1, 7, 2]) { n, _ in got.append(n) }
        XCTAssertEqual(refused.keys.sorted(), [7])
        XCTAssertTrue(refused[7]!.contains("RETR 7"), refused[7]!)
        XCTAssertEqual(got, [1, 2], "responses after the refusal are still read in order")
        try session.noop()
        XCTAssertEqual(try session.listing().count, 2)
    }

    func testCallerErrorDrainsThePipeline() throws {
        struct Stop: Error {}
        let dovecot = try Dovecot.require()
        let user = dovecot.makeUser(prefix: "pop3-stop")
        try dovecot.deliver(user: user, messages: (0..<10).map { sampleMessage(index: $0) })
        let session = try POP3Session(endpoint: endpoint(dovecot, user, tls: .none), secret: dovecot.password)
        defer { session.close() }
        XCTAssertThrowsError(try session.retrieve(Array(1...10)) { n, _ in if n == 3 { throw Stop() } }) { error in
            XCTAssertTrue(error is Stop)
        }
        var again: [Int] = []
        try session.retrieve([9, 10]) { n, _ in again.append(n) }
        XCTAssertEqual(again, [9, 10])
    }

    func testWrongPasswordIsAuthenticationFailed77() throws {
        let dovecot = try Dovecot.require()
        let user = dovecot.makeUser(prefix: "pop3-auth")
        let password = "Wr0ng-\(UInt32.random(in: 100_000...999_999))"
        for tls in [Endpoint.TLS.none, .implicit] {
            XCTAssertThrowsError(try POP3Session(endpoint: endpoint(dovecot, user, tls: tls, caFile: dovecot.certificatePath),
                                                 secret: password)) { error in
                guard let e = error as? MailSourceError, case .authenticationFailed(let m) = e else { return XCTFail("\(error)") }
                XCTAssertEqual(e.exitCode, 77)
                XCTAssertTrue(m.hasPrefix("the server refused the login for \(user): "), m)
                XCTAssertFalse(e.description.contains(password), e.description)
            }
        }
    }

    func testClosedPortIsTemporary75() throws {
        let port = try unusedLoopbackPort()
        let e = Endpoint(scheme: .pop3, host: "127.0.0.1", port: port, user: "u", tls: .none)
        XCTAssertThrowsError(try POP3Session(endpoint: e, secret: "secret")) { error in
            XCTAssertEqual((error as? MailSourceError)?.exitCode, 75, "\(error)")
        }
    }

    func testSelfSignedWithoutCAFileIsConfiguration78() throws {
        let dovecot = try Dovecot.require()
        for tls in [Endpoint.TLS.implicit, .starttls] {
            XCTAssertThrowsError(try POP3Session(endpoint: endpoint(dovecot, dovecot.makeUser(), tls: tls), secret: dovecot.password)) { error in
                guard let e = error as? MailSourceError, case .configuration(let m) = e else { return XCTFail("\(error)") }
                XCTAssertEqual(e.exitCode, 78)
                XCTAssertTrue(m.contains("tls_ca_file"), m)
            }
        }
    }
}
