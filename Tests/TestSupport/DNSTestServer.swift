import DNS
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

    /// The UDP and TCP port on 127.0.0.1.
    public let port: Int
    /// `127.0.0.1:PORT`, as `--nameserver` and `[doctor] nameserver` take it.
    public var address: String { "127.0.0.1:\(port)" }

    private let process: Process
    private let directory: TemporaryDirectory

    /// Starts dnsmasq with `zones` (default: the fixture) and returns once it answers a
    /// question (TXT `ready.test`, which the zones must define).
    /// - Throws: `XCTSkip` when dnsmasq is not installed (outside CI); `TestSupportError` when
    ///   it does not start or answer.
    public init(zones: String = DNSTestServer.zonesPath) throws {
        let binary = try Self.binary()
        directory = try TemporaryDirectory(prefix: "mailgate-dnsmasq")
        var lastError = "not started"
        // A port found free may be taken before dnsmasq binds it: try a few.
        for _ in 0..<5 {
            let port = try unusedLoopbackPort()
            let log = directory.file("dnsmasq-\(port).log")
            _ = FileManager.default.createFile(atPath: log, contents: nil)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: binary)
            process.arguments = [
                "--keep-in-foreground", "--no-resolv", "--no-hosts", "--no-poll",
                "--port=\(port)", "--listen-address=127.0.0.1", "--bind-interfaces",
                "--conf-file=\(zones)", "--pid-file=", "--log-facility=-",
            ] + (geteuid() == 0 ? ["--user=root", "--group=root"] : [])
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
            process.standardOutput = handle
            process.standardError = handle
            try process.run()
            try? handle.close()
            if Self.waitUntilAnswering(process, port: port) {
                self.port = port
                self.process = process
                return
            }
            if process.isRunning { process.terminate() }
            process.waitUntilExit()
            lastError = ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")
                .trimmingCharacters(in: .whitespacesAndNewlines)
            if !lastError.contains("in use") { break }
        }
        throw TestSupportError("dnsmasq did not start: \(lastError.isEmpty ? "no answer from it" : lastError)")
    }

    public func stop() {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
    }

    deinit { stop() }

    /// Asks `ready.test` until dnsmasq answers (true) or exits (false). Each try is bounded by
    /// the resolver's own time-out; a refusal (not bound yet) is retried after a moment.
    private static func waitUntilAnswering(_ process: Process, port: Int) -> Bool {
        guard let resolver = try? DNSResolver(nameserver: "127.0.0.1:\(port)", timeout: 0.5, tries: 1) else { return false }
        for _ in 0..<200 {
            guard process.isRunning else { return false }
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
