/// A point in civil time: seconds and nanoseconds since the Unix epoch (1970-01-01T00:00:00Z),
/// ignoring leap seconds as POSIX time does.
///
/// Wall time may jump (an operator or NTP sets the clock), so never use it to measure intervals:
/// use ``Instant`` for that.
public struct WallTime: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// Whole seconds since the epoch; negative before 1970.
    public var seconds: Int64
    /// Nanoseconds past ``seconds``, in `0 ..< 1_000_000_000`.
    public var nanoseconds: UInt32

    /// Creates a wall time; `nanoseconds` must be less than one second.
    public init(seconds: Int64, nanoseconds: UInt32 = 0) {
        precondition(nanoseconds < 1_000_000_000, "nanoseconds must be less than one second")
        self.seconds = seconds
        self.nanoseconds = nanoseconds
    }

    public static func < (lhs: WallTime, rhs: WallTime) -> Bool {
        (lhs.seconds, lhs.nanoseconds) < (rhs.seconds, rhs.nanoseconds)
    }

    /// The RFC 3339 (section 5.6) timestamp at second precision with the offset written `-00:00`,
    /// "UTC, local offset unknown" (RFC 3339 section 4.3), as MirageOS's log reporter prints it:
    /// `2026-11-23T10:04:16-00:00`.
    public var rfc3339: String {
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let secondOfDay = seconds - days * 86_400
        let date = CivilDate(daysSinceEpoch: days)
        let hour = secondOfDay / 3600, minute = secondOfDay % 3600 / 60, second = secondOfDay % 60
        return String.zeroPadded(date.year, width: 4) + "-" + String.zeroPadded(date.month, width: 2)
            + "-" + String.zeroPadded(date.day, width: 2) + "T" + String.zeroPadded(hour, width: 2)
            + ":" + String.zeroPadded(minute, width: 2) + ":" + String.zeroPadded(second, width: 2)
            + "-00:00"
    }

    public var description: String { rfc3339 }
}

/// A proleptic Gregorian calendar date.
public struct CivilDate: Hashable, Sendable {
    public var year: Int64
    public var month: Int64
    public var day: Int64

    /// The date `days` days after 1970-01-01, by Howard Hinnant's `civil_from_days` algorithm
    /// (eras of 400 years, years starting in March so that the leap day comes last).
    public init(daysSinceEpoch days: Int64) {
        let shifted = days + 719_468
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthFromMarch = (5 * dayOfYear + 2) / 153
        day = dayOfYear - (153 * monthFromMarch + 2) / 5 + 1
        month = monthFromMarch < 10 ? monthFromMarch + 3 : monthFromMarch - 9
        year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
    }
}
