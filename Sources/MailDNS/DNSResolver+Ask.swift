import CAres
import Foundation

/// The one place c-ares runs: send a question, drive the channel's sockets with poll(2) until
/// the callback fires, and return the raw answer for the `ares_parse_*` functions.
extension DNSResolver {
    /// Where the callback leaves its result (c-ares calls it exactly once per query: answer,
    /// error, time-out, cancel or channel destruction).
    final class Pending {
        var status: Int32 = ARES_ETIMEOUT
        var answer: [UInt8] = []
        var done = false
    }

    /// The answer to `type name` in class IN, as bytes (RFC 1035 §4).
    /// - Throws: `DNSError` for NXDOMAIN, NODATA, time-out, SERVFAIL, refused.
    func ask(_ name: String, type: RecordType) throws(DNSError) -> [UInt8] {
        let pending = Pending()
        ares_query(channel, name, 1 /* C_IN */, type.number, { context, status, _, answer, length in
            guard let context else { return }
            let pending = Unmanaged<Pending>.fromOpaque(context).takeRetainedValue()
            pending.status = status
            if let answer, length > 0 { pending.answer = Array(UnsafeBufferPointer(start: answer, count: Int(length))) }
            pending.done = true
        }, Unmanaged.passRetained(pending).toOpaque())
        drive(until: pending)
        guard pending.status == ARES_SUCCESS else {
            throw DNSError(name: name, type: type.name, kind: Self.kind(pending.status))
        }
        return pending.answer
    }

    /// Waits on the channel's sockets and timers until `pending` is done; past the deadline
    /// (`timeout` + ¼ s, in case c-ares's own timers are late) the query is cancelled, which
    /// the callback reports as ARES_ECANCELLED (a time-out).
    private func drive(until pending: Pending) {
        let deadline = Self.now() + timeout + 0.25
        let maxSockets = Int(ARES_GETSOCK_MAXNUM)
        while !pending.done {
            let left = deadline - Self.now()
            if left <= 0 {
                ares_cancel(channel)
                continue
            }
            var sockets = [ares_socket_t](repeating: ARES_SOCKET_BAD, count: maxSockets)
            let bits = ares_getsock(channel, &sockets, Int32(maxSockets))
            var polled: [pollfd] = []
            for i in 0..<maxSockets {
                let readable = bits & (1 << i) != 0
                let writable = bits & (1 << (i + maxSockets)) != 0
                guard readable || writable else { continue }
                polled.append(pollfd(fd: sockets[i], events: Int16((readable ? POLLIN : 0) | (writable ? POLLOUT : 0)), revents: 0))
            }
            var limit = timeval(tv_sec: Int(left), tv_usec: Int((left - left.rounded(.down)) * 1_000_000))
            var wait = timeval()
            let next = ares_timeout(channel, &limit, &wait)?.pointee ?? limit
            let milliseconds = Int32(min(Double(Int32.max), Double(next.tv_sec) * 1000 + Double(next.tv_usec) / 1000).rounded(.up))
            let ready = poll(&polled, nfds_t(polled.count), max(0, milliseconds))
            if ready > 0 {
                for entry in polled where entry.revents != 0 {
                    let read = entry.revents & Int16(POLLIN | POLLERR | POLLHUP) != 0 ? entry.fd : ARES_SOCKET_BAD
                    let write = entry.revents & Int16(POLLOUT) != 0 ? entry.fd : ARES_SOCKET_BAD
                    ares_process_fd(channel, read, write)
                }
            } else {
                // Nothing to read: let c-ares run its timers (retry, or give up with ETIMEOUT).
                ares_process_fd(channel, ARES_SOCKET_BAD, ARES_SOCKET_BAD)
            }
        }
    }

    static func now() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }
}
