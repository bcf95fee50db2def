extension Message {
    /// The addresses of every field of that name (Delivered-To, Resent-To, …), in order,
    /// decoded like To and Cc. Defects of these extra fields are not collected.
    public func addresses(inFields name: String, fallbackCharset: String = "gb18030") -> [Address] {
        var ignored: [String] = []
        return headers(named: name).flatMap {
            AddressParser.parse($0.value, fallback: RawCharset(name: fallbackCharset), defects: &ignored, field: name)
        }
    }
}
