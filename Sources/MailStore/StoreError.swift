import Foundation
import GRDB

/// A failure of the store or the spool, worded for a mail admin.
///
/// `exitCode` is a sysexits code: 75 (EX_TEMPFAIL) when trying again later may help
/// (database busy or locked, I/O error, disk full), 78 (EX_CONFIG) when the file cannot be
/// opened or is not a Mailgate database, 70 (EX_SOFTWARE) for anything else.
public struct StoreError: Error, CustomStringConvertible, Sendable {
    public enum Kind: Sendable, Equatable {
        /// Another process holds the database (busy timeout expired) or a table is locked.
        case busy
        /// Reading or writing the file failed (I/O error, disk full, permission on a write).
        case io
        /// The file or its directory cannot be opened or created.
        case cannotOpen
        /// The file exists but is not an SQLite database, or is corrupt.
        case notADatabase
        /// A caller passed something the store cannot keep (e.g. a malformed SHA-256 key).
        case invalidArgument
        /// An unexpected SQLite error (a bug).
        case internalError
    }

    public let kind: Kind
    /// The database file or spool path concerned.
    public let path: String
    /// What Mailgate was doing, e.g. "recording 12 messages".
    public let action: String
    /// The underlying reason (SQLite's or the system's message).
    public let message: String

    public init(kind: Kind, path: String, action: String, message: String) {
        self.kind = kind
        self.path = path
        self.action = action
        self.message = message
    }

    public var exitCode: Int32 {
        switch kind {
        case .busy, .io: return 75
        case .cannotOpen, .notADatabase: return 78
        case .invalidArgument, .internalError: return 70
        }
    }

    public var description: String {
        let hint: String
        switch kind {
        case .busy: hint = " (another mailgate process holds the database; it will be tried again)"
        case .notADatabase: hint = " (not a Mailgate SQLite database, or corrupt)"
        case .cannotOpen: hint = " (check `path` and `spool` under [store] in the config)"
        default: hint = ""
        }
        return "\(path): \(action): \(message)\(hint)"
    }

    /// Maps any error thrown by GRDB or the file system into a `StoreError`.
    static func wrap(_ error: Error, path: String, action: String) -> StoreError {
        if let error = error as? StoreError { return error }
        if let error = error as? DatabaseError {
            let kind: Kind
            switch error.resultCode {
            case .SQLITE_BUSY, .SQLITE_LOCKED: kind = .busy
            case .SQLITE_IOERR, .SQLITE_FULL, .SQLITE_PROTOCOL, .SQLITE_READONLY: kind = .io
            case .SQLITE_CANTOPEN, .SQLITE_PERM, .SQLITE_AUTH: kind = .cannotOpen
            case .SQLITE_NOTADB, .SQLITE_CORRUPT: kind = .notADatabase
            default: kind = .internalError
            }
            return StoreError(kind: kind, path: path, action: action,
                              message: error.message ?? "SQLite error \(error.resultCode.rawValue)")
        }
        return StoreError(kind: .io, path: path, action: action, message: "\(error)")
    }

    /// An error from a failed system call, with `strerror(errno)`.
    static func posix(_ code: Int32, path: String, action: String) -> StoreError {
        let kind: Kind
        switch code {
        case ENOENT, EACCES, EPERM, ENOTDIR, EISDIR, ELOOP, ENAMETOOLONG: kind = .cannotOpen
        default: kind = .io
        }
        return StoreError(kind: kind, path: path, action: action, message: String(cString: strerror(code)))
    }
}
