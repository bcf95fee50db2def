import Foundation

/// Realistic RFC 5322 test messages.
public enum SampleMessage {
    /// Message `index`: From/To/Subject/Date/Message-ID `<sample-INDEX@mailgate.test>`,
    /// MIME-Version and a text/plain body of about `size` bytes whose lines include the cases
    /// POP3 dot-stuffing must get right (".", "..", ".text" at line starts). `crlf` chooses the
    /// line ends. The last line ends with a line end.
    public static func make(index: Int, size: Int = 2_000, crlf: Bool = true) -> [UInt8] {
        let eol = "\n"  // converted below, so that both forms have the same lines
        var text = ""
        text += "Return-Path: <sender\(index)@example.com>" + eol
        text += "Received: from mx.example.com (mx.example.com [192.0.2.\(index % 250 + 1)])" + eol
        text += "\tby mail.example.org with ESMTPS id \(String(index, radix: 16)); Thu, 26 Nov 2026 12:00:00 +0000" + eol
        text += "From: \"Sender \(index)\" <sender\(index)@example.com>" + eol
        text += "To: catchall@example.org" + eol
        text += "Subject: Test message \(index) =?utf-8?q?caf=C3=A9?=" + eol
        text += "Date: Thu, 26 Nov 2026 12:\(String(format: "%02d", index % 60)):00 +0000" + eol
        text += "Message-ID: <sample-\(index)@mailgate.test>" + eol
        text += "MIME-Version: 1.0" + eol
        text += "Content-Type: text/plain; charset=utf-8" + eol
        text += "Content-Transfer-Encoding: 8bit" + eol
        text += eol
        text += "Hello, this is message number \(index)." + eol
        text += "." + eol
        text += ".. two dots" + eol
        text += ".leading dot" + eol
        text += "Ünïcödé line €" + eol
        var line = 0
        while text.utf8.count < size {
            line += 1
            text += "Line \(line) of message \(index): the quick brown fox jumps over the lazy dog." + eol
            if line % 7 == 0 { text += "." + eol }
            if line % 11 == 0 { text += "..." + eol }
        }
        text += "-- " + eol + "end of \(index)" + eol
        return crlf ? SampleMessage.crlf(Array(text.utf8)) : Array(text.utf8)
    }

    /// `bytes` with every bare LF turned into CRLF (what a POP3/IMAP server serves for an LF file).
    public static func crlf(_ bytes: [UInt8]) -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(bytes.count + bytes.count / 40)
        var previous: UInt8 = 0
        for b in bytes {
            if b == 10 && previous != 13 { out.append(13) }
            out.append(b)
            previous = b
        }
        return out
    }
}

/// `SampleMessage.make(index:size:crlf:)`.
public func sampleMessage(index: Int, size: Int = 2_000, crlf: Bool = true) -> [UInt8] {
    SampleMessage.make(index: index, size: size, crlf: crlf)
}
