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

        // Queue them straight into the store, as the record transactions would (one spool sync,
        // one transaction): each message carries 8 KB of text, 80 MB in all.
        let store = try Store(path: directory.file("mailgate.sqlite"))
        let spool = try Spool(directory: directory.file("spool"))
        let filler = String(repeating: "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\r\n", count: 124)
        var rows: [NewOutboxRow] = []
        for n in 0..<count {
            let raw = Array("Message-ID: <bulk\(n)@client.test>\r\nFrom: a@client.test\r\nTo: sales@acme.test\r\nSubject: bulk \(n)\r\n\r\n\(filler)".utf8)
            let digest = SHA256.hex(raw)
            _ = try spool.write(raw, sha256: digest)
            rows.append(NewOutboxRow(server: "main", alias: "sales", messageID: "<bulk\(n)@client.test>", parentMessageID: nil,
                                     rawSHA256: digest))
        }
        try spool.sync()
        try store.recordsTransaction("queueing") { records in
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

    /// Runs `path args` and returns its exit status and its own peak resident memory (KB, from wait4).
    private func runMeasured(_ path: String, _ args: [String]) throws -> (Int32, Int) {
        var pid: pid_t = 0
        let argv = ([path] + args).map { strdup($0) } + [nil]
        defer { for p in argv { free(p) } }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        guard posix_spawn(&pid, path, &actions, nil, argv, environ) == 0 else { throw TestSupportError("cannot run \(path)") }
        var status: Int32 = 0
        var usage = rusage()
        while wait4(pid, &status, 0, &usage) < 0 && errno == EINTR {}
        return ((status >> 8) & 0xFF, usage.ru_maxrss)
    }
}
