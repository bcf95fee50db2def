import Foundation
import TOMLKit

extension ConfigLoader {
    /// `[doctor]`: `nameserver`, `spf_include`, `dkim_selectors`.
    func doctor(_ top: Reader) throws(ConfigError) -> DoctorConfig {
        guard let table = try top.table("doctor") else { return DoctorConfig() }
        let reader = try Reader(table, loader: self, section: "doctor", known: Self.doctorKeys)
        var doctor = DoctorConfig()
        if let nameserver = try reader.string("nameserver", nonEmpty: true) {
            guard DoctorConfig.nameserverAddress(nameserver) != nil else {
                throw reader.error("nameserver", "\"\(nameserver)\" is not an IP address with an optional port "
                                   + "(\"127.0.0.1:5353\", \"[::1]:53\", \"192.0.2.1\")")
            }
            doctor.nameserver = nameserver
        }
        doctor.spfInclude = try reader.stringArray("spf_include") ?? []
        doctor.dkimSelectors = try reader.stringArray("dkim_selectors") ?? []
        for (key, values) in [("spf_include", doctor.spfInclude), ("dkim_selectors", doctor.dkimSelectors)] {
            if let bad = values.first(where: { $0.isEmpty || $0.contains(where: { $0.isWhitespace || $0 == "@" }) }) {
                throw reader.error(key, "\"\(bad)\" is not a domain name")
            }
        }
        return doctor
    }
}

extension DoctorConfig {
    /// Splits `"127.0.0.1:5353"`, `"[::1]:5353"`, `"::1"` or `"192.0.2.1"` into an IP address
    /// and a port (53 when none is given); nil when the host is not an IP address literal or
    /// the port is not 1–65535.
    public static func nameserverAddress(_ text: String) -> (host: String, port: Int)? {
        var host = text
        var port = 53
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { return nil }
            host = String(text[text.index(after: text.startIndex)..<close])
            let rest = text[text.index(after: close)...]
            if !rest.isEmpty {
                guard rest.first == ":", let p = Int(rest.dropFirst()), (1...65535).contains(p) else { return nil }
                port = p
            }
        } else if text.filter({ $0 == ":" }).count == 1, let colon = text.firstIndex(of: ":") {
            host = String(text[..<colon])
            guard let p = Int(text[text.index(after: colon)...]), (1...65535).contains(p) else { return nil }
            port = p
        }
        var v4 = in_addr()
        var v6 = in6_addr()
        guard inet_pton(AF_INET, host, &v4) == 1 || inet_pton(AF_INET6, host, &v6) == 1 else { return nil }
        return (host, port)
    }
}
