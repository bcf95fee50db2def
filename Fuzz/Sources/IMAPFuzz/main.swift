import FuzzSupport
import Glibc
import MailSource

// libFuzzer harness for the IMAP response side: the input is what a server says.
// 1. The codec alone: IMAPFramer (small limits) → IMAPResponseParser on every frame.
// 2. A whole poll conversation over a scripted stream (`$T` = the pending tag, see
//    ScriptedServerStream): CAPABILITY/ID, SELECT, UID SEARCH, sizes, pipelined bodies,
//    STORE, LOGOUT. Any error is fine; a trap, a hang or a body over its limit is not.

let maxSize = 4096
let streamed = getenv("MAILGATE_FUZZ_STREAMED").map { String(cString: $0) == "1" } ?? false

let callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32 = { data, size in
    let bytes = fuzzBytes(data, size)

    let framer = IMAPFramer(maxLiteralSize: maxSize, maxLineLength: 2048)
    if (try? framer.feed(bytes)) != nil {
        while let frame = framer.next() { _ = try? IMAPResponseParser.parse(frame) }
    }

    var options = IMAPSessionOptions()
    options.maxLiteralSize = maxSize
    options.readChunkSize = 4096
    let stream = ScriptedServerStream(bytes)
    guard let session = try? IMAPSession(stream: stream, options: options) else { return 0 }
    defer { try? session.logout() }
    do {
        let selected = try session.select("INBOX")
        _ = selected.uidNext
        let uids = Array(try session.searchUIDs(from: 1).prefix(50))
        let sizes = try session.fetchSizes(uids)
        var got: [UInt32] = []
        try session.fetchBodies(uids, maxSize: maxSize, sizes: sizes.mapValues(\.size)) { uid, raw in
            precondition(raw.count <= maxSize, "a body over maxSize was handed over")
            got.append(uid)
        }
        precondition(Set(got).count == got.count, "a UID was handed over twice")
        precondition(Set(got).isSubset(of: Set(uids)), "a UID nobody asked for was handed over")
        // The streamed path traps today when the input ends inside its literal ("closure argument
        // was escaped in withoutActuallyEscaping block", IMAPSession.fetchBody; issue 11, found by
        // this harness: crash-88457711…). Off by default so the rest keeps being fuzzed; turn it on
        // with MAILGATE_FUZZ_STREAMED=1 once fetchBody fails cleanly.
        if streamed, let first = uids.first {
            _ = try session.fetchBody(first, maxSize: maxSize) { chunk in precondition(chunk.count <= maxSize) }
        }
        try session.markSeen(got)
    } catch {}
    return 0
}

runFuzzer(callback)
