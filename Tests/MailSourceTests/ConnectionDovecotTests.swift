import XCTest
import MailSource
import TestSupport

/// CurlConnection against the test Dovecot (Scripts/dovecot-start).
final class ConnectionDovecotTests: XCTestCase {
    func testPOP3PlainConnectLoginAndTalk() throws {
        let dovecot = try Dovecot.require()
        let user = dovecot.makeUser(prefix: "conn")
        let endpoint = Endpoint(scheme: .pop3, host: dovecot.host, port: dovecot.pop3Port, user: user, tls: .none)
        let connection = try CurlConnection(endpoint: endpoint, secret: dovecot.password)
        defer { connection.close() }
        XCTAssertEqual(connection.greeting?.hasPrefix("+OK"), true, "\(String(describing: connection.greeting))")
        XCTAssertGreaterThanOrEqual(connection.socket, 0)
        let reader = LineReader(connection)
        try connection.send("NOOP\r\n")
        XCTAssertEqual(String(decoding: try reader.readLine(), as: UTF8.self).prefix(3), "+OK")
        try connection.send("STAT\r\n")
        XCTAssertEqual(String(decoding: try reader.readLine(), as: UTF8.self), "+OK 0 0")
        XCTAssertNil(try reader.readLineIfAvailable(within: 0.05))
    }

    func testIMAPSImplicitTLSWithCAFile() throws {
        let dovecot = try Dovecot.require()
        let endpoint = Endpoint(scheme: .imaps, host: "localhost", port: dovecot.imapsPort,
                                user: dovecot.makeUser(prefix: "conn"), caFile: dovecot.certificatePath)
        let connection = try CurlConnection(endpoint: endpoint, secret: dovecot.password)
        defer { connection.close() }
        XCTAssertEqual(connection.greeting?.hasPrefix("* OK"), true)
        let reader = LineReader(connection)
        try connection.send("a1 NOOP\r\n")
        XCTAssertEqual(String(decoding: try reader.readLine(), as: UTF8.self).prefix(5), "a1 OK")
    }

    func testIMAPStartTLSWithCAFile() throws {
        let dovecot = try Dovecot.require()
        let endpoint = Endpoint(scheme: .imap, host: "127.0.0.1", port: dovecot.imapPort,
                                user: dovecot.makeUser(prefix: "conn"), auth: .plain, tls: .starttls,
                                caFile: dovecot.certificatePath)
        let connection = try CurlConnection(endpoint: endpoint, secret: dovecot.password)
        defer { connection.close() }
        let reader = LineReader(connection)
        try connection.send("a1 CAPABILITY\r\n")
        var sawMove = false
        while true {
            let line = String(decoding: try reader.readLine(), as: UTF8.self)
            if line.hasPrefix("* CAPABILITY") { sawMove = line.contains(" MOVE") }
            if line.hasPrefix("a1 ") { XCTAssertTrue(line.hasPrefix("a1 OK"), line); break }
        }
        XCTAssertTrue(sawMove)
    }

    func testWrongPasswordIs77WithoutThePassword() throws {
        let dovecot = try Dovecot.require()
        let user = dovecot.makeUser(prefix: "conn")
        let password = "not-the-Secret-\(UInt32.random(in: 1000...9999))"
        for (scheme, port) in [(Endpoint.Scheme.pop3, dovecot.pop3Port), (.imap, dovecot.imapPort)] {
            let endpoint = Endpoint(scheme: scheme, host: dovecot.host, port: port, user: user, tls: .none)
            XCTAssertThrowsError(try CurlConnection(endpoint: endpoint, secret: password)) { error in
                guard let e = error as? MailSourceError, case .authenticationFailed = e else { return XCTFail("\(error)") }
                XCTAssertEqual(e.exitCode, 77)
                XCTAssertTrue(e.description.contains(user), e.description)
                XCTAssertFalse(e.description.contains(password), e.description)
                XCTAssertFalse(String(reflecting: e).contains(password))
            }
        }
    }

    func testClosedPortIsTemporary() throws {
        let port = try unusedLoopbackPort()
        let endpoint = Endpoint(scheme: .pop3, host: "127.0.0.1", port: port, user: "nobody", tls: .none)
        XCTAssertThrowsError(try CurlConnection(endpoint: endpoint, secret: "x")) { error in
            guard let e = error as? MailSourceError, case .temporary = e else { return XCTFail("\(error)") }
            XCTAssertEqual(e.exitCode, 75)
        }
    }

    func testUnresolvableHostIs68() throws {
        let endpoint = Endpoint(scheme: .pop3, host: "no-such-host.invalid", port: 110, user: "u", tls: .none)
        XCTAssertThrowsError(try CurlConnection(endpoint: endpoint, secret: "x")) { error in
            XCTAssertEqual((error as? MailSourceError)?.exitCode, 68, "\(error)")
        }
    }

    func testSelfSignedWithoutCAFileIs78() throws {
        let dovecot = try Dovecot.require()
        let endpoint = Endpoint(scheme: .imaps, host: "localhost", port: dovecot.imapsPort, user: dovecot.makeUser())
        XCTAssertThrowsError(try CurlConnection(endpoint: endpoint, secret: dovecot.password)) { error in
            guard let e = error as? MailSourceError, case .configuration(let m) = e else { return XCTFail("\(error)") }
            XCTAssertEqual(e.exitCode, 78)
            XCTAssertTrue(m.contains("tls_ca_file"), m)
        }
    }

    func testSelfSignedWithVerificationOffConnects() throws {
        let dovecot = try Dovecot.require()
        let endpoint = Endpoint(scheme: .pop3s, host: "127.0.0.1", port: dovecot.pop3sPort, user: dovecot.makeUser(), verifyTLS: false)
        let connection = try CurlConnection(endpoint: endpoint, secret: dovecot.password)
        connection.close()
        XCTAssertTrue(connection.isClosed)
    }

    func testImplicitTLSOnPlainPortIsConfiguration() throws {
        let dovecot = try Dovecot.require()
        let endpoint = Endpoint(scheme: .pop3s, host: "127.0.0.1", port: dovecot.pop3Port, user: dovecot.makeUser(), verifyTLS: false)
        XCTAssertThrowsError(try CurlConnection(endpoint: endpoint, secret: dovecot.password)) { error in
            XCTAssertEqual((error as? MailSourceError)?.exitCode, 78, "\(error)")
        }
    }
}

final class ConnectionWaitTests: XCTestCase {
    func testSilenceTimesOutAsTemporary() throws {
        let dovecot = try Dovecot.require()
        let timeouts = Timeouts(connect: 30, command: 0.2, lowSpeed: 60, poll: 300)
        let endpoint = Endpoint(scheme: .pop3, host: dovecot.host, port: dovecot.pop3Port,
                                user: dovecot.makeUser(prefix: "wait"), tls: .none, timeouts: timeouts)
        let connection = try CurlConnection(endpoint: endpoint, secret: dovecot.password)
        defer { connection.close() }
        let reader = LineReader(connection)
        XCTAssertThrowsError(try reader.readLine()) { error in
            guard case .temporary(let m)? = error as? MailSourceError else { return XCTFail("\(error)") }
            XCTAssertTrue(m.contains("timed out after 0.2 s"), m)
        }
        // Still usable after a timeout.
        try connection.send("NOOP\r\n")
        XCTAssertEqual(Array(try reader.readLine().prefix(3)), Array("+OK".utf8))
    }

    func testServerCloseIsTemporaryAndCloseIsIdempotent() throws {
        let dovecot = try Dovecot.require()
        let endpoint = Endpoint(scheme: .pop3s, host: "localhost", port: dovecot.pop3sPort,
                                user: dovecot.makeUser(prefix: "wait"), caFile: dovecot.certificatePath)
        let connection = try CurlConnection(endpoint: endpoint, secret: dovecot.password)
        let reader = LineReader(connection)
        try connection.send("QUIT\r\n")
        XCTAssertEqual(Array(try reader.readLine().prefix(3)), Array("+OK".utf8))
        XCTAssertThrowsError(try reader.readLine()) { error in
            guard case .temporary? = error as? MailSourceError else { return XCTFail("\(error)") }
        }
        connection.close()
        connection.close()
        XCTAssertThrowsError(try connection.send("NOOP\r\n"))
    }

    func testInterruptWakesABlockedReader() throws {
        let dovecot = try Dovecot.require()
        let endpoint = Endpoint(scheme: .pop3, host: dovecot.host, port: dovecot.pop3Port,
                                user: dovecot.makeUser(prefix: "wait"), tls: .none)
        let connection = try CurlConnection(endpoint: endpoint, secret: dovecot.password)
        defer { connection.close() }
        let blocked = expectation(description: "reader woke up")
        let thread = Thread {
            do {
                _ = try LineReader(connection).readLine()
                XCTFail("readLine returned after interrupt()")
            } catch {
                XCTAssertEqual((error as? MailSourceError)?.exitCode, 75, "\(error)")
            }
            blocked.fulfill()
        }
        thread.start()
        connection.interrupt()
        wait(for: [blocked], timeout: 60)
    }
}
