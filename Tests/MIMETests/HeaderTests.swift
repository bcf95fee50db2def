import XCTest
@testable import MIME

final class HeaderSectionTests: XCTestCase {
    func testFoldingAndLineEndings() {
        for eol in ["\r\n", "\n", "\r"] {
            let m = parse(["Subject: Hello", "\tworld", "From: a@example.com", "", "body"].joined(separator: eol))
            XCTAssertEqual(m.subject, "Hello\tworld", eol.debugDescription)
            XCTAssertEqual(m.from, [Address(name: nil, address: "a@example.com")])
            XCTAssertEqual(Array(m.body), Array("body".utf8))
        }
    }

    func testHeaderSectionThatNeverEnds() {
        let m = parse("From: a@example.com\r\nSubject: no body\r\n")
        XCTAssertEqual(m.subject, "no body")
        XCTAssertTrue(m.body.isEmpty)
        let m2 = parse("Subject: no final newline")
        XCTAssertEqual(m2.subject, "no final newline")
    }

    func testLineWithSpaceBeforeColonIsNotAHeader() {
        let m = parse("Fro : Mallory <m@evil.example>\r\nFrom: a@example.com\r\nSubject: s\r\n\r\nbody")
        XCTAssertEqual(m.from, [Address(name: nil, address: "a@example.com")])
        XCTAssertNil(m.header("Fro"))
        XCTAssertEqual(m.subject, "s")
        XCTAssertTrue(m.defects.contains { $0.contains("not a header line") })
    }

    func testNonHeaderLineStartsBody() {
        let m = parse("Subject: s\r\nthis is body text\r\nmore\r\n")
        XCTAssertEqual(m.subject, "s")
        XCTAssertEqual(String(decoding: m.body, as: UTF8.self), "this is body text\r\nmore\r\n")
        XCTAssertTrue(m.defects.contains { $0.contains("missing empty line") })
    }

    func testDuplicateAndMissingHeaders() {
        let m = parse("Subject: first\r\nSubject: second\r\nTo: a@x.com\r\nTo: b@x.com\r\n\r\n")
        XCTAssertEqual(m.subject, "first")
        XCTAssertEqual(m.to.map(\.address), ["a@x.com", "b@x.com"])
        XCTAssertTrue(m.defects.contains("duplicate Subject header"))
        let empty = parse("X-Nothing: here\r\n\r\n")
        XCTAssertNil(empty.subject)
        XCTAssertNil(empty.messageID)
        XCTAssertNil(empty.dateEpochSeconds)
        XCTAssertEqual(empty.from, [])
    }

    func testMboxFromLineAndObsoleteFolding() {
        let m = parse("From sender@example.com Mon Jan  1 00:00:00 2024\nSubject:\n  folded\n   twice\n\n")
        XCTAssertEqual(m.subject, "  folded   twice".trimmingCharacters(in: .whitespaces))
        XCTAssertEqual(m.headers.count, 1)
    }

    func testRawUTF8Headers() {
        let m = parse("From: Zoë <zoë@exämple.com>\r\nSubject: Ünïcödé ✓\r\n\r\n")
        XCTAssertEqual(m.subject, "Ünïcödé ✓")
        XCTAssertEqual(m.from, [Address(name: "Zoë", address: "zoë@exämple.com")])
    }
}

final class EncodedWordTests: XCTestCase {
    func testAdjacentWordsJoinWithoutWhitespace() {
        XCTAssertEqual(parse("Subject: =?utf-8?q?a?= =?utf-8?q?b?=\r\n  =?utf-8?b?Yw==?= d\r\n\r\n").subject, "abc d")
        XCTAssertEqual(parse("Subject: x =?utf-8?q?a?= y\r\n\r\n").subject, "x a y")
        XCTAssertEqual(parse("Subject: =?ISO-8859-1?Q?Andr=E9?= Pirard\r\n\r\n").subject, "André Pirard")
        XCTAssertEqual(parse("Subject: =?utf-8?Q?hello_world?=\r\n\r\n").subject, "hello world")
    }

    func testSpacesInsideAWord() {
        XCTAssertEqual(parse("Subject: =?utf-8?Q?a b?=\r\n\r\n").subject, "a b")
        XCTAssertEqual(parse("Subject: =?iso-8859-1?q?this is some text?= end\r\n\r\n").subject, "this is some text end")
        // A new word after a space: the first never ended.
        XCTAssertEqual(parse("Subject: =?utf-8?q?open =?utf-8?q?x?=\r\n\r\n").subject, "=?utf-8?q?open x")
        XCTAssertEqual(parse("To: =?utf-8?q?Jo?= <j@x.test>, =?utf-8?q?Al?= <a@x.test>\r\n\r\n").to.map(\.name), ["Jo", "Al"])
    }

    func testMalformedWordsStayText() {
        XCTAssertEqual(parse("Subject: =?utf-8?x?abc?= and =?broken\r\n\r\n").subject, "=?utf-8?x?abc?= and =?broken")
        // Glued to text (not allowed by the RFC, written by many mailers).
        XCTAssertEqual(parse("Subject: Re:=?utf-8?q?caf=C3=A9?=\r\n\r\n").subject, "Re:café")
    }

    func testLanguageSuffixAndMissingPadding() {
        XCTAssertEqual(parse("Subject: =?utf-8*en?b?SGk?=\r\n\r\n").subject, "Hi")
    }

    func testUnknownCharsetFallsBack() {
        let m = parse("Subject: =?x-weird?q?caf=C3=A9?=\r\n\r\n")
        XCTAssertEqual(m.subject, "café")
        XCTAssertTrue(m.defects.contains { $0.contains("unknown charset") })
    }
}

final class AddressTests: XCTestCase {
    func addrs(_ v: String) -> [Address] { parse("To: \(v)\r\n\r\n").to }

    func testDisplayNames() {
        XCTAssertEqual(addrs("\"Doe, John\" <john@example.com>"), [Address(name: "Doe, John", address: "john@example.com")])
        XCTAssertEqual(addrs("John Q. Public <jqp@example.com>"), [Address(name: "John Q. Public", address: "jqp@example.com")])
        XCTAssertEqual(addrs("=?utf-8?q?J=C3=BCrgen?= <j@example.de>"), [Address(name: "Jürgen", address: "j@example.de")])
        XCTAssertEqual(addrs("\"=?gb2312?B?1cXI/Q==?=\" <z@example.cn>"), [Address(name: "张三", address: "z@example.cn")])
        XCTAssertEqual(addrs("john@example.com (John Doe)"), [Address(name: "John Doe", address: "john@example.com")])
        XCTAssertEqual(addrs("Pete(A nice \\) chap) <pete(his account)@silly.test(his host)>"),
                       [Address(name: "Pete", address: "pete@silly.test")])
        XCTAssertEqual(addrs("\"Joe \\\"Q\\\" Public\" <joe@example.com>"), [Address(name: "Joe \"Q\" Public", address: "joe@example.com")])
    }

    func testGroups() {
        XCTAssertEqual(addrs("unlisted-recipients:;"), [])
        XCTAssertEqual(addrs("undisclosed-recipients: ;"), [])
        XCTAssertEqual(addrs("A Group:Ed Jones <c@a.test>,joe@where.test,John <jdoe@one.test>;, x@y.test"), [
            Address(name: "Ed Jones", address: "c@a.test", group: "A Group"),
            Address(name: nil, address: "joe@where.test", group: "A Group"),
            Address(name: "John", address: "jdoe@one.test", group: "A Group"),
            Address(name: nil, address: "x@y.test"),
        ])
        XCTAssertEqual(addrs("Empty: ; , Full: a@b.c;"), [Address(name: nil, address: "a@b.c", group: "Full")])
    }

    func testQuotedLocalPartsAndIDN() {
        XCTAssertEqual(addrs("\"john doe\"@example.com"), [Address(name: nil, address: "\"john doe\"@example.com")])
        XCTAssertEqual(addrs("<\"plain\"@example.com>"), [Address(name: nil, address: "plain@example.com")])
        XCTAssertEqual(addrs("Bücher <info@bücher.de>"), [Address(name: "Bücher", address: "info@bücher.de")])
        XCTAssertEqual(addrs("<user@xn--bcher-kva.de>"), [Address(name: nil, address: "user@xn--bcher-kva.de")])
        XCTAssertEqual(addrs("<@route.example,@other:user@example.com>"), [Address(name: nil, address: "user@example.com")])
        XCTAssertEqual(addrs("Mary Smith <@node.test:mary@example.net>, , jdoe@test  . example"),
                       [Address(name: "Mary Smith", address: "mary@example.net"), Address(name: nil, address: "jdoe@test.example")])
        XCTAssertEqual(addrs("john . doe @ example . com"), [Address(name: nil, address: "john.doe@example.com")])
        XCTAssertEqual(addrs("John Doe john . doe@example.com"), [Address(name: "John Doe", address: "john.doe@example.com")])
    }

    /// `From: Whomever` — a bare word without `@` is a name without an address (see AddressParser).
    func testGarbageIsRecovered() {
        let m = parse("From: Whomever\r\n\r\n")
        XCTAssertEqual(m.from, [Address(name: "Whomever", address: nil)])
        XCTAssertTrue(m.defects.contains { $0.contains("without an address") })
        XCTAssertEqual(addrs("Moderator-Address <moderator>"), [Address(name: "Moderator-Address", address: "moderator")])
        XCTAssertEqual(addrs("John Doe john@example.com"), [Address(name: "John Doe", address: "john@example.com")])
        XCTAssertEqual(addrs("a@example.com; b@example.com"), [Address(name: nil, address: "a@example.com"), Address(name: nil, address: "b@example.com")])
        XCTAssertEqual(addrs("Broken <broken@example.com"), [Address(name: "Broken", address: "broken@example.com")])
        XCTAssertEqual(addrs("\"Unterminated <u@example.com>"), [Address(name: "Unterminated <u@example.com>", address: nil)])
        XCTAssertEqual(addrs(",, a@b.c ,,"), [Address(name: nil, address: "a@b.c")])
        XCTAssertEqual(addrs("<>"), [])
    }
}

final class DateTests: XCTestCase {
    func date(_ v: String) -> String? { parse("Date: \(v)\r\n\r\n").dateISO8601 }

    func testRFC5322AndObsolete() {
        XCTAssertEqual(date("Thu, 26 Nov 2026 09:00:00 +0100"), "2026-11-26T08:00:00Z")
        XCTAssertEqual(date("26 Nov 2026 08:00 GMT"), "2026-11-26T08:00:00Z")
        XCTAssertEqual(date("Fri, 21 Nov 97 09:55:06 -0600"), "1997-11-21T15:55:06Z")
        XCTAssertEqual(date("Fri, 21 Nov 1997 09:55:06 EST"), "1997-11-21T14:55:06Z")
        XCTAssertEqual(date("Fri, 21 Nov 1997 09:55:06 PDT"), "1997-11-21T16:55:06Z")
        XCTAssertEqual(date("Thu,\r\n 13\r\n   Feb\r\n  1969\r\n 23:32\r\n -0330 (Newfoundland Time)"), "1969-02-14T03:02:00Z")
        XCTAssertEqual(date("Mon, 22 Mar 1994 13:34:51 +0000 (GMT)"), "1994-03-22T13:34:51Z")
        XCTAssertEqual(date("Sat, 1 Jan 2000 00:00:00 Z"), "2000-01-01T00:00:00Z")
    }

    func testBrokenForms() {
        XCTAssertEqual(date("Mon Mar 22 13:34:51 1994"), "1994-03-22T13:34:51Z") // asctime, no zone
        XCTAssertEqual(date("2026-11-26T08:00:00Z"), "2026-11-26T08:00:00Z")
        XCTAssertEqual(date("2026-11-26 09:00:00 +01:00"), "2026-11-26T08:00:00Z")
        XCTAssertEqual(date("26-Nov-2026 09:00:00 +0100"), "2026-11-26T08:00:00Z")
        XCTAssertEqual(date("Thu, 26 Nov 2026 09:00:00 GMT+0100"), "2026-11-26T08:00:00Z")
        XCTAssertEqual(date("Thursday, November 26, 2026 9:00:00 AM +0100"), "2026-11-26T08:00:00Z")
        XCTAssertEqual(date("Thu, 26 Nov 2026 9:00:00 PM +0100"), "2026-11-26T20:00:00Z")
        XCTAssertEqual(date("Thu, 26 Nov 2026 09:00:00 +01:00"), "2026-11-26T08:00:00Z")
        XCTAssertEqual(date("Thu, 26 Nov 2026 09:00:00 CEST"), "2026-11-26T07:00:00Z")
        XCTAssertEqual(date("Thu, 26 Nov 2026 09:00:00 -0000"), "2026-11-26T09:00:00Z")
        XCTAssertEqual(date("Thu, 26 Nov 2026 09:00:60 +0000"), "2026-11-26T09:00:59Z")
    }

    func testUnparseableIsNullWithDefect() {
        let m = parse("Date: Whenever\r\n\r\n")
        XCTAssertNil(m.dateEpochSeconds)
        XCTAssertTrue(m.defects.contains { $0.hasPrefix("unreadable Date") })
        XCTAssertNil(date("31 Feb 2026 10:00:00 +0000"))
        XCTAssertNil(date("Thu, 26 Nov 2026 25:00:00 +0000"))
        XCTAssertNil(date(""))
    }
}

final class MessageIDTests: XCTestCase {
    func testIDs() {
        let m = parse("""
        Message-ID: <abc@example.com>\r
        In-Reply-To: Your message of "Mon, 1 Jan" <parent@example.com> (comment <not@this>)\r
        References: <r1@example.com>\r
          <r2@exa\r
         mple.com>junk<r3@example.com>, <r4@example.com>\r
        \r

        """)
        XCTAssertEqual(m.messageID, "<abc@example.com>")
        XCTAssertEqual(m.inReplyTo, ["<parent@example.com>"])
        XCTAssertEqual(m.references, ["<r1@example.com>", "<r2@example.com>", "<r3@example.com>", "<r4@example.com>"])
    }

    func testIDsWithoutBrackets() {
        let m = parse("Message-ID: abc@example.com\r\nReferences: r1@example.com r2@example.com\r\n\r\n")
        XCTAssertEqual(m.messageID, "<abc@example.com>")
        XCTAssertEqual(m.references, ["<r1@example.com>", "<r2@example.com>"])
        XCTAssertTrue(m.defects.contains { $0.contains("without angle brackets") })
    }
}

final class ParameterTests: XCTestCase {
    func ct(_ v: String) -> ContentType? { parse("Content-Type: \(v)\r\n\r\n").contentType }

    func testParameters() {
        let c = ct("Text/Plain; charset=\"UTF-8\"; format=flowed (comment)")
        XCTAssertEqual(c?.mimeType, "text/plain")
        XCTAssertEqual(c?.parameter("charset"), "UTF-8")
        XCTAssertEqual(c?.parameter("format"), "flowed")
    }

    func testRFC2231() {
        XCTAssertEqual(ct("application/x-stuff; title*=us-ascii'en-us'This%20is%20%2A%2A%2Afun%2A%2A%2A")?.parameter("title"), "This is ***fun***")
        XCTAssertEqual(ct("application/x-stuff; title*0*=us-ascii'en'This%20is%20even%20more%20; title*1*=%2A%2A%2Afun%2A%2A%2A%20; title*2=\"isn't it!\"")?.parameter("title"),
                       "This is even more ***fun*** isn't it!")
        // Sections out of order, GBK split mid-character between sections.
        XCTAssertEqual(ct("application/pdf; name*1*=%FD.pdf; name*0*=gbk''%D5%C5%C8")?.parameter("name"), "张三.pdf")
        // Both the RFC 2231 and the plain form: RFC 2231 wins.
        XCTAssertEqual(ct("application/pdf; name=\"fallback.pdf\"; name*=utf-8''%E6%96%87.pdf")?.parameter("name"), "文.pdf")
    }

    func testEncodedWordsAndRawBytesInParameters() {
        XCTAssertEqual(ct("application/pdf; name=\"=?utf-8?B?5paH5Lu2LnBkZg==?=\"")?.parameter("name"), "文件.pdf")
        XCTAssertEqual(ct("application/pdf; name=\"Ünïcode.pdf\"")?.parameter("name"), "Ünïcode.pdf")
    }
}

final class JSONTests: XCTestCase {
    func testEveryKeyAndEscaping() throws {
        let m = parse("Subject: quote \" backslash \\ tab\t ctl \u{1}\r\n\r\n")
        let line = m.jsonLine()
        XCTAssertFalse(line.contains("\n"))
        let obj = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
        XCTAssertEqual(obj["subject"] as? String, "quote \" backslash \\ tab\t ctl \u{1}")
        XCTAssertEqual(Set(obj.keys), ["subject", "from", "sender", "reply_to", "to", "cc", "bcc", "message_id", "in_reply_to",
                                       "references", "date", "text", "html", "attachments", "dsn", "defects"])
        XCTAssertTrue(obj["message_id"] is NSNull)
        XCTAssertTrue(line.hasPrefix("{\"subject\":"))
    }
}

final class DecodedTextTests: XCTestCase {
    func testLineBreaksFromEncodedWordsBecomeSpaces() {
        XCTAssertEqual(parse("Subject: =?utf-8?q?line1=0D=0Aline2=0A?=\r\n\r\n").subject, "line1 line2")
        XCTAssertEqual(parse("From: =?utf-8?q?Evil=0D=0ABcc:_x?= <e@example.com>\r\n\r\n").from.first?.name, "Evil Bcc: x")
    }

    func testQuotedCommentName() {
        XCTAssertEqual(parse("From: postmaster@example.com (\"Neko Postmaster\")\r\n\r\n").from,
                       [Address(name: "Neko Postmaster", address: "postmaster@example.com")])
    }

    func testNullReturnPath() {
        let m = parse("From: MAILER-DAEMON <>\r\n\r\n")
        XCTAssertEqual(m.from, [Address(name: "MAILER-DAEMON", address: nil)])
        XCTAssertTrue(m.defects.contains { $0.contains("empty address") })
    }
}
