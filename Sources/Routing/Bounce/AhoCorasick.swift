/// A multi-pattern matcher (Aho and Corasick, "Efficient string matching", CACM 18(6), 1975):
/// finds every occurrence of every pattern in one pass over the bytes, whatever the number of
/// patterns, instead of one search per pattern. Bytes, not characters: patterns and text are
/// UTF-8, and ASCII letters match regardless of case (`A`–`Z` fold to `a`–`z`, nothing else
/// folds), so the text need not be lower-cased first.
///
/// Shape: states are the prefixes of the patterns (a trie); each state has a full transition
/// row (a DFA: failure links are resolved when it is built, so a scan does one table load per
/// byte), over byte classes (the bytes some pattern uses, one class for all others) to keep
/// the table small. `Value` is what a pattern stands for (a reason, a family, a command).
struct AhoCorasick<Value> {
    /// The patterns as given, with their values.
    let patterns: [(bytes: [UInt8], value: Value)]
    /// Byte → class; class 0 is every byte no pattern uses.
    private let classOf: [UInt8]
    /// log2 of a state's row length: the class count rounded up to a power of two, so that a row
    /// starts at `state << rowShift`. A scan is one chain of dependent loads, a byte's load waiting
    /// for the state the previous one gave: a shift (one cycle) in that chain instead of a multiply
    /// (three) makes every scan faster, and rows of 64 two-byte entries lie on cache lines.
    private let rowShift: Int
    /// `delta[state << rowShift + class]` → the next state, with `outputFlag` set when patterns end
    /// there: a scan looks at the outputs only where there are some (one dependent load per byte,
    /// not three). Two bytes an entry: the reason phrases' automaton (16,000 states, 57 classes
    /// in rows of 64) is 2.1 MB, not 4.2, and a scan's loads miss the cache half as often.
    private let delta: [UInt16]
    private static var outputFlag: Int { 0x8000 }
    /// Per state, the patterns that end there (its own and those of its failure chain), flat:
    /// state `s`'s are `outputs[outputStart[s]..<outputStart[s + 1]]` (no array per state to
    /// retain while scanning).
    private let outputStart: [Int32]
    private let outputs: [Int32]
    /// Each pattern's length in bytes.
    private let lengths: [Int]
    /// The longest pattern's length.
    private let longest: Int

    /// One occurrence: which pattern, and the byte offsets it spans in the scanned text.
    struct Match {
        let pattern: Int
        let start: Int
        let end: Int
    }

    init(_ patterns: [(String, Value)]) {
        self.patterns = patterns.map { (Array($0.0.utf8).map(Self.fold), $0.1) }
        var classOf = [UInt8](repeating: 0, count: 256)
        var next = 1
        for p in self.patterns { for b in p.bytes where classOf[Int(b)] == 0 { classOf[Int(b)] = UInt8(next); next += 1 } }
        // Upper-case letters share their lower-case letter's class: case folding costs nothing at scan time.
        for b in UInt8(ascii: "A")...UInt8(ascii: "Z") { classOf[Int(b)] = classOf[Int(b | 0x20)] }
        precondition(next <= 256, "more distinct pattern bytes than classes")
        let k = next
        // The trie, with -1 for a missing edge: at most one state per pattern byte, plus the root,
        // so the table is allocated once (16,000 states of the reason phrases: appending rows one
        // by one, and an array of outputs per state, made building it the largest start-up cost of
        // a fetch).
        let bound = self.patterns.reduce(1) { $0 + $1.bytes.count }
        var goto = [Int32](repeating: -1, count: bound * k)
        // The patterns ending at each state, as lists threaded through `nextOwn`: -1 ends a list.
        var ownHead = [Int32](repeating: -1, count: bound)
        var nextOwn = [Int32](repeating: -1, count: self.patterns.count)
        var states = 1
        var endState = [Int](repeating: 0, count: self.patterns.count)
        for (i, p) in self.patterns.enumerated() {
            var s = 0
            for b in p.bytes {
                let at = s * k + Int(classOf[Int(b)])
                if goto[at] < 0 {
                    goto[at] = Int32(states)
                    states += 1
                }
                s = Int(goto[at])
            }
            endState[i] = s
        }
        for i in endState.indices.reversed() {  // threaded backwards, so each list is in pattern order
            nextOwn[i] = ownHead[endState[i]]
            ownHead[endState[i]] = Int32(i)
        }
        // Breadth first: a state's failure is the longest proper suffix that is also a prefix;
        // its missing edges are its failure's edges, and its outputs its own and its failure's
        // (a failure is shallower, so it is done first). Outputs are gathered in that order into
        // `chained`, each state's as one run, then laid out by state number.
        var fail = [Int](repeating: 0, count: states)
        var runStart = [Int](repeating: 0, count: states)
        var runCount = [Int](repeating: 0, count: states)
        var chained: [Int32] = []
        var queue: [Int] = []
        queue.reserveCapacity(states)
        goto.withUnsafeMutableBufferPointer { g in
            for c in 0..<k {
                if g[c] < 0 { g[c] = 0 } else { queue.append(Int(g[c])) }
            }
            var o = ownHead[0]
            while o >= 0 { chained.append(o); runCount[0] += 1; o = nextOwn[Int(o)] }
            var head = 0
            while head < queue.count {
                let s = queue[head]; head += 1
                let f = fail[s]
                runStart[s] = chained.count
                var o = ownHead[s]
                while o >= 0 { chained.append(o); o = nextOwn[Int(o)] }
                for j in runStart[f]..<(runStart[f] + runCount[f]) { chained.append(chained[j]) }
                runCount[s] = chained.count - runStart[s]
                let row = s * k, failRow = f * k
                for c in 0..<k {
                    let t = g[row + c]
                    if t < 0 {
                        g[row + c] = g[failRow + c]
                    } else {
                        fail[Int(t)] = Int(g[failRow + c])
                        queue.append(Int(t))
                    }
                }
            }
        }
        self.classOf = classOf
        var shift = 0
        while 1 << shift < k { shift += 1 }
        self.rowShift = shift
        precondition(states <= Self.outputFlag, "more automaton states than two-byte transitions hold")
        var delta = [UInt16](repeating: 0, count: states << shift)
        delta.withUnsafeMutableBufferPointer { d in
            goto.withUnsafeBufferPointer { g in
                for s in 0..<states {
                    for c in 0..<k {
                        let t = Int(g[s * k + c])
                        d[s << shift + c] = UInt16(runCount[t] == 0 ? t : t | Self.outputFlag)
                    }
                }
            }
        }
        self.delta = delta
        var start: [Int32] = [0]
        var flat: [Int32] = []
        start.reserveCapacity(states + 1)
        for s in 0..<states {
            flat.append(contentsOf: chained[runStart[s]..<(runStart[s] + runCount[s])])
            start.append(Int32(flat.count))
        }
        self.outputStart = start
        self.outputs = flat
        self.lengths = self.patterns.map(\.bytes.count)
        self.longest = lengths.max() ?? 0
    }

    static func fold(_ b: UInt8) -> UInt8 { b >= 0x41 && b <= 0x5A ? b | 0x20 : b }

    /// Calls `body` for every occurrence in `text`, in order of where they end (for one end, the
    /// longer pattern first when both were given in that order). Overlapping occurrences all count.
    func forEachMatch(in text: UnsafeBufferPointer<UInt8>, _ body: (Match) -> Void) {
        forEachMatch(in: text, limit: nil, body)
    }

    /// `forEachMatch`, reading no byte at or after `limit()`, asked after each byte that ended
    /// occurrences.
    private func forEachMatch(in text: UnsafeBufferPointer<UInt8>, limit: ((Int) -> Int)?, _ body: (Match) -> Void) {
        let shift = rowShift
        delta.withUnsafeBufferPointer { d in
            classOf.withUnsafeBufferPointer { cls in
                outputStart.withUnsafeBufferPointer { os in
                    outputs.withUnsafeBufferPointer { out in
                      lengths.withUnsafeBufferPointer { len in
                        var s = 0
                        var stop = text.count
                        var i = 0
                        while i < stop {
                            defer { i += 1 }
                            let next = Int(d[s &<< shift &+ Int(cls[Int(text[i])])])
                            s = next & (Self.outputFlag - 1)
                            guard next >= Self.outputFlag else { continue }
                            var o = Int(os[s])
                            let end = Int(os[s + 1])
                            while o < end {
                                let p = Int(out[o])
                                body(Match(pattern: p, start: i + 1 - len[p], end: i + 1))
                                o += 1
                            }
                            if let limit { stop = min(stop, limit(i)) }
                        }
                      }
                    }
                }
            }
        }
    }

    /// The smallest start of any occurrence, nil for none. The scan stops as soon as no later
    /// occurrence can start earlier (one that ends at `i` starts at `i + 1 - longest` or after):
    /// where a bounce's quoted original begins, without reading the original through.
    func firstStart(in text: UnsafeBufferPointer<UInt8>) -> Int? {
        var best = Int.max
        // `limit` is asked only after an occurrence was found: `best` is a real offset then.
        forEachMatch(in: text, limit: { _ in best + longest - 1 }) { best = min(best, $0.start) }
        return best == Int.max ? nil : best
    }

    /// `forEachMatch` over the text as `TextScan.flattened` would write it (ASCII whitespace runs
    /// as one space, none leading or trailing), without writing it: offsets are the flattened text's.
    func forEachMatch(flattening text: UnsafeBufferPointer<UInt8>, _ body: (Match) -> Void) {
        let shift = rowShift
        delta.withUnsafeBufferPointer { d in
            classOf.withUnsafeBufferPointer { cls in
                var s = 0
                var at = 0  // bytes of the flattened text so far
                var space = false
                func step(_ b: UInt8) {
                    let next = Int(d[s &<< shift &+ Int(cls[Int(b)])])
                    s = next & (Self.outputFlag - 1)
                    at += 1
                    guard next >= Self.outputFlag else { return }
                    for o in Int(outputStart[s])..<Int(outputStart[s + 1]) {
                        let p = Int(outputs[o])
                        body(Match(pattern: p, start: at - lengths[p], end: at))
                    }
                }
                for c in text {
                    if c == 0x20 || (c >= 0x09 && c <= 0x0D) { space = true; continue }
                    if space, at > 0 { step(0x20) }
                    space = false
                    step(c)
                }
            }
        }
    }

    /// Every occurrence in `text` (see `forEachMatch`).
    func matches(in text: String) -> [Match] {
        var out: [Match] = []
        var t = text
        t.withUTF8 { forEachMatch(in: $0) { out.append($0) } }
        return out
    }

    /// Whether any pattern occurs in `text`.
    func containsAny(in text: String) -> Bool { firstMatch(in: text) != nil }

    /// The occurrence that ends first (on a tie, the first given pattern of those ending there).
    func firstMatch(in text: String) -> Match? {
        var t = text
        var first: Match?
        t.withUTF8 { buf in
            var s = 0
            let shift = rowShift
            for i in 0..<buf.count {
                let next = Int(delta[s &<< shift &+ Int(classOf[Int(buf[i])])])
                s = next & (Self.outputFlag - 1)
                guard next >= Self.outputFlag else { continue }
                let range = Int(outputStart[s])..<Int(outputStart[s + 1])
                guard let p = outputs[range].min().map(Int.init) else { continue }
                first = Match(pattern: p, start: i + 1 - lengths[p], end: i + 1)
                return
            }
        }
        return first
    }

    /// The smallest value among the patterns found in `text` (for tables valued by their row
    /// order: the first row that applies), considering only values `allowed` accepts.
    func firstListed(in text: String, where allowed: (Value) -> Bool = { _ in true }) -> Value? where Value == Int {
        var best: Int?
        var t = text
        t.withUTF8 { b in
            forEachMatch(in: b) { m in
                let v = patterns[m.pattern].value
                if best.map({ v < $0 }) ?? true, allowed(v) { best = v }
            }
        }
        return best
    }
}
