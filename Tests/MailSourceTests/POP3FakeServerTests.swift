import XCTest
import Foundation
import MailSource
import TestSupport

/// A one-connection POP3 server on loopback for behaviours Dovecot does not have:
/// no STLS, no PIPELINING, no CAPA.
final class FakePOP3Server: @unchecked Sendable {
    let port: Int
    private let listener: Int32
    private let messages: [[UInt8]]
    private let capabilities: [String]?
    private let done = DispatchSemaphore(value: 0)
    private let lock = NSLock()
    private var _commands: [String] = []
    var commands: [String] { lock.lock(); defer { lock.unlock() }; return _commands }

    init(messages: [[UInt8]], capabilities: [String]?) throws {
        self.messages = messages
        self.capabilities = capabilities
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        self.listener = listener
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = 0
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        _ = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &len) }
        }
        guard listen(listener, 4) == 0 else { throw TestSupportError("listen failed") }
        port = Int(UInt16(bigEndian: addr.sin_port))
        let thread = Thread { [self] in serve(); done.signal() }
        thread.start()
    }

    deinit { close(listener) }

    func waitUntilDone() { done.wait() }

    private func serve() {
        let fd = accept(listener, nil, nil)
        guard fd >= 0 else { return }
        defer { close(fd) }
        func write(_ s: String) { _ = s.withCString { Glibc.send(fd, $0, strlen($0), Int32(MSG_NOSIGNAL)) } }
        func writeBytes(_ b: [UInt8]) { _ = b.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) } }
        write("+OK fake POP3 ready\r\n")
        var pending = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = recv(fd, &buffer, buffer.count, 0)
            if n <= 0 { return }
            pending += buffer[0..<n]
            while let lf = pending.firstIndex(of: 10) {
                let line = String(decoding: pending[..<lf], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
                pending.removeSubrange(...lf)
                lock.lock(); _commands.append(line); lock.unlock()
                let parts = line.split(separator: " ")
                switch parts.first?.uppercased() ?? "" {
                case "CAPA":
                    if let capabilities { write("+OK\r\n" + capabilities.map { $0 + "\r\n" }.joined() + ".\r\n") } else { write("-ERR unknown command\r\n") }
                case "USER": write("+OK\r\n")
                case "PASS": write(parts.count > 1 && parts[1] == "pw" ? "+OK logged in\r\n" : "-ERR [AUTH] bad password\r\n")
                case "UIDL":
                    write("+OK\r\n" + messages.indices.map { "\($0 + 1) uid\($0 + 1)\r\n" }.joined() + ".\r\n")
                case "LIST":
                    write("+OK\r\n" + messages.indices.map { "\($0 + 1) \(messages[$0].count)\r\n" }.joined() + ".\r\n")
                case "RETR":
                    let i = (parts.count > 1 ? Int(parts[1]) : nil) ?? 0
                    if i >= 1 && i <= messages.count {
                        var out = Array("+OK\r\n".utf8)
                        // dot-stuff
                        var atStart = true
                        for b in messages[i - 1] {
                            if atStart && b == UInt8(ascii: ".") { out.append(b) }
                            out.append(b)
                            atStart = b == 10
                        }
                        out += Array(".\r\n".utf8)
                        writeBytes(out)
                    } else { write("-ERR no such message\r\n") }
                case "QUIT": write("+OK bye\r\n"); return
                default: write("-ERR unknown command\r\n")
                }
            }
        }
    }
}

final class POP3FakeServerTests: XCTestCase {
    func testRequiredSTLSNotOfferedIsConfiguration78() throws {
        let server = try FakePOP3Server(messages: [], capabilities: ["USER", "UIDL"])
        let endpoint = Endpoint(scheme: .pop3, host: "127.0.0.1", port: server.port, user: "u", tls: .starttls)
        XCTAssertThrowsError(try POP3Session(endpoint: endpoint, secret: "pw")) { error in
            guard let e = error as? MailSourceError, case .configuration(let m) = e else { return XCTFail("\(error)") }
            XCTAssertEqual(e.exitCode, 78)
            XCTAssertTrue(m.contains("STARTTLS"), m)
        }
        XCTAssertFalse(server.commands.contains { $0.hasPrefix("PASS") }, "the password must not go out in the clear")
    }

    func testWithoutPipeliningOneCommandAtATime() throws {
        let messages = (0..<5).map { sampleMessage(index: $0, size: 700) }
        let server = try FakePOP3Server(messages: messages, capabilities: ["USER", "UIDL"])
        let endpoint = Endpoint(scheme: .pop3, host: "127.0.0.1", port: server.port, user: "u", tls: .none)
        let session = try POP3Session(endpoint: endpoint, secret: "pw")
        XCTAssertFalse(session.supportsPipelining)
        let list = try session.listing()
        XCTAssertEqual(list.map(\.uidl), ["uid1", "uid2", "uid3", "uid4", "uid5"])
        let before = (session.commandCount, session.writeCount)
        var got: [[UInt8]] = []
        try session.retrieve(list.map(\.number)) { _, bytes in got.append(bytes) }
        XCTAssertEqual(got, messages)
        XCTAssertEqual(session.commandCount - before.0, 5)
        XCTAssertEqual(session.writeCount - before.1, 5, "one RETR per write without PIPELINING")
        try session.quit()
        server.waitUntilDone()
        XCTAssertEqual(server.commands.last, "QUIT")
    }

    func testServerWithoutCAPAAndUSERPASSLogin() throws {
        let server = try FakePOP3Server(messages: [Array("Subject: x\r\n\r\n.\r\n..\r\n".utf8)], capabilities: nil)
        let endpoint = Endpoint(scheme: .pop3, host: "127.0.0.1", port: server.port, user: "u", tls: .none)
        let session = try POP3Session(endpoint: endpoint, secret: "pw")
        XCTAssertEqual(session.greeting, "+OK fake POP3 ready")
        XCTAssertEqual(session.capabilities, [])
        var got: [UInt8] = []
        try session.retrieve([1]) { _, bytes in got = bytes }
        XCTAssertEqual(got, Array("Subject: x\r\n\r\n.\r\n..\r\n".utf8))
        try session.quit()
    }

    func testUSERPASSRefusalIs77WithServerWords() throws {
        let server = try FakePOP3Server(messages: [], capabilities: ["USER"])
        let endpoint = Endpoint(scheme: .pop3, host: "127.0.0.1", port: server.port, user: "carol", tls: .none)
        XCTAssertThrowsError(try POP3Session(endpoint: endpoint, secret: "guessed-pw")) { error in
            guard let e = error as? MailSourceError, case .authenticationFailed(let m) = e else { return XCTFail("\(error)") }
            XCTAssertEqual(m, "the server refused the login for carol: [AUTH] bad password")
            XCTAssertFalse(e.description.contains("guessed-pw"))
        }
    }
}
