import XCTest
import MailSource
import TestSupport

/// IMAPSession against the test Dovecot (Scripts/dovecot-start); each test has its own user.
final class IMAPSessionDovecotTests: XCTestCase {
    private var dovecot: Dovecot!

    override func setUpWithError() throws {
        dovecot = try Dovecot.require()
    }

    // MARK: helpers

    private func endpoint(_ user: String, folder: String = "INBOX", tls: Endpoint.TLS = .none) -> Endpoint {
        switch tls {
        case .implicit:
            return Endpoint(scheme: .imaps, host: "localhost", port: dovecot.imapsPort, folder: folder, user: user,
                            caFile: dovecot.certificatePath)
        case .starttls:
            return Endpoint(scheme: .imap, host: "localhost", port: dovecot.imapPort, folder: folder, user: user,
                            tls: .starttls, caFile: dovecot.certificatePath)
        case .none:
            return Endpoint(scheme: .imap, host: dovecot.host, port: dovecot.imapPort, folder: folder, user: user, tls: .none)
        }
    }

    private func session(_ user: String, tls: Endpoint.TLS = .none, options: IMAPSessionOptions = .init()) throws -> IMAPSession {
        try IMAPSession(endpoint: endpoint(user, tls: tls), secret: dovecot.password, options: options)
    }

    /// A message with LF line ends, as an MTA would drop it into a Maildir.
    private func message(_ index: Int, user: String, bodyLines: Int? = nil) -> [UInt8] {
        var text = "From: Sender \(index) <sender\(index)@example.com>\nTo: \(user)@example.com\n"
            + "Subject: test message \(index) – ünïcode\nMessage-ID: <\(index).\(user)@example.test>\n"
            + "Content-Type: text/plain; charset=utf-8\n\n"
        for line in 0..<(bodyLines ?? (index % 23 + 1)) {
            text += "Line \(line) of message \(index): {5}\r\" ) ( * OK [ALERT] \\ \n"
        }
        return Array(text.utf8)
    }

    /// What Dovecot serves for a Maildir file with LF line ends: CRLF.
    private func served(_ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count + bytes.count / 20)
        for (index, byte) in bytes.enumerated() {
            if byte == 0x0A && (index == 0 || bytes[index - 1] != 0x0D) { out.append(0x0D) }
            out.append(byte)
        }
        return out
    }

    private func fetchAll(_ session: IMAPSession, _ uids: [UInt32]) throws -> [UInt32: [UInt8]] {
        var bodies: [UInt32: [UInt8]] = [:]
        _ = try session.fetchBodies(uids, maxSize: 64 << 20) { uid, bytes in
            XCTAssertNil(bodies[uid], "UID \(uid) handed over twice")
            bodies[uid] = bytes
        }
        return bodies
    }

    // MARK: connecting

    func testStartTLSImplicitTLSAndPlainSessions() throws {
        for tls in [Endpoint.TLS.starttls, .implicit, .none] {
            let user = dovecot.makeUser(prefix: "imap-tls")
            try dovecot.deliver(user: user, messages: [message(1, user: user)])
            let session = try session(user, tls: tls)
            XCTAssertTrue(session.hasCapability("IMAP4rev1"), "\(tls): \(session.capabilities)")
            let mailbox = try session.select()
            XCTAssertEqual(session.serverID?["name"], "Dovecot", "\(tls): ID is sent with the first SELECT when offered")
            XCTAssertEqual(mailbox.exists, 1, "\(tls)")
            XCTAssertGreaterThan(mailbox.uidValidity, 0)
            XCTAssertEqual(mailbox.uidNext, 2)
            XCTAssertFalse(mailbox.readOnly)
            XCTAssertEqual(try session.searchUIDs(from: 1), [1])
            session.logout()
        }
    }

    func testWrongPasswordIsAuthenticationFailed77() throws {
        let user = dovecot.makeUser(prefix: "imap-auth")
        XCTAssertThrowsError(try IMAPSession(endpoint: endpoint(user), secret: "wrong-\(user)")) { error in
            guard let failure = error as? MailSourceError else { return XCTFail("\(error)") }
            XCTAssertEqual(failure.exitCode, 77, "\(failure)")
            XCTAssertFalse(failure.description.contains("wrong-\(user)"), "the secret leaked: \(failure)")
        }
    }

    func testAnIdlePollCostsOneRoundTrip() throws {
        let user = dovecot.makeUser(prefix: "imap-count")
        try dovecot.deliver(user: user, messages: [message(1, user: user)])
        let session = try session(user)
        XCTAssertEqual(session.commandCount, 0, "Dovecot's login answer carried the capabilities; ID waits for SELECT")
        XCTAssertTrue(session.hasCapability("UIDPLUS"), "post-login capabilities taken from the login answer")
        // Nothing above the high-water mark: the listing sent with SELECT is empty
        // ("2:*" matches UID 1 on the wire; it is not listed).
        let (mailbox, listing) = try session.select(listingFrom: 2)
        XCTAssertEqual(mailbox.uidNext, 2)
        XCTAssertEqual(listing, [:])
        XCTAssertEqual(session.roundTrips, 1, "ID, SELECT and the listing in one flight")
        XCTAssertEqual(session.serverID?["name"], "Dovecot")
        let (_, all) = try session.select(listingFrom: 1)
        XCTAssertEqual(all.map { Array($0.keys) }, [1])
        XCTAssertEqual(try session.searchUIDs(from: 2), [])
        XCTAssertEqual(session.roundTrips, 3)
        session.logout()
    }

    // MARK: fetching

    func testThousandMessagesAreByteIdenticalAndStayUnseen() throws {
        let user = dovecot.makeUser(prefix: "imap-1000")
        var messages = (1...1000).map { message($0, user: user) }
        // Lines far above libcurl's 16 KB cut, 8-bit bytes (not NUL: IMAP has none), an empty body.
        messages[10] = Array("Subject: long\n\n".utf8) + [UInt8](repeating: UInt8(ascii: "x"), count: 40_000) + [0x0A]
        messages[11] = Array("Subject: 8bit\n\n".utf8) + (1...255).map { UInt8($0) }.filter { $0 != 0x0A && $0 != 0x0D } + [0x0A]
        messages[12] = Array("Subject: empty\n\n".utf8)
        try dovecot.deliver(user: user, messages: messages)

        let session = try session(user)
        let mailbox = try session.select()
        XCTAssertEqual(mailbox.exists, 1000)
        let uids = try session.searchUIDs(from: 1)
        XCTAssertEqual(uids, Array(1...1000))
        let bodies = try fetchAll(session, uids)
        XCTAssertEqual(bodies.count, 1000)
        for (index, uid) in uids.enumerated() where bodies[uid] != served(messages[index]) {
            XCTFail("UID \(uid) differs from what was delivered (\(bodies[uid]?.count ?? -1) bytes)")
            break
        }
        // BODY.PEEK[] leaves \Seen alone.
        XCTAssertEqual(try session.searchUnseen().count, 1000)
        session.logout()
    }

    func testSizesLetThePipelineSkipOversizedMessagesAndStreamLargeOnes() throws {
        let user = dovecot.makeUser(prefix: "imap-sizes")
        let big = message(2, user: user, bodyLines: 60_000) // ≈ 3.6 MB
        let messages = [message(1, user: user), big, message(3, user: user)]
        try dovecot.deliver(user: user, messages: messages)

        let session = try session(user)
        try session.select()
        let uids = try session.searchUIDs(from: 1)
        let sizes = try session.fetchSizes(uids + [99]) // 99 does not exist
        XCTAssertEqual(Set(sizes.keys), [1, 2, 3])
        for (index, uid) in uids.enumerated() {
            XCTAssertEqual(sizes[uid]?.size, UInt64(served(messages[index]).count))
            XCTAssertEqual(sizes[uid]?.isSeen, false)
        }
        let maxSize = 1 << 20
        let small = uids.filter { sizes[$0]!.size! <= UInt64(maxSize) }
        XCTAssertEqual(small, [1, 3])
        var fetched: [UInt32] = []
        let failures = try session.fetchBodies(small, maxSize: maxSize, sizes: sizes.compactMapValues(\.size)) { uid, _ in
            fetched.append(uid)
        }
        XCTAssertEqual(fetched, [1, 3])
        XCTAssertEqual(failures, [:])

        // The big one, streamed: never held whole by the session.
        var streamed: [UInt8] = []
        var pieces = 0
        let count = try session.fetchBody(2, maxSize: 8 << 20) { piece in
            streamed.append(contentsOf: piece)
            pieces += 1
        }
        XCTAssertEqual(count, .fetched(size: UInt64(served(big).count)))
        XCTAssertEqual(streamed, served(big))
        XCTAssertGreaterThan(pieces, 1)
        guard case .failed = try session.fetchBody(99, maxSize: 1 << 20, into: { _ in XCTFail("no such message") }) else {
            return XCTFail("a UID the server does not have cannot be fetched")
        }

        // A server literal above maxSize is refused before allocation and ends the session,
        // naming the message it was about.
        XCTAssertThrowsError(try session.fetchBodies([2], maxSize: maxSize) { _, _ in XCTFail("must not arrive") }) { error in
            let interrupted = error as? IMAPFetchInterrupted
            XCTAssertEqual(interrupted?.uid, 2, "\(error)")
            XCTAssertEqual(interrupted?.literalTooLarge, UInt64(served(big).count))
            XCTAssertEqual(interrupted?.underlying.exitCode, 75)
        }
        XCTAssertThrowsError(try session.select())
    }

    func testMessageIDsForUIDValidityResets() throws {
        let user = dovecot.makeUser(prefix: "imap-msgid")
        let folded = Array("From: a@example.com\nMessage-ID:\n  <folded@example.test>\nSubject: x\n\nbody\n".utf8)
        let none = Array("From: a@example.com\nSubject: no id\n\nbody\n".utf8)
        let messages = [message(1, user: user), folded, none]
        try dovecot.deliver(user: user, messages: messages)
        let session = try session(user)
        try session.select()
        let identities = try session.fetchMessageIDs([1, 2, 3])
        XCTAssertEqual(identities[1], IMAPMessageIdentity(uid: 1, messageID: "<1.\(user)@example.test>", size: UInt64(served(messages[0]).count)))
        XCTAssertEqual(identities[2]?.messageID, "<folded@example.test>")
        XCTAssertEqual(identities[3]?.messageID, nil)
        XCTAssertEqual(identities[3]?.size, UInt64(served(none).count))
        session.logout()
    }

    // MARK: telling the server "done"

    func testMarkSeenIsVisibleToASecondSession() throws {
        let user = dovecot.makeUser(prefix: "imap-seen")
        try dovecot.deliver(user: user, messages: (1...5).map { message($0, user: user) })
        let first = try session(user)
        try first.select()
        try first.markSeen([1, 2, 4])
        first.logout()

        let second = try session(user)
        try second.select(readOnly: true)
        let flags = try second.fetchSizes([1, 2, 3, 4, 5])
        XCTAssertEqual(flags.filter { $0.value.isSeen }.keys.sorted(), [1, 2, 4])
        XCTAssertEqual(try second.searchUnseen(), [3, 5])
        second.logout()
    }

    func testDeleteWithUIDPlusLeavesTheMailboxEmpty() throws {
        let user = dovecot.makeUser(prefix: "imap-delete")
        try dovecot.deliver(user: user, messages: (1...250).map { message($0, user: user) } + [message(300, user: user)])
        let session = try session(user)
        XCTAssertTrue(session.hasCapability("UIDPLUS"))
        try session.select()
        let uids = try session.searchUIDs(from: 1)
        XCTAssertEqual(uids.count, 251)
        XCTAssertTrue(try session.delete(uids))
        XCTAssertEqual(session.selected?.exists, 0)
        session.logout()
        XCTAssertEqual(dovecot.messageCount(user: user), 0)
    }

    func testDeleteWithoutUIDPlusOnlyFlags() throws {
        let user = dovecot.makeUser(prefix: "imap-flagdel")
        try dovecot.deliver(user: user, messages: (1...3).map { message($0, user: user) })
        var options = IMAPSessionOptions()
        options.ignoredCapabilities = ["UIDPLUS"]
        let session = try session(user, options: options)
        try session.select()
        XCTAssertFalse(try session.delete([1, 3]))
        let flags = try session.fetchSizes([1, 2, 3])
        XCTAssertEqual(flags.filter { $0.value.isDeleted }.keys.sorted(), [1, 3])
        session.logout()
        XCTAssertEqual(dovecot.messageCount(user: user), 3)
    }

    func testMoveToAChineseFolder() throws {
        for ignored: Set<String> in [[], ["MOVE"]] {
            let user = dovecot.makeUser(prefix: "imap-move")
            let messages = (1...4).map { message($0, user: user) }
            try dovecot.deliver(user: user, messages: messages)
            var options = IMAPSessionOptions()
            options.ignoredCapabilities = ignored
            let session = try session(user, options: options)
            try session.create("已处理")
            try session.create("已处理") // already there: fine
            try session.select()
            XCTAssertTrue(try session.move([1, 2, 3, 4], to: "已处理"), "\(ignored)")
            XCTAssertEqual(try session.select().exists, 0, "\(ignored)")
            let target = try session.select("已处理")
            XCTAssertEqual(target.exists, 4)
            let uids = try session.searchUIDs(from: 1)
            let bodies = try fetchAll(session, uids)
            XCTAssertEqual(uids.map { bodies[$0]! }, messages.map(served), "\(ignored)")
            session.logout()
            // Dovecot's Maildir++ layout stores the folder under its modified UTF-7 name.
            XCTAssertTrue(FileManager.default.fileExists(atPath: dovecot.maildir(user: user) + "/.&XfJZBHQG-"))
        }
    }

    func testIdleWakesUpForNewMail() throws {
        let user = dovecot.makeUser(prefix: "imap-idle")
        try dovecot.deliver(user: user, messages: [message(1, user: user)])
        let session = try session(user)
        XCTAssertEqual(try session.select().exists, 1)
        try dovecot.deliver(user: user, messages: [message(2, user: user)])
        // Dovecot checks the mailbox when IDLE starts; the bound is only for a broken server.
        XCTAssertTrue(try session.idle(for: 60))
        XCTAssertEqual(session.selected?.exists, 2)
        XCTAssertEqual(try session.searchUIDs(from: 2), [2])
        session.logout()
    }

    // MARK: searching

    func testWindowedSearchWithoutESearch() throws {
        let user = dovecot.makeUser(prefix: "imap-window")
        try dovecot.deliver(user: user, messages: (1...30).map { message($0, user: user) })
        var options = IMAPSessionOptions()
        options.ignoredCapabilities = ["ESEARCH"]
        options.searchWindow = 7
        let session = try session(user, options: options)
        XCTAssertFalse(session.hasCapability("ESEARCH"))
        try session.select()
        try session.markSeen([2, 9, 16, 29])
        let before = session.commandCount
        XCTAssertEqual(try session.searchUIDs(from: 5), Array(5...30))
        XCTAssertEqual(session.commandCount - before, 5, "windows 1:7 8:14 15:21 22:28 29:*")
        XCTAssertEqual(try session.searchUIDs(from: 31), [])
        XCTAssertEqual(try session.searchUnseen(), Array(1...30).filter { ![2, 9, 16, 29].contains($0) })
        session.logout()
    }

    func testSelectOfAMissingFolderIsAConfigurationError() throws {
        let user = dovecot.makeUser(prefix: "imap-missing")
        let session = try session(user)
        XCTAssertThrowsError(try session.select("Does Not Exist")) { error in
            XCTAssertEqual((error as? MailSourceError)?.exitCode, 78, "\(error)")
            XCTAssertTrue("\(error)".contains("SELECT"), "\(error)")
        }
        // A NO leaves the session usable.
        XCTAssertEqual(try session.select().exists, 0)
        session.logout()
    }
}
