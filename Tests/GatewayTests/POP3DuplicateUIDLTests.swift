import Foundation
import MailStore
import TestSupport
import XCTest

/// A POP3 server that gives two different messages one UIDL (RFC 1939 §7 forbids it; some
/// servers derive UIDLs from headers): both are stored before either is deleted, and neither is
/// fetched twice. `Tests/Fixtures/pop3/scripted_pop3.py` is the server.
final class POP3DuplicateUIDLTests: XCTestCase {
    private var server: Process?
    private var directory: TemporaryDirectory!

    override func tearDown() {
        server?.terminate()
        server?.waitUntilExit()
    }

    private func message(_ n: Int) -> [UInt8] {
        Array("From: lead\(n)@customer.test\nTo: sales@acme.test\nSubject: lead \(n)\nMessage-ID: <lead-\(n)@customer.test>\n\nbody \(n)\n".utf8)
    }

    /// Starts the server with `uidls` (one message each) and writes a config for alias sales.
    private func start(uidls: [String], afterFetch: String) throws -> String {
        directory = try TemporaryDirectory(prefix: "mailgate-pop3-uidl")
        var list: [[String: Any]] = []
        for (index, uidl) in uidls.enumerated() {
            let file = directory.file("message-\(index).eml")
            try Data(message(index + 1)).write(to: URL(fileURLWithPath: file))
            list.append(["uidl": uidl, "file": file])
        }
        let scenario = directory.file("scenario.json")
        try JSONSerialization.data(withJSONObject: ["messages": list]).write(to: URL(fileURLWithPath: scenario))
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/pop3/scripted_pop3.py").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script, scenario]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        server = process
        // The script prints its port once it listens: that line is the signal to go on.
        var line: [UInt8] = []
        while !line.contains(0x0A) {
            let data = output.fileHandleForReading.availableData
            if data.isEmpty { throw TestSupportError("the scripted POP3 server exited before it listened") }
            line += data
        }
        let port = try XCTUnwrap(Int(String(decoding: line.prefix(while: { $0 != 0x0A }), as: UTF8.self)))
        let config = directory.file("mailgate.toml")
        try """
            [store]
            path = "mailgate.sqlite"

            [defaults]
            domain = "acme.test"

            [alias.sales]
            url = "pop3://127.0.0.1:\(port)/"
            tls = "none"
            user = "sales@acme.test"
            password = "not-a-real-secret"
            after_fetch = "\(afterFetch)"
            model = "crm.lead"

            """.write(toFile: config, atomically: true, encoding: .utf8)
        chmod(config, 0o600)
        return config
    }

    private func fetch(_ config: String) throws -> [String: Any] {
        let run = try runMailgate(args: ["fetch", "--json", "--config", config])
        XCTAssertEqual(run.exitCode, 0, run.stdout + run.stderr)
        let line = run.stdout.split(separator: "\n").last.map(String.init) ?? ""
        return (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any] ?? [:]
    }

    private func storedSubjects() throws -> Set<String> {
        let store = try Store(path: directory.file("mailgate.sqlite"))
        let spool = try Spool(directory: directory.file("spool"), store: store)
        let keys = try store.rows(states: Set(SeenState.allCases)).compactMap(\.sha256)
        return Set(try keys.map { key in
            let text = String(decoding: try spool.read(sha256: key), as: UTF8.self)
            return text.split(separator: "\r\n").first { $0.hasPrefix("Subject: ") }.map(String.init) ?? ""
        })
    }

    private func present() throws -> [Int] {
        let data = try Data(contentsOf: URL(fileURLWithPath: directory.file("state.json")))
        return (try JSONSerialization.jsonObject(with: data) as? [String: Any])?["present"] as? [Int] ?? []
    }

    func testTwoMessagesWithOneUIDLAreBothStoredBeforeTheyAreDeleted() throws {
        let config = try start(uidls: ["same", "other", "same"], afterFetch: "delete")
        let report = try fetch(config)
        XCTAssertEqual(report["fetched"] as? Int, 3, "\(report)")
        XCTAssertTrue((report["notices"] as? [String] ?? []).contains { $0.contains("2 messages the same UIDL \"same\"") }, "\(report)")
        XCTAssertEqual(try storedSubjects(), ["Subject: lead 1", "Subject: lead 2", "Subject: lead 3"])
        XCTAssertEqual(try present(), [], "all three were deleted, each after it was stored")
    }

    func testKeptMessagesWithOneUIDLAreNotFetchedAgain() throws {
        let config = try start(uidls: ["same", "same", "other"], afterFetch: "keep")
        XCTAssertEqual(try fetch(config)["fetched"] as? Int, 3)
        let second = try fetch(config)
        XCTAssertEqual(second["fetched"] as? Int, 0, "\(second)")
        XCTAssertEqual(try storedSubjects(), ["Subject: lead 1", "Subject: lead 2", "Subject: lead 3"])
        XCTAssertEqual(try present(), [0, 1, 2])
    }
}
