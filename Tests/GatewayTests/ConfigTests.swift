import Foundation
import TestSupport
@testable import Gateway
import XCTest

final class ConfigTests: XCTestCase {
    var directory = ""

    override func setUpWithError() throws {
        directory = NSTemporaryDirectory() + "config-tests-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Writes `text` as `mailgate.toml` in the temp directory (mode 0600 unless told) and loads it.
    @discardableResult
    func load(_ text: String, mode: mode_t = 0o600, environment: [String: String] = [:]) throws -> Config {
        let path = directory + "/mailgate.toml"
        try write(text, to: "mailgate.toml", mode: mode)
        return try Config.load(path: path, environment: environment)
    }

    func write(_ text: String, to name: String, mode: mode_t = 0o600) throws {
        let path = directory + "/" + name
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        chmod(path, mode)
    }

    /// Loads `text` and returns the ConfigError it must throw.
    func loadError(_ text: String, environment: [String: String] = [:],
                   file: StaticString = #filePath, line: UInt = #line) -> ConfigError? {
        do {
            try load(text, environment: environment)
            XCTFail("expected a ConfigError", file: file, line: line)
            return nil
        } catch let error as ConfigError {
            XCTAssertEqual(error.exitCode, 78, file: file, line: line)
            XCTAssertEqual(error.file, directory + "/mailgate.toml", file: file, line: line)
            return error
        } catch {
            XCTFail("unexpected \(error)", file: file, line: line)
            return nil
        }
    }

    /// An `[alias.NAME]` table with a url, user "u" and the given secret/extra lines.
    func alias(_ name: String, url: String, _ extra: String = "password = \"p\"") -> String {
        "[alias.\(name)]\nurl = \"\(url)\"\nuser = \"u\"\n\(extra)\n"
    }

    let minimal = """
        [alias.sales]
        url = "imaps://imap.acme.test/INBOX"
        user = "sales@acme.test"
        password = "pw"

        """

    // MARK: A full config

    /// With no --config, no $MAILGATE_CONFIG and no file in either default place, the error
    /// names every place looked at, not only the last one.
    func testNoConfigurationAnywhereSaysWhereItLooked() throws {
        guard !FileManager.default.fileExists(atPath: "/etc/mailgate/mailgate.toml") else {
            throw XCTSkip("this machine has /etc/mailgate/mailgate.toml")
        }
        let directory = try TemporaryDirectory()
        let run = try runMailgate(args: ["status"], env: ["MAILGATE_CONFIG": ""], currentDirectory: directory.path)
        XCTAssertEqual(run.exitCode, 78)
        XCTAssertTrue(run.stderr.contains("--config PATH, or set $MAILGATE_CONFIG, or create ./mailgate.toml or /etc/mailgate/mailgate.toml"),
                      run.stderr)
    }

    func testFullConfigRoundTrip() throws {
        try write("-----BEGIN CERTIFICATE-----\n", to: "ca.pem")
        let config = try load("""
            [store]
            path = "mailgate.sqlite"          # relative to the config file; created 0600
            spool = "spool"
            keep_raw = "90d"

            [defaults]
            interval = "5m"
            domain = "acme.test"
            max_message_size = "25MB"
            fallback_charset = "gb18030"

            [alias.sales]
            url = "imaps://imap.acme.test/INBOX"
            user = "sales@acme.test"
            password_env = "SALES_PASSWORD"
            auth = "auto"
            tls = "implicit"
            tls_ca_file = "ca.pem"
            proxy = "socks5h://127.0.0.1:1080"
            after_fetch = "seen"
            start = "unseen"
            interval = "1m"
            max_message_size = "10MB"
            model = "crm.lead"
            role = "lead"
            contact = "everyone"
            values = { team_id = 3, name = "Web", active = true }
            allowed_domains = ["acme.test", "partner.test"]
            bounced_content = "<p>Sorry</p>"
            idle = true

            [alias.catchall]
            address = "catchall@mail.acme.test"

            [alias.jobs]
            url = "pop3://pop.acme.test:1110"
            user = "jobs"
            password_command = "printf 'tok\\n'"
            after_fetch = "keep"
            start = "new"
            """, environment: ["SALES_PASSWORD": "s3cret"])

        XCTAssertEqual(config.storePath, directory + "/mailgate.sqlite")
        XCTAssertEqual(config.spoolPath, directory + "/spool")
        XCTAssertEqual(config.keepRaw, 90 * 86_400)
        XCTAssertEqual(config.defaults, Config.Defaults(interval: 300, domain: "acme.test", maxMessageSize: 25_000_000,
                                                        fallbackCharset: "gb18030"))
        XCTAssertEqual(config.aliases.map(\.name), ["sales", "catchall", "jobs"], "in file order")
        XCTAssertEqual(config.warnings, [])

        let sales = try XCTUnwrap(config.alias(named: "sales"))
        let mailbox = try XCTUnwrap(sales.mailbox)
        XCTAssertEqual(mailbox.scheme, .imaps)
        XCTAssertEqual(mailbox.host, "imap.acme.test")
        XCTAssertEqual(mailbox.port, 993)
        XCTAssertEqual(mailbox.folder, "INBOX")
        XCTAssertEqual(mailbox.user, "sales@acme.test")
        XCTAssertEqual(mailbox.secret, .environment("SALES_PASSWORD"))
        XCTAssertEqual(mailbox.auth, .auto)
        XCTAssertEqual(mailbox.tls, .implicit)
        XCTAssertEqual(mailbox.caFile, directory + "/ca.pem")
        XCTAssertTrue(mailbox.tlsVerify)
        XCTAssertEqual(mailbox.proxy, "socks5h://127.0.0.1:1080")
        XCTAssertEqual(mailbox.afterFetch, .seen)
        XCTAssertEqual(mailbox.start, .unseen)
        XCTAssertEqual(sales.interval, 60)
        XCTAssertEqual(sales.maxMessageSize, 10_000_000)
        XCTAssertEqual(sales.emailAddress, "sales@acme.test")
        XCTAssertEqual(sales.routing.model, "crm.lead")
        XCTAssertEqual(sales.routing.role, "lead")
        XCTAssertEqual(sales.routing.contact, "everyone")
        XCTAssertEqual(sales.routing.values, ["team_id": "3", "name": "Web", "active": "true"])
        XCTAssertEqual(sales.routing.allowedDomains, ["acme.test", "partner.test"])
        XCTAssertEqual(sales.routing.bouncedContent, "<p>Sorry</p>")
        XCTAssertEqual(sales.routing.idle, true)
        XCTAssertEqual(try sales.resolveSecret(environment: ["SALES_PASSWORD": "s3cret"]), "s3cret")

        let catchall = try XCTUnwrap(config.alias(named: "catchall"))
        XCTAssertNil(catchall.mailbox)
        XCTAssertEqual(catchall.emailAddress, "catchall@mail.acme.test")
        XCTAssertEqual(catchall.interval, 300)
        XCTAssertEqual(catchall.maxMessageSize, 25_000_000)

        let jobs = try XCTUnwrap(config.alias(named: "jobs")?.mailbox)
        XCTAssertEqual(jobs.scheme, .pop3)
        XCTAssertEqual(jobs.port, 1110)
        XCTAssertEqual(jobs.tls, .starttls)
        XCTAssertEqual(jobs.afterFetch, .keep)
        XCTAssertEqual(jobs.start, .new)
        XCTAssertEqual(try config.alias(named: "jobs")!.resolveSecret(), "tok")
    }

    func testDefaultsByScheme() throws {
        let config = try load(["imap://h", "imaps://h/", "pop3://h", "POP3S://H.Example/"].enumerated()
            .map { alias("a\($0.offset)", url: $0.element) }.joined())
        let boxes = config.aliases.map { $0.mailbox! }
        XCTAssertEqual(boxes.map(\.port), [143, 993, 110, 995])
        XCTAssertEqual(boxes.map(\.tls), [.starttls, .implicit, .starttls, .implicit])
        XCTAssertEqual(boxes.map(\.afterFetch), [.seen, .seen, .delete, .delete])
        XCTAssertEqual(boxes.map(\.start), [.unseen, .unseen, .all, .all])
        XCTAssertEqual(boxes.map(\.folder), ["INBOX", "INBOX", "INBOX", "INBOX"])
        XCTAssertEqual(boxes.map(\.auth), [.auto, .auto, .auto, .auto])
        XCTAssertEqual(boxes[3].host, "h.example")
        XCTAssertEqual(config.storePath, directory + "/mailgate.sqlite")
        XCTAssertEqual(config.spoolPath, directory + "/spool")
        XCTAssertEqual(config.keepRaw, 90 * 86_400)
        XCTAssertEqual(config.defaults.interval, 300)
        XCTAssertNil(config.aliases[0].emailAddress, "no domain, no address")
    }

    func testSpoolDefaultsBesideTheStore() throws {
        let config = try load("[store]\npath = \"/var/lib/mailgate/db.sqlite\"\nkeep_raw = 0\n")
        XCTAssertEqual(config.storePath, "/var/lib/mailgate/db.sqlite")
        XCTAssertEqual(config.spoolPath, "/var/lib/mailgate/spool")
        XCTAssertEqual(config.keepRaw, 0)
    }

    func testPercentDecodedFolderAndMove() throws {
        let config = try load("""
            [alias.cn]
            url = "imap://h/%E5%B7%B2%E5%A4%84%E7%90%86"
            user = "u"
            password = "p"
            after_fetch = "move:Archive/2024"
            tls = "none"
            """)
        let mailbox = try XCTUnwrap(config.aliases[0].mailbox)
        XCTAssertEqual(mailbox.folder, "已处理")
        XCTAssertEqual(mailbox.afterFetch, .move("Archive/2024"))
        XCTAssertEqual(mailbox.tls, AliasConfig.TLSMode.none)
        XCTAssertEqual(config.warnings.count, 1)
        XCTAssertTrue(config.warnings[0].contains("alias \"cn\""))
    }

    // MARK: Value grammars

    func testDurationAndSizeTable() {
        let durations: [(String, TimeInterval?)] = [
            ("90d", 7_776_000), ("300", 300), ("5m", 300), ("1h30m", 5400), ("45s", 45), ("0", 0),
            ("", nil), ("5x", nil), ("m", nil), ("5m3", nil), ("-1", nil), ("1.5h", nil),
        ]
        for (text, expected) in durations {
            XCTAssertEqual(ConfigValues.duration(text), expected, text)
        }
        let sizes: [(String, Int64?)] = [
            ("25MB", 25_000_000), ("10MiB", 10_485_760), ("512KB", 512_000), ("1KiB", 1024), ("2GB", 2_000_000_000),
            ("1GiB", 1_073_741_824), ("1000", 1000), ("1000 bytes", 1000), ("25 MB", 25_000_000), ("25mb", 25_000_000),
            ("MB", nil), ("25XB", nil), ("", nil), ("-5MB", nil), ("99999999999999GB", nil),
        ]
        for (text, expected) in sizes {
            XCTAssertEqual(ConfigValues.size(text), expected, text)
        }
    }

    func testBareIntegersAreSecondsAndBytes() throws {
        let config = try load("[defaults]\ninterval = 300\nmax_message_size = 1048576\n")
        XCTAssertEqual(config.defaults.interval, 300)
        XCTAssertEqual(config.defaults.maxMessageSize, 1_048_576)
    }

    // MARK: Errors name file, alias and key

    func testUnknownKeysWithSuggestion() {
        var error = loadError(minimal + "after_fech = \"seen\"\n")
        XCTAssertEqual(error?.alias, "sales")
        XCTAssertEqual(error?.key, "after_fech")
        XCTAssertTrue(error?.description.contains("did you mean \"after_fetch\"") ?? false, error?.description ?? "")

        error = loadError("[store]\nkeepraw = \"1d\"\n")
        XCTAssertEqual(error?.section, "store")
        XCTAssertEqual(error?.key, "keepraw")
        XCTAssertTrue(error?.description.contains("did you mean \"keep_raw\"") ?? false)

        error = loadError("[defaults]\nintervall = 5\n")
        XCTAssertEqual(error?.section, "defaults")
        XCTAssertTrue(error?.description.contains("\"interval\"") ?? false)

        error = loadError("[oddo]\nurl = \"http://x\"\n")
        XCTAssertEqual(error?.key, "oddo")
        XCTAssertNil(error?.alias)
        XCTAssertTrue(error?.description.contains("did you mean \"odoo\"") ?? false, error?.description ?? "")

        error = loadError("[aliases.sales]\nurl = \"imap://h\"\n")
        XCTAssertTrue(error?.description.contains("did you mean \"alias\"") ?? false, error?.description ?? "")
    }

    func testDescriptionFormat() {
        let error = loadError(minimal + "after_fetch = \"archive\"\n")
        XCTAssertEqual(error?.description, directory + "/mailgate.toml: alias \"sales\": key \"after_fetch\": "
                       + "\"archive\" is not one of seen, delete, move:FOLDER, keep")
    }

    func testSyntaxErrorHasLine() {
        let error = loadError("[store]\npath = \"x\"\n\n[alias.sales\nurl = 1\n")
        XCTAssertEqual(error?.line, 4)
        XCTAssertTrue(error?.description.hasPrefix(directory + "/mailgate.toml:4: TOML syntax error") ?? false,
                      error?.description ?? "")
    }

    func testBadValues() {
        let cases: [(String, String, String)] = [  // (alias keys, key, fragment of message)
            ("url = \"http://h\"\nuser = \"u\"\npassword = \"p\"", "url", "not one of imap, imaps, pop3, pop3s"),
            ("url = \"imaps://\"\nuser = \"u\"\npassword = \"p\"", "url", "host"),
            ("url = \"imaps://h:99999\"\nuser = \"u\"\npassword = \"p\"", "url", "port"),
            ("url = \"imaps://u:pw@h\"\nuser = \"u\"\npassword = \"p\"", "url", "key \"user\""),
            ("url = \"pop3s://h/Sent\"\nuser = \"u\"\npassword = \"p\"", "url", "POP3 has no folders"),
            ("url = \"imap://h/%ZZ\"\nuser = \"u\"\npassword = \"p\"", "url", "percent"),
            ("url = 5\nuser = \"u\"\npassword = \"p\"", "url", "must be a string, not an integer"),
            ("url = \"imaps://h\"\npassword = \"p\"", "user", "missing"),
            ("url = \"imaps://h\"\nuser = \"u\"", "password", "missing"),
            ("url = \"imaps://h\"\nuser = \"u\"\npassword = \"p\"\npassword_env = \"X\"", "password_env", "only one"),
            ("url = \"imaps://h\"\nuser = \"u\"\npassword_env = \"NOPE\"", "password_env", "NOPE is not set"),
            ("url = \"imaps://h\"\nuser = \"u\"\npassword_file = \"missing.txt\"", "password_file", "cannot read"),
            ("url = \"imaps://h\"\nuser = \"u\"\npassword = \"p\"\ntls_ca_file = \"nope.pem\"", "tls_ca_file", "cannot read"),
            ("url = \"imaps://h\"\nuser = \"u\"\npassword = \"p\"\ntls = \"none\"", "tls", "impossible"),
            ("url = \"imaps://h\"\nuser = \"u\"\npassword = \"p\"\ntls = \"starttls\"", "tls", "impossible"),
            ("url = \"imap://h\"\nuser = \"u\"\npassword = \"p\"\ntls = \"implicit\"", "tls", "impossible"),
            ("url = \"imap://h\"\nuser = \"u\"\npassword = \"p\"\ntls = \"ssl\"", "tls", "not one of implicit, starttls, none"),
            ("url = \"imap://h\"\nuser = \"u\"\npassword = \"p\"\nauth = \"cram-md5\"", "auth", "not one of auto"),
            ("url = \"imap://h\"\nuser = \"u\"\npassword = \"p\"\ntls_verify = \"no\"", "tls_verify", "true or false"),
            ("url = \"imap://h\"\nuser = \"u\"\npassword = \"p\"\nproxy = \"127.0.0.1:1080\"", "proxy", "proxy URL"),
            ("url = \"pop3://h\"\nuser = \"u\"\npassword = \"p\"\nafter_fetch = \"seen\"", "after_fetch", "delete, keep"),
            ("url = \"imap://h\"\nuser = \"u\"\npassword = \"p\"\nafter_fetch = \"move:\"", "after_fetch", "move:FOLDER"),
            ("url = \"pop3://h\"\nuser = \"u\"\npassword = \"p\"\nstart = \"unseen\"", "start", "all, new"),
            ("url = \"imap://h\"\nuser = \"u\"\npassword = \"p\"\nstart = \"everything\"", "start", "unseen, new, all"),
            ("url = \"imap://h\"\nuser = \"u\"\npassword = \"p\"\ninterval = \"5 minutes\"", "interval", "not a duration"),
            ("url = \"imap://h\"\nuser = \"u\"\npassword = \"p\"\ninterval = 0", "interval", "at least 1s"),
            ("url = \"imap://h\"\nuser = \"u\"\npassword = \"p\"\ninterval = 1.5", "interval", "not a decimal number"),
            ("url = \"imap://h\"\nuser = \"u\"\npassword = \"p\"\nmax_message_size = \"25 megs\"", "max_message_size", "not a size"),
            ("user = \"u\"", "user", "needs a \"url\""),
            ("address = \"nobody\"", "address", "not an email address"),
            ("allowed_domains = \"acme.test\"", "allowed_domains", "array"),
            ("allowed_domains = [1]", "allowed_domains", "array of strings"),
            ("idle = \"yes\"", "idle", "true or false"),
            ("values = 3", "values", "table"),
        ]
        for (keys, key, fragment) in cases {
            guard let error = loadError("[alias.sales]\n" + keys + "\n") else { continue }
            XCTAssertEqual(error.alias, "sales", keys)
            XCTAssertEqual(error.key, key, keys)
            XCTAssertTrue(error.description.contains(fragment), "\(keys): \(error.description)")
            XCTAssertTrue(error.description.contains("alias \"sales\": key \"\(key)\""), error.description)
            XCTAssertFalse(error.description.contains("\"p\""), "never the password: \(error.description)")
        }
    }

    func testBadStoreAndDefaults() {
        var error = loadError("[store]\nkeep_raw = \"forever\"\n")
        XCTAssertEqual(error?.section, "store")
        XCTAssertEqual(error?.key, "keep_raw")
        error = loadError("[defaults]\nmax_message_size = \"0MB\"\n")
        XCTAssertEqual(error?.key, "max_message_size")
        error = loadError("store = 5\n")
        XCTAssertEqual(error?.key, "store")
        error = loadError("[alias]\nsales = \"x\"\n")
        XCTAssertEqual(error?.alias, "sales")
    }

    func testUnreadableAndMissingFiles() throws {
        XCTAssertThrowsError(try Config.load(path: directory + "/nope.toml")) { error in
            let error = error as! ConfigError
            XCTAssertEqual(error.exitCode, 78)
            XCTAssertTrue(error.description.contains("No such file"), error.description)
        }
        try Data([0xff, 0xfe, 0x00]).write(to: URL(fileURLWithPath: directory + "/bin.toml"))
        XCTAssertThrowsError(try Config.load(path: directory + "/bin.toml")) { error in
            XCTAssertTrue((error as! ConfigError).description.contains("UTF-8"))
        }
    }

    // MARK: Warnings

    func testLiteralPasswordInReadableFileWarns() throws {
        let config = try load(minimal, mode: 0o644)
        XCTAssertEqual(config.warnings.count, 1)
        XCTAssertTrue(config.warnings[0].contains("readable by group or others"), config.warnings[0])
        XCTAssertTrue(config.warnings[0].contains("alias \"sales\""))
        XCTAssertFalse(config.warnings[0].contains("pw"), "never the password")

        XCTAssertEqual(try load(minimal, mode: 0o600).warnings, [])
        let env = try load("[alias.sales]\nurl = \"imaps://h\"\nuser = \"u\"\npassword_env = \"P\"\n", mode: 0o644,
                           environment: ["P": "x"])
        XCTAssertEqual(env.warnings, [], "no literal password, no warning")
    }

    func testTLSVerifyFalseWarns() throws {
        let config = try load(minimal + "tls_verify = false\n")
        XCTAssertFalse(config.aliases[0].mailbox!.tlsVerify)
        XCTAssertEqual(config.warnings.count, 1)
        XCTAssertTrue(config.warnings[0].contains("tls_verify = false"))
    }

    // MARK: Secrets

    func testPasswordFileStripsTrailingNewline() throws {
        try write("hunter2\n", to: "secret.txt")
        let config = try load("[alias.sales]\nurl = \"imaps://h\"\nuser = \"u\"\npassword_file = \"secret.txt\"\n")
        XCTAssertEqual(config.aliases[0].mailbox?.secret, .file(directory + "/secret.txt"))
        XCTAssertEqual(try config.aliases[0].resolveSecret(), "hunter2")
        try write("changed\r\n", to: "secret.txt")
        XCTAssertEqual(try config.aliases[0].resolveSecret(), "changed", "read at connect time, not load time")
    }

    func testPasswordCommand() throws {
        let config = try load(alias("ok", url: "imaps://h", "password_command = \"echo from-command\"")
            + alias("bad", url: "imaps://h", "password_command = \"echo leaked-output; exit 3\""))
        XCTAssertEqual(try config.alias(named: "ok")!.resolveSecret(), "from-command")
        XCTAssertThrowsError(try config.alias(named: "bad")!.resolveSecret()) { error in
            let error = error as! ConfigError
            XCTAssertEqual(error.alias, "bad")
            XCTAssertEqual(error.key, "password_command")
            XCTAssertEqual(error.exitCode, 78)
            XCTAssertTrue(error.description.contains("status 3"), error.description)
            XCTAssertFalse(error.description.contains("leaked"), error.description)
        }
    }

    func testSecretsAreNotPrinted() throws {
        let config = try load(minimal)
        let secret = config.aliases[0].mailbox!.secret
        XCTAssertEqual(secret, .literal("pw"))
        XCTAssertFalse("\(secret)".contains("pw"))
        XCTAssertFalse(String(reflecting: secret).contains("pw"))
        var dumped = ""
        dump(config.aliases[0], to: &dumped)
        XCTAssertFalse(dumped.contains("\"pw\""), dumped)
    }

    func testRoutingOnlyAliasHasNoSecret() throws {
        let config = try load("[defaults]\ndomain = \"acme.test\"\n[alias.catchall]\nmodel = \"mail.thread\"\n")
        XCTAssertEqual(config.aliases[0].emailAddress, "catchall@acme.test")
        XCTAssertThrowsError(try config.aliases[0].resolveSecret())
    }

    // MARK: Path resolution

    func testDefaultPath() {
        XCTAssertEqual(Config.defaultPath(environment: ["MAILGATE_CONFIG": "/x/y.toml"], fileExists: { _ in true }), "/x/y.toml")
        XCTAssertEqual(Config.defaultPath(environment: [:], fileExists: { $0 == "mailgate.toml" }), "mailgate.toml")
        XCTAssertEqual(Config.defaultPath(environment: ["MAILGATE_CONFIG": ""], fileExists: { _ in false }),
                       "/etc/mailgate/mailgate.toml")
    }

    func testAliasOrderFollowsTheFile() {
        let text = "[alias.zeta]\n[alias.\"info.de\"]\n[ alias . alpha ]\n"
        XCTAssertEqual(ConfigLoader.aliasOrder(names: ["alpha", "info.de", "zeta", "other"], text: text),
                       ["zeta", "info.de", "alpha", "other"])
    }
}
