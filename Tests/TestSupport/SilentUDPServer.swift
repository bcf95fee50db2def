import Foundation

/// A UDP socket on 127.0.0.1 that is bound and never read: a DNS server that never answers,
/// for the time-out paths. Closed by `close()` or when the object goes away.
public final class SilentUDPServer: @unchecked Sendable {
    public let port: Int
    /// `127.0.0.1:PORT`.
    public var address: String { "127.0.0.1:\(port)" }
    private var fd: Int32

    public init() throws {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        guard fd >= 0 else { throw TestSupportError("socket() failed: \(String(cString: strerror(errno)))") }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = 0
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) }
        }
        let named = bound == 0 && withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
        } == 0
        guard named else {
            let message = String(cString: strerror(errno))
            Glibc.close(fd)
            throw TestSupportError("cannot bind a UDP socket on 127.0.0.1: \(message)")
        }
        self.fd = fd
        port = Int(UInt16(bigEndian: addr.sin_port))
    }

    public func close() {
        if fd >= 0 { Glibc.close(fd); fd = -1 }
    }

    deinit { close() }
}
