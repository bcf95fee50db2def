/// A set of UIDs (or sequence numbers) as IMAP writes them: "101:250,300".
/// Always sorted, without duplicates, with adjacent numbers merged into ranges.
public struct IMAPSequenceSet: Equatable, Sendable, CustomStringConvertible {
    public private(set) var ranges: [ClosedRange<UInt32>]

    public init<S: Sequence>(_ numbers: S) where S.Element == UInt32 {
        self.init(ranges: numbers.map { $0...$0 })
    }

    public init(ranges: [ClosedRange<UInt32>]) {
        var merged: [ClosedRange<UInt32>] = []
        for range in ranges.sorted(by: { $0.lowerBound < $1.lowerBound }) {
            if let last = merged.last, UInt64(range.lowerBound) <= UInt64(last.upperBound) + 1 {
                merged[merged.count - 1] = last.lowerBound...max(last.upperBound, range.upperBound)
            } else {
                merged.append(range)
            }
        }
        self.ranges = merged
    }

    public var isEmpty: Bool { ranges.isEmpty }

    /// How many numbers the set holds.
    public var count: UInt64 {
        ranges.reduce(0) { $0 + UInt64($1.upperBound - $1.lowerBound) + 1 }
    }

    public func contains(_ number: UInt32) -> Bool {
        ranges.contains { $0.contains(number) }
    }

    /// The numbers in ascending order; nil when there are more than `limit` (a server could
    /// claim "1:4294967295").
    public func expanded(limit: Int) -> [UInt32]? {
        guard count <= UInt64(limit) else { return nil }
        var out: [UInt32] = []
        out.reserveCapacity(Int(count))
        for range in ranges { out.append(contentsOf: range) }
        return out
    }

    /// "101:250,300"; the empty set renders as "" (never send it).
    public var description: String {
        ranges.map(Self.render).joined(separator: ",")
    }

    private static func render(_ range: ClosedRange<UInt32>) -> String {
        range.lowerBound == range.upperBound ? String(range.lowerBound) : "\(range.lowerBound):\(range.upperBound)"
    }

    /// Splits the set into pieces whose rendering is at most `maxLength` characters and which
    /// hold at most `maxCount` numbers each, so each fits in one command of bounded length.
    public func split(maxLength: Int = 1000, maxCount: UInt64 = .max) -> [IMAPSequenceSet] {
        precondition(maxLength >= 21 && maxCount >= 1, "a piece must fit at least one range")
        var pieces: [IMAPSequenceSet] = []
        var current: [ClosedRange<UInt32>] = []
        var length = 0
        var numbers: UInt64 = 0
        func close() {
            if !current.isEmpty { pieces.append(IMAPSequenceSet(ranges: current)) }
            current = []; length = 0; numbers = 0
        }
        for range in ranges {
            var lower = range.lowerBound
            while true {
                let room = maxCount - numbers
                let available = UInt64(range.upperBound - lower) + 1
                let take = min(room, available)
                let upper = lower + UInt32(take - 1)
                let part = lower...upper
                let partLength = Self.render(part).count + (current.isEmpty ? 0 : 1)
                if length + partLength > maxLength {
                    close()
                    continue
                }
                current.append(part)
                length += partLength
                numbers += take
                if numbers == maxCount { close() }
                if upper == range.upperBound { break }
                lower = upper + 1
            }
        }
        close()
        return pieces
    }

    /// Parses "1:5,7" (as in ESEARCH ALL or COPYUID). "*" is not accepted: servers never send it.
    public init?(parsing text: String) {
        var ranges: [ClosedRange<UInt32>] = []
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            let bounds = part.split(separator: ":", omittingEmptySubsequences: false)
            guard bounds.count == 1 || bounds.count == 2,
                  let a = UInt32(bounds[0]), let b = UInt32(bounds[bounds.count - 1]) else { return nil }
            ranges.append(min(a, b)...max(a, b))
        }
        self.init(ranges: ranges)
    }
}
