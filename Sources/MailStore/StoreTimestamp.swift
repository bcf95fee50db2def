import Foundation
import GRDB

/// A date as the store keeps it: GRDB's text form, "yyyy-MM-dd HH:mm:ss.SSS" in UTC (what
/// `Date.databaseValue` writes, so rows written either way compare and sort alike), made
/// from the calendar fields `gmtime_r` gives instead of GRDB's `DateFormatter`: a message
/// row binds two dates, and ICU's formatter cost 3–5% of a whole fetch (perf, issue 13).
/// Years outside 1000–9999 (a message's Date header can say anything) go through GRDB.
enum StoreTimestamp {
    static func databaseValue(_ date: Date) -> DatabaseValue {
        // ICU formats the instant to the nearest millisecond, a half rounded up, as here.
        let milliseconds = (date.timeIntervalSince1970 * 1000 + 0.5).rounded(.down)
        guard milliseconds.magnitude < 1e15 else { return date.databaseValue }
        let total = Int64(milliseconds)
        var seconds = time_t(total >= 0 ? total / 1000 : (total - 999) / 1000)
        let millis = Int(total - Int64(seconds) * 1000)
        var fields = tm()
        guard gmtime_r(&seconds, &fields) != nil else { return date.databaseValue }
        let year = Int(fields.tm_year) + 1900
        guard (1000...9999).contains(year) else { return date.databaseValue }
        var text = [UInt8](repeating: 0, count: 23)
        func put(_ value: Int, at offset: Int, digits: Int) {
            var value = value
            for i in stride(from: offset + digits - 1, through: offset, by: -1) {
                text[i] = UInt8(ascii: "0") + UInt8(value % 10)
                value /= 10
            }
        }
        put(year, at: 0, digits: 4)
        put(Int(fields.tm_mon) + 1, at: 5, digits: 2)
        put(Int(fields.tm_mday), at: 8, digits: 2)
        put(Int(fields.tm_hour), at: 11, digits: 2)
        put(Int(fields.tm_min), at: 14, digits: 2)
        put(Int(fields.tm_sec), at: 17, digits: 2)
        put(millis, at: 20, digits: 3)
        for (offset, separator) in [(4, "-"), (7, "-"), (10, " "), (13, ":"), (16, ":"), (19, ".")] {
            text[offset] = UInt8(ascii: Unicode.Scalar(separator)!)
        }
        return String(decoding: text, as: UTF8.self).databaseValue
    }
}

extension Date {
    /// The date as the store binds it (`StoreTimestamp`): every date a statement binds goes
    /// through here, so that no store write or query builds ICU's formatter (its first use cost
    /// a fetch about 10 ms, loading time zone data, between the SELECT and the FETCH).
    var storeValue: DatabaseValue { StoreTimestamp.databaseValue(self) }
}
