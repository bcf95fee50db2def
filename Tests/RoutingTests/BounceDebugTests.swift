import Foundation
@testable import Routing
import XCTest

final class BounceDebugTests: XCTestCase {
    func testWhichPatterns() {
        guard let t = ProcessInfo.processInfo.environment["BOUNCE_TEXT"] else { return }
        let text = TextScan.masked(t)
        for (r, ps) in ReasonPatterns.compiled { for (i, p) in ps.enumerated() where p.matches(text) { print("MATCH \(r) \(ReasonPatterns.table[r]![i])") } }
    }
}
