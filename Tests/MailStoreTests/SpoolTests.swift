import Foundation
@testable import MailStore
import XCTest

final class SpoolTests: TemporaryDirectoryTestCase {
    private func spool() throws -> Spool {
        try Spool(directory: directory + "/spool", store: Store(path: directory + "/store.sqlite"))
    }

    /// A streamed message as a file: durable when `finish` returns.
    @discardableResult
    private func writeFile(_ spool: Spool, _ bytes: [UInt8], sha256: String) throws -> URL {
        let writer = try spool.beginWrite()
        try writer.append(bytes)
        return try writer.finish(sha256: sha256)
    }

    func testRoundTripModesAndLayout() throws {
        let old = umask(0)
        defer { umask(old) }
        let spool = try spool()
        XCTAssertEqual(mode(directory + "/spool"), 0o700)
        let bytes = Array("Subject: hi\r\n\r\nbody\r\n".utf8)
        let url = try writeFile(spool, bytes, sha256: key(0xabcdef01))
        XCTAssertEqual(url.path, directory + "/spool/ab/cdef01" + String(key(0xabcdef01).dropFirst(8)))
        XCTAssertEqual(mode(url.path), 0o600)
        XCTAssertEqual(mode(url.deletingLastPathComponent().path), 0o700)
        XCTAssertEqual(try spool.read(sha256: key(0xabcdef01)), bytes)
        XCTAssertTrue(try spool.contains(sha256: key(0xabcdef01)))
        try spool.remove(sha256: key(0xabcdef01))
        XCTAssertFalse(try spool.contains(sha256: key(0xabcdef01)))
        try spool.remove(sha256: key(0xabcdef01))  // already gone: fine
        XCTAssertThrowsError(try spool.read(sha256: key(0xabcdef01)))
    }

    /// Small messages are kept in the database with their rows (one commit); the spool reads
    /// them back the same way, and a message kept twice is kept once.
    func testMessagesKeptInTheDatabaseAreReadThroughTheSpool() throws {
        let store = try Store(path: directory + "/store.sqlite")
        let spool = try Spool(directory: directory + "/spool", store: store)
        let mb = try store.mailboxID(host: "h", port: 993, user: "u", folder: "INBOX")
        let bytes = Array("Subject: kept\r\n\r\nin the database\r\n".utf8)
        try store.record([NewSeenRow(mailbox: mb, uidValidity: 1, uid: 1, size: Int64(bytes.count), sha256: key(7), messageID: nil),
                          NewSeenRow(mailbox: mb, uidValidity: 1, uid: 2, size: Int64(bytes.count), sha256: key(7), messageID: nil)],
                         raw: [key(7): bytes])
        XCTAssertEqual(try spool.read(sha256: key(7)), bytes)
        XCTAssertTrue(try spool.contains(sha256: key(7)))
        let files = try FileManager.default.subpathsOfDirectory(atPath: directory + "/spool").filter { !$0.hasPrefix("tmp") }
        XCTAssertEqual(files, [], "no file per message")
    }

    func testPartialLeftoverIsReplaced() throws {
        let spool = try spool()
        let url = try spool.url(sha256: key(2))
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: url.path, contents: Data())
        try writeFile(spool, Array("full".utf8), sha256: key(2))
        XCTAssertEqual(try spool.read(sha256: key(2)), Array("full".utf8))
    }

    func testStreamingWriter() throws {
        let spool = try spool()
        let writer = try spool.beginWrite()
        var expected: [UInt8] = []
        for i in 0..<50 {
            let chunk = [UInt8](repeating: UInt8(i), count: 100_000)
            try writer.append(chunk)
            expected += chunk
        }
        XCTAssertEqual(writer.byteCount, 5_000_000)
        try writer.finish(sha256: key(3))
        XCTAssertEqual(try spool.read(sha256: key(3)), expected)
        XCTAssertThrowsError(try writer.append([1]))

        let aborted = try spool.beginWrite()
        try aborted.append([1, 2, 3])
        aborted.abort()
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory + "/spool/tmp"), [])
    }

    func testRejectsMalformedKeys() throws {
        let spool = try spool()
        for bad in ["", "../../etc/passwd", String(repeating: "A", count: 64), String(repeating: "a", count: 63)] {
            XCTAssertThrowsError(try writeFile(spool, [1], sha256: bad)) { error in
                XCTAssertEqual((error as! StoreError).kind, .invalidArgument)
            }
            XCTAssertThrowsError(try spool.read(sha256: bad)) { error in
                XCTAssertEqual((error as! StoreError).kind, .invalidArgument)
            }
        }
    }

    func testSpoolPathThatIsAFileIsAnError() throws {
        _ = FileManager.default.createFile(atPath: directory + "/file", contents: Data())
        XCTAssertThrowsError(try Spool(directory: directory + "/file", store: Store(path: directory + "/store.sqlite"))) { error in
            XCTAssertEqual((error as! StoreError).exitCode, 78)
        }
    }
}
