import Foundation

/// A problem with the configuration file, naming the file, the line (for syntax errors),
/// the section or alias and the key, e.g.
/// `mailgate.toml: alias "sales": key "after_fetch": "archive" is not one of seen, delete, move:FOLDER, keep`.
/// Never contains a secret. Exit code 78 (EX_CONFIG).
public struct ConfigError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The configuration file, as given.
    public var file: String
    /// The line of a TOML syntax error.
    public var line: Int?
    /// "store" or "defaults" for keys of those tables.
    public var section: String?
    /// The alias whose table holds the problem.
    public var alias: String?
    /// The key at fault.
    public var key: String?
    /// What is wrong, for a mail admin.
    public var message: String

    public init(file: String, line: Int? = nil, section: String? = nil, alias: String? = nil, key: String? = nil,
                message: String) {
        self.file = file
        self.line = line
        self.section = section
        self.alias = alias
        self.key = key
        self.message = message
    }

    public var exitCode: Int32 { 78 }

    public var description: String {
        var parts = [line.map { "\(file):\($0)" } ?? file]
        if let section { parts.append("[\(section)]") }
        if let alias { parts.append("alias \"\(alias)\"") }
        if let key { parts.append("key \"\(key)\"") }
        parts.append(message)
        return parts.joined(separator: ": ")
    }
}
