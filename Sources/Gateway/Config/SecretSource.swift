import Foundation

/// Where an alias's password comes from. Printing it never shows a literal password.
public enum SecretSource: Equatable, Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// `password = "…"` (the file should then be mode 0600).
    case literal(String)
    /// `password_env = "NAME"`: the environment variable NAME.
    case environment(String)
    /// `password_file = "path"`: the file's content (absolute path), trailing newline stripped.
    case file(String)
    /// `password_command = "…"`: the standard output of the command, run at every connect.
    case command(String)
    /// `oauth = "NAME"`: an OAuth2 access token of `[oauth.NAME]`, kept in the store (the
    /// Gateway's `MailboxLogin` hands it out; `resolve` refuses).
    case oauth(String)

    /// The configuration key this source came from.
    public var key: String {
        switch self {
        case .literal: return "password"
        case .environment: return "password_env"
        case .file: return "password_file"
        case .command: return "password_command"
        case .oauth: return "oauth"
        }
    }

    public var description: String {
        switch self {
        case .literal: return "password (literal, hidden)"
        case .environment(let name): return "password_env \(name)"
        case .file(let path): return "password_file \(path)"
        case .command: return "password_command (hidden)"
        case .oauth(let name): return "oauth \(name)"
        }
    }

    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: ["source": description]) }

    /// How long `password_command` may run.
    static let commandTimeout: TimeInterval = 60

    func resolve(file: String, alias: String, directory: String, environment: [String: String]) throws(ConfigError) -> String {
        func failure(_ message: String) -> ConfigError {
            ConfigError(file: file, alias: alias, key: key, message: message)
        }
        switch self {
        case .literal(let value):
            return value
        case .environment(let name):
            guard let value = environment[name], !value.isEmpty else {
                throw failure("the environment variable \(name) is not set or empty")
            }
            return value
        case .file(let path):
            guard let data = FileManager.default.contents(atPath: path) else {
                throw failure("cannot read \(path)")
            }
            let value = Self.strippingTrailingNewlines(String(decoding: data, as: UTF8.self))
            guard !value.isEmpty else { throw failure("\(path) is empty") }
            return value
        case .command(let command):
            return try Self.run(command, directory: directory, failure: failure)
        case .oauth(let name):
            throw failure("logs in with an OAuth2 token of [oauth.\(name)] from the store, not a password")
        }
    }

    static func strippingTrailingNewlines(_ text: String) -> String {
        var scalars = Substring(text).unicodeScalars
        while let last = scalars.last, last == "\n" || last == "\r" { scalars.removeLast() }
        return String(scalars)
    }

    private static func run(_ command: String, directory: String,
                            failure: (String) -> ConfigError) throws(ConfigError) -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", command]
        process.currentDirectoryURL = URL(fileURLWithPath: directory, isDirectory: true)
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        do { try process.run() } catch { throw failure("cannot run /bin/sh: \(error.localizedDescription)") }
        let timeout = DispatchWorkItem { [process] in if process.isRunning { process.terminate() } }
        DispatchQueue.global().asyncAfter(deadline: .now() + commandTimeout, execute: timeout)
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        timeout.cancel()
        guard process.terminationReason == .exit else {
            throw failure("the command was killed by signal \(process.terminationStatus) (it may have run longer than \(Int(commandTimeout))s)")
        }
        guard process.terminationStatus == 0 else {
            throw failure("the command exited with status \(process.terminationStatus)")
        }
        let value = strippingTrailingNewlines(String(decoding: data, as: UTF8.self))
        guard !value.isEmpty else { throw failure("the command printed nothing") }
        return value
    }
}
