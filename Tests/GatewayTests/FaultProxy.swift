import Foundation
import TestSupport
import XCTest

/// `Scripts/chaos.d/faultproxy.py` in control mode, in front of one Dovecot port: the first
/// connections get `fault` (every connection while armed), `disarm()` lets the next ones through
/// clean. Skips the test when python3 is missing.
final class FaultProxy {
    let port: Int
    private let process = Process()
    private let input = Pipe()
    private let output = Pipe()

    init(target: Int, fault: String, everyConnection: Bool = true) throws {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Scripts/chaos.d/faultproxy.py").path
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/python3") else {
            throw XCTSkip("no /usr/bin/python3 for the fault proxy (apt-get install python3)")
        }
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = [script, "--control", "--listen", "0", "--target", "127.0.0.1:\(target)"]
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        let first = FaultProxy.readLine(output.fileHandleForReading)
        guard first.hasPrefix("listening "), let port = Int(first.dropFirst("listening ".count)) else {
            process.terminate()
            throw XCTSkip("the fault proxy did not start: \(first)")
        }
        self.port = port
        try ask((everyConnection ? "armall " : "arm ") + fault)
    }

    /// The next connections get no fault.
    func disarm() throws { try ask("disarm") }

    func stop() {
        try? input.fileHandleForWriting.write(contentsOf: Data("quit\n".utf8))
        process.waitUntilExit()
    }

    private func ask(_ line: String) throws {
        try input.fileHandleForWriting.write(contentsOf: Data((line + "\n").utf8))
        let answer = FaultProxy.readLine(output.fileHandleForReading)
        guard answer == "ok" else { throw TestSupportError("fault proxy: \(line): \(answer)") }
    }

    /// One line from the proxy (it answers every command with one); empty at end of file.
    private static func readLine(_ handle: FileHandle) -> String {
        var bytes: [UInt8] = []
        while let byte = try? handle.read(upToCount: 1), let b = byte.first, b != 0x0A { bytes.append(b) }
        return String(decoding: bytes, as: UTF8.self)
    }
}
