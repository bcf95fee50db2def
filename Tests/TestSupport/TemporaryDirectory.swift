import Foundation

/// A fresh directory under $TMPDIR (or /tmp), removed with everything in it on `remove()` or
/// when the object goes away.
public final class TemporaryDirectory: @unchecked Sendable {
    public let path: String
    public var url: URL { URL(fileURLWithPath: path, isDirectory: true) }

    public init(prefix: String = "mailgate-test") throws {
        let base = ProcessInfo.processInfo.environment["TMPDIR"] ?? "/tmp"
        var template = Array("\(base)/\(prefix).XXXXXX".utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw TestSupportError("cannot create a temporary directory under \(base)")
        }
        path = String(cString: made)
    }

    /// DIR/name
    public func file(_ name: String) -> String { "\(path)/\(name)" }

    public func remove() { try? FileManager.default.removeItem(atPath: path) }

    deinit { remove() }
}
