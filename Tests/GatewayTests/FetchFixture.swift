import Foundation
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
        if caFile { toml += "tls_ca_file = \"\(dovecot.certPath)\"\n" }
        toml += extra + "\n"
        try toml.write(toFile: configPath, atomically: true, encoding: .utf8)
        chmod(configPath, 0o600)
    }

    func mailgate(_ args: String..., environment: [String: String] = [:]) throws -> MailgateRun {
        try runMailgate(args + ["--config", configPath], environment: environment)
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

    /// Every raw message in the spool, by content.
    func spooledMessages() throws -> Set<Data> {
        let spool = directory.path + "/spool"
        var found = Set<Data>()
        let files = FileManager.default.enumerator(atPath: spool)
        while let name = files?.nextObject() as? String {
            var isDir: ObjCBool = false
            let path = spool + "/" + name
            if FileManager.default.fileExists(atPath: path, isDirectory: &isDir), !isDir.boolValue,
               !name.hasPrefix("tmp") {
                found.insert(try Data(contentsOf: URL(fileURLWithPath: path)))
            }
        }
        return found
    }
}

/// What Dovecot serves for a message stored with LF line endings: CRLF everywhere.
func crlf(_ message: [UInt8]) -> Data {
    var out = Data()
    out.reserveCapacity(message.count + message.count / 40)
    var previous: UInt8 = 0
    for byte in message {
        if byte == 0x0A && previous != 0x0D { out.append(0x0D) }
        out.append(byte)
        previous = byte
    }
    return out
}
