import XCTest
import TestSupport

/// The shared test fixtures themselves (TestSupport), which the other test targets rely on.
final class ConnectionTestSupportTests: XCTestCase {
    func testDeliverCountsAndStoredBytes() throws {
        let dovecot = try Dovecot.require()
        let user = dovecot.makeUser(prefix: "fixture")
        XCTAssertNotEqual(user, dovecot.makeUser(prefix: "fixture"))
        XCTAssertEqual(dovecot.messageCount(user: user), 0)
        let messages = (0..<3).map { sampleMessage(index: $0, size: 500, crlf: false) }
        try dovecot.deliver(user: user, messages: messages)
        try dovecot.deliver(user: user, messages: [sampleMessage(index: 9)], seen: true)
        XCTAssertEqual(dovecot.messageCount(user: user), 4)
        XCTAssertEqual(try dovecot.storedMessages(user: user).count, 4)
        var st = stat()
        XCTAssertEqual(stat(dovecot.maildir(user: user) + "/new", &st), 0)
        XCTAssertEqual(st.st_uid, 65534)
    }

    func testSampleMessages() {
        let lf = sampleMessage(index: 7, size: 3_000, crlf: false)
        let crlf = sampleMessage(index: 7, size: 3_000, crlf: true)
        XCTAssertEqual(SampleMessage.crlf(lf), crlf)
        XCTAssertGreaterThanOrEqual(crlf.count, 3_000)
        XCTAssertTrue(String(decoding: crlf, as: UTF8.self).contains("Message-ID: <sample-7@mailgate.test>\r\n"))
        XCTAssertEqual(Array(crlf.suffix(2)), [13, 10])
    }

    func testTemporaryDirectoryIsRemoved() throws {
        var path = ""
        do {
            let dir = try TemporaryDirectory()
            path = dir.path
            _ = FileManager.default.createFile(atPath: dir.file("x"), contents: Data("x".utf8))
            XCTAssertTrue(FileManager.default.fileExists(atPath: dir.file("x")))
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: path))
    }

    func testRunMailgateFindsTheBuiltExecutable() throws {
        let run = try runMailgate(args: ["--help"], env: ["MAILGATE_TEST": "1"])
        XCTAssertFalse(run.stdout.isEmpty && run.stderr.isEmpty, "mailgate printed nothing")
    }
}
