// MIME — bytes → `Message`. Pure: no I/O; imports Foundation and Glibc only (iconv).
//
// Entry point:
//
//     let message = MIMEParser(options: ParserOptions(fallbackCharset: "gb18030")).parse(bytes)
//     message.subject, .from, .to, .cc, .messageID ("<id@host>"), .references, .dateISO8601
//     message.text, .html, .attachments, .deliveryStatus, .root (the MIME tree), .defects
//     message.jsonLine()            // the object of `mailgate parse --json`
//     SHA256.hex(bytes)             // spool keys, attachment checksums
//
// Layout, one grammar per file:
//   Header/   the header section (line endings, folding, non-header lines), RFC 2047 words
//   Fields/   addresses, dates, message ids, Content-Type parameters (RFC 2231)
//   Charset/  WHATWG labels → decoders; iconv with per-thread descriptors; ISO-2022-JP (CP50220)
//   Body/     the MIME tree, transfer encodings, body selection, attachments, RFC 3464 reports
//   Digest/   SHA-256
//   JSON/     an ordered JSON value and writer
//
// Never throws for mail that can be read at all: what is wrong goes to `Message.defects`.
