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
