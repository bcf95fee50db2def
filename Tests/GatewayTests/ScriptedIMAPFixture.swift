import Foundation
import MailStore
import TestSupport
import XCTest

/// `Tests/Fixtures/imap/scripted_imap.py` answering as a quirky deployed server did, plus a
/// config and store for one alias (`sales`) polling it over plain IMAP on loopback.
final class ScriptedIMAPFixture {
    let directory: TemporaryDirectory
    let port: Int
    private let server: Process
    var configPath: String { directory.path + "/mailgate.toml" }
    var storePath: String { directory.path + "/mailgate.sqlite" }

    /// `messages`: UID → raw message; `quirks`: the server's misbehaviours (see the script).
    init(messages: [UInt32: [UInt8]], quirks: [String: Any] = [:], extra: String = "") throws {
        directory = try TemporaryDirectory(prefix: "mailgate-scripted")
        var list: [[String: Any]] = []
        for (uid, bytes) in messages.sorted(by: { $0.key < $1.key }) {
            let file = directory.file("message-\(uid).eml")
            try Data(bytes).write(to: URL(fileURLWithPath: file))
            list.append(["uid": uid, "file": file])
        }
        let scenario = directory.file("scenario.json")
        try JSONSerialization.data(withJSONObject: ["messages": list, "quirks": quirks]).write(to: URL(fileURLWithPath: scenario))

        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/imap/scripted_imap.py").path
        server = Process()
        server.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        server.arguments = ["python3", script, scenario]
        let output = Pipe()
        server.standardOutput = output
        try server.run()
        // The script prints its port once it listens: that line is the signal to go on.
        var line: [UInt8] = []
        while !line.contains(0x0A) {
            let data = output.fileHandleForReading.availableData
            if data.isEmpty { throw TestSupportError("the scripted IMAP server exited before it listened") }
            line += data
        }
        guard let port = Int(String(decoding: line.prefix(while: { $0 != 0x0A }), as: UTF8.self)) else {
            throw TestSupportError("the scripted IMAP server printed no port")
        }
        self.port = port
        let toml = """
            [store]
            path = "mailgate.sqlite"

            [defaults]
            domain = "acme.test"

            [alias.sales]
            url = "imap://127.0.0.1:\(port)/INBOX"
            tls = "none"
            user = "sales@acme.test"
            password = "not-a-real-secret"
            start = "all"
            model = "crm.lead"
            \(extra)

            """
        try toml.write(toFile: configPath, atomically: true, encoding: .utf8)
        chmod(configPath, 0o600)
    }

    deinit {
        server.terminate()
        server.waitUntilExit()
    }

    func mailgate(_ args: String...) throws -> MailgateRun {
        try runMailgate(args: args + ["--config", configPath])
    }

    /// `mailgate fetch --json`, decoded.
    func fetch() throws -> (run: MailgateRun, report: [String: Any]) {
        let run = try mailgate("fetch", "--json")
        let line = run.stdout.split(separator: "\n").last.map(String.init) ?? ""
        let object = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any] ?? [:]
        return (run, object)
    }

    /// The server's side: UIDs flagged \Seen, UIDs still there, sessions, commands.
    func serverState() throws -> (seen: [Int], present: [Int], sessions: Int, commands: [String]) {
        let data = try Data(contentsOf: URL(fileURLWithPath: directory.file("state.json")))
        let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
        return (object["seen"] as? [Int] ?? [], object["present"] as? [Int] ?? [], object["sessions"] as? Int ?? 0,
                object["commands"] as? [String] ?? [])
    }

    /// Every seen row, by UID.
    func rows() throws -> [UInt32: SeenRow] {
        let store = try Store(path: storePath)
        let rows = try store.rows(states: Set(SeenState.allCases))
        return Dictionary(uniqueKeysWithValues: rows.compactMap { row in row.uid.map { ($0, row) } })
    }

    /// Time passes for the failed messages: their next attempt is due now (the sqlite3 shell,
    /// as an admin would; no waiting).
    func makeRetriesDue() throws {
        try sql("UPDATE seen SET next_attempt_at = '2000-01-01 00:00:00.000' WHERE state = 'failed'")
    }

    /// Runs SQL on the store with the sqlite3 shell.
    func sql(_ statement: String) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
        process.arguments = [storePath, statement]
        try process.run()
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0, statement)
    }
}

/// A small message with a given Message-ID, LF line ends (the server serves CRLF).
func scriptedMessage(_ id: String, subject: String = "Quote request") -> [UInt8] {
    Array("""
        From: Li Wei <li.wei@customer.test>
        To: sales@acme.test
        Subject: \(subject)
        Message-ID: <\(id)@customer.test>
        Date: Mon, 30 Nov 2026 08:00:00 +0800

        Please send a quote for 20 units.

        """.utf8)
}

/// The message as the server serves it (CRLF).
func servedCRLF(_ message: [UInt8]) -> [UInt8] {
    var out: [UInt8] = []
    for byte in message {
        if byte == 0x0A && out.last != 0x0D { out.append(0x0D) }
        out.append(byte)
    }
    return out
}
