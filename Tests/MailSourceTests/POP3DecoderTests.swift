import XCTest
@testable import MailSource

/// POP3 framing against a scripted server: dot-unstuffing across chunk boundaries, -ERR.
final class POP3DecoderTests: XCTestCase {
    private func bytes(_ s: String) -> [UInt8] { Array(s.utf8) }
    private let endpoint = Endpoint(scheme: .pop3, host: "scripted", port: 110, user: "u", tls: .none)

    /// Every split of the wire bytes into two chunks decodes to the same message.
    func testDotUnstuffingAtEveryChunkBoundary() throws {
        let wire = bytes("+OK 40 octets\r\n..hidden\r\n\r\nline\r\n...\r\nlast\r\n.\r\n+OK next\r\n")
        let expected = bytes(".hidden\r\n\r\nline\r\n..\r\nlast\r\n")
        for cut in 1..<wire.count {
            let stream = ScriptedStream([Array(wire[..<cut]), Array(wire[cut...])])
            let reader = LineReader(stream, chunkSize: 64)
            XCTAssertEqual(try reader.readLine(), bytes("+OK 40 octets"))
            var got = [UInt8]()
            try reader.readPOP3Multiline { got += $0 }
            XCTAssertEqual(got, expected, "cut at \(cut)")
            XCTAssertEqual(try reader.readLine(), bytes("+OK next"), "cut at \(cut)")
        }
    }

    func testByteByByteAndBareLF() throws {
        let wire = bytes("+OK\nabc\n..x\n.\n")
        let reader = LineReader(ScriptedStream(wire.map { [$0] }), chunkSize: 64)
        _ = try reader.readLine()
        var got = [UInt8]()
        try reader.readPOP3Multiline { got += $0 }
        XCTAssertEqual(got, bytes("abc\n.x\n"))
    }

    func testEmptyBody() throws {
        let reader = LineReader(ScriptedStream([bytes(".\r\n")]))
        var got = [UInt8]()
        try reader.readPOP3Multiline { got += $0 }
        XCTAssertEqual(got, [])
    }

    func testSessionListingRetrieveAndErr() throws {
        let stream = ScriptedStream([
            bytes("+OK\r\nPIPELINING\r\nUIDL\r\n.\r\n"),                       // CAPA
            bytes("+OK\r\n1 aaa\r\n2 bbb\r\n.\r\n+OK 2 messages\r\n1 5\r\n2 7\r\n.\r\n"),  // UIDL, LIST
            bytes("+OK\r\nabc\r\n.\r\n-ERR [SYS/TEMP] no such message\r\n"),  // RETR 1, RETR 2
        ])
        let session = try POP3Session(stream: stream, endpoint: endpoint, greeting: "+OK hi")
        XCTAssertTrue(session.supportsPipelining)
        let list = try session.listing()
        XCTAssertEqual(list, [POP3Entry(number: 1, uidl: "aaa", size: 5), POP3Entry(number: 2, uidl: "bbb", size: 7)])
        var got: [Int: [UInt8]] = [:]
        let refused = try session.retrieve([1, 2]) { got[$0] = $1 }
        XCTAssertEqual(refused.keys.sorted(), [2])
        XCTAssertTrue(refused[2]!.contains("RETR 2") && refused[2]!.contains("[SYS/TEMP] no such message"), refused[2]!)
        XCTAssertEqual(got, [1: bytes("abc\r\n")])
        XCTAssertEqual(String(decoding: stream.sent, as: UTF8.self), "CAPA\r\nUIDL\r\nLIST\r\nRETR 1\r\nRETR 2\r\n")
        XCTAssertFalse(session.isClosed)
    }

    /// Fuzz/POP3Fuzz crash input (artifacts/pop3/crash-09feead…): LIST names message 2 twice
    /// and message 1 never. The listing holds each number once, so nothing is fetched twice
    /// (the poll used to trap building its number-to-entry map).
    func testListingWithARepeatedNumberHoldsItOnce() throws {
        let stream = ScriptedStream([
            bytes("+OK capa\r\nUIDL\r\nPIPELINING\r\n.\r\n"),
            bytes("+OK\r\n1 00000001aa\r\n2 00000002aa\r\n.\r\n+OK\r\n2 40\r\n2 40\r\n.\r\n"),
        ])
        let session = try POP3Session(stream: stream, endpoint: endpoint, greeting: "+OK hi")
        XCTAssertEqual(try session.listing(), [POP3Entry(number: 2, uidl: "00000002aa", size: 40)])
    }

    func testGarbageStatusBreaksTheSession() throws {
        let stream = ScriptedStream([bytes("-ERR no CAPA\r\n"), bytes("HELLO?\r\n")])
        let session = try POP3Session(stream: stream, endpoint: endpoint, greeting: nil)
        XCTAssertEqual(session.capabilities, [])
        XCTAssertThrowsError(try session.noop()) { error in
            XCTAssertEqual((error as? MailSourceError)?.exitCode, 75)
            guard case .protocolViolation? = error as? MailSourceError else { return XCTFail("\(error)") }
        }
        XCTAssertTrue(session.isClosed)
    }
}
