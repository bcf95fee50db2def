// Charset labels resolved as the WHATWG Encoding Standard does (https://encoding.spec.whatwg.org/#names-and-labels),
// plus the few labels mail uses that a browser does not (UTF-7, TIS-620, cp936, …).
//
// The Standard's decoders are what every mail client actually applies: a message labelled gb2312 is
// decoded as GB18030 (real mail labelled gb2312 is GBK, e.g. 镕), iso-8859-1 and us-ascii as
// windows-1252 (smart quotes, €), big5 as Big5-HKSCS, euc-kr as CP949, shift_jis as CP932.

/// How a charset is decoded: by Mailgate itself, or by glibc iconv under the given name.
enum CharsetDecoderKind: Equatable, Sendable {
    case utf8
    case windows1252
    case iso2022jp
    case iconv(String)
}

enum CharsetLabels {
    /// Resolves a MIME charset label (any case, surrounding whitespace and quotes ignored).
    /// Returns nil for a label the table does not know.
    static func resolve(_ label: String) -> CharsetDecoderKind? {
        var key = label.trimmingWhitespaceAndQuotes().lowercased()
        if let hit = table[key] { return hit }
        // Python-style spellings (utf_8, euc_jp), and RFC 2231 language suffixes that leaked in.
        key = key.replacingOccurrences(of: "_", with: "-")
        if let hit = table[key] { return hit }
        if let star = key.firstIndex(of: "*"), let hit = table[String(key[..<star])] { return hit }
        if key.hasPrefix("x-"), let hit = table[String(key.dropFirst(2))] { return hit }
        return nil
    }

    private static let groups: [(CharsetDecoderKind, [String])] = [
        (.utf8, ["unicode-1-1-utf-8", "unicode11utf8", "unicode20utf8", "utf-8", "utf8", "x-unicode20utf8", "utf8mb4"]),
        (.windows1252, ["ansi_x3.4-1968", "ascii", "cp1252", "cp819", "csisolatin1", "ibm819", "iso-8859-1",
                        "iso-ir-100", "iso8859-1", "iso88591", "iso_8859-1", "iso_8859-1:1987", "l1", "latin1",
                        "us-ascii", "windows-1252", "x-cp1252", "latin-1", "us", "iso646-us", "ansi_x3.4-1986"]),
        (.iso2022jp, ["csiso2022jp", "iso-2022-jp", "iso-2022-jp-1", "iso-2022-jp-2", "iso-2022-jp-3",
                      "iso-2022-jp-ms", "cp50220", "cp50221", "cp50222"]),
        (.iconv("IBM866"), ["866", "cp866", "csibm866", "ibm866"]),
        (.iconv("ISO-8859-2"), ["csisolatin2", "iso-8859-2", "iso-ir-101", "iso8859-2", "iso88592", "iso_8859-2",
                                "iso_8859-2:1987", "l2", "latin2"]),
        (.iconv("ISO-8859-3"), ["csisolatin3", "iso-8859-3", "iso-ir-109", "iso8859-3", "iso88593", "iso_8859-3",
                                "iso_8859-3:1988", "l3", "latin3"]),
        (.iconv("ISO-8859-4"), ["csisolatin4", "iso-8859-4", "iso-ir-110", "iso8859-4", "iso88594", "iso_8859-4",
                                "iso_8859-4:1988", "l4", "latin4"]),
        (.iconv("ISO-8859-5"), ["csisolatincyrillic", "cyrillic", "iso-8859-5", "iso-ir-144", "iso8859-5",
                                "iso88595", "iso_8859-5", "iso_8859-5:1988"]),
        (.iconv("ISO-8859-6"), ["arabic", "asmo-708", "csiso88596e", "csiso88596i", "csisolatinarabic", "ecma-114",
                                "iso-8859-6", "iso-8859-6-e", "iso-8859-6-i", "iso-ir-127", "iso8859-6", "iso88596",
                                "iso_8859-6", "iso_8859-6:1987"]),
        (.iconv("ISO-8859-7"), ["csisolatingreek", "ecma-118", "elot_928", "greek", "greek8", "iso-8859-7",
                                "iso-ir-126", "iso8859-7", "iso88597", "iso_8859-7", "iso_8859-7:1987", "sun_eu_greek"]),
        (.iconv("ISO-8859-8"), ["csiso88598e", "csisolatinhebrew", "hebrew", "iso-8859-8", "iso-8859-8-e",
                                "iso-ir-138", "iso8859-8", "iso88598", "iso_8859-8", "iso_8859-8:1988", "visual",
                                "csiso88598i", "iso-8859-8-i", "logical"]),
        (.iconv("ISO-8859-10"), ["csisolatin6", "iso-8859-10", "iso-ir-157", "iso8859-10", "iso885910", "l6", "latin6"]),
        (.iconv("ISO-8859-13"), ["iso-8859-13", "iso8859-13", "iso885913"]),
        (.iconv("ISO-8859-14"), ["iso-8859-14", "iso8859-14", "iso885914"]),
        (.iconv("ISO-8859-15"), ["csisolatin9", "iso-8859-15", "iso8859-15", "iso885915", "iso_8859-15", "l9"]),
        (.iconv("ISO-8859-16"), ["iso-8859-16"]),
        (.iconv("KOI8-R"), ["cskoi8r", "koi", "koi8", "koi8-r", "koi8_r"]),
        (.iconv("KOI8-U"), ["koi8-ru", "koi8-u"]),
        (.iconv("MACINTOSH"), ["csmacintosh", "mac", "macintosh", "x-mac-roman"]),
        (.iconv("WINDOWS-874"), ["dos-874", "iso-8859-11", "iso8859-11", "iso885911", "tis-620", "windows-874",
                                 "tis620", "cp874"]),
        (.iconv("WINDOWS-1250"), ["cp1250", "windows-1250", "x-cp1250"]),
        (.iconv("WINDOWS-1251"), ["cp1251", "windows-1251", "x-cp1251"]),
        (.iconv("WINDOWS-1253"), ["cp1253", "windows-1253", "x-cp1253"]),
        (.iconv("WINDOWS-1254"), ["cp1254", "csisolatin5", "iso-8859-9", "iso-ir-148", "iso8859-9", "iso88599",
                                  "iso_8859-9", "iso_8859-9:1989", "l5", "latin5", "windows-1254", "x-cp1254"]),
        (.iconv("WINDOWS-1255"), ["cp1255", "windows-1255", "x-cp1255"]),
        (.iconv("WINDOWS-1256"), ["cp1256", "windows-1256", "x-cp1256"]),
        (.iconv("WINDOWS-1257"), ["cp1257", "windows-1257", "x-cp1257"]),
        (.iconv("WINDOWS-1258"), ["cp1258", "windows-1258", "x-cp1258"]),
        (.iconv("MAC-CYRILLIC"), ["x-mac-cyrillic", "x-mac-ukrainian"]),
        (.iconv("GB18030"), ["chinese", "csgb2312", "csiso58gb231280", "gb2312", "gb_2312", "gb_2312-80", "gbk",
                             "iso-ir-58", "x-gbk", "gb18030", "cp936", "ms936", "windows-936", "euc-cn", "euccn",
                             "gb-2312", "gb-18030"]),
        (.iconv("BIG5-HKSCS"), ["big5", "big5-hkscs", "cn-big5", "csbig5", "x-x-big5", "big5hkscs", "cp950",
                                "windows-950", "ms950"]),
        (.iconv("EUC-JP-MS"), ["cseucpkdfmtjapanese", "euc-jp", "x-euc-jp", "eucjp", "eucjp-ms", "euc-jp-ms",
                               "cp51932"]),
        (.iconv("CP932"), ["csshiftjis", "ms932", "ms_kanji", "shift-jis", "shift_jis", "sjis", "windows-31j",
                           "x-sjis", "cp932", "shift_jisx0213", "shift_jis-2004"]),
        (.iconv("CP949"), ["cseuckr", "csksc56011987", "euc-kr", "iso-ir-149", "korean", "ks_c_5601-1987",
                           "ks_c_5601-1989", "ksc5601", "ksc_5601", "windows-949", "cp949", "uhc", "euckr"]),
        (.iconv("ISO-2022-KR"), ["csiso2022kr", "iso-2022-kr"]),
        (.iconv("ISO-2022-CN-EXT"), ["iso-2022-cn", "iso-2022-cn-ext"]),
        (.iconv("UTF-16BE"), ["unicodefffe", "utf-16be"]),
        (.iconv("UTF-16LE"), ["csunicode", "iso-10646-ucs-2", "ucs-2", "unicode", "unicodefeff", "utf-16", "utf-16le"]),
        (.iconv("UTF-7"), ["utf-7", "unicode-1-1-utf-7", "csunicode11utf7", "utf7"]),
        (.iconv("UTF-32LE"), ["utf-32", "utf-32le"]),
        (.iconv("UTF-32BE"), ["utf-32be"]),
    ]

    private static let table: [String: CharsetDecoderKind] = {
        var t: [String: CharsetDecoderKind] = [:]
        for (kind, labels) in groups { for l in labels { t[l] = kind } }
        return t
    }()
}

extension String {
    func trimmingWhitespaceAndQuotes() -> String {
        var s = Substring(self)
        while let c = s.first, c == " " || c == "\t" || c == "\"" || c == "'" || c == "\r" || c == "\n" { s.removeFirst() }
        while let c = s.last, c == " " || c == "\t" || c == "\"" || c == "'" || c == "\r" || c == "\n" { s.removeLast() }
        return String(s)
    }
}
