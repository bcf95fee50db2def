import CAres
import Foundation

/// A synchronous stub resolver over c-ares: asks one question at a time of the configured
/// server and blocks the calling thread until the answer, an error, or the time bound.
///
/// Every question is bounded: c-ares waits `timeout / 3` for the first try and twice that for
/// the second (its back-off), and a hard deadline of `timeout` (+ a quarter second) cancels
/// whatever is still pending, so a server that never answers costs `timeout` seconds, never a
/// hang. Errors are `DNSError`s (NXDOMAIN, NODATA, time-out, SERVFAIL, refused).
///
/// Not thread-safe (a c-ares 1.18 channel is not): use one resolver per thread.
public final class DNSResolver {
    /// The server asked (`"127.0.0.1:5353"`, `"[::1]:53"`, `"192.0.2.1"`); nil: the system's
    /// (`/etc/resolv.conf`).
    public let nameserver: String?
    /// The bound of one question, in seconds (default 3, over 2 tries).
    public let timeout: Double
    let channel: OpaquePointer

    /// Opens a resolver asking `nameserver` (an IP address with an optional port, as above), or
    /// the servers of `/etc/resolv.conf` when nil. `timeout` is the bound of one question in
    /// seconds, spent over `tries` tries.
    /// - Throws: `DNSError` (kind `.other`) when c-ares cannot start or the address is not one.
    public init(nameserver: String? = nil, timeout: Double = 3, tries: Int = 2) throws(DNSError) {
        _ = Self.libraryReady
        self.nameserver = nameserver
        self.timeout = timeout
        var options = ares_options()
        // c-ares doubles the wait on each round (1 + 2 for two tries): split the bound so the
        // whole question fits in it.
        let rounds = (0..<max(1, tries)).reduce(0) { $0 + (1 << $1) }
        options.timeout = Int32(max(50, timeout * 1000 / Double(rounds)))
        options.tries = Int32(max(1, tries))
        var made: OpaquePointer? = nil
        let status = ares_init_options(&made, &options, ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES)
        guard status == ARES_SUCCESS, let made else {
            throw DNSError(name: nameserver ?? "/etc/resolv.conf", type: "",
                           kind: .other("cannot start the resolver: \(String(cString: ares_strerror(status)))"))
        }
        if let nameserver {
            let set = ares_set_servers_ports_csv(made, Self.csvAddress(nameserver))
            guard set == ARES_SUCCESS else {
                // Before `channel` is set: a throw from here does not run deinit, which would
                // destroy it a second time.
                ares_destroy(made)
                throw DNSError(name: nameserver, type: "", kind: .other(
                    "\"\(nameserver)\" is not a nameserver address (IP or IP:port): \(String(cString: ares_strerror(set)))"))
            }
        }
        channel = made
    }

    deinit { ares_destroy(channel) }

    /// c-ares's process-wide set-up, once (`ares_library_init` is not thread-safe itself).
    private static let libraryReady: Int32 = ares_library_init(ARES_LIB_INIT_ALL)

    /// `::1` → `[::1]:53`: c-ares 1.18's csv form takes an IPv6 address only in brackets with
    /// a port (`::1` and `[::1]` are "misformatted"); IPv4 is taken with or without one.
    static func csvAddress(_ text: String) -> String {
        if text.hasPrefix("[") { return text.contains("]:") ? text : text + ":53" }
        return text.filter({ $0 == ":" }).count < 2 ? text : "[\(text)]:53"
    }

    // MARK: Questions

    /// The TXT records at `name`, each record's strings joined without separators (RFC 7208
    /// §3.3), decoded as UTF-8 (invalid bytes replaced). CNAMEs are followed by the server.
    /// - Throws: `DNSError`; NODATA when the name has no TXT record.
    public func txt(_ name: String) throws(DNSError) -> [String] {
        let answer = try ask(name, type: RecordType.txt)
        var head: UnsafeMutablePointer<ares_txt_ext>? = nil
        let status = answer.withUnsafeBufferPointer { ares_parse_txt_reply_ext($0.baseAddress, Int32($0.count), &head) }
        defer { if head != nil { ares_free_data(head) } }
        try check(status, name, RecordType.txt)
        var records: [[UInt8]] = []
        var node = head
        while let chunk = node?.pointee {
            if chunk.record_start != 0 || records.isEmpty { records.append([]) }
            if let bytes = chunk.txt, chunk.length > 0 {
                records[records.count - 1] += UnsafeBufferPointer(start: bytes, count: chunk.length)
            }
            node = chunk.next
        }
        return records.map { String(decoding: $0, as: UTF8.self) }
    }

    /// The MX records of `name`, in the order of the answer.
    /// - Throws: `DNSError`; NODATA when the name has no MX record.
    public func mx(_ name: String) throws(DNSError) -> [MXRecord] {
        let answer = try ask(name, type: RecordType.mx)
        var head: UnsafeMutablePointer<ares_mx_reply>? = nil
        let status = answer.withUnsafeBufferPointer { ares_parse_mx_reply($0.baseAddress, Int32($0.count), &head) }
        defer { if head != nil { ares_free_data(head) } }
        try check(status, name, RecordType.mx)
        var records: [MXRecord] = []
        var node = head
        while let mx = node?.pointee {
            var host = mx.host.map { String(cString: $0) } ?? ""
            if host.hasSuffix(".") { host.removeLast() }
            records.append(MXRecord(preference: Int(mx.priority), exchange: host.lowercased()))
            node = mx.next
        }
        return records
    }

    /// The IPv4 (A) and IPv6 (AAAA) addresses of `name`, as text (`192.0.2.1`, `2001:db8::1`).
    /// - Throws: `DNSError` (type `A/AAAA`) only when neither question found an address: the
    ///   first failure that is not a "no record" (time-out, SERVFAIL…), else NXDOMAIN or NODATA.
    public func addresses(_ name: String) throws(DNSError) -> [String] {
        var found: [String] = []
        var errors: [DNSError] = []
        do { found += try ipv4(name) } catch { errors.append(error) }
        // A name that does not exist has no AAAA either: one question is enough.
        if errors.first?.kind != .nxdomain {
            do { found += try ipv6(name) } catch { errors.append(error) }
        }
        if !found.isEmpty { return found }
        var worst = errors.first { !$0.isNoRecord } ?? errors.first { $0.kind == .nxdomain } ?? errors[0]
        worst.type = "A/AAAA"
        throw worst
    }

    /// The IPv4 addresses (A records) of `name`, as text; SPF's `exists` asks only this (RFC 7208 §5.7).
    /// - Throws: `DNSError`; NODATA when the name has no A record.
    public func ipv4(_ name: String) throws(DNSError) -> [String] {
        let answer = try ask(name, type: RecordType.a)
        var ttls = [ares_addrttl](repeating: ares_addrttl(), count: 64)
        var count: Int32 = Int32(ttls.count)
        let status = answer.withUnsafeBufferPointer { ares_parse_a_reply($0.baseAddress, Int32($0.count), nil, &ttls, &count) }
        try check(status, name, RecordType.a)
        return ttls.prefix(Int(count)).map { entry in withUnsafePointer(to: entry.ipaddr) { Self.text(family: AF_INET, $0) } }
    }

    /// The IPv6 addresses (AAAA records) of `name`, as text.
    /// - Throws: `DNSError`; NODATA when the name has no AAAA record.
    public func ipv6(_ name: String) throws(DNSError) -> [String] {
        let answer = try ask(name, type: RecordType.aaaa)
        var ttls = [ares_addr6ttl](repeating: ares_addr6ttl(), count: 64)
        var count: Int32 = Int32(ttls.count)
        let status = answer.withUnsafeBufferPointer { ares_parse_aaaa_reply($0.baseAddress, Int32($0.count), nil, &ttls, &count) }
        try check(status, name, RecordType.aaaa)
        return ttls.prefix(Int(count)).map { entry in withUnsafePointer(to: entry.ip6addr) { Self.text(family: AF_INET6, $0) } }
    }

    /// An `in_addr`/`ares_in6_addr` as text, by inet_ntop(3).
    static func text(family: Int32, _ address: UnsafeRawPointer) -> String {
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
        _ = inet_ntop(family, address, &buffer, socklen_t(buffer.count))
        return String(cString: buffer)
    }

    /// A parser's status as a `DNSError` (ARES_ENODATA: an answer without records of the
    /// type, e.g. only a CNAME to a name without them).
    func check(_ status: Int32, _ name: String, _ type: RecordType) throws(DNSError) {
        guard status != ARES_SUCCESS else { return }
        throw DNSError(name: name, type: type.name, kind: Self.kind(status))
    }

    /// c-ares's status codes in the terms of `DNSError.Kind`.
    static func kind(_ status: Int32) -> DNSError.Kind {
        switch status {
        case ARES_ENODATA: .noData
        case ARES_ENOTFOUND: .nxdomain
        case ARES_ETIMEOUT, ARES_ECANCELLED: .timeout
        case ARES_ESERVFAIL: .serverFailure
        case ARES_EREFUSED, ARES_ECONNREFUSED: .refused
        case ARES_EBADRESP, ARES_EFORMERR: .other("the answer could not be read (\(String(cString: ares_strerror(status))))")
        default: .other(String(cString: ares_strerror(status)))
        }
    }
}

/// The record types asked for (RFC 1035 §3.2.2, RFC 3596), by number: c-ares takes them as
/// ints, and the header's names are macros Swift does not see.
struct RecordType: Sendable {
    let number: Int32
    let name: String

    static let a = RecordType(number: 1, name: "A")
    static let mx = RecordType(number: 15, name: "MX")
    static let txt = RecordType(number: 16, name: "TXT")
    static let aaaa = RecordType(number: 28, name: "AAAA")
}
