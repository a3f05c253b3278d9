/// Addresses as boot-argument values: `--ipv4=10.0.0.2/24`, `--ipv4-gateway=10.0.0.1`.
extension IPv4Address: BootValue {
    public init?(bootArgument text: String) { self.init(text) }
    public var bootArgumentText: String { description }
    public static var bootArgumentForm: String { "IPV4" }
    public static var bootArgumentExpectation: String { "an IPv4 address such as 10.0.0.1" }
}

extension IPv4Prefix: BootValue {
    public init?(bootArgument text: String) { self.init(text) }
    public var bootArgumentText: String { description }
    public static var bootArgumentForm: String { "IPV4/PREFIX" }
    public static var bootArgumentExpectation: String { "an IPv4 address with a prefix length such as 10.0.0.2/24" }
}

extension IPv6Address: BootValue {
    public init?(bootArgument text: String) { self.init(text) }
    public var bootArgumentText: String { description }
    public static var bootArgumentForm: String { "IPV6" }
    public static var bootArgumentExpectation: String { "an IPv6 address such as 2001:db8::1" }
}

extension IPv6Prefix: BootValue {
    public init?(bootArgument text: String) { self.init(text) }
    public var bootArgumentText: String { description }
    public static var bootArgumentForm: String { "IPV6/PREFIX" }
    public static var bootArgumentExpectation: String { "an IPv6 address with a prefix length such as 2001:db8::2/64" }
}

extension MACAddress: BootValue {
    public init?(bootArgument text: String) { self.init(text) }
    public var bootArgumentText: String { description }
    public static var bootArgumentForm: String { "MAC" }
    public static var bootArgumentExpectation: String { "a MAC address such as 02:00:00:00:00:01" }
}
