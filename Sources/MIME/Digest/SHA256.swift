#if canImport(Glibc)
import Glibc
#endif

/// SHA-256 (FIPS 180-4): spool keys, attachment checksums, synthetic Message-IDs.
///
/// Attachment checksums are on the parser's hot path, so when the system's libcrypto (OpenSSL 3, which
/// uses the CPU's SHA extensions, ~1.5 GB/s) can be loaded its SHA256 functions do the work; otherwise a
/// plain-Swift implementation (~210 MB/s) does. Both give the same digests (tested).
public enum SHA256 {
    /// The 32-byte digest of `bytes`.
    public static func hash<C: Collection>(_ bytes: C) -> [UInt8] where C.Element == UInt8 {
        if let d = bytes.withContiguousStorageIfAvailable({ hash(UnsafeRawBufferPointer($0)) }) { return d }
        return Array(bytes).withUnsafeBytes { hash($0) }
    }

    public static func hash(_ bytes: UnsafeRawBufferPointer) -> [UInt8] {
        var h = Hasher256()
        h.update(bytes)
        return h.finish()
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

    /// True when libcrypto's SHA-256 is in use (false: the plain-Swift one).
    public static var isAccelerated: Bool { Native.functions != nil }

    /// libcrypto's SHA256_Init/Update/Final, looked up once with dlopen.
    enum Native {
        typealias Init = @convention(c) (UnsafeMutableRawPointer) -> Int32
        typealias Update = @convention(c) (UnsafeMutableRawPointer, UnsafeRawPointer?, Int) -> Int32
        typealias Final = @convention(c) (UnsafeMutablePointer<UInt8>, UnsafeMutableRawPointer) -> Int32
        /// sizeof(SHA256_CTX) is 112; room to spare.
        static let contextSize = 256

        static let functions: (Init, Update, Final)? = {
            #if canImport(Glibc)
            if let v = getenv("MAILGATE_SHA256"), String(cString: v) == "swift" { return nil }
            for name in ["libcrypto.so.3", "libcrypto.so"] {
                guard let h = dlopen(name, RTLD_NOW | RTLD_LOCAL) else { continue }
                guard let i = dlsym(h, "SHA256_Init"), let u = dlsym(h, "SHA256_Update"), let f = dlsym(h, "SHA256_Final") else {
                    dlclose(h); continue
                }
                return (unsafeBitCast(i, to: Init.self), unsafeBitCast(u, to: Update.self), unsafeBitCast(f, to: Final.self))
            }
            #endif
            return nil
        }()

        /// One libcrypto context; copied when a hasher value is copied and then updated.
        final class Context {
            let ctx = UnsafeMutableRawPointer.allocate(byteCount: Native.contextSize, alignment: 16)
            init() {}
            init(copying other: Context) { ctx.copyMemory(from: other.ctx, byteCount: Native.contextSize) }
            deinit { ctx.deallocate() }
        }
    }

    /// Incremental hashing for data that arrives in pieces.
    public struct Hasher256 {
        private var state: (UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32) =
            (0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19)
        private var buffer = [UInt8](repeating: 0, count: 64)
        private var buffered = 0
        private var length: UInt64 = 0
        private var native: Native.Context?

        public init() {
            if let f = Native.functions {
                let c = Native.Context()
                _ = f.0(c.ctx)
                native = c
            }
        }

        /// The plain-Swift implementation whatever libcrypto offers (tests compare the two).
        init(swiftOnly: Bool) {}

        public mutating func update(_ bytes: UnsafeRawBufferPointer) {
            if native != nil, let f = Native.functions {
                if !isKnownUniquelyReferenced(&native!) { native = Native.Context(copying: native!) }
                _ = f.1(native!.ctx, bytes.baseAddress, bytes.count)
                return
            }
            guard var p = bytes.baseAddress else { return }
            var n = bytes.count
            length &+= UInt64(n)
            if buffered > 0 {
                let take = min(64 - buffered, n)
                buffer.withUnsafeMutableBytes { b in
                    (b.baseAddress! + buffered).copyMemory(from: p, byteCount: take)
                }
                buffered += take; p += take; n -= take
                if buffered == 64 {
                    buffer.withUnsafeBytes { b in Self.compress(&state, b.baseAddress!, blocks: 1) }
                    buffered = 0
                }
            }
            if n >= 64 {
                Self.compress(&state, p, blocks: n / 64)
                p += n / 64 * 64; n %= 64
            }
            if n > 0 {
                buffer.withUnsafeMutableBytes { b in b.baseAddress!.copyMemory(from: p, byteCount: n) }
                buffered = n
            }
        }

        public mutating func update<C: Collection>(_ bytes: C) where C.Element == UInt8 {
            if bytes.withContiguousStorageIfAvailable({ update(UnsafeRawBufferPointer($0)) }) == nil {
                Array(bytes).withUnsafeBytes { update($0) }
            }
        }

        public mutating func finish() -> [UInt8] {
            if let c = native, let f = Native.functions {
                // Finishing must not disturb a copy of this hasher.
                let mine = Native.Context(copying: c)
                var out = [UInt8](repeating: 0, count: 32)
                out.withUnsafeMutableBufferPointer { _ = f.2($0.baseAddress!, mine.ctx) }
                return out
            }
            let bitLength = length &* 8
            var pad = [UInt8](repeating: 0, count: 72)
            pad[0] = 0x80
            let padLen = buffered < 56 ? 56 - buffered : 120 - buffered
            for i in 0..<8 { pad[padLen + i] = UInt8(truncatingIfNeeded: bitLength >> (56 - 8 * UInt64(i))) }
            let saved = length
            pad.withUnsafeBytes { update(UnsafeRawBufferPointer(rebasing: $0[0..<(padLen + 8)])) }
            length = saved
            var out = [UInt8]()
            out.reserveCapacity(32)
            for w in [state.0, state.1, state.2, state.3, state.4, state.5, state.6, state.7] {
                out.append(UInt8(w >> 24)); out.append(UInt8(truncatingIfNeeded: w >> 16))
                out.append(UInt8(truncatingIfNeeded: w >> 8)); out.append(UInt8(truncatingIfNeeded: w))
            }
            return out
        }

        private static let k: [UInt32] = [
            0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
            0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
            0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
            0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
            0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
            0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
            0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
            0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
        ]

        @inline(__always)
        private static func rotr(_ x: UInt32, _ n: UInt32) -> UInt32 { (x >> n) | (x << (32 - n)) }

        /// Processes `blocks` consecutive 64-byte blocks.
        private static func compress(_ s: inout (UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32),
                                     _ data: UnsafeRawPointer, blocks: Int) {
            k.withUnsafeBufferPointer { k in
                withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 64) { w in
                    var block = data
                    for _ in 0..<blocks {
                        for i in 0..<16 {
                            w[i] = UInt32(bigEndian: block.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self))
                        }
                        for i in 16..<64 {
                            let s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >> 3)
                            let s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >> 10)
                            w[i] = w[i - 16] &+ s0 &+ w[i - 7] &+ s1
                        }
                        var a = s.0, b = s.1, c = s.2, d = s.3, e = s.4, f = s.5, g = s.6, h = s.7
                        for i in 0..<64 {
                            let S1 = rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)
                            let ch = (e & f) ^ (~e & g)
                            let t1 = h &+ S1 &+ ch &+ k[i] &+ w[i]
                            let S0 = rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)
                            let maj = (a & b) ^ (a & c) ^ (b & c)
                            let t2 = S0 &+ maj
                            h = g; g = f; f = e; e = d &+ t1
                            d = c; c = b; b = a; a = t1 &+ t2
                        }
                        s.0 &+= a; s.1 &+= b; s.2 &+= c; s.3 &+= d
                        s.4 &+= e; s.5 &+= f; s.6 &+= g; s.7 &+= h
                        block += 64
                    }
                }
            }
        }
    }
}
