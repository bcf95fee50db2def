import Foundation
import XCTest

/// `Scripts/oauth-test-server` as started beside the test Dovecot
/// (`MAILGATE_DOVECOT_OAUTH2=1 Scripts/dovecot-start`): its URL and its switches.
public struct OAuthTestServer: Sendable {
    public let url: String
    public var tokenURL: String { url + "/token" }
    public var deviceAuthorizationURL: String { url + "/device_authorization" }
    public var authorizationURL: String { url + "/authorize" }

    /// The Dovecot with its oauth2 passdb and the server, or an `XCTSkip`.
    public static func require() throws -> (Dovecot, OAuthTestServer) {
        let dovecot = try Dovecot.require()
        guard let url = dovecot.oauthURL else {
            throw XCTSkip("the test Dovecot has no oauth2 passdb: start it with MAILGATE_DOVECOT_OAUTH2=1 Scripts/dovecot-start")
        }
        return (dovecot, OAuthTestServer(url: url))
    }

    /// Calls a switch (`approve`, `expire-now`, `revoke`, `hold`, `held`, `release`, `stats`, …)
    /// and returns its JSON answer. `held` blocks until the server holds the requests asked for.
    @discardableResult
    public func call(_ name: String, _ parameters: [String: String] = [:]) throws -> [String: Any] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        var args = ["-s", "--max-time", "90", "\(url)/test/\(name)"]
        for (k, v) in parameters.sorted(by: { $0.key < $1.key }) { args += ["--data-urlencode", "\(k)=\(v)"] }
        process.arguments = args
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw TestSupportError("oauth-test-server /test/\(name) answered \(String(decoding: data, as: UTF8.self))")
        }
        return object
    }

    /// How many tokens each grant type issued so far.
    public func grants() throws -> [String: Int] {
        (try call("stats")["grants"] as? [String: Int]) ?? [:]
    }

    /// Every access and refresh token the server issued (to prove none leaks into output).
    public func issuedTokens() throws -> [String] {
        (try call("stats")["issued"] as? [String]) ?? []
    }
}

/// A `mailgate` run in the background whose standard output and error are read line by line
/// as they come (to react to a printed code or a log line instead of waiting blindly).
public final class BackgroundMailgate: @unchecked Sendable {
    public let process = Process()
    private let outPipe = Pipe()
    private let errPipe = Pipe()
    private let inPipe = Pipe()
    private let condition = NSCondition()
    private var out: [UInt8] = []
    private var err: [UInt8] = []
    private var outClosed = false
    private var errClosed = false

    public init(args: [String], env: [String: String] = [:]) throws {
        process.executableURL = URL(fileURLWithPath: try Mailgate.executablePath())
        process.arguments = args
        var environment = ProcessInfo.processInfo.environment
        for (k, v) in env { environment[k] = v }
        process.environment = environment
        process.standardOutput = outPipe
        process.standardError = errPipe
        process.standardInput = inPipe
        outPipe.fileHandleForReading.readabilityHandler = { [weak self] h in self?.append(h.availableData, error: false) }
        errPipe.fileHandleForReading.readabilityHandler = { [weak self] h in self?.append(h.availableData, error: true) }
        try process.run()
    }

    private func append(_ data: Data, error: Bool) {
        condition.lock()
        if data.isEmpty {
            if error { errClosed = true } else { outClosed = true }
        } else if error {
            err += data
        } else {
            out += data
        }
        condition.broadcast()
        condition.unlock()
    }

    public var stdout: String { condition.lock(); defer { condition.unlock() }; return String(decoding: out, as: UTF8.self) }
    public var stderr: String { condition.lock(); defer { condition.unlock() }; return String(decoding: err, as: UTF8.self) }

    /// Waits until standard output (or error) holds a line matching `predicate` and returns
    /// it; throws when the process closed its output first (or after `limit` seconds, a
    /// safety net against a hang, never a timing assertion).
    public func waitForLine(onStderr: Bool = false, limit: TimeInterval = 120,
                            where predicate: (String) -> Bool) throws -> String {
        try waitForLines(onStderr: onStderr, count: 1, limit: limit, where: predicate)[0]
    }

    /// Waits until `count` lines match `predicate` (called on every line each time output
    /// arrives, so it must not count by itself) and returns them.
    @discardableResult
    public func waitForLines(onStderr: Bool = false, count: Int, limit: TimeInterval = 120,
                             where predicate: (String) -> Bool) throws -> [String] {
        let deadline = Date().addingTimeInterval(limit)
        condition.lock()
        defer { condition.unlock() }
        while true {
            let text = String(decoding: onStderr ? err : out, as: UTF8.self)
            let lines = text.split(separator: "\n").map(String.init).filter(predicate)
            if lines.count >= count { return lines }
            if onStderr ? errClosed : outClosed {
                throw TestSupportError("mailgate ended without the expected line; stdout: \(String(decoding: out, as: UTF8.self)) stderr: \(String(decoding: err, as: UTF8.self))")
            }
            if !condition.wait(until: deadline) {
                throw TestSupportError("no expected line within \(Int(limit)) s; stdout: \(String(decoding: out, as: UTF8.self)) stderr: \(String(decoding: err, as: UTF8.self))")
            }
        }
    }

    /// Writes a line to the process's standard input.
    public func type(_ line: String) {
        inPipe.fileHandleForWriting.write(Data((line + "\n").utf8))
    }

    /// Waits for the exit; returns the exit code with everything printed.
    public func finish() -> MailgateRun {
        process.waitUntilExit()
        condition.lock()
        let deadline = Date().addingTimeInterval(10)  // both pipes close right after the exit
        while !(outClosed && errClosed), condition.wait(until: deadline) {}
        condition.unlock()
        outPipe.fileHandleForReading.readabilityHandler = nil
        errPipe.fileHandleForReading.readabilityHandler = nil
        return MailgateRun(exitCode: process.terminationStatus, stdout: stdout, stderr: stderr)
    }
}
