import FuzzSupport
import MailSource

// libFuzzer harness for the POP3 reader: the input is what a server says after login
// (CAPA, UIDL, LIST, pipelined RETR with dot-stuffing, DELE, QUIT). Any error is fine; a
// trap, a hang, or a message handed over twice or for a number nobody asked for is not.

let endpoint = Endpoint(scheme: .pop3, host: "127.0.0.1", port: 110, user: "fuzz")

let callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32 = { data, size in
    let stream = ScriptedServerStream(fuzzBytes(data, size))
    guard let session = try? POP3Session(stream: stream, endpoint: endpoint, greeting: "+OK fuzz") else { return 0 }
    defer { session.close() }
    do {
        let listing = try session.listing()
        let numbers = Array(listing.map(\.number).prefix(50))
        var got: [Int] = []
        try session.retrieve(numbers) { number, _ in got.append(number) }
        precondition(Set(got).count == got.count, "a message was handed over twice")
        precondition(Set(got).isSubset(of: Set(numbers)), "a message nobody asked for was handed over")
        try session.delete(got)
        try session.quit()
    } catch {}
    return 0
}

runFuzzer(callback)
