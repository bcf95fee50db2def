// MIME — bytes → `Message`. Pure: no I/O; imports Foundation and Glibc only (iconv).
//
// Entry point:
//
//     let message = MIMEParser(options: ParserOptions(fallbackCharset: "gb18030")).parse(bytes)
//     message.subject, .from, .to, .cc, .messageID ("<id@host>"), .references, .dateISO8601
//     message.text, .html, .attachments, .inlineImages, .dsn, .deliveryStatus, .root (the MIME tree), .defects
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
// Body model: Odoo's `_message_parse_extract_payload` (see BodyDecoder): `html` is the HTML body, `text` the
// plain body or else the HTML rendered (HTMLText); every other leaf is an `Attachment` whose size and SHA-256
// are computed while streaming the transfer decoding (no copy of the part is held). `dsn` is the RFC 3464
// report with type prefixes removed. `ParserOptions` bounds depth, parts, header bytes, header line length and
// the total of decoded bytes: past a limit the Message is truncated, valid, and says so in `defects`.
//
// Never throws for mail that can be read at all: what is wrong goes to `Message.defects`.
