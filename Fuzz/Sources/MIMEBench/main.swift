import Foundation
import MIME

// MIMEBench [--min-seconds S] [--one] FILE|DIR...
// Reads every message into memory, then parses them all (repeating the whole set until at least
// S seconds have passed, default 2) and prints one line of JSON: messages, bytes, seconds (of the best
// round), messages_per_s, mb_per_s (best round), mean_messages_per_s, max_rss_kb, plus a checksum of what was read so nothing is optimised away.
// --one: parse each file once (memory measurement: max RSS after parsing a single big message).

var minSeconds = 2.0
var once = false
var paths: [String] = []
var args = CommandLine.arguments.dropFirst()
while let a = args.first {
    args = args.dropFirst()
    switch a {
    case "--min-seconds": minSeconds = Double(args.first ?? "2") ?? 2; args = args.dropFirst()
    case "--one": once = true
    default: paths.append(a)
    }
}

func files(_ p: String) -> [String] {
    var isDir: ObjCBool = false
    guard FileManager.default.fileExists(atPath: p, isDirectory: &isDir) else { return [] }
    if !isDir.boolValue { return [p] }
    let e = FileManager.default.enumerator(atPath: p)
    var out: [String] = []
    while let f = e?.nextObject() as? String {
        let full = p + "/" + f
        var d: ObjCBool = false
        if FileManager.default.fileExists(atPath: full, isDirectory: &d), !d.boolValue,
           f.hasSuffix(".eml") || f.hasSuffix(".txt") || f.hasSuffix(".msg") { out.append(full) }
    }
    return out.sorted()
}

/// Reads a file straight into [UInt8] (no Data in between: one copy of a big message in memory).
func read(_ path: String) -> [UInt8] {
    let fd = open(path, O_RDONLY)
    guard fd >= 0 else { return [] }
    defer { close(fd) }
    var st = stat()
    fstat(fd, &st)
    let size = Int(st.st_size)
    return [UInt8](unsafeUninitializedCapacity: size) { buf, count in
        var got = 0
        while got < size {
            let n = Glibc.read(fd, buf.baseAddress! + got, size - got)
            if n <= 0 { break }
            got += n
        }
        count = got
    }
}

func maxRSSKB() -> Int {
    var u = rusage()
    getrusage(RUSAGE_SELF.rawValue, &u)
    return u.ru_maxrss
}

func now() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

let parser = MIMEParser()
let list = paths.flatMap(files)
var checksum = 0

if once {
    // One message at a time, never more than one in memory.
    let rssBefore = maxRSSKB()
    var bytes = 0
    let t0 = now()
    for f in list {
        let raw = read(f)
        bytes += raw.count
        let m = parser.parse(raw)
        checksum &+= m.attachments.reduce(0) { $0 &+ $1.size } &+ (m.text?.utf8.count ?? 0) &+ m.defects.count
    }
    let dt = now() - t0
    print("{\"messages\":\(list.count),\"bytes\":\(bytes),\"seconds\":\(dt),\"rss_before_kb\":\(rssBefore),\"max_rss_kb\":\(maxRSSKB()),\"checksum\":\(checksum)}")
    exit(0)
}

let messages = list.map(read)
let total = messages.reduce(0) { $0 + $1.count }
// Whole rounds over the set until minSeconds have passed; the best round is reported (the machine is
// shared: the fastest round is the least disturbed one), the mean too. python_bench.py does the same.
var rounds = 0
var best = Double.infinity
let t0 = now()
var dt = 0.0
repeat {
    let r0 = now()
    for raw in messages {
        let m = parser.parse(raw)
        checksum &+= m.attachments.count &+ (m.text?.utf8.count ?? 0) &+ (m.html?.utf8.count ?? 0) &+ (m.subject?.utf8.count ?? 0)
    }
    best = min(best, now() - r0)
    rounds += 1
    dt = now() - t0
} while dt < minSeconds
let n = messages.count
print("{\"messages\":\(n),\"rounds\":\(rounds),\"bytes\":\(total),\"seconds\":\(best),\"messages_per_s\":\(Double(n) / best),\"mb_per_s\":\(Double(total) / best / 1e6),\"mean_messages_per_s\":\(Double(n * rounds) / dt),\"max_rss_kb\":\(maxRSSKB()),\"checksum\":\(checksum)}")
