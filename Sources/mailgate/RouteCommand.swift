import ArgumentParser
import Foundation
import Gateway

/// `mailgate route FILE`: where would this message go? A dry run against the current store.
struct RouteCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "route",
        abstract: "Show where a message would be routed (a dry run: nothing is recorded).",
        discussion: """
            Applies Odoo's routing order — duplicate, loop headers, bounce, reply, catchall, alias, \
            fallback — against the records in the store (an empty history when the store does not \
            exist yet; none is created). --explain says for each step why it did or did not decide.
            """)

    @Argument(help: ArgumentHelp("The message file (- reads standard input).", valueName: "file"))
    var file: String

    @Option(name: .long, help: ArgumentHelp("Treat the message as fetched from (or delivered to) this alias.", valueName: "name"))
    var alias: String?

    @OptionGroup var configOption: ConfigOption

    @Flag(name: .long, help: "Print one JSON object.")
    var json = false

    @Flag(name: .long, help: "Explain every routing step in plain words.")
    var explain = false

    func run() throws {
        let config = try configOption.load(checkingSecrets: false)
        if let alias { _ = try selectAliases(config, names: [alias], requireURL: false) }
        let raw = try readMessage(file)
        let result = try exitingOnFailure { try LocalTarget.dryRun(config: config, raw: raw, arrivedVia: alias) }
        if json { print(result.json.serialized()) }
        if explain { print(result.explanation) }
        if !json && !explain { print("\(result.kind): \(result.reason)") }
    }
}

/// The bytes of a message file, or of standard input for `-`; a missing file is exit 66.
func readMessage(_ path: String) throws -> [UInt8] {
    if path == "-" { return Array(FileHandle.standardInput.readDataToEndOfFile()) }
    guard let data = FileManager.default.contents(atPath: path) else {
        printError("mailgate: cannot read \(path): \(FileManager.default.fileExists(atPath: path) ? "permission denied" : "no such file")")
        throw ExitCode(66)
    }
    return Array(data)
}
