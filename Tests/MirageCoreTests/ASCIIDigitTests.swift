import MirageCore
import Testing

/// The digit reader every text parser shares (addresses, HTTP, DNS master files).
@Suite("ASCII digits")
struct ASCIIDigitTests {
    @Test func decimalAndHexadecimalValuesOfEveryByte() {
        for byte in UInt8.min...UInt8.max {
            let decimal: UInt8? = (48...57).contains(byte) ? byte - 48 : nil
            let hexadecimal: UInt8? = switch byte {
            case 48...57: byte - 48
            case 65...70: byte - 55
            case 97...102: byte - 87
            default: nil
            }
            #expect(ASCIIDigit.decimalValue(byte) == decimal, "\(byte)")
            #expect(ASCIIDigit.isDecimal(byte) == (decimal != nil), "\(byte)")
            #expect(ASCIIDigit.hexadecimalValue(byte) == hexadecimal, "\(byte)")
        }
    }

    @Test("numbers: digits only, not empty, at most the maximum, never overflowing", arguments: [
        ("0", 10, 0), ("007", 10, 7), ("10", 10, 10), ("11", 10, nil), ("", 10, nil), ("+1", 10, nil), ("1 ", 10, nil),
        ("18446744073709551615", UInt64.max, UInt64.max), ("18446744073709551616", UInt64.max, nil),
        ("99999999999999999999999", UInt64.max, nil), ("255", 255, 255), ("256", 255, nil),
    ] as [(String, UInt64, UInt64?)])
    func decimalNumbers(text: String, maximum: UInt64, expected: UInt64?) {
        #expect(ASCIIDigit.decimalNumber(text.utf8, maximum: maximum) == expected)
    }
}
