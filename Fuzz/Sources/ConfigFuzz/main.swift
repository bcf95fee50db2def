import FuzzSupport
import Gateway

// libFuzzer harness for the config loader: any text gives a Config or a ConfigError (exit 78)
// whose message names the file, never a trap. No environment, so no secret is looked up.

let callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32 = { data, size in
    let text = String(decoding: fuzzBytes(data, size), as: UTF8.self)
    do {
        let config = try Config.parse(text, file: "/fuzz/mailgate.toml", environment: [:])
        for alias in config.aliases { _ = alias.mailboxDescription }
    } catch let error as ConfigError {
        precondition(error.exitCode == 78, "a config error that is not a configuration error")
        precondition(error.description.contains("/fuzz/mailgate.toml"), "a config error that does not name the file")
    } catch {
        preconditionFailure("Config.parse threw something other than a ConfigError: \(error)")
    }
    return 0
}

runFuzzer(callback)
