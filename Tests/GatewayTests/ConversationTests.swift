import Foundation
import TestSupport
import XCTest

/// A conversation through the real Dovecot: a lead arrives at sales@, two replies arrive at
/// catchall@ referencing it, and a forward goes to jobs@ → one crm.lead thread with three
/// messages and one hr.applicant.
final class ConversationTests: XCTestCase {
    func testLeadRepliesAndForwardBecomeTwoThreads() throws {
        let dovecot = try Dovecot.require()
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let users = ["sales", "catchall", "jobs"].map { ($0, dovecot.makeUser(prefix: $0)) }
        var toml = """
            [store]
            path = "mailgate.sqlite"

            [defaults]
            domain = "acme.test"

            """
        for (alias, user) in users {
            toml += """

                [alias.\(alias)]
                url = "imaps://127.0.0.1:\(dovecot.imapsPort)/INBOX"
                user = "\(user)"
                password_env = "CONVERSATION_PASSWORD"
                tls_ca_file = "\(dovecot.certificatePath)"

                """
            if alias == "sales" { toml += "model = \"crm.lead\"\n" }
            if alias == "jobs" { toml += "model = \"hr.applicant\"\n" }
            if alias == "catchall" { toml += "role = \"catchall\"\n" }
        }
        let config = directory.file("mailgate.toml")
        try toml.write(toFile: config, atomically: true, encoding: .utf8)

        func mail(_ id: String, to: String, references: String? = nil, subject: String) -> [UInt8] {
            var m = "From: Li Wei <li.wei@customer.test>\nTo: \(to)\nSubject: \(subject)\nMessage-ID: \(id)\n"
            if let references { m += "In-Reply-To: \(references)\nReferences: \(references)\n" }
            m += "Date: Wed, 25 Nov 2026 09:00:00 +0800\n\n\(subject)\n"
            return Array(m.utf8)
        }
        try dovecot.deliver(user: users[0].1, messages: [mail("<lead@customer.test>", to: "sales@acme.test", subject: "Quote please")])
        try dovecot.deliver(user: users[1].1, messages: [
            mail("<r1@customer.test>", to: "catchall@acme.test", references: "<lead@customer.test>", subject: "Re: Quote please"),
            mail("<r2@customer.test>", to: "catchall@acme.test", references: "<lead@customer.test> <r1@customer.test>",
                 subject: "Re: Re: Quote please"),
        ])
        try dovecot.deliver(user: users[2].1, messages: [
            mail("<fw@customer.test>", to: "jobs@acme.test", references: "<lead@customer.test>", subject: "Fwd: my CV"),
        ])

        let env = ["CONVERSATION_PASSWORD": dovecot.password]
        let fetch = try runMailgate(args: ["fetch", "--json", "--config", config], env: env)
        XCTAssertEqual(fetch.exitCode, 0, fetch.stderr + fetch.stdout)
        let routes = fetch.stdout.split(separator: "\n").compactMap {
            ((try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any])?["routes"] as? [String: Int]
        }
        XCTAssertEqual(routes.count, 3)
        XCTAssertEqual(routes.reduce(0) { $0 + ($1["new"] ?? 0) }, 2)
        XCTAssertEqual(routes.reduce(0) { $0 + ($1["reply"] ?? 0) }, 2)
        XCTAssertEqual(routes.first?.keys.sorted(),
                       ["bounce", "catchall", "duplicate", "loop", "new", "refused", "reply", "unrouted"])

        let threads = try runMailgate(args: ["threads", "--json", "--config", config])
        XCTAssertEqual(threads.exitCode, 0, threads.stderr)
        let list = threads.stdout.split(separator: "\n").compactMap {
            (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any]
        }
        // The aliases are polled in parallel, so which thread was created first may vary.
        var messagesByModel: [String: Int] = [:]
        for thread in list { messagesByModel[thread["model"] as? String ?? "?"] = thread["messages"] as? Int }
        XCTAssertEqual(messagesByModel, ["crm.lead": 3, "hr.applicant": 1])
        guard let lead = list.first(where: { $0["model"] as? String == "crm.lead" }) else { return }

        let status = try runMailgate(args: ["status", "--json", "--config", config])
        let catchall = status.stdout.split(separator: "\n").compactMap {
            (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any]
        }.first { $0["alias"] as? String == "catchall" }
        XCTAssertEqual((catchall?["routes"] as? [String: Int])?["reply"], 2, "status counts routes per alias")

        let show = try runMailgate(args: ["show", String(lead["id"] as? Int ?? 0), "--json", "--config", config])
        XCTAssertTrue(show.stdout.contains("Re: Re: Quote please"), show.stdout)
    }
}
