import Foundation

/// What a run of the `mailgate` executable produced.
public struct MailgateRun: Sendable {
    public let exitCode: Int32
    public let stdout: String
    public let stderr: String
}

public enum Mailgate {
    /// The built `mailgate` next to the test bundle (`.build/<triple>/debug/mailgate`), or
    /// `$MAILGATE_BINARY`.
    public static func executablePath() throws -> String {
        let fm = FileManager.default
        if let override = ProcessInfo.processInfo.environment["MAILGATE_BINARY"], fm.isExecutableFile(atPath: override) {
            return override
        }
        var candidates: [URL] = []
        for bundle in [Bundle.main] + Bundle.allBundles {
            candidates.append(bundle.bundleURL)
            if let exe = bundle.executableURL { candidates.append(exe) }
        }
        candidates.append(URL(fileURLWithPath: CommandLine.arguments.first ?? "."))
        for c in candidates {
            var dir = c.standardizedFileURL
            for _ in 0..<4 {
                dir = dir.deletingLastPathComponent()
                let exe = dir.appendingPathComponent("mailgate").path
                var isDir: ObjCBool = false
                if fm.fileExists(atPath: exe, isDirectory: &isDir), !isDir.boolValue, fm.isExecutableFile(atPath: exe) {
                    return exe
                }
            }
        }
        throw TestSupportError("cannot find the mailgate executable beside the tests (build it with `swift build`, or set MAILGATE_BINARY)")
    }
}

/// Runs the built `mailgate` with `args`; `env` entries are added to (and override) this
/// process's environment; `stdin` is fed to it. Blocks until it exits.
public func runMailgate(args: [String], env: [String: String] = [:], stdin: [UInt8]? = nil,
                        currentDirectory: String? = nil) throws -> MailgateRun {
    let exe = try Mailgate.executablePath()
    let tmp = try TemporaryDirectory(prefix: "mailgate-run")
    let outPath = tmp.file("stdout"), errPath = tmp.file("stderr"), inPath = tmp.file("stdin")
    _ = FileManager.default.createFile(atPath: outPath, contents: nil)
    _ = FileManager.default.createFile(atPath: errPath, contents: nil)
    _ = FileManager.default.createFile(atPath: inPath, contents: Data(stdin ?? []))

    let process = Process()
    process.executableURL = URL(fileURLWithPath: exe)
    process.arguments = args
    var environment = ProcessInfo.processInfo.environment
    for (k, v) in env { environment[k] = v }
    process.environment = environment
    if let currentDirectory { process.currentDirectoryURL = URL(fileURLWithPath: currentDirectory) }
    let out = try FileHandle(forWritingTo: URL(fileURLWithPath: outPath))
    let err = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
    let input = try FileHandle(forReadingFrom: URL(fileURLWithPath: inPath))
    defer { try? out.close(); try? err.close(); try? input.close() }
    process.standardOutput = out
    process.standardError = err
    process.standardInput = input
    try process.run()
    process.waitUntilExit()
    let stdoutText = (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? ""
    let stderrText = (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? ""
    return MailgateRun(exitCode: process.terminationStatus, stdout: stdoutText, stderr: stderrText)
}

/// A loopback TCP port nobody listens on right now (bound, then released).
public func unusedLoopbackPort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw TestSupportError("socket() failed") }
    defer { close(fd) }
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_port = 0
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    let bound = withUnsafePointer(to: &addr) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard bound == 0 else { throw TestSupportError("bind() failed") }
    var len = socklen_t(MemoryLayout<sockaddr_in>.size)
    let named = withUnsafeMutablePointer(to: &addr) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
    }
    guard named == 0 else { throw TestSupportError("getsockname() failed") }
    return Int(UInt16(bigEndian: addr.sin_port))
}
