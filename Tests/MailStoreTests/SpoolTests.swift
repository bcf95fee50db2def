import Foundation
@testable import MailStore
import XCTest

final class SpoolTests: TemporaryDirectoryTestCase {
    func testRoundTripModesAndLayout() throws {
        let old = umask(0)
        defer { umask(old) }
        let spool = try Spool(directory: directory + "/spool")
        XCTAssertEqual(mode(directory + "/spool"), 0o700)
        let bytes = Array("Subject: hi\r\n\r\nbody\r\n".utf8)
        let url = try spool.write(bytes, sha256: key(0xabcdef01))
        XCTAssertEqual(url.path, directory + "/spool/ab/cdef01" + String(key(0xabcdef01).dropFirst(8)))
        XCTAssertEqual(mode(url.path), 0o600)
        XCTAssertEqual(mode(url.deletingLastPathComponent().path), 0o700)
        try spool.sync()
        XCTAssertEqual(try spool.read(sha256: key(0xabcdef01)), bytes)
        XCTAssertTrue(try spool.contains(sha256: key(0xabcdef01)))
        try spool.remove(sha256: key(0xabcdef01))
        XCTAssertFalse(try spool.contains(sha256: key(0xabcdef01)))
        try spool.remove(sha256: key(0xabcdef01))  // already gone: fine
        XCTAssertThrowsError(try spool.read(sha256: key(0xabcdef01)))
    }

    func testDedupKeepsOneFile() throws {
        let spool = try Spool(directory: directory + "/spool")
        let bytes = [UInt8](repeating: 0x61, count: 1000)
        let a = try spool.write(bytes, sha256: key(1))
        let b = try spool.write(bytes, sha256: key(1))
        XCTAssertEqual(a, b)
        try spool.sync()
        let files = try FileManager.default.subpathsOfDirectory(atPath: directory + "/spool")
            .filter { !$0.hasPrefix("tmp") && $0.count > 3 }
        XCTAssertEqual(files.count, 1)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory + "/spool/tmp"), [])
    }

    func testPartialLeftoverIsReplaced() throws {
        let spool = try Spool(directory: directory + "/spool")
        let url = try spool.url(sha256: key(2))
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: url.path, contents: Data())
        try spool.write(Array("full".utf8), sha256: key(2))
        XCTAssertEqual(try spool.read(sha256: key(2)), Array("full".utf8))
    }

    func testStreamingWriter() throws {
        let spool = try Spool(directory: directory + "/spool")
        let writer = try spool.beginWrite()
        var expected: [UInt8] = []
        for i in 0..<50 {
            let chunk = [UInt8](repeating: UInt8(i), count: 100_000)
            try writer.append(chunk)
            expected += chunk
        }
        XCTAssertEqual(writer.byteCount, 5_000_000)
        try writer.finish(sha256: key(3))
        try spool.sync()
        XCTAssertEqual(try spool.read(sha256: key(3)), expected)
        XCTAssertThrowsError(try writer.append([1]))

        let aborted = try spool.beginWrite()
        try aborted.append([1, 2, 3])
        aborted.abort()
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory + "/spool/tmp"), [])
    }

    func testRejectsMalformedKeys() throws {
        let spool = try Spool(directory: directory + "/spool")
        for bad in ["", "../../etc/passwd", String(repeating: "A", count: 64), String(repeating: "a", count: 63)] {
            XCTAssertThrowsError(try spool.write([1], sha256: bad)) { error in
                XCTAssertEqual((error as! StoreError).kind, .invalidArgument)
            }
        }
    }

    func testSyncAfterRemoveIsFine() throws {
        let spool = try Spool(directory: directory + "/spool")
        try spool.write([1], sha256: key(4))
        try spool.remove(sha256: key(4))
        try spool.sync()
    }

    func testSpoolPathThatIsAFileIsAnError() throws {
        _ = FileManager.default.createFile(atPath: directory + "/file", contents: Data())
        XCTAssertThrowsError(try Spool(directory: directory + "/file")) { error in
            XCTAssertEqual((error as! StoreError).exitCode, 78)
        }
    }
}
