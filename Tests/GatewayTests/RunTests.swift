import Foundation
@testable import Gateway
import MailStore
import TestSupport
import XCTest

/// `mailgate run` against the test Dovecot: schedules, IDLE, signals, leases. Every wait is
/// a bounded wait for something observable (status, log, store), never a fixed sleep.
final class RunTests: XCTestCase {
    /// A config with an IMAP alias `sales` (and a POP3 alias `jobs` when asked), interval 1 h,
    /// so anything fetched after the first poll came through IDLE or a signal.
    struct Setup {
        let dovecot: Dovecot
        let directory: TemporaryDirectory
        let sales: String
        let jobs: String
        var configPath: String { directory.path + "/mailgate.toml" }
        var storePath: String { directory.path + "/mailgate.sqlite" }
        var logPath: String { directory.path + "/run.log" }

        init(pop3: Bool = false, port: Int? = nil, dovecot: Dovecot? = nil) throws {
            let dovecot = try dovecot ?? Dovecot.require()
            self.dovecot = dovecot
            directory = try TemporaryDirectory()
            sales = dovecot.makeUser(prefix: "sales")
            jobs = dovecot.makeUser(prefix: "jobs")
            try write(pop3: pop3)
        }

        func write(pop3: Bool, broken: Bool = false) throws {
            var toml = """
                [store]
                path = "mailgate.sqlite"

                [defaults]
                domain = "acme.test"
                interval = "1h"

                [alias.sales]
                url = "imap://127.0.0.1:\(dovecot.imapPort)/INBOX"
                user = "\(sales)"
                password = "\(dovecot.password)"
                tls_ca_file = "\(dovecot.certificatePath)"

                """
            if pop3 {
                toml += """
                    [alias.jobs]
                    url = "pop3://127.0.0.1:\(dovecot.pop3Port)/"
                    user = "\(jobs)"
                    password = "\(dovecot.password)"
                    tls_ca_file = "\(dovecot.certificatePath)"

                    """
            }
            if broken { toml += "[alias.oops\nurl = \n" }
            try toml.write(toFile: configPath, atomically: true, encoding: .utf8)
            chmod(configPath, 0o600)
        }

        func start(log: String? = nil, extra: [String] = []) throws -> RunningService {
            try RunningService(configPath: configPath, logPath: log ?? logPath, extra: extra)
        }

        func recorded(_ alias: String) throws -> Int {
            (try serviceStatus(configPath: configPath)[alias]?["recorded"] as? Int) ?? 0
        }

        func messages(_ first: Int, _ count: Int) -> [[UInt8]] {
            (first..<first + count).map { dovecot.sampleMessage(index: $0, size: 1_500) }
        }
    }

    func testRunPollsTwoAliasesIdleFetchesNewMailAndABrokenReloadKeepsTheOldConfig() throws {
        let setup = try Setup(pop3: true)
        try setup.dovecot.deliver(user: setup.sales, messages: setup.messages(1, 2))
        try setup.dovecot.deliver(user: setup.jobs, messages: setup.messages(10, 3))
        let service = try setup.start()

        XCTAssertTrue(try waitUntil(30) { try setup.recorded("sales") == 2 && setup.recorded("jobs") == 3 }, service.log)
        XCTAssertTrue(try waitUntil(30) { try serviceStatus(configPath: setup.configPath)["sales"]?["idle"] as? Bool == true },
                      "the IMAP alias keeps an IDLE session\n\(service.log)")
        let status = try serviceStatus(configPath: setup.configPath)
        XCTAssertEqual(status["sales"]?["state"] as? String, "idle")
        XCTAssertEqual(status["jobs"]?["idle"] as? Bool, false, "POP3 polls only")
        XCTAssertNotNil(status["jobs"]?["next_poll"] as? String)
        XCTAssertTrue(service.log.contains("alias=sales fetched=2"), service.log)

        // New mail arrives: fetched within seconds, though the interval is an hour.
        let before = Date()
        try setup.dovecot.deliver(user: setup.sales, messages: setup.messages(20, 1))
        XCTAssertTrue(try waitUntil(20) { try setup.recorded("sales") == 3 }, "IDLE did not bring the message\n\(service.log)")
        XCTAssertLessThan(Date().timeIntervalSince(before), 20)

        // SIGHUP with a broken file: refused, the service goes on with the old config.
        try setup.write(pop3: true, broken: true)
        service.signal(SIGHUP)
        XCTAssertTrue(waitUntil(20) { service.log.contains("configuration not reloaded, keeping the one in use") }, service.log)
        XCTAssertTrue(service.process.isRunning)
        try setup.write(pop3: true)  // so status can read the file again
        try setup.dovecot.deliver(user: setup.jobs, messages: setup.messages(30, 1))
        service.signal(SIGUSR1)
        XCTAssertTrue(try waitUntil(20) { try setup.recorded("jobs") == 4 }, "SIGUSR1 polls every alias\n\(service.log)")

        XCTAssertEqual(service.terminate(), 0, service.log)
        XCTAssertTrue(service.log.contains("stopped"))
        XCTAssertFalse(service.log.contains(setup.dovecot.password + "\""), "no secret in the log")
        XCTAssertNil(try serviceStatus(configPath: setup.configPath)["sales"]?["state"] as? String,
                     "a stopped service no longer speaks for the aliases")
    }

    /// Issue 8: while the IDLE session is up, every poll of the alias runs through it (DONE →
    /// fetch → IDLE): new mail, the scheduled safety poll and SIGUSR1 cost no further login.
    /// Dovecot logs one "imap-login: … Login: user=<…>" line per login.
    func testPollsOfAnIdleAliasRunThroughItsIdleSessionWithoutAnotherLogin() throws {
        let setup = try Setup()
        // A 3 s interval: the safety poll comes due again and again while the session idles.
        var toml = try String(contentsOfFile: setup.configPath, encoding: .utf8)
        toml = toml.replacingOccurrences(of: "interval = \"1h\"", with: "interval = 3")
        try toml.write(toFile: setup.configPath, atomically: true, encoding: .utf8)
        try setup.dovecot.deliver(user: setup.sales, messages: setup.messages(1, 2))
        let dovecotLog = setup.dovecot.directory + "/dovecot.log"
        func logins() -> Int {
            let text = (try? String(contentsOfFile: dovecotLog, encoding: .utf8)) ?? ""
            return text.components(separatedBy: "Login: user=<\(setup.sales)>").count - 1
        }
        func polls() -> Int { service.log.components(separatedBy: "alias=sales fetched=").count - 1 }
        let service = try setup.start()

        XCTAssertTrue(try waitUntil(30) { try setup.recorded("sales") == 2 }, service.log)
        // Up and not polling in one status row: no worker poll is in hand, and none starts
        // while the session is up; every login there will ever be has happened.
        XCTAssertTrue(try waitUntil(30) {
            let row = try serviceStatus(configPath: setup.configPath)["sales"]
            return row?["idle"] as? Bool == true && row?["state"] as? String == "idle"
        }, service.log)
        let loginsWhenUp = logins()
        XCTAssertGreaterThanOrEqual(loginsWhenUp, 1, "Dovecot logs logins\n\(service.log)")

        // New mail, twice: each is fetched through the IDLE session.
        try setup.dovecot.deliver(user: setup.sales, messages: setup.messages(20, 1))
        XCTAssertTrue(try waitUntil(20) { try setup.recorded("sales") == 3 }, service.log)
        try setup.dovecot.deliver(user: setup.sales, messages: setup.messages(21, 1))
        XCTAssertTrue(try waitUntil(20) { try setup.recorded("sales") == 4 }, service.log)
        // Two safety polls (nothing new): still one log line per poll.
        let afterMail = polls()
        XCTAssertTrue(waitUntil(30) { polls() >= afterMail + 2 }, "the scheduled polls still run\n\(service.log)")
        // SIGUSR1 leaves IDLE and polls through the session too.
        let beforeSignal = polls()
        service.signal(SIGUSR1)
        XCTAssertTrue(waitUntil(20) { polls() > beforeSignal }, service.log)

        XCTAssertEqual(logins(), loginsWhenUp, "no poll logged in again while the IDLE session was up\n\(service.log)")
        XCTAssertFalse(service.log.contains("IDLE session lost"), service.log)
        XCTAssertEqual(try serviceStatus(configPath: setup.configPath)["sales"]?["idle"] as? Bool, true)
        XCTAssertEqual(service.terminate(), 0, service.log)
        XCTAssertTrue(service.log.contains("stopped"), service.log)
        XCTAssertEqual(setup.dovecot.seenCount(user: setup.sales), 4, "after_fetch = seen applied through the session")
        XCTAssertEqual(duplicateSeenRows(setup.storePath), 0)
    }

    func testTwoRunProcessesOnOneStoreRecordEveryMessageOnce() throws {
        let setup = try Setup()
        try setup.dovecot.deliver(user: setup.sales, messages: setup.messages(1, 40))
        let first = try setup.start()
        let second = try setup.start(log: setup.directory.path + "/second.log")
        XCTAssertTrue(try waitUntil(60) { try setup.recorded("sales") == 40 }, first.log + second.log)
        // Both IDLE on the folder and both are woken by new mail; the lease lets one poll.
        XCTAssertTrue(try waitUntil(30) { try serviceStatus(configPath: setup.configPath)["sales"]?["idle"] as? Bool == true })
        try setup.dovecot.deliver(user: setup.sales, messages: setup.messages(100, 10))
        first.signal(SIGUSR1)
        second.signal(SIGUSR1)
        XCTAssertTrue(try waitUntil(60) { try setup.recorded("sales") == 50 }, first.log + second.log)
        XCTAssertEqual(first.terminate(), 0, first.log)
        XCTAssertEqual(second.terminate(), 0, second.log)
        XCTAssertEqual(storedMessageCount(setup.storePath), 50)
        XCTAssertEqual(duplicateSeenRows(setup.storePath), 0)
        XCTAssertEqual(setup.dovecot.seenCount(user: setup.sales), 50)
    }

    func testFetchByHandWaitsForAnotherProcessesLeaseThenSkipsAndTakesOverAnExpiredOne() throws {
        let setup = try Setup()
        try setup.dovecot.deliver(user: setup.sales, messages: setup.messages(1, 2))
        let store = try Store(path: setup.storePath)
        let id = try store.mailboxID(host: "127.0.0.1", port: setup.dovecot.imapPort, user: setup.sales, folder: "INBOX")
        XCTAssertNil(try store.acquireLease(mailbox: id, owner: "elsewhere:42:1", ttl: 600))

        let busy = try runMailgate(args: ["fetch", "--config", setup.configPath])
        XCTAssertEqual(busy.exitCode, 75, busy.stderr)
        XCTAssertTrue(busy.stderr.contains("is being polled by another mailgate process (elsewhere:42:1"), busy.stderr)
        XCTAssertEqual(storedMessageCount(setup.storePath), 0)

        // The holder was killed: its lease expired, and the next poll takes it over.
        XCTAssertNil(try store.acquireLease(mailbox: id, owner: "elsewhere:42:1", ttl: 1, now: Date().addingTimeInterval(-10)))
        let taken = try runMailgate(args: ["fetch", "--config", setup.configPath])
        XCTAssertEqual(taken.exitCode, 0, taken.stderr)
        XCTAssertEqual(storedMessageCount(setup.storePath), 2)
        XCTAssertNil(try store.leaseHolder(mailbox: id), "released after the poll")
    }

    func testSigtermDuringALargeFetchExitsPromptlyAndLosesOrDoublesNothing() throws {
        let setup = try Setup()
        let total = 1_500
        try setup.dovecot.deliver(user: setup.sales, messages: setup.messages(1, total))
        let service = try setup.start(extra: ["--no-idle"])
        // As soon as the first batch is being written, ask it to stop.
        XCTAssertTrue(waitUntil(60) { storedMessageCount(setup.storePath) > 0 || service.log.contains("fetched=") }, service.log)
        let asked = Date()
        XCTAssertEqual(service.terminate(within: 40), 0, service.log)
        XCTAssertLessThan(Date().timeIntervalSince(asked), 40)
        let afterStop = storedMessageCount(setup.storePath)
        XCTAssertGreaterThan(afterStop, 0)
        if afterStop < total {
            XCTAssertTrue(service.log.contains("interrupted=true"), "a stopped poll says so\n\(service.log)")
        }
        print("RunTests: SIGTERM left \(afterStop) of \(total) recorded")

        // Restarted: the rest is fetched, nothing twice.
        let again = try runMailgate(args: ["fetch", "--config", setup.configPath])
        XCTAssertEqual(again.exitCode, 0, again.stderr)
        XCTAssertEqual(storedMessageCount(setup.storePath), total)
        XCTAssertEqual(duplicateSeenRows(setup.storePath), 0)
        XCTAssertEqual(setup.dovecot.seenCount(user: setup.sales), total, "every recorded message is flagged on the server")
    }

    /// SIGTERM while the IDLE session is fetching a backlog through itself: the batch in hand
    /// is committed and acknowledged, the session logs out (Dovecot says "Disconnected: Logged
    /// out", not "Disconnected: Connection closed"), and a fetch by hand gets the rest, nothing twice.
    func testSigtermDuringAFetchThroughTheIdleSessionFinishesTheBatchAndLogsOut() throws {
        let setup = try Setup()
        // The graceful stop is under test, not the grace period: on a loaded machine a batch of
        // 500 messages in a debug build can take longer than the default 20 s to finish.
        let service = try setup.start(extra: ["--stop-grace", "300"])
        XCTAssertTrue(try waitUntil(30) {
            let row = try serviceStatus(configPath: setup.configPath)["sales"]
            return row?["idle"] as? Bool == true && row?["state"] as? String == "idle"
        }, service.log)
        let dovecotLog = setup.dovecot.directory + "/dovecot.log"
        func count(_ text: String) -> Int {
            let log = (try? String(contentsOfFile: dovecotLog, encoding: .utf8)) ?? ""
            return log.split(separator: "\n").filter { $0.contains("(\(setup.sales))") || $0.contains("<\(setup.sales)>") }
                .filter { $0.contains(text) }.count
        }
        let logins = count("Login: user=")

        let total = 1_500
        try setup.dovecot.deliver(user: setup.sales, messages: setup.messages(1, total))
        XCTAssertTrue(waitUntil(60) { storedMessageCount(setup.storePath) > 0 }, service.log)
        XCTAssertEqual(service.terminate(within: 40), 0, service.log)
        let afterStop = storedMessageCount(setup.storePath)
        // The stop ends the poll in hand after its batch and starts none after it. The poll may
        // have been on its last batch (the backlog is still being delivered while it runs, and
        // mail that arrives after its SELECT is the next poll's), so `interrupted=true` is not
        // required; at most one poll ends after "stopping".
        let afterStopping = service.log.components(separatedBy: "stopping").dropFirst().joined()
        XCTAssertLessThanOrEqual(afterStopping.components(separatedBy: "alias=sales fetched=").count - 1, 1,
                                 "no poll starts after the stop\n\(service.log)")
        XCTAssertEqual(count("Login: user="), logins, "the backlog came through the IDLE session\n\(service.log)")
        XCTAssertTrue(waitUntil(10) { count("Logged out") == logins }, "every session logged out\n\(service.log)")
        XCTAssertEqual(count("Disconnected"), count("Disconnected: Logged out"), "no session was dropped without LOGOUT")
        XCTAssertEqual(setup.dovecot.seenCount(user: setup.sales), afterStop, "what was committed was acknowledged")
        print("RunTests: SIGTERM through the IDLE session left \(afterStop) of \(total) recorded")

        let again = try runMailgate(args: ["fetch", "--config", setup.configPath])
        XCTAssertEqual(again.exitCode, 0, again.stderr)
        XCTAssertEqual(storedMessageCount(setup.storePath), total)
        XCTAssertEqual(duplicateSeenRows(setup.storePath), 0)
        XCTAssertEqual(setup.dovecot.seenCount(user: setup.sales), total)
    }

    func testLogFormatJSONAndFailuresAreLoggedOncePerChangeOfState() throws {
        let setup = try Setup()
        // A refused login: backing off, logged once however often it retries.
        var toml = try String(contentsOfFile: setup.configPath, encoding: .utf8)
        toml = toml.replacingOccurrences(of: "password = \"\(setup.dovecot.password)\"", with: "password = \"wrong-password\"")
        try toml.write(toFile: setup.configPath, atomically: true, encoding: .utf8)
        let service = try setup.start(extra: ["--log-format", "json", "--no-idle"])
        XCTAssertTrue(try waitUntil(30) { try serviceStatus(configPath: setup.configPath)["sales"]?["state"] as? String == "backing-off" },
                      service.log)
        service.signal(SIGUSR1)
        XCTAssertTrue(waitUntil(30) { service.log.components(separatedBy: "poll failed again").count > 1 }, service.log)
        XCTAssertEqual(service.terminate(), 0, service.log)
        let lines = service.log.split(separator: "\n")
        XCTAssertTrue(lines.allSatisfy { (try? JSONSerialization.jsonObject(with: Data($0.utf8))) != nil }, service.log)
        XCTAssertEqual(lines.filter { $0.contains("poll failed; backing off") }.count, 1, service.log)
        XCTAssertFalse(service.log.contains("wrong-password"), "no secret in the log")
    }
}

/// A Dovecot restart while `run` IDLEs: on a private Dovecot instance (its own directory and
/// ports) so the shared one other tests use is never restarted.
final class RunRestartTests: XCTestCase {
    static let scripts = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Scripts").path

    /// Runs one of the Dovecot scripts and waits for it with waitpid: Foundation's `Process`
    /// never sees the script exit when it leaves a daemon behind.
    @discardableResult
    func script(_ name: String, _ dir: String, port: Int) throws -> Int32 {
        let path = Self.scripts + "/" + name
        let argv: [UnsafeMutablePointer<CChar>?] = [strdup(path), strdup(dir), nil]
        var environment = ProcessInfo.processInfo.environment
        environment["MAILGATE_DOVECOT_PORT"] = String(port)
        let envp: [UnsafeMutablePointer<CChar>?] = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { for p in argv + envp { free(p) } }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        var pid: pid_t = 0
        guard posix_spawn(&pid, path, &actions, nil, argv, envp) == 0 else { throw TestSupportError("cannot run \(path)") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        return (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    }

    func testADovecotRestartMidIdleIsSurvived() throws {
        guard getuid() == 0, FileManager.default.isExecutableFile(atPath: "/usr/sbin/dovecot") else {
            throw XCTSkip("a private Dovecot needs root and dovecot installed")
        }
        let dir = try TemporaryDirectory(prefix: "mailgate-dovecot-restart")
        var port = 0
        for base in stride(from: 10480, to: 10560, by: 8) where try script("dovecot-start", dir.path, port: base) == 0 {
            port = base
            break
        }
        guard port != 0 else { throw XCTSkip("no free ports for a private Dovecot") }
        defer { _ = try? script("dovecot-stop", dir.path, port: port) }
        let dovecot = try Dovecot.require(directory: dir.path)
        let setup = try RunTests.Setup(dovecot: dovecot)
        let service = try setup.start()
        func idle() throws -> Bool? { try serviceStatus(configPath: setup.configPath)["sales"]?["idle"] as? Bool }

        XCTAssertTrue(try waitUntil(30) { try idle() == true }, service.log)
        XCTAssertEqual(try script("dovecot-stop", dir.path, port: port), 0)
        XCTAssertTrue(try waitUntil(30) { try idle() == false }, "the dropped IDLE session shows\n\(service.log)")
        XCTAssertEqual(try script("dovecot-start", dir.path, port: port), 0)
        XCTAssertTrue(try waitUntil(60) { try idle() == true }, "IDLE reconnects with backoff\n\(service.log)")
        XCTAssertTrue(service.log.contains("IDLE session lost; reconnecting"), service.log)

        try dovecot.deliver(user: setup.sales, messages: setup.messages(1, 1))
        XCTAssertTrue(try waitUntil(20) { try setup.recorded("sales") == 1 }, service.log)
        XCTAssertEqual(service.terminate(), 0, service.log)
    }
}
