import XCTest
@testable import MailSource

/// A scripted stream: hands out `chunks` one per receive, records what was sent.
final class ScriptedStream: ByteStream {
    var chunks: [[UInt8]]
    var sent: [UInt8] = []
    init(_ chunks: [[UInt8]]) { self.chunks = chunks }
    func send(_ bytes: UnsafeRawBufferPointer) throws { sent += bytes }
    func receive(into buffer: UnsafeMutableRawBufferPointer, waitingAtMost seconds: Double?) throws -> Int {
        guard !chunks.isEmpty else {
            if seconds != nil { return 0 }
            throw MailSourceError.temporary("scripted stream ran dry (timed out after 0 s)")
        }
        var chunk = chunks.removeFirst()
        let n = min(chunk.count, buffer.count)
        buffer.copyBytes(from: chunk[0..<n])
        if n < chunk.count { chunk.removeFirst(n); chunks.insert(chunk, at: 0) }
        return n
    }
}

final class ConnectionLineReaderTests: XCTestCase {
    private func bytes(_ s: String) -> [UInt8] { Array(s.utf8) }

    func testLinesSplitAcrossChunksAndBareLF() throws {
        let stream = ScriptedStream([bytes("+OK hel"), bytes("lo\r"), bytes("\nsecond\nthird\r\n")])
        let reader = LineReader(stream, chunkSize: 64)
        XCTAssertEqual(try reader.readLine(), bytes("+OK hello"))
        XCTAssertEqual(try reader.readLine(), bytes("second"))
        XCTAssertEqual(try reader.readLine(), bytes("third"))
        XCTAssertFalse(reader.hasBufferedData)
        XCTAssertThrowsError(try reader.readLine()) { error in
            XCTAssertEqual((error as? MailSourceError)?.exitCode, 75)
        }
    }

    func testRawLineKeepsLineEnd() throws {
        let reader = LineReader(ScriptedStream([bytes("a\r\nb\n")]))
        XCTAssertEqual(try reader.withRawLine { Array($0) }, bytes("a\r\n"))
        XCTAssertEqual(try reader.withRawLine { Array($0) }, bytes("b\n"))
    }

    func testExactReadStreamsChunksAndLeavesTheRest() throws {
        let payload = (0..<10_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        var chunks: [[UInt8]] = [bytes("* 1 FETCH {10000}\r\n")]
        var i = 0
        while i < payload.count { chunks.append(Array(payload[i..<min(i + 777, payload.count)])); i += 777 }
        chunks.append(bytes(")\r\nA1 OK done\r\n"))
        let reader = LineReader(ScriptedStream(chunks), chunkSize: 1024)
        XCTAssertEqual(try reader.readLine(), bytes("* 1 FETCH {10000}"))
        var got = [UInt8]()
        var calls = 0
        try reader.read(exactly: payload.count) { got += $0; calls += 1 }
        XCTAssertEqual(got, payload)
        XCTAssertGreaterThan(calls, 1)
        XCTAssertEqual(try reader.readLine(), bytes(")"))
        XCTAssertEqual(try reader.readLine(), bytes("A1 OK done"))
    }

    func testLongLineGrowsBufferUpToTheLimit() throws {
        let long = [UInt8](repeating: 65, count: 5_000)
        let reader = LineReader(ScriptedStream([long, bytes("\r\n")]), chunkSize: 256, maxLineLength: 10_000)
        XCTAssertEqual(try reader.readLine(), long)

        let tooLong = LineReader(ScriptedStream([long, long, long]), chunkSize: 256, maxLineLength: 4_096)
        XCTAssertThrowsError(try tooLong.readLine()) { error in
            guard case .protocolViolation(let m)? = error as? MailSourceError else { return XCTFail("\(error)") }
            XCTAssertTrue(m.contains("longer than 4096"), m)
        }
    }

    func testReadLineIfAvailableReturnsNilWithoutData() throws {
        let reader = LineReader(ScriptedStream([bytes("* 3 EXI")]))
        XCTAssertNil(try reader.readLineIfAvailable(within: 0.01))
        XCTAssertEqual(reader.bufferedByteCount, 7)
    }

    func testEndpointURL() {
        XCTAssertEqual(Endpoint(scheme: .imaps, host: "mail.example.com", user: "u").url, "imaps://mail.example.com:993/INBOX")
        XCTAssertEqual(Endpoint(scheme: .imap, host: "::1", folder: "Odoo Inbox/é", user: "u").url, "imap://[::1]:143/Odoo%20Inbox/%C3%A9")
        XCTAssertEqual(Endpoint(scheme: .pop3, host: "h", port: 1110, user: "u", tls: .implicit).url, "pop3s://h:1110/")
        XCTAssertEqual(Endpoint(scheme: .pop3s, host: "h", user: "u").tls, .implicit)
        XCTAssertEqual(Endpoint(scheme: .pop3, host: "h", user: "u").tls, .starttls)
    }

    func testErrorsRedactSecretsAndMapExitCodes() {
        let e = MailSourceError.authenticationFailed("server said hunter22 and AGJvYgBodW50ZXIyMg==").redacting("hunter22", user: "bob")
        XCTAssertFalse(e.description.contains("hunter22"))
        XCTAssertFalse(e.description.contains("AGJvYgBodW50ZXIyMg=="))
        XCTAssertEqual(e.exitCode, 77)
        XCTAssertEqual(MailSourceError.hostNotFound("x").exitCode, 68)
        XCTAssertEqual(MailSourceError.temporary("x").exitCode, 75)
        XCTAssertEqual(MailSourceError.protocolViolation("x").exitCode, 75)
        XCTAssertEqual(MailSourceError.configuration("x").exitCode, 78)
    }
}
