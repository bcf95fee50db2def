import XCTest
@testable import MailSource

/// A fake IMAP server behind a `ByteStream`: answers each command line as `script` says,
/// hands its answers out a few bytes per receive, and logs sends and receives in order.
private final class IMAPScriptedServer: ByteStream {
    enum Event: Equatable { case command(String), receive }

    var script: (_ tag: String, _ command: String) -> String
    private(set) var events: [Event] = []
    private var inbound: [UInt8] = []
    private var outbound: [UInt8] = []
    private let piece: Int

    init(piece: Int = 7, greeting: String = "", script: @escaping (_ tag: String, _ command: String) -> String) {
        self.piece = piece
        self.script = script
        outbound = Array(greeting.utf8)
    }

    var commands: [String] { events.compactMap { if case let .command(line) = $0 { return line } else { return nil } } }

    func send(_ bytes: UnsafeRawBufferPointer) throws {
        inbound += bytes
        while let newline = inbound.firstIndex(of: 0x0A) {
            let line = String(decoding: inbound[..<newline].dropLast(), as: UTF8.self)
            inbound.removeFirst(newline + 1)
            events.append(.command(line))
            let parts = line.split(separator: " ", maxSplits: 1)
            outbound += Array(script(String(parts[0]), parts.count > 1 ? String(parts[1]) : "").utf8)
        }
    }

    func receive(into buffer: UnsafeMutableRawBufferPointer, waitingAtMost seconds: Double?) throws -> Int {
        guard !outbound.isEmpty else {
            if seconds != nil { return 0 } // "nothing arrived in time", instantly
            throw MailSourceError.temporary("scripted server closed the connection")
        }
        events.append(.receive)
        let count = min(piece, buffer.count, outbound.count)
        buffer.copyBytes(from: outbound[..<count])
        outbound.removeFirst(count)
        return count
    }
}

final class IMAPSessionScriptedTests: XCTestCase {
    /// CAPABILITY/ID/SELECT answers of a small server; `more` answers the rest.
    private func server(capabilities: String = "IMAP4rev1 ID UIDPLUS MOVE ESEARCH",
                        _ more: @escaping (_ tag: String, _ command: String) -> String?) -> IMAPScriptedServer {
        IMAPScriptedServer { tag, command in
            if let answer = more(tag, command) { return answer }
            switch command.split(separator: " ").first.map(String.init) {
            case "CAPABILITY": return "* CAPABILITY \(capabilities)\r\n\(tag) OK done\r\n"
            case "ID": return "* ID (\"name\" \"Scripted\")\r\n\(tag) OK done\r\n"
            case "SELECT", "EXAMINE":
                return "* 10 EXISTS\r\n* OK [UIDVALIDITY 42] ok\r\n* OK [UIDNEXT 11] ok\r\n\(tag) OK [READ-WRITE] done\r\n"
            case "LOGOUT": return "* BYE bye\r\n\(tag) OK done\r\n"
            default: return "\(tag) BAD unexpected \(command)\r\n"
            }
        }
    }

    func testCapabilityIsAskedWhenTheLoginDidNotSayAndIDRidesWithTheFirstSelect() throws {
        let withID = server { _, _ in nil }
        let session = try IMAPSession(stream: withID)
        XCTAssertEqual(withID.commands, ["A0001 CAPABILITY"])
        XCTAssertEqual(session.capabilities, ["IMAP4REV1", "ID", "UIDPLUS", "MOVE", "ESEARCH"])
        try session.select()
        XCTAssertEqual(withID.commands, ["A0001 CAPABILITY", "A0002 ID (\"name\" \"mailgate\" \"version\" \"1.0\")",
                                         "A0003 SELECT INBOX"])
        XCTAssertEqual(session.serverID, ["name": "Scripted"])
        // ID and SELECT are written before either answer is read: one round trip for both.
        let id = withID.events.firstIndex(of: .command(withID.commands[1]))!
        let select = withID.events.firstIndex(of: .command(withID.commands[2]))!
        XCTAssertFalse(withID.events[id..<select].contains(.receive))
        XCTAssertEqual(session.roundTrips, 2)
        try session.select()
        XCTAssertEqual(withID.commands.count, 4, "ID is sent once")

        let withoutID = server(capabilities: "IMAP4rev1") { _, _ in nil }
        let plain = try IMAPSession(stream: withoutID)
        XCTAssertEqual(plain.commandCount, 1)
        let mailbox = try plain.select("INBOX")
        XCTAssertEqual(mailbox, IMAPSelectedMailbox(name: "INBOX", uidValidity: 42, uidNext: 11, exists: 10, readOnly: false,
                                                    permanentFlags: [], highestModSeq: nil))
        XCTAssertEqual(plain.commandCount, 2)
    }

    func testTheSessionLogsInItselfInOneRoundTripAfterTheGreeting() throws {
        let login = IMAPLogin(user: "sales@acme.test", secret: "pa\"ss")
        // SASL-IR and AUTH=PLAIN in the greeting: AUTHENTICATE PLAIN with the initial response.
        let withIR = IMAPScriptedServer(greeting: "* OK [CAPABILITY IMAP4rev1 SASL-IR AUTH=PLAIN ID] ready\r\n") { tag, command in
            command.hasPrefix("AUTHENTICATE PLAIN ") ? "\(tag) OK [CAPABILITY IMAP4rev1 ID UIDPLUS] in\r\n" : "\(tag) BAD\r\n"
        }
        let session = try IMAPSession(stream: withIR, login: login)
        XCTAssertEqual(withIR.commands, ["A0001 AUTHENTICATE PLAIN " + Redactor.base64(Array("\0sales@acme.test\0pa\"ss".utf8))])
        XCTAssertEqual(session.capabilities, ["IMAP4REV1", "ID", "UIDPLUS"], "after login, from the login's answer")
        XCTAssertEqual(session.greeting, "* OK ready")
        XCTAssertEqual(session.commandCount, 0)

        // No SASL-IR, no capabilities in the greeting: CAPABILITY, then LOGIN with quoted strings.
        let plain = IMAPScriptedServer(greeting: "* OK ready\r\n") { tag, command in
            if command == "CAPABILITY" { return "* CAPABILITY IMAP4rev1\r\n\(tag) OK done\r\n" }
            if command.hasPrefix("LOGIN ") { return "\(tag) OK [CAPABILITY IMAP4rev1 MOVE] in\r\n" }
            return "\(tag) BAD\r\n"
        }
        let second = try IMAPSession(stream: plain, login: login)
        XCTAssertEqual(plain.commands, ["A0001 CAPABILITY", "A0002 LOGIN \"sales@acme.test\" \"pa\\\"ss\""])
        XCTAssertTrue(second.hasCapability("MOVE"))

        // AUTH=PLAIN without SASL-IR and a password a quoted string cannot carry: the continuation.
        let utf8 = IMAPLogin(user: "sales@acme.test", secret: "pässwörd")
        let challenge = IMAPScriptedServer(greeting: "* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] ready\r\n") { tag, command in
            if command == "AUTHENTICATE PLAIN" { return "+ \r\n" }
            if command.isEmpty { return "A0001 OK [CAPABILITY IMAP4rev1] in\r\n" }  // the response line
            return "\(tag) BAD\r\n"
        }
        XCTAssertNoThrow(try IMAPSession(stream: challenge, login: utf8))
        XCTAssertEqual(challenge.commands, ["A0001 AUTHENTICATE PLAIN", Redactor.base64(Array("\0sales@acme.test\0pässwörd".utf8))])
    }

    func testARefusedLoginIs77WithTheServersWordsAndNoSecret() throws {
        let login = IMAPLogin(user: "sales@acme.test", secret: "hunter2")
        let refusing = IMAPScriptedServer(greeting: "* OK [CAPABILITY IMAP4rev1 SASL-IR AUTH=PLAIN] ready\r\n") { tag, _ in
            "\(tag) NO [AUTHENTICATIONFAILED] Authentication failed for hunter2\r\n"
        }
        XCTAssertThrowsError(try IMAPSession(stream: refusing, login: login)) { error in
            let failure = error as? MailSourceError
            XCTAssertEqual(failure?.exitCode, 77, "\(error)")
            XCTAssertFalse("\(error)".contains("hunter2"), "\(error)")
        }
        let busy = IMAPScriptedServer(greeting: "* OK [CAPABILITY IMAP4rev1 SASL-IR AUTH=PLAIN] ready\r\n") { tag, _ in
            "\(tag) NO [UNAVAILABLE] Try again later\r\n"
        }
        XCTAssertThrowsError(try IMAPSession(stream: busy, login: login)) { error in
            XCTAssertEqual((error as? MailSourceError)?.exitCode, 75, "\(error)")
        }
    }

    func testAPollWithNewMailIsThreeRoundTripsAfterLogin() throws {
        let fake = server { tag, command in
            if command == "UID FETCH 8:* (UID RFC822.SIZE FLAGS)" {
                // "8:*" also matches the highest UID below 8 (7): it is not new.
                return "* 7 FETCH (UID 7 RFC822.SIZE 10 FLAGS ())\r\n* 8 FETCH (UID 8 RFC822.SIZE 30 FLAGS ())\r\n"
                    + "* 9 FETCH (UID 9 RFC822.SIZE 31 FLAGS (\\Seen))\r\n\(tag) OK done\r\n"
            }
            if command.hasPrefix("UID FETCH 8:9 (UID BODY.PEEK[])") {
                return "* 8 FETCH (UID 8 BODY[] {5}\r\nhello)\r\n* 9 FETCH (UID 9 BODY[] {5}\r\nworld)\r\n\(tag) OK done\r\n"
            }
            if command.hasPrefix("UID STORE") { return "\(tag) OK done\r\n" }
            return nil
        }
        let session = try IMAPSession(stream: fake, capabilitiesAfterLogin: ["IMAP4rev1", "ID", "UIDPLUS"])
        XCTAssertEqual(session.roundTrips, 0, "the login's answer carried the capabilities")
        let (mailbox, listing) = try session.select(listingFrom: 8)
        XCTAssertEqual(mailbox.uidNext, 11)
        XCTAssertEqual(listing, [8: IMAPMessageInfo(uid: 8, size: 30, flags: []),
                                 9: IMAPMessageInfo(uid: 9, size: 31, flags: ["\\Seen"])])
        XCTAssertEqual(session.roundTrips, 1, "ID, SELECT and the listing in one flight")
        var bodies: [UInt32: [UInt8]] = [:]
        let failures = try session.fetchBodies([8, 9], maxSize: 100) { uid, bytes in bodies[uid] = bytes }
        XCTAssertEqual(failures, [:])
        XCTAssertEqual(bodies, [8: Array("hello".utf8), 9: Array("world".utf8)])
        try session.markSeen([8, 9])
        session.logout()
        XCTAssertEqual(session.roundTrips, 3, "SELECT with the listing, the bodies, the flags; LOGOUT is not waited for")
        XCTAssertEqual(fake.commands.last, "A0006 LOGOUT")
    }

    func testARefusedListingFallsBackToSearchAndARefusedSelectStillThrows() throws {
        let fake = server { tag, command in
            if command.hasPrefix("UID FETCH 1:*") { return "\(tag) BAD Invalid uidset\r\n" }
            if command.hasPrefix("SELECT \"Missing\"") { return "\(tag) NO [NONEXISTENT] Unknown mailbox\r\n" }
            return nil
        }
        let session = try IMAPSession(stream: fake, capabilitiesAfterLogin: ["IMAP4rev1"])
        let (mailbox, listing) = try session.select(listingFrom: 1)
        XCTAssertEqual(mailbox.uidValidity, 42)
        XCTAssertNil(listing)
        XCTAssertThrowsError(try session.select("Missing", listingFrom: 1)) { error in
            XCTAssertEqual((error as? MailSourceError)?.exitCode, 78, "\(error)")
        }
        XCTAssertNil(session.selected)
        // Both answers were read: the session goes on in step.
        XCTAssertEqual(try session.select().uidValidity, 42)
    }

    func testFetchIsPipelinedInBatchesAndBodiesArriveWhole() throws {
        let fake = server { tag, command in
            guard command.hasPrefix("UID FETCH ") else { return nil }
            let set = IMAPSequenceSet(parsing: String(command.split(separator: " ")[2]))!
            var answer = ""
            for uid in set.expanded(limit: 100)! {
                let body = "Subject: \(uid)\r\n\r\n{3}\r\n)"
                // Items in the server's order: the body before the UID.
                answer += "* \(uid) FETCH (BODY[] {\(body.utf8.count)}\r\n\(body) UID \(uid))\r\n"
                if uid == 4 { answer += "* 11 EXISTS\r\n" } // new mail announced mid-FETCH
            }
            return answer + "\(tag) OK done\r\n"
        }
        var options = IMAPSessionOptions()
        options.fetchBatchCount = 2
        options.pipelineDepth = 3
        let session = try IMAPSession(stream: fake, options: options)
        try session.select()
        var received: [UInt32: String] = [:]
        try session.fetchBodies([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], maxSize: 1000) { uid, bytes in
            received[uid] = String(decoding: bytes, as: UTF8.self)
        }
        XCTAssertEqual(received.count, 10)
        XCTAssertEqual(received[7], "Subject: 7\r\n\r\n{3}\r\n)")
        XCTAssertEqual(session.selected?.exists, 11)
        let fetches = fake.commands.filter { $0.contains("UID FETCH") }
        XCTAssertEqual(fetches.map { String($0.split(separator: " ")[3]) }, ["1:2", "3:4", "5:6", "7:8", "9:10"])
        // Three commands are written before the first answer is read.
        let firstFetch = fake.events.firstIndex(of: .command(fetches[0]))!
        let thirdFetch = fake.events.firstIndex(of: .command(fetches[2]))!
        XCTAssertFalse(fake.events[firstFetch..<thirdFetch].contains(.receive))
    }

    func testSearchDropsTheHighestUIDBelowTheStart() throws {
        for capabilities in ["IMAP4rev1", "IMAP4rev1 ESEARCH"] {
            let fake = server(capabilities: capabilities) { tag, command in
                if command == "UID SEARCH UID 11:*" { return "* SEARCH 10\r\n\(tag) OK done\r\n" }
                if command == "UID SEARCH RETURN (ALL) UID 11:*" { return "* ESEARCH (TAG \"\(tag)\") UID ALL 10\r\n\(tag) OK done\r\n" }
                if command == "UID SEARCH RETURN (ALL) UID 3:*" { return "* ESEARCH (TAG \"\(tag)\") UID ALL 3:5,7,10\r\n\(tag) OK done\r\n" }
                if command == "UID SEARCH UID 3:*" { return "* SEARCH 3 4 5 7 10\r\n\(tag) OK done\r\n" }
                return nil
            }
            let session = try IMAPSession(stream: fake)
            try session.select()
            XCTAssertEqual(try session.searchUIDs(from: 11), [], capabilities)
            XCTAssertEqual(try session.searchUIDs(from: 3), [3, 4, 5, 7, 10], capabilities)
        }
    }

    func testRefusalsBecomeTypedErrorsWithTheServersWords() throws {
        let fake = server { tag, command in
            if command.hasPrefix("UID STORE") { return "\(tag) NO [UNAVAILABLE] Backend down\r\n" }
            if command.hasPrefix("UID EXPUNGE") { return "\(tag) BAD Unknown command\r\n" }
            if command.hasPrefix("EXAMINE") { return "\(tag) NO [AUTHENTICATIONFAILED] Unsafe Login\r\n" }
            if command.hasPrefix("UID MOVE") { return "\(tag) NO [TRYCREATE] No such folder\r\n" }
            return nil
        }
        let session = try IMAPSession(stream: fake, address: "imap.example.com:993")
        XCTAssertThrowsError(try session.select(readOnly: true)) { error in
            XCTAssertEqual((error as? MailSourceError)?.exitCode, 77)
            XCTAssertTrue("\(error)".contains("Unsafe Login"), "\(error)")
        }
        try session.select()
        XCTAssertThrowsError(try session.markSeen([1, 2])) { error in
            XCTAssertEqual(error as? MailSourceError,
                           .temporary("imap.example.com:993 refused UID STORE (NO [UNAVAILABLE]): Backend down"))
        }
        XCTAssertThrowsError(try session.move([1], to: "Archive")) { error in
            XCTAssertEqual((error as? MailSourceError)?.exitCode, 78, "\(error)")
        }
        // NO and BAD leave the session usable.
        XCTAssertEqual(try session.select().uidValidity, 42)
    }

    func testByeInTheMiddleIsTemporaryAndEndsTheSession() throws {
        let fake = server { _, command in
            command.hasPrefix("UID FETCH") ? "* 1 FETCH (UID 1 RFC822.SIZE 5)\r\n* BYE Server shutting down\r\n" : nil
        }
        let session = try IMAPSession(stream: fake)
        try session.select()
        XCTAssertThrowsError(try session.fetchSizes([1, 2])) { error in
            XCTAssertEqual(error as? MailSourceError, .temporary("IMAP server closed the session: Server shutting down"))
        }
        XCTAssertThrowsError(try session.select()) { error in
            XCTAssertEqual((error as? MailSourceError)?.exitCode, 75)
        }
        session.logout()
    }

    func testAThrowingConsumerDrainsTheRestAndTheSessionGoesOn() throws {
        struct Stop: Error {}
        let fake = server { tag, command in
            guard command.hasPrefix("UID FETCH") else { return nil }
            let set = IMAPSequenceSet(parsing: String(command.split(separator: " ")[2]))!
            return set.expanded(limit: 100)!.map { "* \($0) FETCH (UID \($0) BODY[] {1}\r\nx)\r\n" }.joined() + "\(tag) OK done\r\n"
        }
        var options = IMAPSessionOptions()
        options.fetchBatchCount = 1
        let session = try IMAPSession(stream: fake, options: options)
        try session.select()
        var seen: [UInt32] = []
        XCTAssertThrowsError(try session.fetchBodies([1, 2, 3, 4, 5], maxSize: 10) { uid, _ in
            seen.append(uid)
            if uid == 2 { throw Stop() }
        }) { error in XCTAssertTrue(error is Stop) }
        XCTAssertEqual(seen, [1, 2])
        // Three in flight, a fourth after UID 1 was answered; nothing after the failure.
        XCTAssertEqual(fake.commands.filter { $0.contains("UID FETCH") }.count, 4)
        XCTAssertEqual(try session.select().exists, 10)
    }

    func testIdleEndsWithDoneWhenNothingArrivesAndReportsNewMail() throws {
        var idleTag = ""
        var announce = false
        let fake = server(capabilities: "IMAP4rev1 ID IDLE") { tag, command in
            if command == "IDLE" {
                idleTag = tag
                return announce ? "+ idling\r\n* 3 EXPUNGE\r\n* 10 EXISTS\r\n" : "+ idling\r\n"
            }
            if tag == "DONE" { return "\(idleTag) OK Idle completed.\r\n" }
            return nil
        }
        let session = try IMAPSession(stream: fake)
        try session.select()
        XCTAssertFalse(try session.idle(for: 30))
        XCTAssertEqual(Array(fake.commands.suffix(2)), ["A0004 IDLE", "DONE"])
        announce = true
        // One gone and one new: the count is the same, but new mail arrived.
        XCTAssertTrue(try session.idle(for: 30))
        XCTAssertEqual(session.selected?.exists, 10)
        XCTAssertEqual(Array(fake.commands.suffix(2)), ["A0005 IDLE", "DONE"])
        XCTAssertEqual(try session.select().exists, 10, "the session goes on after IDLE")
    }

    func testUnreadableResponseCostsItsMessageNotTheSession() throws {
        let fake = server { tag, command in
            if command == "NOOP" { return "\(tag) OK done\r\n" }
            if command.hasPrefix("UID FETCH 1:2 (UID RFC822.SIZE") { return "* 1 FETCH (UID one)\r\n* 2 FETCH (UID 2 RFC822.SIZE 5)\r\n\(tag) OK done\r\n" }
            if command.hasPrefix("UID FETCH 1:2 (UID BODY") {
                return "* 1 FETCH (UID 1 BODY[] {5}\r\nhello X-GARBLED \"unterminated)\r\n* 2 FETCH (UID 2 BODY[] {5}\r\nworld)\r\n\(tag) OK done\r\n"
            }
            return nil
        }
        let session = try IMAPSession(stream: fake)
        try session.select()
        XCTAssertEqual(try session.fetchSizes([1, 2]).keys.sorted(), [2])
        var got: [UInt32: [UInt8]] = [:]
        let failures = try session.fetchBodies([1, 2], maxSize: 100) { got[$0] = $1 }
        XCTAssertEqual(got, [2: Array("world".utf8)])
        XCTAssertEqual(failures.keys.sorted(), [1])
        XCTAssertTrue(failures[1]!.reason.contains("X-GARBLED"), failures[1]!.reason)
        try session.noop()  // the session goes on
    }

    /// Every UID asked for is either delivered or comes back failed with the reason: NIL
    /// body (imapsync#79), no FETCH line, a NO to its command. Unsolicited FETCH/EXISTS/
    /// EXPUNGE in the middle only update the bookkeeping; a body without its UID is placed
    /// by its sequence number (RFC 3501 §7.4).
    func testEveryUIDAskedForIsDeliveredOrFailed() throws {
        let fake = server { tag, command in
            if command.hasPrefix("UID FETCH 1:5 (UID RFC822.SIZE") {
                return (1...5).map { "* \($0) FETCH (UID \($0) RFC822.SIZE 5)\r\n" }.joined() + "\(tag) OK done\r\n"
            }
            if command.hasPrefix("UID FETCH 1:5 (UID BODY") {
                return "* 1 FETCH (UID 1 BODY[] NIL)\r\n"
                    + "* 9 FETCH (FLAGS (\\Recent))\r\n* 11 EXISTS\r\n"
                    + "* 3 FETCH (BODY[] {5}\r\nthree)\r\n"                  // no UID: sequence 3 is UID 3
                    + "* 4 FETCH (UID 99 BODY[] {5}\r\nnoise)\r\n"           // nobody asked for UID 99
                    + "* 2 FETCH (FLAGS (\\Seen))\r\n"
                    + "* 5 FETCH (UID 5 BODY[] {4}\r\nfive)\r\n"
                    + "\(tag) OK done\r\n"                                   // UID 2 and 4: nothing
            }
            if command.hasPrefix("UID FETCH 6 ") { return "\(tag) NO [EXPUNGEISSUED] Some messages were expunged\r\n" }
            return nil
        }
        let session = try IMAPSession(stream: fake)
        try session.select()
        XCTAssertEqual(try session.fetchSizes([1, 2, 3, 4, 5]).count, 5)
        var got: [UInt32: String] = [:]
        let failures = try session.fetchBodies([1, 2, 3, 4, 5], maxSize: 100) { got[$0] = String(decoding: $1, as: UTF8.self) }
        XCTAssertEqual(got, [3: "three", 5: "five"])
        XCTAssertEqual(failures.keys.sorted(), [1, 2, 4])
        XCTAssertTrue(failures[1]!.reason.contains("NIL"), failures[1]!.reason)
        XCTAssertTrue(failures[2]!.reason.contains("no FETCH response"), failures[2]!.reason)
        XCTAssertEqual(session.selected?.exists, 11)

        let refused = try session.fetchBodies([6], maxSize: 100) { _, _ in XCTFail("nothing arrives") }
        XCTAssertEqual(refused[6]?.expungeIssued, true)
    }

    /// RFC 5530 response codes decide what a refusal means for the admin.
    func testResponseCodesMapToSysexits() throws {
        let cases: [(answer: String, code: Int32)] = [
            ("NO [SERVERBUG] Internal error occurred. Refer to server log", 75), ("NO [UNAVAILABLE] try later", 75),
            ("NO [INUSE] mailbox in use", 75), ("NO [LIMIT] too many", 75), ("NO [OVERQUOTA] full", 75),
            ("NO [NOPERM] not yours", 77), ("NO [EXPIRED] password expired", 77), ("NO [CONTACTADMIN] locked", 77),
            ("NO [AUTHORIZATIONFAILED] no", 77), ("NO [PRIVACYREQUIRED] use TLS", 78), ("NO [NONEXISTENT] no folder", 78),
            ("NO SELECT Unsafe Login. Please contact kefu@188.com for help", 75), ("BAD command unknown", 70),
        ]
        for (answer, code) in cases {
            let fake = server { tag, command in command.hasPrefix("SELECT") ? "\(tag) \(answer)\r\n" : nil }
            let session = try IMAPSession(stream: fake)
            XCTAssertThrowsError(try session.select(), answer) { error in
                XCTAssertEqual((error as? MailSourceError)?.exitCode, code, "\(answer): \(error)")
                XCTAssertTrue("\(error)".contains(String(answer.split(separator: " ").last!)), "the server's words: \(error)")
            }
        }
    }

    /// NetEase (163.com, 126.com) refuses SELECT unless the client sent ID first; Mailgate
    /// sends it whenever ID is advertised.
    func testIDIsSentBeforeSelectForNetEase() throws {
        var identified = false
        let fake = server(capabilities: "IMAP4rev1 ID") { tag, command in
            if command.hasPrefix("ID ") { identified = true; return nil }
            if command.hasPrefix("SELECT") && !identified {
                return "\(tag) NO SELECT Unsafe Login. Please contact kefu@188.com for help\r\n"
            }
            return nil
        }
        let session = try IMAPSession(stream: fake)
        XCTAssertEqual(try session.select().uidValidity, 42)
        XCTAssertTrue(identified)
    }
}
