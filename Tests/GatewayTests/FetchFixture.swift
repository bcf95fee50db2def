import Foundation
import MailStore
import TestSupport
import XCTest

/// One alias mailbox on the test Dovecot plus a config and store for it in a temp directory;
/// runs the real `mailgate` executable against them.
struct FetchFixture {
    enum Proto: String { case pop3, pop3s, imap, imaps }

    let dovecot: Dovecot
    let user: String
    let directory: TemporaryDirectory
    var configPath: String { directory.path + "/mailgate.toml" }

    init(_ proto: Proto, alias: String = "jobs", extra: String = "", password: String? = nil,
         port: Int? = nil, caFile: Bool = true) throws {
        dovecot = try Dovecot.require()
        user = dovecot.makeUser(prefix: alias)
        directory = try TemporaryDirectory()
        let defaultPort: Int
        switch proto {
        case .pop3: defaultPort = dovecot.pop3Port
        case .pop3s: defaultPort = dovecot.pop3sPort
        case .imap: defaultPort = dovecot.imapPort
        case .imaps: defaultPort = dovecot.imapsPort
        }
        let folder = proto == .imap || proto == .imaps ? "/INBOX" : "/"
        var toml = """
            [store]
            path = "mailgate.sqlite"

            [defaults]
            domain = "acme.test"

            [alias.\(alias)]
            url = "\(proto.rawValue)://127.0.0.1:\(port ?? defaultPort)\(folder)"
            user = "\(user)"
            password = "\(password ?? dovecot.password)"

            """
        if caFile { toml += "tls_ca_file = \"\(dovecot.certificatePath)\"\n" }
        toml += extra + "\n"
        try toml.write(toFile: configPath, atomically: true, encoding: .utf8)
        chmod(configPath, 0o600)
    }

    func mailgate(_ args: String..., environment: [String: String] = [:], stdin: [UInt8]? = nil) throws -> MailgateRun {
        try runMailgate(args: args + ["--config", configPath], env: environment, stdin: stdin)
    }

    /// `mailgate fetch --json` for the one alias, decoded.
    func fetch(environment: [String: String] = [:]) throws -> (run: MailgateRun, report: [String: Any]) {
        let run = try mailgate("fetch", "--json", environment: environment)
        let line = run.stdout.split(separator: "\n").last.map(String.init) ?? ""
        let object = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any] ?? [:]
        return (run, object)
    }

    func status() throws -> [String: Any] {
        let run = try mailgate("status", "--json")
        XCTAssertEqual(run.exitCode, 0, run.stderr)
        let line = run.stdout.split(separator: "\n").first.map(String.init) ?? ""
        return (try JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any] ?? [:]
    }

    /// Time passes for failed messages: their next attempt is due now (the sqlite3 shell).
    func makeRetriesDue() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
        process.arguments = [directory.path + "/mailgate.sqlite",
                             "UPDATE seen SET next_attempt_at = '2000-01-01 00:00:00.000' WHERE state = 'failed'"]
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw TestSupportError("sqlite3 could not update the store") }
    }

    /// Runs one statement on the store with the sqlite3 shell; returns what it printed.
    @discardableResult
    func sqlite(_ sql: String) throws -> String {
        let process = Process()
        let output = Pipe()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
        process.arguments = [directory.path + "/mailgate.sqlite", sql]
        process.standardOutput = output
        try process.run()
        let printed = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw TestSupportError("sqlite3 could not run \(sql)") }
        return String(decoding: printed, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Every raw message the store keeps (in the database or as a spool file), by content,
    /// read back the way every reader does: through the spool.
    func spooledMessages() throws -> Set<Data> {
        let store = try Store(path: directory.path + "/mailgate.sqlite")
        let spool = try Spool(directory: directory.path + "/spool", store: store)
        let keys = Set(try store.rows(states: Set(SeenState.allCases)).compactMap(\.sha256))
        return Set(try keys.map { Data(try spool.read(sha256: $0)) })
    }
}

/// What Dovecot serves for a message stored with LF line endings: CRLF everywhere.
func crlf(_ message: [UInt8]) -> Data { Data(SampleMessage.crlf(message)) }

extension Dovecot {
    /// A test message stored with LF line endings, as most Maildirs hold them.
    func sampleMessage(index: Int, size: Int) -> [UInt8] {
        TestSupport.sampleMessage(index: index, size: size, crlf: false)
    }

    /// Messages in a folder of the user's Maildir++ (`nil`: INBOX); folder names in
    /// modified UTF-7 as Dovecot stores them.
    func messageCount(user: String, folder: String) -> Int {
        let dir = maildir(user: user) + "/." + ModifiedUTF7.encode(folder)
        return ["new", "cur"].reduce(0) { $0 + ((try? FileManager.default.contentsOfDirectory(atPath: "\(dir)/\($1)")) ?? []).count }
    }

    /// INBOX messages carrying the \Seen flag (`:2,…S…` in cur/).
    func seenCount(user: String) -> Int {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: maildir(user: user) + "/cur")) ?? []
        return names.filter { name in name.split(separator: ":").last.map { $0.hasPrefix("2,") && $0.contains("S") } ?? false }.count
    }

    /// `doveadm mailbox update --uid-validity`: what a server migration or restore does.
    func resetUIDValidity(user: String) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/doveadm")
        process.arguments = ["-c", directory + "/dovecot.conf", "mailbox", "update", "-u", user,
                             "--uid-validity", String(UInt32.random(in: 1_000_000...2_000_000_000)), "INBOX"]
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw TestSupportError("doveadm mailbox update failed") }
    }
}

/// Modified UTF-7 (RFC 3501 §5.1.3), the encoding of IMAP folder names on disk.
enum ModifiedUTF7 {
    static func encode(_ name: String) -> String {
        var out = ""
        var pending: [UInt16] = []
        func flush() {
            guard !pending.isEmpty else { return }
            var bytes: [UInt8] = []
            for unit in pending { bytes += [UInt8(unit >> 8), UInt8(unit & 0xFF)] }
            let b64 = Data(bytes).base64EncodedString().replacingOccurrences(of: "/", with: ",")
                .replacingOccurrences(of: "=", with: "")
            out += "&" + b64 + "-"
            pending = []
        }
        for scalar in name.unicodeScalars {
            if scalar.value >= 0x20 && scalar.value <= 0x7E {
                flush()
                out += scalar == "&" ? "&-" : String(scalar)
            } else {
                pending += Array(String(scalar).utf16)
            }
        }
        flush()
        return out
    }
}
