/// Hands out command tags "A0001", "A0002", … for one connection.
public struct IMAPTagGenerator: Sendable {
    private var next: UInt32
    private let prefix: String

    public init(prefix: String = "A", start: UInt32 = 1) {
        self.prefix = prefix
        self.next = start
    }

    public mutating func nextTag() -> String {
        let number = next
        next = next == UInt32.max ? 1 : next + 1
        let digits = String(number)
        return prefix + String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }
}
