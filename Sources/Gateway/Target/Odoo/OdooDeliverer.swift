import Foundation
import MIME
import MailStore
import OdooRPC

/// Drains the Odoo outbox: for each server, up to `max_in_flight` worker threads (each with
/// its own keep-alive connection) claim rows from the store one at a time — the store
/// enforces the limit, one push per Message-Id and parent-before-reply across every process
/// sharing it — push them, and record the outcome.
///
/// Blocking: call from a plain thread, never the cooperative pool.
public final class OdooDeliverer: @unchecked Sendable {
    public let config: Config
    let store: Store
    let spool: Spool
    let normaliser: OdooNormaliser
    /// Told about pauses, protocol fallbacks and parked messages (never a secret).
    public var log: (@Sendable (String) -> Void)?

    /// The first retry waits about this long (seconds), doubling per attempt up to `backoffMax`.
    public var backoffBase: TimeInterval = 60
    public var backoffMax: TimeInterval = 3600

    public init(config: Config) throws {
        self.config = config
        store = try Store(path: config.storePath, busyTimeout: config.busyTimeout)
        spool = try Spool(directory: config.spoolPath, store: store)
        normaliser = OdooNormaliser(parser: MessageRouter(config: config).parser)
    }

    /// What one drain of one server did.
    public struct Report: Sendable {
        public var server: String
        public var delivered = 0
        public var notFiled = 0
        public var parked = 0
        public var retried = 0
        /// Rows still queued or in flight afterwards.
        public var remaining = 0
        /// ok | paused | unreachable
        public var state = "ok"
        public var fault: String?
        /// Parked because Odoo found no route (`deliver` exits 67 for these).
        public var noRouteRows: [Int64] = []

        public var humanLine: String {
            var line = "odoo \(server): delivered \(delivered), not filed \(notFiled), parked \(parked), retry later \(retried), "
                + "still queued \(remaining)"
            if state != "ok" { line += " — \(state)" + (fault.map { ": \($0)" } ?? "") }
            return line
        }
    }

    /// Pushes queued rows of each server (all when `servers` is nil) until none may go now or
    /// `deadline` passes. `resume`: push to a paused server too (`mailgate push`, a service
    /// start); otherwise a paused server is left alone. `ignoringBackoff`: rows waiting for
    /// their retry time go now (`mailgate push`).
    public func drain(servers names: [String]? = nil, until deadline: Date, resume: Bool, ignoringBackoff: Bool) -> [Report] {
        let chosen = config.odooServers.filter { names?.contains($0.name) ?? true }
        return chosen.map { server in
            var report = drain(server, until: deadline, resume: resume, ignoringBackoff: ignoringBackoff)
            report.remaining = (try? remaining(server.name)) ?? report.remaining
            return report
        }
    }

    private func drain(_ server: OdooServerConfig, until deadline: Date, resume: Bool, ignoringBackoff: Bool) -> Report {
        var report = Report(server: server.name)
        let previous = (try? store.odooServerStates())?[server.name]
        if let previous, previous.state == "paused", !resume {
            report.state = "paused"
            report.fault = previous.lastFault
            return report
        }
        guard (try? remaining(server.name)) ?? 1 > 0 else {
            if let previous, previous.state != "ok" { record(server, state: "ok", protocolName: nil, fault: nil) }
            return report
        }
        let key: String
        do { key = try server.resolveAPIKey() } catch {
            return pause(server, String(describing: error), into: &report)
        }
        var settings = server.server(apiKey: key)
        let first: OdooClient
        do {
            first = try OdooClient(server: settings)
            try first.detectProtocol()
        } catch let error as OdooRPCError {
            if case .configuration(let text) = error { return pause(server, text, into: &report) }
            report.state = "unreachable"
            report.fault = error.description
            record(server, state: "unreachable", protocolName: nil, fault: error.description)
            return report
        } catch {
            return pause(server, String(describing: error), into: &report)
        }
        let detected = first.protocolInUse ?? .xmlrpc
        if detected == .xmlrpc && (server.database == nil || server.user == nil) {
            return pause(server, "Odoo \(first.serverVersion ?? "before 19") needs XML-RPC, which needs "
                         + "\(server.database == nil ? "database" : "user") in [odoo.\(server.name)]", into: &report)
        }
        settings.protocolChoice = detected == .json2 ? .json2 : .xmlrpc
        record(server, state: "ok", protocolName: detected.rawValue, fault: nil, onlyProtocol: true)

        let run = DrainRun(server: server, deadline: deadline, ignoringBackoff: ignoringBackoff)
        let workers = max(1, server.maxInFlight)
        var threads: [Thread] = []
        let group = DispatchGroup()
        for index in 0..<workers {
            let client: OdooClient
            if index == 0 { client = first } else {
                guard let made = try? OdooClient(server: settings) else { continue }
                client = made
            }
            client.notice = { [weak self] text in self?.log?(text) }
            group.enter()
            let thread = Thread { [self] in
                self.work(run, client: client)
                group.leave()
            }
            thread.stackSize = 1 << 20
            threads.append(thread)
            thread.start()
        }
        group.wait()
        report.delivered = run.delivered
        report.notFiled = run.notFiled
        report.parked = run.parked
        report.retried = run.retried
        report.noRouteRows = run.noRouteRows
        let protocolName = run.protocolName ?? first.protocolInUse?.rawValue
        if let fault = run.pauseFault {
            return pause(server, fault, into: &report)
        } else if let fault = run.unreachable {
            report.state = "unreachable"
            report.fault = fault
            record(server, state: "unreachable", protocolName: protocolName, fault: fault)
        } else {
            record(server, state: "ok", protocolName: protocolName, fault: run.lastFault)
            report.fault = run.lastFault
        }
        return report
    }

    /// One worker: claim, push, record, until nothing may go or the run stops.
    private func work(_ run: DrainRun, client: OdooClient) {
        let owner = Store.makeLeaseOwner()
        let server = run.server
        // A row claimed longer ago than this by a live process is taken to be lost.
        let staleAfter = server.timeout * 2 + 60
        var next: OutboxRow?
        var finishing: (id: Int64, result: OutboxResult)?
        while true {
            let mayClaim = !run.shouldStop && Date() < run.deadline
            do {
                if let done = finishing {
                    // Record the last push and take the next row in one transaction.
                    let (state, row) = try store.finishAndClaimOutbox(
                        finishing: done.id, done.result, server: server.name, owner: owner,
                        maxInFlight: mayClaim ? server.maxInFlight : 0, staleAfter: staleAfter,
                        ignoringBackoff: run.ignoringBackoff, drainStart: run.started)
                    if case .release = done.result {} else { run.count(state) }
                    finishing = nil
                    next = row
                    run.ended()
                } else if mayClaim {
                    next = try store.claimOutbox(server: server.name, owner: owner, maxInFlight: server.maxInFlight,
                                                 staleAfter: staleAfter, ignoringBackoff: run.ignoringBackoff,
                                                 drainStart: run.started)
                } else {
                    return
                }
            } catch {
                log?("odoo \(server.name): \(error)")
                if finishing != nil { run.ended() }
                run.stop(unreachable: "the store: \(error)")
                return
            }
            guard let row = next else {
                // Nothing may go now; a push of ours still running may free a reply or a Message-Id.
                if mayClaim, run.waitForAnotherPush() { continue }
                return
            }
            next = nil
            run.began()
            let result = push(row, client: client, run: run)
            CrashPoint.reach(.pushed)
            finishing = (row.id, result)
        }
    }

    /// Pushes one claimed row and says how it ended.
    private func push(_ row: OutboxRow, client: OdooClient, run: DrainRun) -> OutboxResult {
        if row.maybeFiled {
            // The last answer was lost: Odoo may hold the record already.
            switch client.searchCount(messageID: row.messageID) {
            case .success(let n) where n > 0:
                return .delivered(recordID: nil)
            case .success: break
            case .failure(let outcome): return result(of: outcome, row: row, run: run)
            }
        }
        let raw: [UInt8]
        do { raw = try spool.read(sha256: row.rawSHA256) } catch {
            return .parked("the raw message is missing from the spool: \(error)", noRoute: false)
        }
        let bytes = normaliser.normalise(raw, addingMessageID: row.messageID)
        let alias = row.alias.flatMap { config.alias(named: $0) }
        let role = alias?.routing.role
        let isBounceOrCatchall = role == "bounce" || role == "catchall" || alias?.name == "bounce" || alias?.name == "catchall"
        let model = isBounceOrCatchall ? nil : alias?.routing.model
        // custom_values apply only with a model (Odoo ignores them otherwise).
        let values = model == nil ? nil : alias?.odoo?.customValues.sorted { $0.key < $1.key }.map { ($0.key, $0.value.odooValue) }
        let outcome = client.messageProcess(model: model, message: bytes, messageID: row.messageID,
                                            customValues: values?.isEmpty == false ? values : nil,
                                            saveOriginal: alias?.odoo?.saveOriginal, stripAttachments: alias?.odoo?.stripAttachments)
        if let used = client.protocolInUse { run.noteProtocol(used.rawValue) }
        return result(of: outcome, row: row, run: run)
    }

    private func result(of outcome: PushOutcome, row: OutboxRow, run: DrainRun) -> OutboxResult {
        let result: OutboxResult
        switch outcome {
        case .delivered(let id): result = .delivered(recordID: id.map(Int64.init))
        case .notFiled(let text): result = .notFiled(text)
        case .parked(let text, let noRoute):
            result = .parked(text, noRoute: noRoute)
            log?("odoo \(run.server.name): message \(row.messageID) parked: \(text)")
            if noRoute { run.noRoute(row.id) }
        case .configuration(let text), .useXMLRPC(let text):
            run.stop(pause: text)
            return .release
        case let .transient(text, maybeFiled, answered):
            let attempt = Double(max(1, row.attempts))
            let delay = min(backoffMax, backoffBase * pow(2, attempt - 1)) * Double.random(in: 0.5...1.0)
            result = .retry(text, answer: answered ? text : nil, maybeFiled: maybeFiled, delay: delay, retryFor: run.server.retryFor)
            if !answered && !maybeFiled { run.stop(unreachable: text) } else { run.noteFault(text) }
        }
        return result
    }

    private func pause(_ server: OdooServerConfig, _ fault: String, into report: inout Report) -> Report {
        report.state = "paused"
        report.fault = fault
        log?("odoo \(server.name): delivery paused: \(fault) (fix the config, then `mailgate push` or restart `mailgate run`)")
        record(server, state: "paused", protocolName: nil, fault: fault)
        return report
    }

    private func record(_ server: OdooServerConfig, state: String, protocolName: String?, fault: String?, onlyProtocol: Bool = false) {
        var current = (try? store.odooServerStates())?[server.name]
            ?? OdooServerState(name: server.name, protocolName: nil, state: "ok", lastFault: nil)
        current.protocolName = protocolName ?? current.protocolName
        if !onlyProtocol {
            current.state = state
            current.lastFault = fault
        }
        try? store.setOdooServerState(current)
    }

    private func remaining(_ server: String) throws -> Int {
        let counts = try store.outboxCounts()[server]
        return (counts?.queued ?? 0) + (counts?.inFlight ?? 0)
    }
}
