import XCTest
@testable import MailSource

/// The IMAP codec alone: no server, no network.
final class IMAPCodecTests: XCTestCase {
    // MARK: helpers

    private func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    /// Parses a whole wire text, fed in one piece and, again, byte by byte; both must agree.
    private func parseAll(_ wire: [UInt8], maxLiteralSize: Int = 1 << 20, file: StaticString = #filePath, line: UInt = #line) throws -> [IMAPResponse] {
        let whole = IMAPResponseDecoder(maxLiteralSize: maxLiteralSize)
        try whole.feed(wire)
        var responses: [IMAPResponse] = []
        while let response = try whole.next() { responses.append(response) }
        XCTAssertFalse(whole.framer.isInsideResponse, "input left a response unfinished", file: file, line: line)

        let single = IMAPResponseDecoder(maxLiteralSize: maxLiteralSize)
        var trickled: [IMAPResponse] = []
        for byte in wire {
            try single.feed([byte])
            while let response = try single.next() { trickled.append(response) }
        }
        XCTAssertEqual(trickled, responses, "byte-by-byte feeding disagrees", file: file, line: line)
        return responses
    }

    private func parseOne(_ wire: String, file: StaticString = #filePath, line: UInt = #line) throws -> IMAPResponse {
        let responses = try parseAll(bytes(wire), file: file, line: line)
        XCTAssertEqual(responses.count, 1, file: file, line: line)
        return try XCTUnwrap(responses.first, file: file, line: line)
    }

    private func fetch(_ response: IMAPResponse, file: StaticString = #filePath, line: UInt = #line) throws -> (UInt32, IMAPFetchAttributes) {
        guard case let .untagged(.fetch(sequence, attributes)) = response else {
            XCTFail("not a FETCH: \(response)", file: file, line: line)
            throw IMAPCodecError.syntax("test", context: "")
        }
        return (sequence, attributes)
    }

    // MARK: commands and tags

    func testTagsCountUpWithFourDigits() {
        var tags = IMAPTagGenerator()
        XCTAssertEqual(tags.nextTag(), "A0001")
        XCTAssertEqual(tags.nextTag(), "A0002")
        var late = IMAPTagGenerator(start: 12345)
        XCTAssertEqual(late.nextTag(), "A12345")
    }

    func testCommandEncoding() {
        XCTAssertEqual(String(decoding: IMAPCommand.capability.encoded(tag: "A0001"), as: UTF8.self), "A0001 CAPABILITY\r\n")
        let select = IMAPCommand.select("已处理", readOnly: false)
        XCTAssertEqual(String(decoding: select.encoded(tag: "A0002"), as: UTF8.self), "A0002 SELECT \"&XfJZBHQG-\"\r\n")
        XCTAssertEqual(IMAPCommand.select("inbox", readOnly: true).arguments, "INBOX")
        XCTAssertEqual(IMAPCommand.select("inbox", readOnly: true).verb, "EXAMINE")
        XCTAssertEqual(IMAPCommand.quoted("a\"b\\c"), "\"a\\\"b\\\\c\"")
        XCTAssertEqual(IMAPCommand.id([("name", "mailgate"), ("version", "1.0")]).arguments,
                       "(\"name\" \"mailgate\" \"version\" \"1.0\")")
        let store = IMAPCommand.uidStore(IMAPSequenceSet([3, 1, 2, 9]), "+FLAGS.SILENT", flags: ["\\Seen"])
        XCTAssertEqual(String(decoding: store.encoded(tag: "A0003"), as: UTF8.self), "A0003 UID STORE 1:3,9 +FLAGS.SILENT (\\Seen)\r\n")
        XCTAssertEqual(IMAPCommand.uidSearch("UID 5:*", esearch: true).arguments, "RETURN (ALL) UID 5:*")
    }

    // MARK: sequence sets

    func testSequenceSetCompressesToRanges() {
        let uids = Array(UInt32(101)...250) + [300, 101, 251]
        let set = IMAPSequenceSet(uids)
        XCTAssertEqual(set.description, "101:251,300")
        XCTAssertEqual(set.count, 152)
        XCTAssertEqual(IMAPSequenceSet([UInt32]()).description, "")
        XCTAssertEqual(IMAPSequenceSet([7]).description, "7")
        XCTAssertEqual(IMAPSequenceSet([UInt32.max, 1]).description, "1,4294967295")
        XCTAssertEqual(IMAPSequenceSet(parsing: "1:5,7")?.expanded(limit: 100), [1, 2, 3, 4, 5, 7])
        XCTAssertEqual(IMAPSequenceSet(parsing: "5:1")?.description, "1:5")
        XCTAssertNil(IMAPSequenceSet(parsing: "1:*"))
        XCTAssertNil(IMAPSequenceSet(parsing: "1:4294967295")?.expanded(limit: 1000))
    }

    func testSequenceSetSplitsByLengthAndCount() {
        // Every other UID: no ranges, so the rendering is long.
        let sparse = IMAPSequenceSet(stride(from: UInt32(1), to: 20_000, by: 2))
        let pieces = sparse.split(maxLength: 200)
        XCTAssertGreaterThan(pieces.count, 1)
        for piece in pieces { XCTAssertLessThanOrEqual(piece.description.count, 200) }
        XCTAssertEqual(pieces.flatMap { $0.expanded(limit: 100_000)! }, sparse.expanded(limit: 100_000)!)

        let dense = IMAPSequenceSet(ranges: [1...250, 300...300])
        let byCount = dense.split(maxCount: 100)
        XCTAssertEqual(byCount.map(\.description), ["1:100", "101:200", "201:250,300"])
        XCTAssertEqual(dense.split().map(\.description), ["1:250,300"])
    }

    // MARK: modified UTF-7

    func testModifiedUTF7() {
        XCTAssertEqual(ModifiedUTF7.encode("已处理"), "&XfJZBHQG-")
        XCTAssertEqual(ModifiedUTF7.decode("&XfJZBHQG-"), "已处理")
        XCTAssertEqual(ModifiedUTF7.encode("Tom & Jerry"), "Tom &- Jerry")
        XCTAssertEqual(ModifiedUTF7.decode("Tom &- Jerry"), "Tom & Jerry")
        XCTAssertEqual(ModifiedUTF7.encode("~peter/mail/台北/日本語"), "~peter/mail/&U,BTFw-/&ZeVnLIqe-")
        XCTAssertEqual(ModifiedUTF7.decode("~peter/mail/&U,BTFw-/&ZeVnLIqe-"), "~peter/mail/台北/日本語")
        XCTAssertEqual(ModifiedUTF7.encode("Entwürfe"), "Entw&APw-rfe")
        for name in ["INBOX", "已处理", "a&b", "😀 emoji", "Ünïcödé/サブ", "&&", ""] {
            XCTAssertEqual(ModifiedUTF7.decode(ModifiedUTF7.encode(name)), name, name)
        }
        XCTAssertNil(ModifiedUTF7.decode("&Jjo"))        // unterminated
        XCTAssertNil(ModifiedUTF7.decode("&2D0-"))       // a lone surrogate
        XCTAssertNil(ModifiedUTF7.decode("caf\u{E9}"))   // 8-bit is not modified UTF-7
    }

    // MARK: responses

    func testTaggedStatusWithCodes() throws {
        XCTAssertEqual(try parseOne("A0001 OK [READ-WRITE] SELECT completed\r\n"),
                       .tagged(tag: "A0001", IMAPStatusResponse(status: .ok, code: .readWrite, text: "SELECT completed")))
        XCTAssertEqual(try parseOne("A0002 NO [AUTHENTICATIONFAILED] Authentication failed.\r\n"),
                       .tagged(tag: "A0002", IMAPStatusResponse(status: .no, code: .authenticationFailed, text: "Authentication failed.")))
        XCTAssertEqual(try parseOne("A3 NO [UNAVAILABLE] Try later\r\n"),
                       .tagged(tag: "A3", IMAPStatusResponse(status: .no, code: .unavailable, text: "Try later")))
        XCTAssertEqual(try parseOne("A4 BAD Error in IMAP command: Unknown command {5}\r\n"),
                       .tagged(tag: "A4", IMAPStatusResponse(status: .bad, code: nil, text: "Error in IMAP command: Unknown command {5}")))
        XCTAssertEqual(try parseOne("A5 OK\r\n"), .tagged(tag: "A5", IMAPStatusResponse(status: .ok, code: nil, text: "")))
        XCTAssertEqual(try parseOne("A6 NO [UIDVALIDITY x] [half a code\r\n"),
                       .tagged(tag: "A6", IMAPStatusResponse(status: .no, code: nil, text: "[UIDVALIDITY x] [half a code")))
    }

    func testUntaggedStatusCodes() throws {
        let wire = """
        * OK [UIDVALIDITY 1700000000] UIDs valid\r
        * OK [UIDNEXT 4392] Predicted next UID\r
        * OK [PERMANENTFLAGS (\\Answered \\Deleted \\Seen \\*)] Flags permitted.\r
        * OK [ALERT] Mailbox is almost full\r
        * OK [CAPABILITY IMAP4rev1 IDLE UIDPLUS] ready\r
        * OK [HIGHESTMODSEQ 7] x\r
        * NO [READ-ONLY] read only\r
        * OK [X-FOO bar baz] unknown code\r
        * BYE Server shutting down\r
        A9 OK [COPYUID 38505 304,319:320 3956:3958] Done\r

        """
        let responses = try parseAll(bytes(wire))
        XCTAssertEqual(responses, [
            .untagged(.status(.init(status: .ok, code: .uidValidity(1_700_000_000), text: "UIDs valid"))),
            .untagged(.status(.init(status: .ok, code: .uidNext(4392), text: "Predicted next UID"))),
            .untagged(.status(.init(status: .ok, code: .permanentFlags(["\\Answered", "\\Deleted", "\\Seen", "\\*"]), text: "Flags permitted."))),
            .untagged(.status(.init(status: .ok, code: .alert, text: "Mailbox is almost full"))),
            .untagged(.status(.init(status: .ok, code: .capability(["IMAP4rev1", "IDLE", "UIDPLUS"]), text: "ready"))),
            .untagged(.status(.init(status: .ok, code: .highestModSeq(7), text: "x"))),
            .untagged(.status(.init(status: .no, code: .readOnly, text: "read only"))),
            .untagged(.status(.init(status: .ok, code: .other(name: "X-FOO", text: "bar baz"), text: "unknown code"))),
            .untagged(.status(.init(status: .bye, code: nil, text: "Server shutting down"))),
            .tagged(tag: "A9", .init(status: .ok, code: .copyUID(uidValidity: 38505, source: IMAPSequenceSet([304, 319, 320]),
                                                                 destination: IMAPSequenceSet(ranges: [3956...3958])), text: "Done")),
        ])
    }

    func testContinuationCapabilityIDAndCounts() throws {
        let wire = """
        + idling\r
        +\r
        * CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE ESEARCH MOVE UIDPLUS\r
        * ID ("name" "Dovecot" "version" NIL)\r
        * ID NIL\r
        * 23 EXISTS\r
        * 3 RECENT\r
        * 44 EXPUNGE\r
        * FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Forwarded)\r
        * LIST (\\HasNoChildren) "/" "&XfJZBHQG-"\r
        * ENABLED CONDSTORE\r
        * STATUS INBOX (MESSAGES 3)\r

        """
        let responses = try parseAll(bytes(wire))
        XCTAssertEqual(responses, [
            .continuation("idling"),
            .continuation(""),
            .untagged(.capability(["IMAP4rev1", "SASL-IR", "LOGIN-REFERRALS", "ID", "ENABLE", "IDLE", "ESEARCH", "MOVE", "UIDPLUS"])),
            .untagged(.id(["name": "Dovecot"])),
            .untagged(.id(nil)),
            .untagged(.exists(23)),
            .untagged(.recent(3)),
            .untagged(.expunge(44)),
            .untagged(.flags(["\\Answered", "\\Flagged", "\\Deleted", "\\Seen", "\\Draft", "$Forwarded"])),
            .untagged(.list(flags: ["\\HasNoChildren"], delimiter: "/", name: "&XfJZBHQG-")),
            .untagged(.enabled(["CONDSTORE"])),
            .untagged(.other(name: "STATUS", [.atom("INBOX"), .list([.atom("MESSAGES"), .number(3)])])),
        ])
    }

    func testSearchAndESearch() throws {
        let wire = """
        * SEARCH 2 84 882\r
        * SEARCH\r
        * SEARCH 7 (MODSEQ 917162500)\r
        * ESEARCH (TAG "A0005") UID MIN 1 MAX 7 COUNT 6 ALL 1:5,7\r
        * ESEARCH (TAG "A0006") UID\r
        * ESEARCH COUNT 0\r

        """
        XCTAssertEqual(try parseAll(bytes(wire)), [
            .untagged(.search([2, 84, 882])),
            .untagged(.search([])),
            .untagged(.search([7])),
            .untagged(.esearch(IMAPESearch(tag: "A0005", uid: true, min: 1, max: 7, count: 6, all: IMAPSequenceSet([1, 2, 3, 4, 5, 7])))),
            .untagged(.esearch(IMAPESearch(tag: "A0006", uid: true))),
            .untagged(.esearch(IMAPESearch(count: 0))),
        ])
    }

    func testFetchWithLiteralInsideTheList() throws {
        let body = "Subject: hi\r\n\r\nline {5}\r\n\"quoted\" ) (\r\n"
        let wire = "* 12 FETCH (UID 101 RFC822.SIZE \(body.utf8.count) FLAGS (\\Seen $Junk) BODY[] {\(body.utf8.count)}\r\n\(body))\r\n"
        let (sequence, attributes) = try fetch(try parseOne(wire))
        XCTAssertEqual(sequence, 12)
        XCTAssertEqual(attributes.uid, 101)
        XCTAssertEqual(attributes.rfc822Size, UInt64(body.utf8.count))
        XCTAssertEqual(attributes.flags, ["\\Seen", "$Junk"])
        XCTAssertEqual(attributes.body, .bytes(bytes(body)))
    }

    func testFetchItemsInAnyOrderBodyBeforeUID() throws {
        let wire = "* 3 FETCH (BODY[] {4}\r\nabcd UID 7 FLAGS ())\r\n"
        let (_, attributes) = try fetch(try parseOne(wire))
        XCTAssertEqual(attributes.uid, 7)
        XCTAssertEqual(attributes.flags, [])
        XCTAssertEqual(attributes.body, .bytes(bytes("abcd")))
    }

    func testEmptyLiteralLiteral8AndNil() throws {
        let wire = "* 1 FETCH (UID 1 BODY[] {0}\r\n)\r\n"
            + "* 2 FETCH (UID 2 BINARY[] ~{3}\r\n\u{0}\u{1}\u{2})\r\n"
            + "* 3 FETCH (UID 3 BODY[] NIL)\r\n"
            + "* 4 FETCH (UID 4 BODY[]<0> {2}\r\nab)\r\n"
        let responses = try parseAll(bytes(wire))
        XCTAssertEqual(responses.count, 4)
        XCTAssertEqual(try fetch(responses[0]).1.body, .bytes([]))
        XCTAssertEqual(try fetch(responses[1]).1.sections["BINARY[]"], .bytes([0, 1, 2]))
        XCTAssertNil(try fetch(responses[2]).1.body)
        XCTAssertEqual(try fetch(responses[2]).1.uid, 3)
        XCTAssertEqual(try fetch(responses[3]).1.body, .bytes(bytes("ab")))
    }

    func testHeaderFieldsSectionAndQuotedEscapes() throws {
        let header = "Message-ID: <a@b>\r\n\r\n"
        let wire = "* 5 FETCH (UID 9 BODY[HEADER.FIELDS (MESSAGE-ID)] {\(header.utf8.count)}\r\n\(header) INTERNALDATE \"17-Jul-1996 02:44:25 -0700\")\r\n"
            + "* 6 FETCH (UID 10 BODY[HEADER.FIELDS (Message-ID)] \"say \\\"hi\\\" \\\\ there\")\r\n"
        let responses = try parseAll(bytes(wire))
        let first = try fetch(responses[0]).1
        XCTAssertEqual(first.sections["BODY[HEADER.FIELDS (MESSAGE-ID)]"], .bytes(bytes(header)))
        XCTAssertEqual(first.internalDate, "17-Jul-1996 02:44:25 -0700")
        XCTAssertEqual(try fetch(responses[1]).1.sections["BODY[HEADER.FIELDS (MESSAGE-ID)]"], .bytes(bytes("say \"hi\" \\ there")))
    }

    func testOtherFetchItemsAreKeptGenerically() throws {
        let wire = "* 1 FETCH (UID 1 MODSEQ (12345) ENVELOPE (\"date\" \"subj\" NIL NIL NIL NIL NIL NIL NIL \"<id>\") X-GM-LABELS (\"\\\\Inbox\" foo))\r\n"
        let attributes = try fetch(try parseOne(wire)).1
        XCTAssertEqual(attributes.modSeq, 12345)
        if case let .list(items)? = attributes.other["ENVELOPE"] {
            XCTAssertEqual(items.count, 10)
            XCTAssertEqual(items[2], .nil)
        } else {
            XCTFail("ENVELOPE missing")
        }
        XCTAssertEqual(attributes.other["X-GM-LABELS"], .list([.string(.bytes(bytes("\\Inbox"))), .atom("foo")]))
    }

    func testUnsolicitedResponsesBetweenFetchResponses() throws {
        let wire = "* 1 FETCH (UID 10 BODY[] {3}\r\nabc)\r\n"
            + "* 4 EXISTS\r\n"
            + "* 2 FETCH (FLAGS (\\Seen))\r\n"
            + "* 3 FETCH (UID 12 BODY[] {2}\r\nxy)\r\n"
            + "* BYE going away\r\n"
            + "A0007 OK Fetch completed.\r\n"
        let responses = try parseAll(bytes(wire))
        XCTAssertEqual(responses.count, 6)
        XCTAssertEqual(responses[1], .untagged(.exists(4)))
        XCTAssertEqual(try fetch(responses[2]).1.flags, ["\\Seen"])
        XCTAssertEqual(try fetch(responses[3]).1.body, .bytes(bytes("xy")))
        XCTAssertEqual(responses[4], .untagged(.status(.init(status: .bye, code: nil, text: "going away"))))
    }

    func testBareLFLineEndsAreAccepted() throws {
        XCTAssertEqual(try parseOne("* 3 EXISTS\n"), .untagged(.exists(3)))
    }

    func testLiteralAboveTheLimitIsRefusedBeforeAllocation() {
        let decoder = IMAPResponseDecoder(maxLiteralSize: 1000)
        XCTAssertThrowsError(try decoder.feed(bytes("* 1 FETCH (UID 1 BODY[] {1001}\r\n"))) { error in
            XCTAssertEqual(error as? IMAPCodecError, .literalTooLarge(claimed: 1001, limit: 1000))
        }
        // Once broken, always broken: the stream cannot be resynchronised.
        XCTAssertThrowsError(try decoder.feed(bytes("A1 OK\r\n")))

        let huge = IMAPResponseDecoder(maxLiteralSize: 1000)
        XCTAssertThrowsError(try huge.feed(bytes("* 1 FETCH (BODY[] {99999999999999999999999}\r\n"))) { error in
            guard case .literalTooLarge? = error as? IMAPCodecError else { return XCTFail("\(error)") }
        }
    }

    func testOverlongLineIsRefused() {
        let decoder = IMAPResponseDecoder(maxLiteralSize: 1000, maxLineLength: 64)
        XCTAssertThrowsError(try decoder.feed(Array(repeating: UInt8(ascii: "x"), count: 65))) { error in
            XCTAssertEqual(error as? IMAPCodecError, .lineTooLong(limit: 64))
        }
    }

    /// An untagged response the grammar cannot read costs only itself: it comes out as
    /// `.unparsable` with what can be told of it, and the next response is read normally.
    func testMalformedUntaggedResponsesAreReportedNotFatal() throws {
        let cases: [(wire: String, sequence: UInt32?, uid: UInt32?)] = [
            ("* 1 FETCH (UID)\r\n", 1, nil), ("* 1 FETCH (UID 1\r\n", 1, 1), ("* 3 FETCH (UID 9 BODY[] \"abc)\r\n", 3, 9),
            ("* SEARCH 1 x\r\n", nil, nil), ("* 99999999999 EXISTS\r\n", nil, nil),
            ("* 1 FETCH (X (((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((1)))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))\r\n", 1, nil),
        ]
        for (wire, sequence, uid) in cases {
            let decoder = IMAPResponseDecoder()
            try decoder.feed(bytes(wire + "A1 OK done\r\n"))
            guard case let .untagged(.unparsable(response))? = try decoder.next() else { return XCTFail(wire) }
            XCTAssertEqual(response.sequence, sequence, wire)
            XCTAssertEqual(response.uid, uid, wire)
            XCTAssertFalse(response.excerpt.isEmpty, wire)
            XCTAssertEqual(try decoder.next(), .tagged(tag: "A1", IMAPStatusResponse(status: .ok, code: nil, text: "done")), wire)
        }
        // A tagged line that is not OK/NO/BAD cannot be placed: that one is fatal.
        let decoder = IMAPResponseDecoder()
        try decoder.feed(bytes("A1 MAYBE fine\r\n"))
        XCTAssertThrowsError(try decoder.next()) { error in
            guard case .syntax? = error as? IMAPCodecError else { return XCTFail("\(error)") }
        }
    }

    /// What deployed servers send: qq.com's stray spaces, lower-case atoms, NIL for strings,
    /// runs of spaces, items in any order (jakartaee/mail-api#209, imapsync#79).
    func testTolerantReadingOfDeployedServers() throws {
        let decoder = IMAPResponseDecoder()
        try decoder.feed(bytes("* 1 FETCH (UID 7 RFC822.SIZE 279 )\r\n"
            + "* 2 fetch (uid 8  rfc822.size 12 flags (\\Seen ) internaldate NIL)\r\n"
            + "* 3 FETCH (BODY[] {3}\r\nabc UID 9 )  \r\n"
            + "* 4 FETCH (UID 10 BODY[] NIL)\r\n"
            + "*  SEARCH  1  2 \r\n"))
        guard case let .untagged(.fetch(1, first))? = try decoder.next() else { return XCTFail() }
        XCTAssertEqual(first.uid, 7)
        XCTAssertEqual(first.rfc822Size, 279)
        guard case let .untagged(.fetch(2, second))? = try decoder.next() else { return XCTFail() }
        XCTAssertEqual(second.uid, 8)
        XCTAssertEqual(second.rfc822Size, 12)
        XCTAssertEqual(second.flags, ["\\Seen"])
        XCTAssertNil(second.internalDate)
        guard case let .untagged(.fetch(3, third))? = try decoder.next() else { return XCTFail() }
        XCTAssertEqual(third.uid, 9)
        XCTAssertEqual(third.body, .bytes(bytes("abc")))
        guard case let .untagged(.fetch(4, fourth))? = try decoder.next() else { return XCTFail() }
        XCTAssertNil(fourth.body)
        XCTAssertEqual(fourth.other["BODY[]"], .nil, "a NIL body is told apart from a FETCH without one")
        XCTAssertEqual(try decoder.next(), .untagged(.search([1, 2])))
    }

    func testLargeLiteralStreamsToASinkAcrossArbitraryReads() throws {
        let size = 3 << 20
        var body = [UInt8](repeating: 0, count: size)
        for index in body.indices { body[index] = UInt8(truncatingIfNeeded: index &* 31 &+ index >> 9) }
        var wire = bytes("* 1 FETCH (BODY[] {\(size)}\r\n")
        wire += body
        wire += bytes(" UID 42)\r\nA0003 OK done\r\n")

        let decoder = IMAPResponseDecoder(maxLiteralSize: 4 << 20)
        var streamed: [UInt8] = []
        var pieces = 0
        decoder.framer.literalSink = { start in
            XCTAssertTrue(start.follows("BODY[]"))
            XCTAssertEqual(start.length, size)
            return { piece in streamed.append(contentsOf: piece); pieces += 1 }
        }
        // Reads of odd sizes, as a socket would deliver them.
        var offset = 0
        var step = 1
        var responses: [IMAPResponse] = []
        while offset < wire.count {
            let end = min(wire.count, offset + step)
            try decoder.feed(Array(wire[offset..<end]))
            while let response = try decoder.next() { responses.append(response) }
            offset = end
            step = step * 7 % 65_521 + 1
        }
        XCTAssertEqual(streamed, body)
        XCTAssertGreaterThan(pieces, 1)
        XCTAssertEqual(responses.count, 2)
        let attributes = try fetch(responses[0]).1
        XCTAssertEqual(attributes.uid, 42)
        XCTAssertEqual(attributes.body, .streamed(count: size))
    }

    /// Mangled responses must produce responses or errors, never a crash or a hang.
    func testMutatedInputNeverCrashes() {
        let samples = [
            "* 12 FETCH (UID 101 RFC822.SIZE 4 FLAGS (\\Seen) BODY[HEADER.FIELDS (MESSAGE-ID)] {4}\r\nabcd BODY[] ~{2}\r\nxy)\r\n",
            "* ESEARCH (TAG \"A1\") UID MIN 1 MAX 7 COUNT 6 ALL 1:5,7\r\n* SEARCH 1 2\r\n",
            "* OK [PERMANENTFLAGS (\\Seen \\*)] x\r\nA1 OK [COPYUID 1 2:3 4:5] done\r\n* ID (\"a\" NIL)\r\n",
            "* LIST (\\Noselect) \"/\" {3}\r\nabc\r\n+ go\r\n* 3 EXPUNGE\r\n",
        ].map { Array($0.utf8) }
        var seed: UInt64 = 0x9E37_79B9_7F4A_7C15
        func random(_ bound: Int) -> Int {
            seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((seed >> 33) % UInt64(bound))
        }
        let interesting: [UInt8] = Array("(){}[]~\"\\ *+0123456789\r\nNIL".utf8)
        for _ in 0..<3000 {
            var wire = samples[random(samples.count)]
            for _ in 0..<(1 + random(4)) {
                let position = random(wire.count)
                switch random(3) {
                case 0: wire[position] = interesting[random(interesting.count)]
                case 1: wire.remove(at: position)
                default: wire.insert(interesting[random(interesting.count)], at: position)
                }
            }
            let decoder = IMAPResponseDecoder(maxLiteralSize: 64, maxLineLength: 256)
            do {
                try decoder.feed(wire)
                while (try? decoder.next()) != nil {}
            } catch {}
        }
    }

    func testCapabilitiesAreTakenFromTheLoginAnswer() {
        let lines = ["* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] ready",
                     "A002 OK [CAPABILITY IMAP4rev1 IDLE UIDPLUS MOVE] Logged in"]
        XCTAssertEqual(IMAPSession.capabilities(inLoginResponses: lines), ["IMAP4rev1", "IDLE", "UIDPLUS", "MOVE"])
        XCTAssertNil(IMAPSession.capabilities(inLoginResponses: ["A002 OK Logged in"]), "no code: ask with CAPABILITY")
        let dovecot = ["* OK [CAPABILITY IMAP4rev1 STARTTLS] ready", "* CAPABILITY IMAP4rev1 STARTTLS AUTH=PLAIN",
                       "A001 OK Pre-login capabilities listed", "* CAPABILITY IMAP4rev1 IDLE UIDPLUS", "A002 OK Logged in"]
        XCTAssertEqual(IMAPSession.capabilities(inLoginResponses: dovecot), ["IMAP4rev1", "IDLE", "UIDPLUS"])
        XCTAssertNil(IMAPSession.capabilities(inLoginResponses: Array(dovecot.prefix(3)) + ["A002 OK Logged in"]),
                     "the pre-login list does not count")
        XCTAssertNil(IMAPSession.capabilities(inLoginResponses: ["* OK [CAPABILITY IMAP4rev1] ready"]),
                     "the greeting's list is from before login")
    }
}
