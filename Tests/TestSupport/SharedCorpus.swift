import Foundation
import XCTest

/// The shared material beside the repository (`<repo>/../shared`: the corpus of real mail
/// and the cases). A user's clone has none of it, so a test that needs it skips and names
/// the missing folder; under CI (`CI=true`) a missing folder fails instead, so CI always
/// checks the corpus.
public enum SharedCorpus {
    /// `<repo>/../shared`.
    public static let root: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent() // TestSupport
        .deletingLastPathComponent() // Tests
        .deletingLastPathComponent() // repo
        .deletingLastPathComponent()
        .appendingPathComponent("shared")

    /// `root/relative` (e.g. "corpus/bounces"); throws XCTSkip when it is missing, or an error under CI.
    public static func require(_ relative: String) throws -> URL {
        let url = root.appendingPathComponent(relative)
        if FileManager.default.fileExists(atPath: url.path) { return url }
        let what = "the shared corpus folder \(url.standardizedFileURL.path) is missing (it sits beside the repository, as ../shared)"
        if ProcessInfo.processInfo.environment["CI"] == "true" {
            throw TestSupportError("\(what); CI must check it")
        }
        throw XCTSkip("\(what): skipped")
    }
}
