import Foundation
import ArgumentParser
import Gateway

/// The `--config PATH` option every store-backed command shares.
struct ConfigOption: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "The config file (default: $MAILGATE_CONFIG, ./mailgate.toml, /etc/mailgate/mailgate.toml).",
        valueName: "path"))
    var config: String?

    /// Loads the config, printing its warnings; a broken config exits 78 naming the key.
    /// Commands that never log in pass `checkingSecrets: false`.
    func load(checkingSecrets: Bool = true) throws -> Config {
        let path = config ?? Config.defaultPath()
        if config == nil, (ProcessInfo.processInfo.environment["MAILGATE_CONFIG"] ?? "").isEmpty,
           !FileManager.default.fileExists(atPath: path) {
            // Only the last place looked at would otherwise be named.
            printError("mailgate: no configuration file: give --config PATH, or set $MAILGATE_CONFIG, "
                       + "or create ./mailgate.toml or /etc/mailgate/mailgate.toml (the README's \"Configure\" has an example)")
            throw ExitCode(78)
        }
        do {
            let loaded = try Config.load(path: path, checkingSecrets: checkingSecrets)
            for warning in loaded.warnings { printError("warning: \(warning)") }
            return loaded
        } catch {
            printError("mailgate: \(error)")
            throw ExitCode(78)
        }
    }
}

/// `--alias NAME…`, `--config PATH` and `--json`: what the mailbox commands (fetch, check) share.
struct AliasSelection: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("An alias (repeatable; default: every alias with a url).", valueName: "name"))
    var alias: [String] = []

    @OptionGroup var configOption: ConfigOption

    @Flag(name: .long, help: "Print one JSON object per alias (JSON Lines).")
    var json = false
}
