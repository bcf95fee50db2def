import Foundation
@testable import Gateway
import XCTest

/// The `[defaults]` and per-alias keys of `mailgate run`: idle_refresh, backoff_max, disable_after.
final class ServiceConfigTests: XCTestCase {
    let head = """
        [alias.sales]
        url = "imaps://imap.acme.test/INBOX"
        user = "sales"
        password = "x"

        """

    func parse(_ text: String) throws -> Config {
        try Config.parse(text, file: "/etc/mailgate/mailgate.toml")
    }

    func testDefaults() throws {
        let alias = try XCTUnwrap(try parse(head).alias(named: "sales"))
        XCTAssertEqual(alias.idleRefresh, 600)
        XCTAssertEqual(alias.backoffMax, 3600)
        XCTAssertEqual(alias.disableAfter, 5 * 86_400)
        let policy = AliasSchedule.Policy(alias: alias, jitter: 7)
        XCTAssertEqual(policy.interval, 300)
        XCTAssertEqual(policy.backoffMax, 3600)
        XCTAssertEqual(policy.disableAfter, 5 * 86_400)
        XCTAssertEqual(policy.firstPollSpread, 7)
    }

    func testDefaultsTableAndAliasOverride() throws {
        let config = try parse("""
            [defaults]
            interval = "2m"
            idle_refresh = "5m"
            backoff_max = "30m"
            disable_after = "2d"

            \(head)
            [alias.jobs]
            url = "imaps://imap.acme.test/Jobs"
            user = "jobs"
            password = "x"
            idle_refresh = 120
            backoff_max = "10m"
            disable_after = "1d"
            """)
        let sales = try XCTUnwrap(config.alias(named: "sales"))
        XCTAssertEqual([sales.interval, sales.idleRefresh, sales.backoffMax, sales.disableAfter], [120, 300, 1800, 2 * 86_400])
        let jobs = try XCTUnwrap(config.alias(named: "jobs"))
        XCTAssertEqual([jobs.idleRefresh, jobs.backoffMax, jobs.disableAfter], [120, 600, 86_400])
        XCTAssertEqual(config.defaults.backoffMax, 1800)
    }

    func testBadValuesNameTheKey() {
        for (text, key) in [("[defaults]\nidle_refresh = \"soon\"\n", "idle_refresh"),
                            ("[defaults]\nbackoff_max = 0\n", "backoff_max"),
                            (head + "disable_after = true\n", "disable_after")] {
            XCTAssertThrowsError(try parse(text)) { error in
                XCTAssertEqual((error as? ConfigError)?.key, key, "\(error)")
            }
        }
    }

    func testRoutingOnlyAliasCannotSetServiceKeys() {
        XCTAssertThrowsError(try parse("[alias.info]\nbackoff_max = \"1h\"\n")) { error in
            XCTAssertEqual((error as? ConfigError)?.key, "backoff_max")
        }
    }
}
