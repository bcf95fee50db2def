import Foundation
import MIME
import MailStore
import TestSupport
import XCTest

/// A large outbox drains completely, each message once, in memory that does not grow with it.
final class OdooDrainTests: XCTestCase {
    func testTenThousandQueuedMessagesDrainWithBoundedMemory() throws {
        let count = 10_000
        let server = try OdooTestServer(version: 19)
        defer { server.stop() }
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let configPath = directory.file("mailgate.toml")
        try """
            [store]
            path = "mailgate.sqlite"
            [odoo]
            url = "\(server.url)"
            database = "acme"
            user = "mailgate@acme.test"
            api_key = "test-key"
            [alias.sales]
            model = "crm.lead"
            target = "odoo"
            """.write(toFile: configPath, atomically: true, encoding: .utf8)
        chmod(configPath, 0o600)

        // Queue them straight into the store, as the record transactions would (bytes and rows
        // in one transaction): each message carries 8 KB of text, 80 MB in all.
        let store = try Store(path: directory.file("mailgate.sqlite"))
        let filler = String(repeating: "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\r\n", count: 124)
        var rows: [NewOutboxRow] = []
        var raws: [String: [UInt8]] = [:]
        for n in 0..<count {
            let raw = Array("Message-ID: <bulk\(n)@client.test>\r\nFrom: a@client.test\r\nTo: sales@acme.test\r\nSubject: bulk \(n)\r\n\r\n\(filler)".utf8)
            let digest = SHA256.hex(raw)
            raws[digest] = raw
            rows.append(NewOutboxRow(server: "main", alias: "sales", messageID: "<bulk\(n)@client.test>", parentMessageID: nil,
                                     rawSHA256: digest))
        }
        try store.recordsTransaction("queueing") { records in
            for (digest, raw) in raws { try records.keepRaw(raw, sha256: digest, in: store) }
            for row in rows { try records.queueForOdoo(row) }
        }
        try store.close()

        let (exitCode, peakKB) = try runMeasured(try Mailgate.executablePath(), ["push", "--config", configPath])
        XCTAssertEqual(exitCode, 0)
        XCTAssertEqual(try server.counter("pushes"), count)
        XCTAssertEqual(try server.counter("overlapping"), 0)
        XCTAssertEqual(try server.messages().count, count, "each message once")
        // Its peak memory stays far below the 80 MB it sent.
        let peakMB = Double(peakKB) / 1024
        print("push of \(count) messages (80 MB): peak resident memory \(Int(peakMB)) MB")
        XCTAssertLessThan(peakMB, 60)
    }

    /// Runs `path args` and returns its exit status and its peak resident memory (KB). A small
    /// python3 parent runs it: a child spawned from this (large) test process would report this
    /// process's resident memory as its own peak, since Linux keeps the high-water mark across exec.
    private func runMeasured(_ path: String, _ args: [String]) throws -> (Int32, Int) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", """
            import resource, subprocess, sys
            r = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            print(r.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
            """, path] + args
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        let fields = text.split(whereSeparator: { $0 == " " || $0 == "\n" }).compactMap { Int($0) }
        guard fields.count == 2 else { throw TestSupportError("could not measure \(path): \(text)") }
        return (Int32(fields[0]), fields[1])
    }
}
