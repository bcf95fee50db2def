import Foundation

/// Where raw messages are kept, and how they are read back: small ones in the database
/// beside their rows (`Store.record(_:raw:)`, one WAL commit), large ones streamed into
/// content-addressed files `DIR/ab/cdef…` for the SHA-256 hex `abcdef…` (computed by the
/// caller: SHA-256 lives in MIME), 0600 in 0700 directories. A streamed file is durable when
/// `SpoolWriter.finish` returns (the file and its directory entry are fsynced): only the
/// batch's own files are synced, never the whole file system. Spools written by earlier
/// versions (every message a file) are read in place. Safe to use from several threads.
public final class Spool: @unchecked Sendable {
    public let directory: URL
    /// The database that keeps the small messages.
    public let store: Store

    /// Opens the spool, creating the directory (mode 0700) when missing, and removes
    /// temporary files a crash left more than a day ago.
    public init(directory: String, store: Store) throws(StoreError) {
        self.directory = URL(fileURLWithPath: directory, isDirectory: true).standardizedFileURL
        self.store = store
        try FileModes.createPrivateDirectory(self.directory.path, action: "creating the spool")
        try FileModes.createPrivateDirectory(temporaryDirectory, action: "creating the spool")
        removeStaleTemporaries()
    }

    /// The path where the message with this SHA-256 hex is kept as a file (whether or not it exists).
    public func url(sha256: String) throws(StoreError) -> URL {
        try Self.validate(sha256, path: directory.path)
        let prefix = sha256.prefix(2)
        return directory.appendingPathComponent(String(prefix), isDirectory: true)
            .appendingPathComponent(String(sha256.dropFirst(2)), isDirectory: false)
    }

    /// Whether the message is kept (in the database or as a file).
    public func contains(sha256: String) throws(StoreError) -> Bool {
        if access(try url(sha256: sha256).path, F_OK) == 0 { return true }
        return try store.hasRawMessage(sha256: sha256)
    }

    /// Starts writing a large message in chunks; `finish(sha256:)` makes it durable in place.
    public func beginWrite() throws(StoreError) -> SpoolWriter {
        try SpoolWriter(spool: self)
    }

    /// The bytes of a message, from the database or its file.
    public func read(sha256: String) throws(StoreError) -> [UInt8] {
        let path = try url(sha256: sha256).path
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0, errno == ENOENT, let kept = try store.rawMessage(sha256: sha256) { return kept }
        guard fd >= 0 else { throw StoreError.posix(errno, path: path, action: "reading a raw message") }
        defer { close(fd) }
        var result: [UInt8] = []
        if let size = Self.fileSize(path) { result.reserveCapacity(size) }
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw StoreError.posix(errno, path: path, action: "reading a raw message")
            }
            if n == 0 { break }
            result.append(contentsOf: chunk[0..<n])
        }
        return result
    }

    /// Removes a message's file (no error when there is none); `Store.removeRaw` removes
    /// the database's copy.
    public func remove(sha256: String) throws(StoreError) {
        let path = try url(sha256: sha256).path
        if unlink(path) != 0, errno != ENOENT {
            throw StoreError.posix(errno, path: path, action: "removing a raw message")
        }
    }

    /// Removes temporary files left by a crash mid-write that are older than `age`.
    public func removeStaleTemporaries(olderThan age: TimeInterval = 86_400, now: Date = Date()) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: temporaryDirectory) else { return }
        for name in names {
            let path = temporaryDirectory + "/" + name
            var st = stat()
            if stat(path, &st) == 0, Double(st.st_mtim.tv_sec) < now.timeIntervalSince1970 - age { unlink(path) }
        }
    }

    // MARK: Internals shared with SpoolWriter

    var temporaryDirectory: String { directory.path + "/tmp" }

    /// Moves a finished, synced temporary file to its content address and syncs the
    /// directory entries that name it (the new `ab/` directory's own entry too).
    func install(temporary: String, sha256: String) throws(StoreError) -> URL {
        let target = try url(sha256: sha256)
        let parent = target.deletingLastPathComponent().path
        var created = false
        if access(parent, F_OK) != 0 {
            try FileModes.createPrivateDirectory(parent, action: "writing a raw message")
            created = true
        }
        if rename(temporary, target.path) != 0 {
            let code = errno
            unlink(temporary)
            throw StoreError.posix(code, path: target.path, action: "writing a raw message")
        }
        try Self.syncDirectory(parent)
        if created { try Self.syncDirectory(directory.path) }
        return target
    }

    static func syncDirectory(_ path: String) throws(StoreError) {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw StoreError.posix(errno, path: path, action: "syncing the spool") }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw StoreError.posix(errno, path: path, action: "syncing the spool") }
    }

    static func validate(_ sha256: String, path: String) throws(StoreError) {
        guard sha256.utf8.count == 64, sha256.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }) else {
            throw StoreError(kind: .invalidArgument, path: path, action: "addressing a raw message",
                             message: "\"\(sha256.prefix(80))\" is not a lowercase SHA-256 hex digest")
        }
    }

    static func fileSize(_ path: String) -> Int? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        return Int(st.st_size)
    }
}

/// A message being written to the spool in chunks (for large messages). Not thread-safe.
public final class SpoolWriter {
    private let spool: Spool
    private let temporary: String
    private var fd: Int32
    /// Bytes appended so far.
    public private(set) var byteCount: Int = 0

    init(spool: Spool) throws(StoreError) {
        self.spool = spool
        var template = Array((spool.temporaryDirectory + "/msg.XXXXXX").utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { throw StoreError.posix(errno, path: spool.temporaryDirectory, action: "writing a raw message") }
        self.fd = fd
        self.temporary = String(cString: template)
        fchmod(fd, 0o600)
    }

    deinit { abort() }

    /// Appends a chunk.
    public func append(_ bytes: [UInt8]) throws(StoreError) {
        do { try bytes.withUnsafeBytes { buffer in try append(buffer) } } catch {
            throw error as! StoreError  // the closure throws only StoreError
        }
    }

    /// Appends a chunk from raw memory.
    public func append(_ bytes: UnsafeRawBufferPointer) throws(StoreError) {
        guard fd >= 0 else {
            throw StoreError(kind: .internalError, path: temporary, action: "writing a raw message", message: "writer already finished")
        }
        var offset = 0
        while offset < bytes.count {
            let n = Glibc.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if n < 0 {
                if errno == EINTR { continue }
                throw StoreError.posix(errno, path: temporary, action: "writing a raw message")
            }
            offset += n
        }
        byteCount += bytes.count
    }

    /// Syncs and closes the file and moves it to the address of its SHA-256 (replacing a
    /// partial leftover); durable when this returns.
    @discardableResult
    public func finish(sha256: String) throws(StoreError) -> URL {
        try Spool.validate(sha256, path: spool.directory.path)
        guard fd >= 0 else {
            throw StoreError(kind: .internalError, path: temporary, action: "writing a raw message", message: "writer already finished")
        }
        let synced = fsync(fd) == 0 ? 0 : errno
        let result = close(fd)
        if synced != 0 {
            fd = -1
            unlink(temporary)
            throw StoreError.posix(synced, path: temporary, action: "syncing a raw message")
        }
        fd = -1
        if result != 0 {
            let code = errno
            unlink(temporary)
            throw StoreError.posix(code, path: temporary, action: "writing a raw message")
        }
        return try spool.install(temporary: temporary, sha256: sha256)
    }

    /// Discards the partial file (no-op after `finish`).
    public func abort() {
        guard fd >= 0 else { return }
        close(fd)
        fd = -1
        unlink(temporary)
    }
}
