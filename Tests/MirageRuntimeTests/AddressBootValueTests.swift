import MirageRuntime
import Testing

@Suite("Address boot values")
struct AddressBootValueTests {
    @Test("addresses and prefixes parse as boot values and print back")
    func addresses() {
        #expect(IPv4Prefix(bootArgument: "10.0.0.2/24")?.bootArgumentText == "10.0.0.2/24")
        #expect(IPv4Address(bootArgument: "10.0.0.1")?.bootArgumentText == "10.0.0.1")
        #expect(IPv6Address(bootArgument: "2001:0db8::0001")?.bootArgumentText == "2001:db8::1")
        #expect(IPv6Prefix(bootArgument: "2001:db8::2/64")?.bootArgumentText == "2001:db8::2/64")
        #expect(MACAddress(bootArgument: "02:00:00:00:00:01")?.bootArgumentText == "02:00:00:00:00:01")
        #expect(IPv4Prefix(bootArgument: "10.0.0.2/33") == nil)
    }

    @Test("a malformed address is refused with what was expected")
    func malformed() {
        let key = BootKey("ipv4", of: IPv4Prefix.self, default: IPv4Prefix(bootArgument: "10.0.0.2/24"), documentation: "The address.")
        guard case let .failure(error) = BootArguments.parse(["--ipv4=10.0.0.300/24"], keys: [key]) else {
            Issue.record("a malformed address was accepted")
            return
        }
        #expect(error.description == "invalid value '10.0.0.300/24' for boot argument '--ipv4': expected an IPv4 address with a prefix length such as 10.0.0.2/24")
    }
}
