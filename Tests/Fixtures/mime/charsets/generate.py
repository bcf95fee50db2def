#!/usr/bin/env python3
"""Generates the charset fixtures once (committed): each NAME.eml plus expected.json with the text a
correct reader must find. Run from this folder: python3 generate.py"""
import base64, json, quopri

out = {}

def b_word(charset, raw):
    return "=?%s?B?%s?=" % (charset, base64.b64encode(raw).decode())

def q_word(charset, raw):
    s = ""
    for b in raw:
        c = chr(b)
        if c.isascii() and c.isalnum():
            s += c
        elif c == " ":
            s += "_"
        else:
            s += "=%02X" % b
    return "=?%s?Q?%s?=" % (charset, s)

def write(name, headers, body=b"", expect=None):
    msg = b""
    for h in headers:
        msg += (h.encode() if isinstance(h, str) else h) + b"\r\n"
    msg += b"\r\n" + body
    open(name + ".eml", "wb").write(msg)
    out[name + ".eml"] = expect

def jis(text):
    """ISO-2022-JP the way CP50220 writes it: JIS X 0208 plus NEC row 13 (①), via EUC."""
    res = b""
    mode = "ascii"
    for ch in text:
        if ord(ch) < 0x80:
            if mode != "ascii":
                res += b"\x1b(B"; mode = "ascii"
            res += ch.encode()
        else:
            e = ch.encode("euc_jis_2004")
            assert len(e) == 2, ch
            if mode != "jis":
                res += b"\x1b$B"; mode = "jis"
            res += bytes([e[0] & 0x7F, e[1] & 0x7F])
    if mode != "ascii":
        res += b"\x1b(B"
    return res

# 1. GBK text labelled gb2312 (镕 is not in GB2312).
s = "朱镕基总理的讲话"
write("gbk-labelled-gb2312", [
    "From: " + b_word("gb2312", "朱镕基".encode("gbk")) + " <zhu@example.cn>",
    "To: a@example.com",
    "Subject: " + b_word("gb2312", s.encode("gbk")),
    "Content-Type: text/plain; charset=gb2312",
    "Content-Transfer-Encoding: 8bit",
], ("正文：" + s + "\n").encode("gbk"), {"subject": s, "from": [["朱镕基", "zhu@example.cn"]], "text": "正文：" + s + "\n"})

# 2. windows-1252 labelled iso-8859-1: smart quotes and the euro sign.
s = "“Smart quotes” cost 5 €"
write("cp1252-labelled-latin1", [
    "From: " + q_word("iso-8859-1", "Renée “René” Dupont".encode("cp1252")) + " <rene@example.fr>",
    "Subject: " + q_word("iso-8859-1", s.encode("cp1252")),
    "Content-Type: text/plain; charset=\"iso-8859-1\"",
    "Content-Transfer-Encoding: quoted-printable",
], quopri.encodestring(("Prix : 5 € – “merci”\n").encode("cp1252")),
    {"subject": s, "from": [["Renée “René” Dupont", "rene@example.fr"]], "text": "Prix : 5 € – “merci”\n"})

# 3. A subject split across two encoded words in the middle of a character (UTF-8 B, GBK Q).
raw = "你好世界".encode("utf-8")
raw2 = "镕基".encode("gbk")
write("split-multibyte-subject", [
    "From: a@example.com",
    "Subject: " + b_word("utf-8", raw[:4]) + "\r\n " + b_word("UTF-8", raw[4:]) + " " + q_word("gbk", raw2[:1]) + " " + q_word("GBK", raw2[1:]),
], b"", {"subject": "你好世界镕基"})

# 4. RFC 2231 Chinese filename split across continuations mid-character, plus an Outlook-style
#    encoded word in a quoted name parameter (GBK).
fn = "季度报告2026.pdf".encode("utf-8")
pct = "".join("%%%02X" % b if b >= 0x80 or chr(b) in " %'*;" else chr(b) for b in fn)
# split inside the second character's percent triplets
cut1 = 6   # after the 2nd byte of 季
write("rfc2231-chinese-filename", [
    "From: a@example.com",
    "Subject: filename",
    "Content-Type: application/pdf; name=\"" + b_word("gb2312", "季度报告2026.pdf".encode("gbk")) + "\"",
    "Content-Disposition: attachment;\r\n filename*0*=utf-8'zh-cn'" + pct[:cut1] + ";\r\n filename*1*=" + pct[cut1:cut1 + 9] + ";\r\n filename*2*=" + pct[cut1 + 9:],
    "Content-Transfer-Encoding: base64",
], base64.encodebytes(b"%PDF-1.4\n"), {"filename": "季度报告2026.pdf", "name": "季度报告2026.pdf"})

# 5. Raw 8-bit GBK headers (no encoded words, not UTF-8): decoded with the fallback charset.
write("raw-8bit-gbk-headers", [
    b"From: " + "张三".encode("gbk") + b" <zhang@example.cn>",
    b"To: \"" + "李四".encode("gbk") + b"\" <li@example.cn>",
    b"Subject: " + "关于镕铸的报价".encode("gbk"),
], b"", {"subject": "关于镕铸的报价", "from": [["张三", "zhang@example.cn"]], "to": [["李四", "li@example.cn"]],
        "defects_contain": "raw 8-bit bytes in the"})

# 5b. A short GBK name that is valid UTF-8 by accident (D6 B0 = 职 = U+05B0 in UTF-8): the message's
#     other raw headers are not UTF-8, so the fallback reads it.
assert "职".encode("gbk").decode("utf-8")
write("raw-8bit-gbk-ambiguous", [
    b"From: " + "职".encode("gbk") + b" <zhi@example.cn>",
    b"Subject: " + "职位申请".encode("gbk"),
], b"", {"subject": "职位申请", "from": [["职", "zhi@example.cn"]], "defects_contain": "raw 8-bit bytes in the"})

# 6. Raw 8-bit UTF-8 headers (RFC 6532) with an IDN domain.
write("raw-utf8-headers", [
    "From: Jürgen Müller <jürgen@bücher.de>".encode(),
    "Subject: Grüße aus Köln — ①".encode(),
], b"", {"subject": "Grüße aus Köln — ①", "from": [["Jürgen Müller", "jürgen@bücher.de"]],
        "defects_contain": "raw 8-bit bytes in the"})

# 7. ISO-2022-JP with NEC circled digits (CP50220).
s = "会議①と②について"
write("iso-2022-jp-circled", [
    "From: " + b_word("ISO-2022-JP", jis("山田太郎")) + " <yamada@example.jp>",
    "Subject: " + b_word("ISO-2022-JP", jis(s)),
    "Content-Type: text/plain; charset=iso-2022-jp",
    "Content-Transfer-Encoding: 7bit",
], jis("本文です。③\n"), {"subject": s, "from": [["山田太郎", "yamada@example.jp"]], "text": "本文です。③\n"})

# 8. Groups: empty groups contribute nothing; members carry the group name.
write("groups", [
    "From: a@example.com",
    "To: unlisted-recipients:;",
    "Cc: Team: \"Doe, John\" <john@example.com>, jane@example.com;, undisclosed-recipients: ;, last@example.com",
], b"", {"to": [], "cc": [["Doe, John", "john@example.com", "Team"], [None, "jane@example.com", "Team"], [None, "last@example.com", None]]})

# 9. One fixture per further charset: subject as an encoded word, body in the charset.
for name, label, codec, text in [
    ("big5", "big5", "big5hkscs", "臺灣銀行通知㗎"),
    ("shift_jis", "shift_jis", "cp932", "お見積り①のご案内"),
    ("sjis", "sjis", "cp932", "ｶﾀｶﾅと漢字"),
    ("euc-jp", "euc-jp", "euc_jis_2004", "日本語のテキスト①"),
    ("euc-kr", "euc-kr", "cp949", "안녕하세요 똠방각하"),
    ("ks_c_5601-1987", "ks_c_5601-1987", "cp949", "회의 일정 안내"),
    ("koi8-r", "koi8-r", "koi8_r", "Привет, мир"),
    ("koi8-u", "koi8-u", "koi8_u", "Привіт, ґанок"),
    ("utf-7", "utf-7", "utf-7", "Hi Mom -☺- 日本"),
    ("iso-8859-2", "iso-8859-2", "iso8859_2", "Zażółć gęślą jaźń"),
    ("iso-8859-5", "iso-8859-5", "iso8859_5", "Добрый день"),
    ("iso-8859-7", "iso-8859-7", "iso8859_7", "Καλημέρα κόσμε"),
    ("iso-8859-15", "iso-8859-15", "iso8859_15", "Prix 10 € œuvre"),
    ("windows-1250", "windows-1250", "cp1250", "Příliš žluťoučký kůň"),
    ("windows-1251", "windows-1251", "cp1251", "Съешь же ещё этих булок"),
    ("windows-1256", "windows-1256", "cp1256", "مرحبا بالعالم"),
    ("tis-620", "tis-620", "cp874", "สวัสดีครับ"),
    ("gb18030", "gb18030", "gb18030", "中文𠀀测试"),
    ("x-gbk", "x-gbk", "gbk", "报价单镕"),
    ("gb_2312-80", "gb_2312-80", "gbk", "会议通知"),
    ("chinese", "chinese", "gbk", "你好"),
    ("latin1", "latin1", "cp1252", "naïve café — “ok”"),
    ("us-ascii-8bit", "us-ascii", "cp1252", "Ümlaut in us-ascii"),
]:
    enc = text.encode(codec)
    write("charset-" + name, [
        "From: x@example.com",
        "Subject: " + b_word(label, enc),
        "Content-Type: text/plain; charset=" + label,
        "Content-Transfer-Encoding: base64",
    ], base64.encodebytes(enc), {"subject": text, "text": text,
                                 **({"defects_contain": "labelled us-ascii read as windows-1252"} if label == "us-ascii" else {})})

# 10. Unknown charset labels: UTF-8 bytes decode as UTF-8, others with the fallback (gb18030).
write("unknown-charset", [
    "From: x@example.com",
    "Subject: " + b_word("x-unknown", "héllo wörld".encode()) + " " + b_word("unknown-8bit", "报价".encode("gbk")),
], b"", {"subject": "héllo wörld报价", "defects_contain": "unknown charset"})

# 11. Invalid bytes in UTF-8: one U+FFFD per bad sequence, and a defect.
write("invalid-utf8", [
    "From: x@example.com",
    "Subject: " + b_word("utf-8", b"ok \xff\xfe end \xe4\xbd"),
], b"", {"subject": "ok \ufffd\ufffd end \ufffd", "defects_contain": "invalid byte sequence"})

# 12. Outlook and Foxmail: encoded words inside quoted display names.
write("encoded-in-quotes", [
    "From: \"" + b_word("gb2312", "王五".encode("gbk")) + "\" <wang@example.cn>",
    "To: \"" + q_word("utf-8", "Ça va".encode()) + " (Sales)\" <sales@example.com>",
    "Subject: test",
], b"", {"from": [["王五", "wang@example.cn"]], "to": [["Ça va (Sales)", "sales@example.com"]]})

json.dump(out, open("expected.json", "w"), ensure_ascii=False, indent=1, sort_keys=True)
