import Foundation
import TestSupport
import XCTest

/// `mailgate fetch` polls every alias, several at once (`--workers`), each over its own
/// connection, and says each alias's outcome once.
final class FetchParallelTests: XCTestCase {
    func testAllAliasesAreFetchedByParallelWorkers() throws {
        let fixture = try FetchFixture(.imaps, alias: "sales")
        var toml = try String(contentsOfFile: fixture.configPath, encoding: .utf8)
        var users = [fixture.user]
        for name in ["jobs", "support", "catchall", "info", "billing"] {
            let user = fixture.dovecot.makeUser(prefix: name)
            users.append(user)
            toml += """

                [alias.\(name)]
                url = "imaps://127.0.0.1:\(fixture.dovecot.imapsPort)/INBOX"
                user = "\(user)"
                password = "\(fixture.dovecot.password)"
                tls_ca_file = "\(fixture.dovecot.certificatePath)"
                start = "all"

                """
        }
        try toml.write(toFile: fixture.configPath, atomically: true, encoding: .utf8)
        for (n, user) in users.enumerated() {
            try fixture.dovecot.deliver(user: user, messages: (0..<(n + 1)).map { fixture.dovecot.sampleMessage(index: 100 * n + $0, size: 2000) })
        }

        let run = try fixture.mailgate("fetch", "--json", "--workers", "4")
        XCTAssertEqual(run.exitCode, 0, run.stderr)
        let lines = run.stdout.split(separator: "\n").compactMap {
            (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any]
        }
        XCTAssertEqual(lines.count, 6, run.stdout)
        var fetched: [String: Int] = [:]
        for line in lines { fetched[line["alias"] as? String ?? "?"] = line["fetched"] as? Int }
        // The first alias used start = unseen (default) and the others start = all: all of it is new mail.
        XCTAssertEqual(fetched, ["sales": 1, "jobs": 2, "support": 3, "catchall": 4, "info": 5, "billing": 6])
        for user in users { XCTAssertEqual(fixture.dovecot.seenCount(user: user), fixture.dovecot.messageCount(user: user, folder: "")) }

        XCTAssertEqual(try fixture.mailgate("fetch", "--workers", "0").exitCode, 64, "a bad --workers is a usage error")
    }
}
