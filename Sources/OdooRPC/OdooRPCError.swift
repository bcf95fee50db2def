/// A failure below the level of Odoo's answers: the HTTP exchange or an unreadable body.
/// `exitCode` is the sysexits code a one-shot command uses.
public enum OdooRPCError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The body is not what the protocol promises.
    case malformed(String)
    /// No answer: connection refused, DNS, reset. `requestSent`: the request may have
    /// reached Odoo (a timeout or a dropped connection after sending), so a record may exist.
    case transport(String, requestSent: Bool)
    /// The request went out and the connection closed with no answer (a worker killed, a
    /// reused connection gone): Odoo may or may not have filed it.
    case dropped(String)
    /// A local configuration problem (certificate, URL, http:// beyond loopback).
    case configuration(String)

    public var description: String {
        switch self {
        case .malformed(let text): return "unreadable answer from Odoo: \(text)"
        case .transport(let text, _), .dropped(let text): return text
        case .configuration(let text): return text
        }
    }

    public var exitCode: Int32 {
        switch self {
        case .malformed, .transport, .dropped: return 75
        case .configuration: return 78
        }
    }
}
