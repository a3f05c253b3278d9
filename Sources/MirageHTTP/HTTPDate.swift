import MirageCore

/// HTTP's date format (RFC 9110 section 5.6.7, IMF-fixdate): `Sun, 06 Nov 1994 08:49:37 GMT`,
/// for `Date` and `Last-Modified`; and its parsing, for `If-Modified-Since`.
public enum HTTPDate {
    static let weekdays = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"] // 1970-01-01 was a Thursday
    static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// The IMF-fixdate of `seconds` since the Unix epoch.
    public static func format(secondsSinceEpoch seconds: Int64) -> String {
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let secondOfDay = seconds - days * 86_400
        let date = CivilDate(daysSinceEpoch: days)
        let weekday = weekdays[Int(((days % 7) + 7) % 7)]
        func two(_ value: Int64) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(weekday), \(two(date.day)) \(months[Int(date.month - 1)]) \(date.year) "
            + "\(two(secondOfDay / 3600)):\(two(secondOfDay % 3600 / 60)):\(two(secondOfDay % 60)) GMT"
    }

    /// The seconds since the Unix epoch an IMF-fixdate names, or nil for anything else (a
    /// recipient may ignore a date it cannot parse, RFC 9110 section 13.1.3).
    public static func parse(_ text: String) -> Int64? {
        let bytes = Array(text.utf8)
        guard bytes.count == 29, bytes[3] == UInt8(ascii: ","), Array(bytes[25...]) == Array(" GMT".utf8) else { return nil }
        func number(_ range: Range<Int>) -> Int64? {
            ASCIIDigit.decimalNumber(bytes[range], maximum: UInt64(Int64.max)).map(Int64.init)
        }
        let monthName = String(decoding: bytes[8..<11], as: UTF8.self)
        guard let day = number(5..<7), let month = months.firstIndex(of: monthName), let year = number(12..<16),
              let hour = number(17..<19), let minute = number(20..<22), let second = number(23..<25),
              hour < 24, minute < 60, second < 61, day >= 1, day <= 31 else { return nil }
        return daysFromCivil(year: year, month: Int64(month + 1), day: day) * 86_400 + hour * 3600 + minute * 60 + second
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
    static func daysFromCivil(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }
}

/// The `Date` field of the current second (RFC 9110 section 6.6.1), formatted once a second: a
/// server answers many requests in one.
final class HTTPDateCache {
    private var second: Int64 = .min
    private var line: [UInt8] = []

    /// The field line: `Date: ` the value and CRLF.
    func fieldLine(secondsSinceEpoch: Int64) -> [UInt8] {
        update(secondsSinceEpoch)
        return line
    }

    private func update(_ secondsSinceEpoch: Int64) {
        guard secondsSinceEpoch != second else { return }
        second = secondsSinceEpoch
        var encoder = HTTPHeadEncoder(capacity: 37)
        encoder.field("Date", HTTPDate.format(secondsSinceEpoch: secondsSinceEpoch))
        line = encoder.bytes
    }
}
