import Foundation
import MirageCore
import Testing

/// Monotonic instants, durations and wall-clock time with its RFC 3339 form.
@Suite("Time")
struct TimeTests {

    // MARK: - Instant arithmetic

    @Test("adding a duration moves an instant forward or back by that many nanoseconds",
          arguments: [
              (1_000, Duration.nanoseconds(500), 1_500),
              (1_000, .nanoseconds(0), 1_000),
              (0, .seconds(2), 2_000_000_000),
              (1_000_000_000, .milliseconds(-250), 750_000_000),
              (5_000, .nanoseconds(-4_999), 1),
          ] as [(UInt64, Duration, UInt64)])
    func addingADuration(start: UInt64, duration: Duration, end: UInt64) {
        #expect(Instant(nanoseconds: start) + duration == Instant(nanoseconds: end))
    }

    @Test("adding past the end of the clock saturates at distantFuture",
          arguments: [
              (UInt64.max - 10, Duration.nanoseconds(11)),
              (UInt64.max - 10, .nanoseconds(10)),
              (UInt64.max - 1_000, .seconds(1)),
              (UInt64.max / 2 + 2, .nanoseconds(Int64.max)),
              (UInt64.max, .nanoseconds(1)),
          ])
    func saturatesAtDistantFuture(start: UInt64, duration: Duration) {
        #expect(Instant(nanoseconds: start) + duration == .distantFuture)
    }

    @Test("just short of the end of the clock does not saturate")
    func justShortOfDistantFuture() {
        #expect(Instant(nanoseconds: .max - 10) + .nanoseconds(9) == Instant(nanoseconds: .max - 1))
    }

    @Test("going back past the origin saturates at zero",
          arguments: [
              (100, Duration.nanoseconds(-100)),
              (100, .nanoseconds(-101)),
              (0, .nanoseconds(-1)),
              (1_000_000, .seconds(-Int64.max)),
              (1_000_000, .seconds(Int64.min)),
              (1, .nanoseconds(Int64.min)),
              (UInt64(Int64.max), .nanoseconds(Int64.min)),
          ] as [(UInt64, Duration)])
    func saturatesAtZero(start: UInt64, duration: Duration) {
        #expect(Instant(nanoseconds: start) + duration == .zero)
    }

    @Test("subtracting instants gives the duration between them, negative when the later comes first",
          arguments: [
              (500, 200, Duration.nanoseconds(300)),
              (200, 500, .nanoseconds(-300)),
              (7, 7, .zero),
              (3_500_000_000, 1_000_000_000, .milliseconds(2_500)),
              (UInt64.max, 0, .nanoseconds(Int64.max)),
              (0, UInt64.max, .nanoseconds(-Int64.max)),
          ] as [(UInt64, UInt64, Duration)])
    func subtractingInstants(later: UInt64, earlier: UInt64, difference: Duration) {
        #expect(Instant(nanoseconds: later) - Instant(nanoseconds: earlier) == difference)
    }

    @Test("instants order by their nanoseconds, with zero first and distantFuture last")
    func instantsAreOrdered() {
        #expect(Instant.zero < Instant(nanoseconds: 1))
        #expect(Instant(nanoseconds: 1) < Instant(nanoseconds: 2))
        #expect(Instant(nanoseconds: .max - 1) < .distantFuture)
        #expect(Instant.zero.nanoseconds == 0)
        #expect(Instant.distantFuture.nanoseconds == .max)
    }

    @Test("an instant prints as seconds with nine decimals",
          arguments: [
              (0, "0.000000000s"),
              (1, "0.000000001s"),
              (1_500_000_000, "1.500000000s"),
              (86_400_123_456_789, "86400.123456789s"),
          ] as [(UInt64, String)])
    func instantDescription(nanoseconds: UInt64, text: String) {
        #expect(Instant(nanoseconds: nanoseconds).description == text)
    }

    // MARK: - Duration.totalNanoseconds

    @Test("totalNanoseconds is the whole duration in nanoseconds",
          arguments: [
              (Duration.zero, 0),
              (.nanoseconds(7), 7),
              (.nanoseconds(-7), -7),
              (.microseconds(3), 3_000),
              (.seconds(2), 2_000_000_000),
              (.milliseconds(-1_500), -1_500_000_000),
              (.nanoseconds(Int64.max), Int64.max),
              (.nanoseconds(Int64.min), Int64.min),
          ] as [(Duration, Int64)])
    func totalNanoseconds(duration: Duration, nanoseconds: Int64) {
        #expect(duration.totalNanoseconds == nanoseconds)
    }

    @Test("totalNanoseconds drops fractions of a nanosecond")
    func totalNanosecondsTruncates() {
        #expect(Duration(secondsComponent: 0, attosecondsComponent: 1_999_999_999).totalNanoseconds == 1)
        #expect(Duration(secondsComponent: 0, attosecondsComponent: 999_999_999).totalNanoseconds == 0)
    }

    @Test("totalNanoseconds saturates at the ends of Int64",
          arguments: [
              (Duration.seconds(Int64.max), Int64.max),
              (.seconds(Int64(9_223_372_037)), Int64.max),
              // 9_223_372_036.999999999 s: the whole seconds fit in Int64 nanoseconds, the sum does not.
              (Duration(secondsComponent: 9_223_372_036, attosecondsComponent: 999_999_999_000_000_000), Int64.max),
              (.seconds(Int64.min), Int64.min),
              (.seconds(Int64(-9_223_372_037)), Int64.min),
              (Duration(secondsComponent: -9_223_372_036, attosecondsComponent: -999_999_999_000_000_000), Int64.min),
          ] as [(Duration, Int64)])
    func totalNanosecondsSaturates(duration: Duration, nanoseconds: Int64) {
        #expect(duration.totalNanoseconds == nanoseconds)
    }

    // MARK: - WallTime and RFC 3339

    @Test("rfc3339 prints the UTC date and time to the second with the offset -00:00",
          arguments: [
              (0, "1970-01-01T00:00:00-00:00"),
              (1_795_429_456, "2026-11-23T10:24:16-00:00"),
              (1_709_210_096, "2024-02-29T12:34:56-00:00"),
              (951_782_400, "2000-02-29T00:00:00-00:00"),
              (951_868_799, "2000-02-29T23:59:59-00:00"),
              (4_107_542_399, "2100-02-28T23:59:59-00:00"),
              (4_107_542_400, "2100-03-01T00:00:00-00:00"),
              (-1, "1969-12-31T23:59:59-00:00"),
              (-86_400, "1969-12-31T00:00:00-00:00"),
              (-86_401, "1969-12-30T23:59:59-00:00"),
              (-2_208_988_800, "1900-01-01T00:00:00-00:00"),
              (253_402_300_799, "9999-12-31T23:59:59-00:00"),
          ] as [(Int64, String)])
    func rfc3339(seconds: Int64, text: String) {
        #expect(WallTime(seconds: seconds).rfc3339 == text)
        #expect(WallTime(seconds: seconds).description == text)
    }

    @Test("rfc3339 ignores the nanoseconds")
    func rfc3339IgnoresNanoseconds() {
        #expect(WallTime(seconds: 0, nanoseconds: 999_999_999).rfc3339 == "1970-01-01T00:00:00-00:00")
        #expect(WallTime(seconds: -1, nanoseconds: 500_000_000).rfc3339 == "1969-12-31T23:59:59-00:00")
    }

    @Test("rfc3339 agrees with Foundation's ISO8601DateFormatter from 1900 to 2200")
    func rfc3339AgreesWithFoundation() {
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.formatOptions = [.withInternetDateTime]

        let earliest: Int64 = -2_208_988_800  // 1900-01-01T00:00:00Z
        let latest: Int64 = 7_289_654_399  // 2200-12-31T23:59:59Z
        var generator = SplitMix64(seed: 0x4d49_5241_4745)
        var samples: [Int64] = [earliest, latest, 0, -1]
        for _ in 0 ..< 4_000 {
            samples.append(Int64.random(in: earliest ... latest, using: &generator))
        }

        var disagreements: [String] = []
        for seconds in samples {
            let date = Date(timeIntervalSince1970: TimeInterval(seconds))
            let expected = String(formatter.string(from: date).dropLast()) + "-00:00"  // "…Z" → "…-00:00"
            let actual = WallTime(seconds: seconds).rfc3339
            if actual != expected { disagreements.append("\(seconds): \(actual), Foundation says \(expected)") }
        }
        #expect(disagreements == [])
    }

    @Test("wall times order by seconds, then nanoseconds")
    func wallTimesAreOrdered() {
        #expect(WallTime(seconds: -1, nanoseconds: 999_999_999) < WallTime(seconds: 0))
        #expect(WallTime(seconds: 5) < WallTime(seconds: 5, nanoseconds: 1))
        #expect(!(WallTime(seconds: 5, nanoseconds: 1) < WallTime(seconds: 5, nanoseconds: 1)))
        #expect(WallTime(seconds: 6) > WallTime(seconds: 5, nanoseconds: 999_999_999))
    }

    @Test("CivilDate counts days from 1970-01-01 in the proleptic Gregorian calendar",
          arguments: [
              (0, 1970, 1, 1),
              (-1, 1969, 12, 31),
              (59, 1970, 3, 1),
              (11_016, 2000, 2, 29),
              (19_782, 2024, 2, 29),
              (47_541, 2100, 3, 1),
              (-719_468, 0, 3, 1),
          ] as [(Int64, Int64, Int64, Int64)])
    func civilDate(days: Int64, year: Int64, month: Int64, day: Int64) {
        let date = CivilDate(daysSinceEpoch: days)
        #expect((date.year, date.month, date.day) == (year, month, day))
    }
}

/// A small seeded generator (SplitMix64), so the sample of wall times is the same on every run.
private struct SplitMix64: RandomNumberGenerator {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}
