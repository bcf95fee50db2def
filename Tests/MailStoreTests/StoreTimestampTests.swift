import Foundation
import GRDB
import XCTest
@testable import MailStore

final class StoreTimestampTests: XCTestCase {
    /// Rows written with either form must compare alike: the text is GRDB's, byte for byte.
    func testTheTextIsGRDBsForEveryKindOfInstant() {
        var generator = SystemRandomNumberGenerator()
        var dates: [Date] = [Date(), Date(timeIntervalSince1970: 0), Date(timeIntervalSince1970: -0.0005),
                             Date(timeIntervalSince1970: 1_700_000_000.9999), Date(timeIntervalSince1970: 951_782_400),  // 2000-02-29
                             Date(timeIntervalSince1970: -2_208_988_800.123),  // 1900
                             Date(timeIntervalSince1970: -62_135_596_800),  // year 1: GRDB's own
                             Date(timeIntervalSince1970: 253_402_300_800),  // year 10000: GRDB's own
                             .distantPast, .distantFuture]
        for _ in 0..<20_000 {
            dates.append(Date(timeIntervalSince1970: Double.random(in: -2_000_000_000...4_000_000_000, using: &generator)))
        }
        for _ in 0..<2_000 {  // whole and half milliseconds, where rounding would show
            let ms = Double(Int.random(in: 0...4_000_000_000_000, using: &generator))
            dates.append(Date(timeIntervalSince1970: ms / 1000))
            dates.append(Date(timeIntervalSince1970: (ms + 0.5) / 1000))
        }
        for date in dates {
            XCTAssertEqual(StoreTimestamp.databaseValue(date), date.databaseValue, "\(date.timeIntervalSince1970)")
        }
    }
}
