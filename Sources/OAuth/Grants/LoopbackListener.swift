#if canImport(Glibc)
import Glibc
#endif

/// The loopback redirect receiver of RFC 8252 7.3: a socket on 127.0.0.1 that takes the one
/// browser request carrying `?code=…&state=…`. When the browser runs on another machine the
/// person pastes the final URL instead: `waitForRedirect` also reads standard input.
public final class LoopbackListener {
    public let port: Int
    private var socket: Int32

    /// Listens on 127.0.0.1:`port` (0: a free port).
    public init(port: Int = 0) throws(OAuthError) {
        let fd = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw .temporary("cannot open a socket: \(String(cString: strerror(errno)))") }
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = in_addr_t(UInt32(0x7f00_0001).bigEndian)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 4) == 0 else {
            let why = String(cString: strerror(errno))
            close(fd)
            throw .configuration("cannot listen on 127.0.0.1:\(port) for the sign-in redirect: \(why)")
        }
        var actual = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &actual) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        self.port = Int(UInt16(bigEndian: actual.sin_port))
        socket = fd
    }

    deinit { if socket >= 0 { close(socket) } }

    /// `http://HOST:PORT/`, HOST being `127.0.0.1` or `localhost` as the provider expects.
    public func redirectURI(host: String = "127.0.0.1") -> String { "http://\(host):\(port)/" }

    /// Waits for the redirect (or a line on `pasteFrom`, e.g. standard input) and returns the
    /// URL with its query. Requests without `code=` or `error=` (a favicon) are answered 404
    /// and waited past.
    public func waitForRedirect(pasteFrom input: Int32? = nil, timeout: Double = 900) throws(OAuthError) -> String {
        var pasted: [UInt8] = []
        var inputOpen = input != nil
        let deadline = monotonic() + timeout
        while true {
            let remaining = deadline - monotonic()
            guard remaining > 0 else { throw .signInNeeded("no sign-in arrived within \(Int(timeout)) s") }
            var fds = [pollfd(fd: socket, events: Int16(POLLIN), revents: 0)]
            if inputOpen, let input { fds.append(pollfd(fd: input, events: Int16(POLLIN), revents: 0)) }
            let r = poll(&fds, nfds_t(fds.count), Int32(min(remaining, 60) * 1000))
            if r < 0 && errno != EINTR { throw .temporary("waiting for the sign-in failed: \(String(cString: strerror(errno)))") }
            if fds.count > 1, fds[1].revents != 0, let input {
                var buffer = [UInt8](repeating: 0, count: 4096)
                let n = read(input, &buffer, buffer.count)
                if n <= 0 {
                    inputOpen = false
                } else {
                    pasted += buffer[0..<n]
                    if let newline = pasted.firstIndex(of: 10) {
                        let line = String(decoding: pasted[..<newline], as: UTF8.self)
                        if line.contains("code=") || line.contains("error=") { return line }
                        pasted.removeSubrange(...newline)
                    }
                }
            }
            if fds[0].revents != 0, let target = acceptOne() {
                return "http://127.0.0.1:\(port)\(target)"
            }
        }
    }

    /// Reads one request; returns its target when it carries the answer.
    private func acceptOne() -> String? {
        let client = accept(socket, nil, nil)
        guard client >= 0 else { return nil }
        defer { close(client) }
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var head: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while head.count < 16_384 {
            let n = recv(client, &buffer, buffer.count, 0)
            if n <= 0 { break }
            head += buffer[0..<n]
            if head.count >= 4, head.suffix(4) == [13, 10, 13, 10] { break }
            if let end = head.firstIndex(of: 10), end > 0 { break }  // the request line is all we need
        }
        let line = head.split(separator: 10, maxSplits: 1).first.map { String(decoding: $0, as: UTF8.self) } ?? ""
        let parts = line.split(separator: " ")
        let target = parts.count >= 2 && parts[0] == "GET" ? String(parts[1]) : ""
        let answers = target.contains("code=") || target.contains("error=")
        let body = answers ? "Mailgate received the sign-in. You can close this page.\n" : "Not found\n"
        let response = "HTTP/1.1 \(answers ? "200 OK" : "404 Not Found")\r\nContent-Type: text/plain; charset=utf-8\r\n"
            + "Content-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n\(body)"
        _ = response.withCString { send(client, $0, strlen($0), Int32(MSG_NOSIGNAL)) }
        return answers ? target : nil
    }

    private func monotonic() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }
}
