import Foundation
import XCTest
@testable import MIME

/// Every shared bounce (sisimai's set) that has a message/delivery-status part yields a DSN with
/// recipients and statuses; statuses agree with sisimai's expected.json per recipient index, except the
/// listed cases where sisimai corrects the MTA's Status from the diagnostic text
/// (Tests/Fixtures/mime/bounce-status-differences.json).
final class BounceCorpusTests: XCTestCase {
    func testDeliveryStatusReports() throws {
        let dir = try Paths.corpus("bounces")
        let files = Paths.files(in: dir, suffix: ".eml")
        XCTAssertGreaterThan(files.count, 280, "bounce corpus not found at \(dir.path)")
        let expected = try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("expected.json"))) as? [[String: Any]] ?? []
        var byFile: [String: [Int: String]] = [:]
        for e in expected {
            guard let f = e["file"] as? String else { continue }
            for r in e["recipients"] as? [[String: Any]] ?? [] {
                if let i = r["index"] as? Int, let s = r["status"] as? String, !s.isEmpty { byFile[f, default: [:]][i] = s }
            }
        }
        let diffData = try Data(contentsOf: Paths.fixtures.appendingPathComponent("bounce-status-differences.json"))
        let differences = try JSONSerialization.jsonObject(with: diffData) as? [String: String] ?? [:]
        var withReport = 0, recipients = 0, compared = 0, agreed = 0, listed = 0
        var used: Set<String> = []
        for f in files {
            let name = f.lastPathComponent
            let m = MIMEParser().parse([UInt8](try Data(contentsOf: f)))
            var hasPart = false
            // The message's own parts: a delivery-status part inside the returned message (a bounce of a
            // forwarded bounce, lhost-sendmail-38) is not this report's.
            m.root?.walkOwnParts { p in
                let t = p.contentType.mimeType
                if t == "message/delivery-status" || t == "message/global-delivery-status" { hasPart = true }
            }
            // The JSON is an object or null, never a list.
            let obj = try JSONSerialization.jsonObject(with: Data(m.jsonLine().utf8)) as? [String: Any]
            XCTAssertTrue(obj?["dsn"] is NSNull || obj?["dsn"] is [String: Any], name)
            guard hasPart else { XCTAssertNil(m.dsn, name); continue }
            withReport += 1
            let dsn = try XCTUnwrap(m.dsn, name)
            XCTAssertEqual(dsn.recipients.count, m.deliveryStatus?.count, name)
            recipients += dsn.recipients.count
            for r in dsn.recipients where r.finalRecipient == nil && r.status == nil && r.originalRecipient == nil && r.action == nil {
                XCTFail("\(name): empty recipient")
            }
            for (i, want) in byFile[name] ?? [:] where i <= dsn.recipients.count {
                compared += 1
                let got = dsn.recipients[i - 1].status ?? ""
                // The Status field may carry a comment ("5.1.1 (bad address)"): its code is what counts.
                let code = got.split(separator: " ").first.map(String.init) ?? ""
                if code == want { agreed += 1; continue }
                let key = "\(name)#\(i)"
                if let reason = differences[key] {
                    XCTAssertFalse(reason.isEmpty); listed += 1; used.insert(key)
                } else {
                    XCTFail("\(key): Status \(got), sisimai \(want)")
                }
            }
        }
        for k in differences.keys where !used.contains(k) { XCTFail("listed difference \(k) no longer differs") }
        XCTAssertGreaterThan(withReport, 100)
        print("bounces: \(files.count) messages, \(withReport) with a delivery-status part, \(recipients) recipients; "
              + "status agrees with sisimai for \(agreed) of \(compared) compared (\(listed) listed differences)")
    }
}
