import MirageCore

/// Times in certificates (RFC 5280 section 4.1.2.5): UTCTime (`YYMMDDHHMMSSZ`, years 1950-2049)
/// and GeneralizedTime (`YYYYMMDDHHMMSSZ`), always in UTC with seconds and no fractions.
enum X509Time {
    /// The time in `contents` of an element with `tag` (0x17 UTCTime, 0x18 GeneralizedTime).
    static func parse(_ contents: [UInt8], tag: UInt8) -> WallTime? {
        let yearDigits = tag == 0x17 ? 2 : 4
        guard contents.count == yearDigits + 11, contents.last == UInt8(ascii: "Z") else { return nil }
        var fields: [Int] = []
        var index = 0
        for width in [yearDigits, 2, 2, 2, 2, 2] {
            var value = 0
            for _ in 0..<width {
                let byte = contents[index]
                guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
                value = value * 10 + Int(byte - UInt8(ascii: "0"))
                index += 1
            }
            fields.append(value)
        }
        var year = fields[0]
        if tag == 0x17 { year += year < 50 ? 2000 : 1900 }
        let (month, day, hour, minute, second) = (fields[1], fields[2], fields[3], fields[4], fields[5])
        guard (1...12).contains(month), day >= 1, day <= daysIn(month: month, year: year), hour < 24, minute < 60, second < 60 else {
            return nil
        }
        let days = daysFromCivil(year: year, month: month, day: day)
        return WallTime(seconds: Int64(days) * 86_400 + Int64(hour * 3600 + minute * 60 + second))
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }
}
