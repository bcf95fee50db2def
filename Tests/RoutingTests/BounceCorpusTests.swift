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
        let worst = confusion.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.prefix(12).map { "\($0.key): \($0.value)" }
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
        // Issue 14's floors on the corpus as a whole, unrounded: status 95, reason 95, hard/soft 97.
        func exact(_ n: Int) -> Double { Double(n) * 100 / Double(total) }
        XCTAssertGreaterThanOrEqual(exact(status), 95)
        XCTAssertGreaterThanOrEqual(exact(reason), 95)
        XCTAssertGreaterThanOrEqual(exact(hard), 97)
    }

    /// A corpus file's MTA family: `lhost-postfix-01.eml` → `postfix`, `rhost-franceptt-02.eml` → `franceptt`.
    static func family(_ file: String) -> String {
        var name = Substring(file)
        for prefix in ["lhost-", "rhost-"] where name.hasPrefix(prefix) { name = name.dropFirst(prefix.count) }
        if let dash = name.lastIndex(of: "-") { name = name[..<dash] }
        return String(name)
    }

    /// Agreement of one file set (status, reason, hard/soft matches and the recipients counted).
    struct Score {
        var total = 0, status = 0, reason = 0, hard = 0
        /// The three fields' agreement together, in percent.
        var combined: Double { total == 0 ? 0 : Double(status + reason + hard) * 100 / Double(3 * total) }
        func pct(_ n: Int) -> Double { total == 0 ? 0 : Double(n) * 100 / Double(total) }
        mutating func add(_ o: Score) { total += o.total; status += o.status; reason += o.reason; hard += o.hard }
    }

    static func score(_ expected: [Expected], in dir: URL, tables: BounceTables) throws -> Score {
        let debug = ProcessInfo.processInfo.environment["BOUNCE_LOFO_DEBUG"] != nil && !tables.excludedFamilies.isEmpty
        var s = Score()
        for e in expected {
            let bytes = try [UInt8](Data(contentsOf: dir.appendingPathComponent(e.file)))
            let got = BounceClassifier.classify(MIMEParser().parse(bytes), tables: tables)?.recipients ?? []
            for x in e.recipients {
                s.total += 1
                let g = x.index - 1 < got.count ? got[x.index - 1] : nil
                if (g?.status ?? "") == x.status { s.status += 1 }
                if g?.reason == x.reason { s.reason += 1 }
                if let g, (g.hard ?? false) == x.hardbounce { s.hard += 1 }
                if debug, (g?.status ?? "") != x.status || g?.reason != x.reason || (g?.hard ?? !x.hardbounce) != x.hardbounce {
                    print("LOFO \(e.file) #\(x.index) want \(x.status)|\(x.reason)|\(x.hardbounce) got \(g?.status ?? "-")|\(g?.reason ?? "-")|\(g?.hard.map(String.init) ?? "-") \(g?.replyCode ?? "") \(String((g?.diagnostic ?? "").prefix(220)))")
                }
            }
        }
        return s
    }

    /// The agreement of every family scored together, with and without its tables.
    static func pooled(_ with: Score, _ without: Score) -> String {
        "pooled over their \(with.total) recipients "
            + String(format: "%.1f%% → %.1f%%, drop %.2f", with.combined, without.combined, with.combined - without.combined)
    }

    /// The stricter leave-one-family-out: with a family's own rows and provider phrases, the
    /// generic table's phrases that only its mail contains are switched off too (a phrase found
    /// in one family's messages and no other's was written from them, wherever it is filed).
    /// Every family counts, those without rows of their own included. Prints each family that
    /// drops and the mean; `BOUNCE_LOFO_DEBUG=1` every recipient that differs.
    func testLeaveOneFamilyOutWithTheGenericPhrasesOnlyItsMailHas() throws {
        let dir = try SharedCorpus.require("corpus/bounces")
        let expected = try JSONDecoder().decode([Expected].self, from: Data(contentsOf: dir.appendingPathComponent("expected.json")))
        let byFamily = Dictionary(grouping: expected) { Self.family($0.file) }
        var familiesOfEntry: [Int: Set<String>] = [:]
        for e in expected {
            let text = String(decoding: try Data(contentsOf: dir.appendingPathComponent(e.file)), as: UTF8.self)
            for entry in ReasonPatterns.entriesPresent(in: text) { familiesOfEntry[entry, default: []].insert(Self.family(e.file)) }
        }
        var drops: [Double] = []
        var lines: [String] = []
        var pooledWith = Score(), pooledWithout = Score()
        for (family, files) in byFamily.sorted(by: { $0.key < $1.key }) {
            let own = Set(familiesOfEntry.filter { $0.value == [family] }.keys)
            let with = try Self.score(files, in: dir, tables: .all)
            let without = try Self.score(files, in: dir, tables: BounceTables(excludedFamilies: [family], excludedPhrases: own))
            let drop = with.combined - without.combined
            drops.append(drop)
            pooledWith.add(with)
            pooledWithout.add(without)
            if drop != 0 {
                func f(_ x: Double) -> String { String(format: "%5.1f", x) }
                lines.append("\(family.padding(toLength: 16, withPad: " ", startingAt: 0)) \(String(format: "%3d", with.total)) rcpt  "
                             + "\(String(format: "%2d", own.count)) phrases of its own  with \(f(with.combined))%  without \(f(without.combined))%  drop \(f(drop))")
            }
        }
        let mean = drops.reduce(0, +) / Double(drops.count)
        print("bounce corpus, leave one MTA family out with its own generic phrases:\n" + lines.joined(separator: "\n"))
        print("bounce corpus, leave one MTA family out with its own generic phrases: mean drop \(String(format: "%.2f", mean)) "
              + "points over all \(drops.count) families; " + Self.pooled(pooledWith, pooledWithout))
        XCTAssertLessThanOrEqual(mean, 4.8, "a ratchet at today's figure; issue 14's target is 2 points")
    }

    /// Generalisation (issue 14): each MTA family's messages scored with that family's own
    /// tables and provider phrases switched off, as if its mail had never been seen. Prints
    /// every family's agreement (status, reason and hard/soft together) with and without its
    /// tables, and the mean drop over the families that have tables of their own.
    /// `BOUNCE_LOFO_ALL=1` prints the families without tables too, `BOUNCE_LOFO_DEBUG=1` every
    /// recipient that differs. Issue 14 asks for a mean drop within 2 points, and that is the
    /// assertion. What still drops is family knowledge the labels encode and no code or generic
    /// wording carries: Mimecast's `MCSpamSignature` (`virusdetected`), Cox's `AUP#CDRBL`
    /// (`blocked`), and qmail's "wasn't able to establish an SMTP connection … in the queue too
    /// long", labelled `networkerror` there and `expired` for the same words elsewhere. The mean
    /// weighs every family alike (one recipient of Mimecast as much as Postfix's 35): the pooled
    /// drop is printed beside it.
    func testLeaveOneFamilyOut() throws {
        let dir = try SharedCorpus.require("corpus/bounces")
        let expectedURL = dir.appendingPathComponent("expected.json")
        let expected = try JSONDecoder().decode([Expected].self, from: Data(contentsOf: expectedURL))
        let byFamily = Dictionary(grouping: expected) { Self.family($0.file) }
        let showAll = ProcessInfo.processInfo.environment["BOUNCE_LOFO_ALL"] != nil
        var drops: [Double] = []
        var lines: [String] = []
        var pooledWith = Score(), pooledWithout = Score()
        for (family, files) in byFamily.sorted(by: { $0.key < $1.key }) {
            let with = try Self.score(files, in: dir, tables: .all)
            let without = try Self.score(files, in: dir, tables: BounceTables(excludedFamilies: [family]))
            let ownFormat: Bool = MTAFormats.all.contains { $0.belongs(to: [family]) }
            let ownProvider: Bool = MTAFormats.providers.contains { $0.family == family }
            let hasTables = ownFormat || ownProvider
            let drop = with.combined - without.combined
            if hasTables {
                drops.append(drop)
                pooledWith.add(with)
                pooledWithout.add(without)
            }
            guard hasTables || showAll else { continue }
            func f(_ x: Double) -> String { String(format: "%5.1f", x) }
            lines.append("\(family.padding(toLength: 16, withPad: " ", startingAt: 0)) \(String(format: "%3d", with.total)) rcpt  "
                         + "with \(f(with.combined))%  without \(f(without.combined))%  drop \(f(drop))  "
                         + "(status \(f(without.pct(without.status))), reason \(f(without.pct(without.reason))), hard \(f(without.pct(without.hard))) without)"
                         + (hasTables ? "" : "  [no tables of its own]"))
        }
        let mean = drops.isEmpty ? 0 : drops.reduce(0, +) / Double(drops.count)
        print("bounce corpus, leave one MTA family out:\n" + lines.joined(separator: "\n"))
        print("bounce corpus, leave one MTA family out: mean drop \(String(format: "%.2f", mean)) points over \(drops.count) families "
              + "with tables of their own; " + Self.pooled(pooledWith, pooledWithout))
        XCTAssertLessThanOrEqual(mean, 2, "issue 14's target")
    }
}
