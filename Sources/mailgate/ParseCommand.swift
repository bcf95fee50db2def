import ArgumentParser
import Foundation
import Gateway

/// `mailgate parse FILE... [--json]`: parse messages and show what Mailgate reads in them.
/// Exit 0 when every file was read (defects or not), 66 (EX_NOINPUT) when a file could not be opened;
/// the other files are still processed.
struct ParseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "parse",
        abstract: "Parse messages and print their headers, addresses, dates and defects.",
        discussion: "FILE may be - for standard input. With --json, one JSON object per file (JSON Lines)."
    )

    @Argument(help: "Message files (RFC 5322); - reads standard input.")
    var files: [String]

    @Flag(name: .long, help: "Print JSON Lines, one object per file.")
    var json = false

    @Option(name: .customLong("fallback-charset"), help: "Charset for undeclared 8-bit text that is not UTF-8.")
    var fallbackCharset = "gb18030"

    func run() throws {
        var failed = false
        for file in files {
            guard let bytes = ParseCommand.read(file) else {
                FileHandle.standardError.write(Data("mailgate parse: cannot open \(file)\n".utf8))
                failed = true
                continue
            }
            let inspection = MessageInspection(bytes, fallbackCharset: fallbackCharset)
            var out = json ? inspection.jsonLine + "\n" : inspection.summary(file: file)
            if files.count > 1 && !json { out += "\n" }
            FileHandle.standardOutput.write(Data(out.utf8))
        }
        if failed { throw ExitCode(66) }
    }

    static func read(_ path: String) -> [UInt8]? {
        if path == "-" {
            return [UInt8](FileHandle.standardInput.readDataToEndOfFile())
        }
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        var isDir: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDir), isDir.boolValue { return nil }
        return [UInt8](data)
    }
}
