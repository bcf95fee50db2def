import MailDNS
import Foundation
import XCTest

/// A real dnsmasq on loopback serving `Tests/Fixtures/dns/zones.conf` (names under `.test`),
/// for the resolver's and `doctor`'s DNS tests. Each instance is its own process on a free
/// port; it is stopped by `stop()` or when the object goes away.
///
/// Without dnsmasq (Debian `dnsmasq`, installed by `Scripts/install-deps`) the tests skip,
/// except under CI (`CI=true`), where that is an error.
public final class DNSTestServer: @unchecked Sendable {
    /// `Tests/Fixtures/dns/zones.conf` of this checkout.
    public static let zonesPath: String = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // TestSupport
        .deletingLastPathComponent()  // Tests
        .appendingPathComponent("Fixtures/dns/zones.conf").path

    /// The loopback address it listens on: `127.0.0.1` (the default) or `::1`.
    public let host: String
    /// The UDP and TCP port on `host`.
    public let port: Int
    /// `127.0.0.1:PORT` or `[::1]:PORT`, as `--nameserver` and `[doctor] nameserver` take it.
    public var address: String { Self.address(host, port) }

    static func address(_ host: String, _ port: Int) -> String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

    private let pid: pid_t
    private var exited = false
    private let directory: TemporaryDirectory

    /// Starts dnsmasq with `zones` (default: the fixture) on `host` (a loopback address) and
    /// returns once it answers a question (TXT `ready.test`, which the zones must define).
    /// - Throws: `XCTSkip` when dnsmasq is not installed (outside CI); `TestSupportError` when
    ///   it does not start or answer.
    public init(zones: String = DNSTestServer.zonesPath, host: String = "127.0.0.1") throws {
        self.host = host
        let binary = try Self.binary()
        directory = try TemporaryDirectory(prefix: "mailgate-dnsmasq")
        var lastError = "not started"
        // A port found free may be taken before dnsmasq binds it: try a few.
        for _ in 0..<5 {
            let port = try unusedLoopbackPort()
            let log = directory.file("dnsmasq-\(port).log")
            let arguments = [
                binary, "--keep-in-foreground", "--no-resolv", "--no-hosts", "--no-poll",
                "--port=\(port)", "--listen-address=\(host)", "--bind-interfaces",
                "--conf-file=\(zones)", "--pid-file=", "--log-facility=-",
            ] + (geteuid() == 0 ? ["--user=root", "--group=root"] : [])
            let pid = try Self.spawn(arguments, log: log)
            if Self.waitUntilAnswering(pid, address: Self.address(host, port)) {
                self.port = port
                self.pid = pid
                return
            }
            kill(pid, SIGTERM)
            var status: Int32 = 0
            waitpid(pid, &status, 0)
            lastError = ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")
                .trimmingCharacters(in: .whitespacesAndNewlines)
            if !lastError.contains("in use") { break }
        }
        throw TestSupportError("dnsmasq did not start: \(lastError.isEmpty ? "no answer from it" : lastError)")
    }

    /// Stops dnsmasq (SIGTERM, then waits for it).
    public func stop() {
        guard !exited else { return }
        exited = true
        kill(pid, SIGTERM)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
    }

    deinit { stop() }

    /// posix_spawn rather than Foundation's Process: dnsmasq closes the descriptors it
    /// inherits, among them the socket Process watches for the child's exit, after which
    /// Process's monitor thread blocks in wait4 on it and no other Process's exit is seen.
    private static func spawn(_ arguments: [String], log: String) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, log, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let status = posix_spawn(&pid, arguments[0], &actions, nil, &argv, environ)
        guard status == 0 else { throw TestSupportError("cannot run \(arguments[0]): \(String(cString: strerror(status)))") }
        return pid
    }

    /// `pid` has not exited (reaping it if it has).
    private static func running(_ pid: pid_t) -> Bool {
        var status: Int32 = 0
        return waitpid(pid, &status, WNOHANG) == 0
    }

    /// Asks `ready.test` until dnsmasq answers (true) or exits (false). Each try is bounded by
    /// the resolver's own time-out; a refusal (not bound yet) is retried after a moment.
    private static func waitUntilAnswering(_ pid: pid_t, address: String) -> Bool {
        guard let resolver = try? DNSResolver(nameserver: address, timeout: 0.5, tries: 1) else { return false }
        for _ in 0..<200 {
            guard running(pid) else { return false }
            if let answer = try? resolver.txt("ready.test"), answer == ["ready"] { return true }
            usleep(20_000)
        }
        return false
    }

    /// The dnsmasq executable, or XCTSkip (an error under CI).
    private static func binary() throws -> String {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        let candidates = ["/usr/sbin/dnsmasq", "/sbin/dnsmasq"] + path.split(separator: ":").map { "\($0)/dnsmasq" }
        if let found = candidates.first(where: FileManager.default.isExecutableFile) { return found }
        let what = "dnsmasq is not installed (Debian package dnsmasq; Scripts/install-deps installs it)"
        if ProcessInfo.processInfo.environment["CI"] == "true" { throw TestSupportError("\(what); CI must run the DNS tests") }
        throw XCTSkip("\(what): skipped")
    }
}
