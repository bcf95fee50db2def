import Foundation

extension ConfigLoader {
    /// At most one of `keys` (`PREFIX`, `PREFIX_env`, `PREFIX_file`, `PREFIX_command`): a
    /// mailbox password, an OAuth2 client secret or key file, an Odoo API key. The variable
    /// must be set and the file readable now (when secrets are checked); the command runs when
    /// the secret is needed. Two of them name the second key.
    func secretSource(_ reader: Reader, keys: [String], prefix: String) throws(ConfigError) -> SecretSource? {
        let present = keys.filter { reader.table.contains(key: $0) }
        guard let key = present.first else { return nil }
        if present.count > 1 { throw reader.error(present[1], "give only one of \(present.joined(separator: ", "))") }
        switch String(key.dropFirst(prefix.count)) {
        case "":
            return .literal(try reader.string(key, nonEmpty: true)!)
        case "_env":
            let name = try reader.string(key, nonEmpty: true)!
            guard !checkingSecrets || !(environment[name] ?? "").isEmpty else {
                throw reader.error(key, "the environment variable \(name) is not set or empty")
            }
            return .environment(name)
        case "_file":
            let path = try reader.path(key)!
            guard !checkingSecrets || access(path, R_OK) == 0 else {
                throw reader.error(key, "cannot read \(path): \(String(cString: strerror(errno)))")
            }
            return .file(path)
        default:
            return .command(try reader.string(key, nonEmpty: true)!)
        }
    }
}
