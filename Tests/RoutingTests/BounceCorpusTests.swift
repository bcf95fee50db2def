import Foundation
import MIME
import TestSupport
@testable import Routing
import XCTest

/// The shared corpus of real bounces (../shared/corpus/bounces, beside the repository):
/// agreement per field with expected.json over the whole set, printed, with floors that
/// rise as the classifier improves. `BOUNCE_DISAGREEMENTS=path` writes every disagreement.
final class BounceCorpusTests: XCTestCase {
    struct Expected: Decodable {
        struct Recipient: Decodable {
            let index: Int
            let status: String
            let replycode: String
            let reason: String
            let hardbounce: Bool
        }
        let file: String
        let recipients: [Recipient]
    }

    func testAgreementOverTheCorpus() throws {
        let dir = try SharedCorpus.require("corpus/bounces")
        let expectedURL = dir.appendingPathComponent("expected.json")
        let expected = try JSONDecoder().decode([Expected].self, from: Data(contentsOf: expectedURL))
        var total = 0, status = 0, reply = 0, reason = 0, hard = 0
        var lines: [String] = []
        var confusion: [String: Int] = [:]
        for e in expected {
            let bytes = try [UInt8](Data(contentsOf: dir.appendingPathComponent(e.file)))
            let got = BounceClassifier.classify(MIMEParser().parse(bytes))?.recipients ?? []
            for x in e.recipients {
                total += 1
                let g = x.index - 1 < got.count ? got[x.index - 1] : nil
                let okStatus = (g?.status ?? "") == x.status
                let okReply = (g?.replyCode ?? "") == x.replycode
                let okReason = g?.reason == x.reason
                let okHard = (g?.hard ?? false) == x.hardbounce && g != nil
                if okStatus { status += 1 }
                if okReply { reply += 1 }
                if okReason { reason += 1 } else { confusion["\(x.reason) ← \(g?.reason ?? "missing")", default: 0] += 1 }
                if okHard { hard += 1 }
                if !(okStatus && okReply && okReason && okHard) {
                    lines.append([e.file, "\(x.index)", "want \(x.status)|\(x.replycode)|\(x.reason)|\(x.hardbounce)",
                                  "got \(g?.status ?? "-")|\(g?.replyCode ?? "-")|\(g?.reason ?? "-")|\(g?.hard.map(String.init) ?? "-")",
                                  g?.address ?? "", String((g?.diagnostic ?? "").prefix(300))].joined(separator: "\t"))
                }
            }
        }
        func pct(_ n: Int) -> Double { (Double(n) * 1000 / Double(total)).rounded() / 10 }
        print("bounce corpus: \(total) recipients; status \(status) (\(pct(status))%), replycode \(reply) (\(pct(reply))%), "
              + "reason \(reason) (\(pct(reason))%), hard/soft \(hard) (\(pct(hard))%)")
        let worst = confusion.sorted { $0.value > $1.value }.prefix(12).map { "\($0.key): \($0.value)" }
        print("bounce corpus, commonest reason disagreements (expected ← got): \(worst.joined(separator: ", "))")
        if let path = ProcessInfo.processInfo.environment["BOUNCE_DISAGREEMENTS"] {
            try lines.joined(separator: "\n").write(toFile: path, atomically: true, encoding: .utf8)
        }
        if let names = ProcessInfo.processInfo.environment["BOUNCE_DEBUG"] {
            for name in names.split(separator: ",") {
                let m = MIMEParser().parse(try [UInt8](Data(contentsOf: dir.appendingPathComponent(String(name)))))
                print("DEBUG \(name): dsn=\(String(describing: m.deliveryStatus)) structure=\(m.root?.structure ?? [])")
                print("DEBUG \(name): report=\(String(describing: BounceClassifier.classify(m)))")
            }
        }
        // Floors: the issue's (status 90, reason 85, hard/soft 95), raised to what the classifier reaches.
        XCTAssertGreaterThanOrEqual(pct(status), 94)
        XCTAssertGreaterThanOrEqual(pct(reason), 94)
        XCTAssertGreaterThanOrEqual(pct(hard), 96)
    }
}
