import CCrypto

/// SHA-256 (FIPS 180-4): spool keys, attachment checksums, synthetic Message-IDs.
///
/// Every message is hashed at least once (its spool key) and attachments on the parser's hot
/// path, so the system's libcrypto (OpenSSL 3 through EVP, using the CPU's SHA extensions)
/// does the work, linked directly through the `CCrypto` target.
public enum SHA256 {
    /// The 32-byte digest of `bytes`.
    public static func hash<C: Collection>(_ bytes: C) -> [UInt8] where C.Element == UInt8 {
        if let d = bytes.withContiguousStorageIfAvailable({ hash(UnsafeRawBufferPointer($0)) }) { return d }
        return Array(bytes).withUnsafeBytes { hash($0) }
    }

    public static func hash(_ bytes: UnsafeRawBufferPointer) -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: 32)
        let ok = digest.withUnsafeMutableBufferPointer { out in
            mg_sha256(bytes.baseAddress?.assumingMemoryBound(to: UInt8.self), bytes.count, out.baseAddress)
        }
        precondition(ok == 1, "libcrypto's SHA-256 failed")
        return digest
    }

    /// Lower-case hex of the digest.
    public static func hex<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 {
        hexString(hash(bytes))
    }

    public static func hex(_ bytes: UnsafeRawBufferPointer) -> String {
        hexString(hash(bytes))
    }

    public static func hexString(_ digest: [UInt8]) -> String {
        let digits: [UInt8] = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(digest.count * 2)
        for b in digest { out.append(digits[Int(b >> 4)]); out.append(digits[Int(b & 15)]) }
        return String(decoding: out, as: UTF8.self)
    }

    /// Incremental hashing, for bodies decoded and messages streamed in pieces. A value type:
    /// a copy hashes on independently (copy-on-write of the libcrypto context).
    public struct Hasher256 {
        private var context: Context

        public init() { context = Context() }

        public mutating func update(_ bytes: UnsafeRawBufferPointer) {
            if !isKnownUniquelyReferenced(&context) { context = Context(copying: context) }
            precondition(mg_sha256_update(context.pointer, bytes.baseAddress, bytes.count) == 1, "libcrypto's SHA-256 failed")
        }

        public mutating func update<C: Collection>(_ bytes: C) where C.Element == UInt8 {
            if bytes.withContiguousStorageIfAvailable({ update(UnsafeRawBufferPointer($0)) }) == nil {
                Array(bytes).withUnsafeBytes { update($0) }
            }
        }

        /// The digest of everything given so far; the hasher is spent afterwards.
        public mutating func finish() -> [UInt8] {
            if !isKnownUniquelyReferenced(&context) { context = Context(copying: context) }
            var digest = [UInt8](repeating: 0, count: 32)
            let ok = digest.withUnsafeMutableBufferPointer { mg_sha256_final(context.pointer, $0.baseAddress) }
            precondition(ok == 1, "libcrypto's SHA-256 failed")
            return digest
        }
    }

    /// An `EVP_MD_CTX` owned by Swift.
    final class Context {
        let pointer: UnsafeMutableRawPointer

        init() {
            guard let p = mg_sha256_new() else { fatalError("out of memory for a SHA-256 context") }
            pointer = p
        }

        init(copying other: Context) {
            guard let p = mg_sha256_new(), mg_sha256_copy(p, other.pointer) == 1 else {
                fatalError("out of memory for a SHA-256 context")
            }
            pointer = p
        }

        deinit { mg_sha256_free(pointer) }
    }
}
