import Foundation
import TestSupport
import XCTest
@testable import MIME

/// Where the test data lives: the repository's `Tests/Fixtures/mime/` and the shared corpus that
/// sits beside the repository (`<repo>/../shared/corpus`).
enum Paths {
    static let repoRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent() // MIMETests
        .deletingLastPathComponent() // Tests
        .deletingLastPathComponent() // repo
    static let fixtures = repoRoot.appendingPathComponent("Tests/Fixtures/mime")

    /// `../shared/corpus/<relative>`; skips the test when a user's clone has no shared corpus.
    static func corpus(_ relative: String) throws -> URL {
        try SharedCorpus.require("corpus/" + relative)
    }

    static func files(in dir: URL, suffix: String) -> [URL] {
        guard let e = FileManager.default.enumerator(at: dir, includingPropertiesForKeys: nil) else { return [] }
        return e.compactMap { $0 as? URL }.filter { $0.lastPathComponent.hasSuffix(suffix) }
            .sorted { $0.path < $1.path }
    }
}

func parse(_ text: String, _ options: ParserOptions = ParserOptions()) -> Message {
    MIMEParser(options: options).parse(Array(text.utf8))
}

func parse(bytes: [UInt8], _ options: ParserOptions = ParserOptions()) -> Message {
    MIMEParser(options: options).parse(bytes)
}
