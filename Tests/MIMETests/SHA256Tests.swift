import XCTest
@testable import MIME

final class SHA256Tests: XCTestCase {
    func testVectors() {
        XCTAssertEqual(SHA256.hex([UInt8]()), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        XCTAssertEqual(SHA256.hex(Array("abc".utf8)), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        XCTAssertEqual(SHA256.hex(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)),
                       "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        let million = [UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000)
        XCTAssertEqual(SHA256.hex(million), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
        XCTAssertEqual(million.withUnsafeBytes { SHA256.hex($0) }, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
        XCTAssertEqual(SHA256.hash(Array("abc".utf8)).count, 32)
    }

    /// Every length around the 55/56/64-byte padding boundaries, and incremental updates in odd pieces.
    func testPaddingBoundariesAndIncremental() {
        // Known: sha256 of 55, 56, 64 'a's.
        XCTAssertEqual(SHA256.hex([UInt8](repeating: 0x61, count: 55)), "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318")
        XCTAssertEqual(SHA256.hex([UInt8](repeating: 0x61, count: 56)), "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a")
        XCTAssertEqual(SHA256.hex([UInt8](repeating: 0x61, count: 64)), "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb")
        let data = (0..<1000).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        var h = SHA256.Hasher256()
        var i = 0
        var step = 1
        while i < data.count { let e = min(data.count, i + step); h.update(data[i..<e]); i = e; step = step * 2 + 1 }
        XCTAssertEqual(SHA256.hexString(h.finish()), SHA256.hex(data))
    }
}
