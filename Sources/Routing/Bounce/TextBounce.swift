import Foundation

/// Bounces without a delivery-status part: the recipients and their diagnostics are read
/// from the human-readable text. Each recipient's evidence is the text from where it is
/// first named up to where the next one is.
enum TextBounce {
    static let headerLinePrefixes = ["from:", "sender:", "message-id:", "in-reply-to:", "references:",
                                     "return-path:", "reply-to:", "received:", "date:", "subject:", "x-",
                                     "reporting-mta:", "arrival-date:", "dkim-signature:", "list-"]
    /// Labels of the line that names the bounced message's sender, not a recipient (Office 365's
    /// `Sender Address:`, a transcript's `MAIL FROM:`, …), lower-case, looked for before the address.
    static let senderLabels = ["sender address", "mail from:", "mail from <", "envelope-from", "envelope from",
                               "envelope sender", "original sender", "sender:", "absender", "expéditeur", "remitente"]
    static let notRecipientLocals = ["mailer-daemon", "postmaster", "mail-daemon", "abuse", "noreply", "no-reply"]
    static let temporaryWords = ["temporary", "will be retried", "will retry", "delayed", "will continue trying",
                                 "deferred", "not yet been delivered", "still trying", "temporarily"]
    static let temporaryMatcher = AhoCorasick(temporaryWords.map { ($0, ()) })
    /// The failed recipients named in the text, in order of first mention, with their positions.
    static func mentions(_ c: BounceContext) -> [(address: String, at: String.Index)] {
        var out: [(address: String, at: String.Index)] = []
        var seen = Set<String>()
        let text = c.section
        let utf8 = text.utf8
        var t = text
        let found = t.withUTF8 { AddressScan.ranges(in: $0) }
        for r in found {
            let range = utf8.index(utf8.startIndex, offsetBy: r.lowerBound)..<utf8.index(utf8.startIndex, offsetBy: r.upperBound)
            let a = TextScan.trimmingAddress(String(text[range]).lowercased())
            if seen.contains(a) || c.notRecipients.contains(a) { continue }
            let local = TextScan.localPart(a)
            if notRecipientLocals.contains(where: { local.hasPrefix($0) }) { continue }
            if !lineBeforeCanName(Substring(text).utf8[..<range.lowerBound]) { continue }
            seen.insert(a)
            out.append((a, range.lowerBound))
        }
        return out
    }

    /// Whether the line's text before an address lets it be a failed recipient: not a header line,
    /// not a sender's label, not a Message-ID. Bytes, ASCII-folded; a line with other bytes is
    /// lower-cased as Unicode (the labels have accents).
    static func lineBeforeCanName(_ before: Substring.UTF8View) -> Bool {
        // The line starts after the last LF that is a character of its own (not the end of a CRLF).
        var lineStart = before.startIndex
        var i = before.endIndex
        while i > before.startIndex {
            let p = before.index(before: i)
            if before[p] == 0x0A, p == before.startIndex || before[before.index(before: p)] != 0x0D { lineStart = i; break }
            i = p
        }
        let raw = TextScan.trimmedWhitespace(before[lineStart...])
        let line: [UInt8]
        if raw.allSatisfy({ $0 < 0x80 }) {
            line = raw.map(AhoCorasick<Int>.fold)
        } else {
            line = Array(String(Substring(raw)).lowercased().utf8)
        }
        func hasPrefix(_ p: String) -> Bool { line.starts(with: p.utf8) }
        func hasSuffix(_ p: String) -> Bool { line.count >= p.utf8.count && line.suffix(p.utf8.count).elementsEqual(p.utf8) }
        if headerLinePrefixes.contains(where: hasPrefix) { return false }
        if senderLabels.contains(where: { l in line.withUnsafeBufferPointer { TextScan.contains($0, l) } }) { return false }
        // A Message-ID written in angle brackets right after "id" is no address.
        if hasSuffix("id <") || hasSuffix("id=<") || hasSuffix("message-id <") { return false }
        return true
    }

    /// Per address of a report, the text that speaks about it: from its first mention to the
    /// next address's. Any address counts here (a report may well be about postmaster@).
    static func blocks(_ c: BounceContext, for addresses: [String]) -> [String: String] {
        var found: [(address: String, at: String.Index)] = []
        let utf8 = c.section.utf8
        for a in Set(addresses) {
            guard let offset = TextScan.offset(of: a, in: c.section) else { continue }
            found.append((a, utf8.index(utf8.startIndex, offsetBy: offset)))
        }
        found.sort { $0.at < $1.at }
        return blocks(c, found)
    }

    /// Per address, the text that speaks about it.
    static func blocks(_ c: BounceContext) -> [String: String] {
        blocks(c, mentions(c))
    }

    static func blocks(_ c: BounceContext, _ m: [(address: String, at: String.Index)]) -> [String: String] {
        var out: [String: String] = [:]
        for (i, x) in m.enumerated() {
            if let line = c.sectionSummaryLine(x.address) {
                out[x.address] = line
                continue
            }
            let end = i + 1 < m.count ? m[i + 1].at : c.section.endIndex
            out[x.address] = String(c.section[x.at..<end])
        }
        return out
    }

    /// The text from `from` to the next empty line after it.
    static func paragraph(_ text: String, from: String.Index) -> String {
        let u = text.utf8
        let end = TextScan.offset(of: "\n\n", in: text, from: u.distance(from: u.startIndex, to: from))
            .map { u.index(u.startIndex, offsetBy: $0) } ?? text.endIndex
        return String(text[from..<end])
    }

    /// The first sendmail summary line that names the address.
    static func summaryLine(_ text: String, address: String) -> String? {
        var from = 0
        while let offset = TextScan.offset(of: address, in: text, from: from) {
            if let line = sendmailSummary(text, at: text.utf8.index(text.utf8.startIndex, offsetBy: offset)) { return line }
            from = offset + address.utf8.count
        }
        return nil
    }

    /// Sendmail's session transcript names each recipient on a summary line
    /// (`554 <a@b>... Remote protocol error`) after the exchange that failed (`>>> MAIL From:…`,
    /// `<<< 501 …`): that exchange and the line are the recipient's evidence, nothing after it.
    static func sendmailSummary(_ text: String, at: String.Index) -> String? {
        let u = text.utf8
        // Most lines are no summary: a line that neither starts with `<` or a digit nor holds
        // `... ` anywhere is turned away on its bytes (read in place) before any character is read.
        var t = text
        let span: Range<Int>? = t.withUTF8 { b in
            let a = u.distance(from: u.startIndex, to: at)
            var s = a
            while s > 0, b[s - 1] != 0x0A { s -= 1 }
            var e = a
            while e < b.count, b[e] != 0x0A { e += 1 }
            guard s < e, b[s] >= 0x80 || b[s] == UInt8(ascii: "<") || CodeScan.isDigit(b[s]) else { return nil }
            var k = 0  // dots in a row
            for i in s..<e {
                if b[i] == 0x20, k >= 3 { return s..<e }
                k = b[i] == UInt8(ascii: ".") ? k + 1 : 0
            }
            return nil
        }
        guard let span else { return nil }
        let lineStart = u.index(u.startIndex, offsetBy: span.lowerBound), lineEnd = u.index(u.startIndex, offsetBy: span.upperBound)
        let line = text[lineStart..<lineEnd]
        let coded = line.count > 4 && line.prefix(3).allSatisfy(\.isNumber) && line.dropFirst(3).first == " "
        // An ASCII line's bytes are searched; any other line as Characters (a combining mark
        // makes a space after `...` another character): no Foundation search.
        let ascii = line.utf8.allSatisfy { $0 < 0x80 }
        func has(_ s: String) -> Bool {
            ascii ? line.utf8.withContiguousStorageIfAvailable { TextScan.contains($0, s) } ?? (line.firstRange(of: s) != nil)
                : line.firstRange(of: s) != nil
        }
        guard coded || line.hasPrefix("<"), has(">... ") || coded && has("... ") else { return nil }
        var lines = [String(line)]
        var cursor = lineStart
        while cursor > text.startIndex {
            let prevEnd = u.index(before: cursor)
            let prevStart = u[..<prevEnd].lastIndex(of: 0x0A).map { u.index(after: $0) } ?? u.startIndex
            let prev = String(Substring(TextScan.trimmedWhitespace(Substring(text).utf8[prevStart..<prevEnd])))
            guard prev.hasPrefix("<<<") || prev.hasPrefix(">>>") || prev.lowercased().hasPrefix("while talking to") else { break }
            lines.insert(prev, at: 0)
            cursor = prevStart
        }
        return lines.joined(separator: "\n")
    }

    static func recipients(_ c: BounceContext) -> [BounceRecipient] {
        let m = mentions(c)
        var list = m.map(\.address)
        if c.asked.has(.failedRecipients), let failed = c.message.decodedHeader("X-Failed-Recipients") {
            let named = TextScan.unique(TextScan.addresses(in: failed))
            if !named.isEmpty { list = named }
        }
        if list.isEmpty, let to = c.original?.to.first { list = [to] }
        // The mentions found above (finding them again cost as much as the first time).
        let blocks = blocks(c, m)
        let temporary = temporaryMatcher.containsAny(in: c.section) && TextScan.offset(of: "permanent", in: c.section) == nil
        return list.map { address in
            if let line = blocks[address], c.sectionSummaryLine(address) != nil {
                // A transcript line: its own words say whether it was temporary, and the server's
                // answer (`<<< 550 …`, or the code after "... ") is the reply code.
                var r = BounceRecipient(address: address, status: TextScan.status(in: line),
                                        replyCode: transcriptReply(line), diagnostic: TextScan.diagnostic(line))
                let temp = temporaryMatcher.containsAny(in: line) || r.replyCode?.hasPrefix("4") == true
                // The command may follow the line (`[RCPT_TO]`): look for it up to the next empty line.
                let context = m.first { $0.address == address }.map { paragraph(c.section, from: $0.at) } ?? line
                BounceClassifier.finish(&r, temporary: temp, hint: c.familyHint(line), evidence: line,
                                        context: line + "\n" + context)
                return r
            }
            var block = blocks[address] ?? c.section
            var evidence = hasEvidence(block)
            if !evidence { block = c.section; evidence = hasEvidence(block) }
            let hint = c.familyHint(block)
            guard evidence || hint != nil else {
                // Nothing but boilerplate says why: the report it passed on, if any, else undefined
                // (not a guess). The status stays the one the reason implies: this report gave none.
                var r = BounceRecipient(address: address)
                BounceClassifier.finish(&r, temporary: temporary, hint: wrappedReason(c, for: address), evidence: "",
                                        contextCommand: c.sectionCommand)
                return r
            }
            var r = BounceRecipient(address: address, status: TextScan.status(in: block),
                                    replyCode: TextScan.replyCode(in: block), diagnostic: TextScan.diagnostic(focus(block)))
            r.remoteMTA = CodeScan.remoteHost(in: block)
            // The family's own words for a recipient given up after temporary failures.
            let gaveUp = r.status == nil && (c.family?.retryGiveUps ?? []).contains { TextScan.containsBytes(block, $0) }
            BounceClassifier.finish(&r, temporary: temporary || gaveUp, hint: hint, evidence: block, contextCommand: c.sectionCommand)
            return r
        }
    }

    /// The reason a report attached to this one gives for the address: a gateway (InterScan)
    /// that wraps the MTA's report in its own says only "unable to deliver". The attached text
    /// counts only with a reply code or status after the address: a returned ordinary message
    /// that merely names it says nothing.
    static func wrappedReason(_ c: BounceContext, for address: String) -> BounceReason? {
        let text = c.attachedText()
        guard let at = TextScan.offset(of: address, in: text) else { return nil }
        let block = String(decoding: text.utf8.dropFirst(at).prefix(4096), as: UTF8.self)
        let answer = focus(block)
        let status = TextScan.status(in: answer), reply = TextScan.replyCode(in: answer)
        guard status != nil || reply != nil else { return nil }
        let reason = BounceClassifier.reason(status: status, replyCode: reply, diagnostic: TextScan.diagnostic(answer),
                                             command: TextScan.command(in: block))
        return reason == .undefined || reason == .onhold ? nil : reason
    }

    static func transcriptReply(_ evidence: String) -> String? {
        let lines = evidence.split(separator: "\n").map(String.init)
        if let answer = lines.first(where: { $0.hasPrefix("<<<") }) { return TextScan.replyCode(in: answer) }
        if let last = lines.last, let dots = TextScan.offset(of: "... ", in: last) {
            if let inner = TextScan.replyCode(in: String(decoding: last.utf8.dropFirst(dots + 4), as: UTF8.self)) { return inner }
        }
        return lines.last.flatMap(TextScan.replyCode(in:))
    }

    /// Whether a block says anything a reason can be read from.
    static func hasEvidence(_ block: String) -> Bool {
        if TextScan.status(in: block) != nil || TextScan.replyCode(in: block) != nil { return true }
        let masked = TextScan.masked(block)
        return !ReasonPatterns.reasons(in: masked).subtracting([.vacation]).isEmpty || ReasonKeywords.reason(in: masked) != nil
    }

    /// The part of a block that is the server's answer, when one can be told: from the first line
    /// with a reply code or status to the last non-blank line before a blank one or a banner. Lines
    /// are read in place (an LF ends one unless it ends a CRLF, as Swift's lines of characters).
    static func focus(_ block: String) -> String {
        var t = block
        let range: Range<Int>? = t.withUTF8 { b in
            var lines: [Range<Int>] = []
            var s = 0
            for i in 0..<b.count where b[i] == 0x0A && (i == 0 || b[i - 1] != 0x0D) {
                lines.append(s..<i)
                s = i + 1
            }
            lines.append(s..<b.count)
            guard let first = lines.firstIndex(where: { l in
                let line = UnsafeBufferPointer(rebasing: b[l])
                // Each scan stops at the first code that settles it.
                return CodeScan.replyCodes(in: line, untilFailure: true).contains { line[$0.lowerBound] != UInt8(ascii: "2") }
                    || !CodeScan.statuses(in: line, onlyFirst: true).isEmpty
            }) else { return nil }
            var end = first
            while end + 1 < lines.count {
                let next = UnsafeBufferPointer(rebasing: b[lines[end + 1]])
                guard !isBlank(next), !isBanner(next) else { break }
                end += 1
            }
            return lines[first].lowerBound..<lines[end].upperBound
        }
        guard let range else { return block }
        let u = block.utf8
        return String(Substring(u[u.index(u.startIndex, offsetBy: range.lowerBound)..<u.index(u.startIndex, offsetBy: range.upperBound)]))
    }

    /// Only `CharacterSet.whitespaces` characters (or nothing).
    static func isBlank(_ line: UnsafeBufferPointer<UInt8>) -> Bool {
        var i = 0
        while i < line.count {
            let w = TextScan.whitespaceWidth(line, at: i)
            if w == 0 { return false }
            i += w
        }
        return true
    }

    /// A banner line that opens another section (`--- Message text follows ---`, `----- Original
    /// message -----`, `======`, `Original Message Details`): a diagnostic ends before it.
    static func isBanner(_ line: UnsafeBufferPointer<UInt8>) -> Bool {
        let t = line.drop { $0 == 0x20 || $0 == 0x09 }
        guard let first = t.first else { return false }
        if first == UInt8(ascii: "-") || first == UInt8(ascii: "=") || first == UInt8(ascii: "_") || first == UInt8(ascii: "*") {
            return t.prefix(3).allSatisfy { $0 == first }
        }
        let head = t.prefix(60)
        guard head.allSatisfy({ $0 < 0x80 }) else {
            let lower = String(decoding: head, as: UTF8.self).lowercased()
            return bannerPrefixes.contains { lower.hasPrefix($0) }
        }
        return bannerPrefixes.contains { p in head.count >= p.utf8.count && zip(head, p.utf8).allSatisfy { AhoCorasick<Int>.fold($0) == $1 } }
    }

    static let bannerPrefixes = ["original message details", "original message headers", "error details",
                                 "message text follows", "original message follows", "diagnostic information for administrators",
                                 "dsn generated by"]
}
