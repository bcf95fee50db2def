import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// The throwaway Dovecot that `Scripts/dovecot-start` runs, as described by `DIR/env`
/// (DIR: `$MAILGATE_DOVECOT_DIR`, default `/tmp/mailgate-dovecot`). Any user name logs in
/// with `password`; every test makes its own users, so tests never share a mailbox.
public struct Dovecot: Sendable {
    public static let defaultDirectory = "/tmp/mailgate-dovecot"

    public let directory: String
    public let host: String
    public let imapPort: Int
    public let imapsPort: Int
    public let pop3Port: Int
    public let pop3sPort: Int
    /// The self-signed certificate (SAN localhost, 127.0.0.1), to use as tls_ca_file.
    public let certificatePath: String
    public let password: String
    /// DIR/mail: one home per user, DIR/mail/USER/Maildir.
    public let mailRoot: String
    /// The OAuth2 test server whose introspection Dovecot's oauth2 passdb asks
    /// (`MAILGATE_DOVECOT_OAUTH2=1 Scripts/dovecot-start`); nil when not started.
    public var oauthURL: String? = nil

    /// The Dovecot DIR/env describes, or nil if no env file is there (not started, or stopped)
    /// or its master process (DIR/run/master.pid) is gone.
    public static func running(directory: String? = nil) -> Dovecot? {
        let dir = directory ?? ProcessInfo.processInfo.environment["MAILGATE_DOVECOT_DIR"] ?? defaultDirectory
        guard let text = try? String(contentsOfFile: dir + "/env", encoding: .utf8) else { return nil }
        if let pidText = try? String(contentsOfFile: dir + "/run/master.pid", encoding: .utf8),
           let pid = Int32(pidText.trimmingCharacters(in: .whitespacesAndNewlines)),
           kill(pid, 0) != 0 && errno == ESRCH {
            return nil
        }
        var env: [String: String] = [:]
        for line in text.split(whereSeparator: \.isNewline) {
            guard let eq = line.firstIndex(of: "="), !line.hasPrefix("#") else { continue }
            env[String(line[..<eq])] = String(line[line.index(after: eq)...])
        }
        guard let imap = env["IMAP_PORT"].flatMap(Int.init), let imaps = env["IMAPS_PORT"].flatMap(Int.init),
              let pop3 = env["POP3_PORT"].flatMap(Int.init), let pop3s = env["POP3S_PORT"].flatMap(Int.init)
        else { return nil }
        let root = env["MAILGATE_DOVECOT_DIR"] ?? dir
        return Dovecot(directory: root, host: env["HOST"] ?? "127.0.0.1",
                       imapPort: imap, imapsPort: imaps, pop3Port: pop3, pop3sPort: pop3s,
                       certificatePath: env["CERT"] ?? root + "/cert.pem",
                       password: env["PASSWORD"] ?? "secret",
                       mailRoot: env["MAILROOT"] ?? root + "/mail",
                       oauthURL: env["OAUTH_URL"].flatMap { $0.isEmpty ? nil : $0 })
    }

    /// The running Dovecot, or an `XCTSkip` ("no test Dovecot: run Scripts/dovecot-start") to
    /// `throw` from a test.
    public static func require(directory: String? = nil) throws -> Dovecot {
        if let d = running(directory: directory) { return d }
        let dir = directory ?? ProcessInfo.processInfo.environment["MAILGATE_DOVECOT_DIR"] ?? defaultDirectory
        throw XCTSkip("no test Dovecot: run Scripts/dovecot-start (looked for \(dir)/env)")
    }

    // MARK: users and mailboxes

    private static let counter = Counter()

    /// A user name no other test (in this or another process) uses: `prefix-PID-N-RANDOM`.
    public func makeUser(prefix: String = "user") -> String {
        let clean = prefix.lowercased().map { $0.isLetter || $0.isNumber ? $0 : "-" }
        let n = Dovecot.counter.next()
        let random = String(UInt32.random(in: 0...UInt32.max), radix: 36)
        return "\(String(clean))-\(getpid())-\(n)-\(random)"
    }

    /// DIR/mail/USER/Maildir
    public func maildir(user: String) -> String { "\(mailRoot)/\(user)/Maildir" }

    /// Writes `messages` straight into the user's Maildir (`new/`, or `cur/…:2,S` when `seen`),
    /// in order (Dovecot gives them ascending UIDs / POP3 numbers in this order when it first
    /// sees them together), and hands the tree to nobody:nogroup. Returns the file paths.
    /// Each file is written and handed over in `tmp/`, then renamed into place (the Maildir
    /// way), so a session that is open meanwhile (IDLE) never sees, or moves, a half-made one.
    @discardableResult
    public func deliver(user: String, messages: [[UInt8]], seen: Bool = false) throws -> [String] {
        let home = "\(mailRoot)/\(user)"
        let md = maildir(user: user)
        let fm = FileManager.default
        for sub in ["cur", "new", "tmp"] {
            try fm.createDirectory(atPath: "\(md)/\(sub)", withIntermediateDirectories: true)
        }
        for dir in [home, md, "\(md)/cur", "\(md)/new", "\(md)/tmp"] { try chownNobody(dir) }
        let stamp = Int(Date().timeIntervalSince1970)
        let base = Dovecot.counter.next()
        var paths: [String] = []
        paths.reserveCapacity(messages.count)
        for (i, message) in messages.enumerated() {
            // Zero-padded sequence in the name keeps the name order equal to the given order.
            let name = "\(stamp).M\(String(format: "%09d", base * 100_000 + i))P\(getpid()).mailgate-test"
            let path = seen ? "\(md)/cur/\(name):2,S" : "\(md)/new/\(name)"
            let temporary = "\(md)/tmp/\(name)"
            try writeFile(temporary, message)
            try chownNobody(temporary)
            guard rename(temporary, path) == 0 else {
                throw TestSupportError("cannot move \(temporary) to \(path): \(String(cString: strerror(errno)))")
            }
            paths.append(path)
        }
        return paths
    }

    /// How many messages are left in the user's Maildir (files in new/ and cur/).
    public func messageCount(user: String) -> Int {
        let md = maildir(user: user)
        var count = 0
        for sub in ["new", "cur"] {
            count += ((try? FileManager.default.contentsOfDirectory(atPath: "\(md)/\(sub)")) ?? []).count
        }
        return count
    }

    /// The stored messages (files in new/ and cur/), sorted by file name.
    public func storedMessages(user: String) throws -> [[UInt8]] {
        let md = maildir(user: user)
        var files: [String] = []
        for sub in ["new", "cur"] {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: "\(md)/\(sub)")) ?? []
            files += names.map { "\(md)/\(sub)/\($0)" }
        }
        return try files.sorted { ($0 as NSString).lastPathComponent < ($1 as NSString).lastPathComponent }
            .map { [UInt8](try Data(contentsOf: URL(fileURLWithPath: $0))) }
    }

    private func writeFile(_ path: String, _ bytes: [UInt8]) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw TestSupportError("cannot create \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var offset = 0
        try bytes.withUnsafeBytes { raw in
            while offset < raw.count {
                let n = write(fd, raw.baseAddress! + offset, raw.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    throw TestSupportError("cannot write \(path): \(String(cString: strerror(errno)))")
                }
                offset += n
            }
        }
    }

    private func chownNobody(_ path: String) throws {
        if chown(path, 65534, 65534) != 0 {
            throw TestSupportError("cannot chown \(path) to nobody:nogroup: \(String(cString: strerror(errno)))")
        }
    }
}

public struct TestSupportError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0
    func next() -> Int {
        lock.lock(); defer { lock.unlock() }
        value += 1
        return value
    }
}
