import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `Scripts/odoo-test-server` on a loopback port it picks itself, for one test. Its control
/// endpoints (`/_test/…`) switch the version, aliases and failure injection while it runs;
/// `state()` is what it received, read by Python's `email` as Odoo would.
public final class OdooTestServer: @unchecked Sendable {
    public let port: Int
    /// The port of the control endpoints (open while the Odoo port is refused).
    public let controlPort: Int
    public var url: String { "http://127.0.0.1:\(port)" }
    private let process: Process

    /// The script, found from this source file's place in the package.
    public static var scriptPath: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Scripts/odoo-test-server").path
    }

    /// Starts the server as Odoo `version` (17, 18 or 19) and waits until it listens (it prints its port).
    public init(version: Int = 19) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", Self.scriptPath, "--port", "0", "--version", String(version)]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        var line: [UInt8] = []
        let handle = output.fileHandleForReading
        while true {
            let byte = handle.readData(ofLength: 1)
            guard let b = byte.first else { break }
            if b == 10 { break }
            line.append(b)
        }
        let ports = String(decoding: line, as: UTF8.self).split(separator: " ").compactMap { Int($0) }
        guard ports.count == 2 else {
            process.terminate()
            throw TestSupportError("odoo-test-server did not start (is python3 installed?)")
        }
        port = ports[0]
        controlPort = ports[1]
        self.process = process
    }

    deinit { stop() }

    /// Stops it (SIGTERM, then waits).
    public func stop() {
        guard process.isRunning else { return }
        process.terminate()
        process.waitUntilExit()
    }

    /// `POST /_test/config`: version, database, keys, aliases, catchall, bounce, json2_model_path.
    public func configure(_ settings: [String: Any]) throws { try control("config", settings) }

    /// `POST /_test/fail`: mode refuse (the port closed) | drop | status | slow | lose | no_route | fault3 |
    /// user_error | race.
    public func fail(_ mode: String, count: Int? = nil, status: Int? = nil, seconds: Double? = nil) throws {
        var body: [String: Any] = ["mode": mode]
        if let count { body["count"] = count }
        if let status { body["status"] = status }
        if let seconds { body["seconds"] = seconds }
        try control("fail", body)
    }

    public func clearFailure() throws { try control("clear", [:]) }

    /// What it holds: `records` (id, model, custom_values, message_ids in arrival order),
    /// `messages` (Python's reading: subject, from, to, text, attachments…), and counters
    /// (`pushes`, `overlapping`, `auth_failures`, `searches`, `json2`, `xmlrpc`).
    public func state() throws -> [String: Any] {
        let data = try request("GET", "/_test/state", body: nil)
        guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw TestSupportError("odoo-test-server: unreadable state")
        }
        return object
    }

    public func records() throws -> [[String: Any]] { try state()["records"] as? [[String: Any]] ?? [] }
    public func messages() throws -> [[String: Any]] { try state()["messages"] as? [[String: Any]] ?? [] }
    public func counter(_ name: String) throws -> Int { (try state()[name] as? NSNumber)?.intValue ?? -1 }

    private func control(_ what: String, _ body: [String: Any]) throws {
        _ = try request("POST", "/_test/\(what)", body: try JSONSerialization.data(withJSONObject: body))
    }

    private func request(_ method: String, _ path: String, body: Data?) throws -> Data {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(controlPort)" + path)!)
        request.httpMethod = method
        request.httpBody = body
        request.timeoutInterval = 30
        let done = DispatchSemaphore(value: 0)
        let box = ResultBox()
        URLSession.shared.dataTask(with: request) { data, response, error in
            box.data = data
            box.error = error
            box.status = (response as? HTTPURLResponse)?.statusCode ?? 0
            done.signal()
        }.resume()
        done.wait()
        if let error = box.error { throw TestSupportError("odoo-test-server \(path): \(error)") }
        guard box.status == 200, let data = box.data else { throw TestSupportError("odoo-test-server \(path): HTTP \(box.status)") }
        return data
    }
}

private final class ResultBox: @unchecked Sendable {
    var data: Data?
    var error: Error?
    var status = 0
}
