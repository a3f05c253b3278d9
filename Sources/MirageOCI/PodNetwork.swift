#if canImport(Glibc)
import Glibc
#endif
import CLinux
#if !hasFeature(Embedded)  // the shim's Embedded build compiles these modules' files in
import MirageCore
import MirageHostSystem
#endif

/// A pod's network namespace, as CNI left it (an interface with the pod's IPv4 address and a
/// default route), given to a unikernel: a tap beside that interface with tc redirects both ways
/// (the IPv4 frames and the ARP for the pod's address that arrive on the interface leave through
/// the tap to the guest, and every frame the guest sends leaves through the interface), and the
/// address, gateway and MTU for the guest's boot arguments. The kernel keeps the address but sees
/// none of the pod's IPv4 traffic any more.
///
/// All of it is done from this process, in the namespace for the while (`setns`): ioctls for the
/// tap, route netlink for the qdiscs and filters, as `ip tuntap` and `tc` would, without starting them.
public struct PodNetwork: Equatable, Sendable {
    /// The namespace's path (`/var/run/netns/…`, `/proc/PID/ns/net`).
    public var namespace: String
    /// The pod's interface CNI made (`eth0`).
    public var interface: String
    public var tap: String
    /// `ADDRESS/PREFIX`.
    public var address: String
    public var gateway: String?
    public var mtu: Int

    public init(namespace: String, interface: String, tap: String, address: String, gateway: String?, mtu: Int) {
        self.namespace = namespace
        self.interface = interface
        self.tap = tap
        self.address = address
        self.gateway = gateway
        self.mtu = mtu
    }

    /// The guest's boot arguments for the pod's address and route (IPv4 only: CNI gave the pod
    /// no IPv6 address here, and no IPv6 frame is passed to the guest).
    public var bootArguments: [String] {
        ["--ipv4=\(address)"] + (gateway.map { ["--ipv4-gateway=\($0)"] } ?? []) + ["--ipv6=none"]
    }

    /// Finds the pod's interface in `namespace` (the first with an IPv4 address but loopback),
    /// makes `tap` beside it and redirects both ways.
    public static func attach(tap: String, namespace: String) throws(RuntimeError) -> PodNetwork {
        try NetworkNamespace.within(namespace) { () throws(RuntimeError) -> PodNetwork in
            guard let (interface, address) = firstIPv4Interface() else {
                throw RuntimeError("the pod's network namespace \(namespace) has no interface with an IPv4 address (did CNI run?)")
            }
            let control = socket(AF_INET, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            guard control >= 0 else { throw RuntimeError("cannot open a socket in \(namespace): \(ErrorNumber.last)") }
            defer { SystemCall.close(control) }
            var mtu: Int32 = 1500
            _ = mirage_interface_mtu(control, interface, &mtu)
            let network = PodNetwork(namespace: namespace, interface: interface, tap: tap, address: address,
                                     gateway: defaultGateway(), mtu: Int(mtu))
            do throws(RuntimeError) {
                try makePersistentTap(tap)
                guard mirage_interface_set_mtu_and_up(control, tap, mtu) == 0 else {
                    throw RuntimeError("cannot bring \(tap) up with MTU \(mtu) in \(namespace): \(ErrorNumber.last)")
                }
                let interfaceIndex = Int32(if_nametoindex(interface)), tapIndex = Int32(if_nametoindex(tap))
                var netlink = try RouteNetlink()
                for name in [interface, tap] {
                    try netlink.perform(TrafficControl.addIngress(interface: name == tap ? tapIndex : interfaceIndex),
                                        "tc qdisc add dev \(name) ingress in \(namespace)")
                }
                // Into the guest: ARP for the pod's address (requests and the replies to the
                // guest's own), and IPv4. Not the ARP for other addresses, which the bridge floods
                // to every pod (a new pod's, a node's asking for a neighbour): the pod's kernel
                // ignores those cheaply, where each would wake every guest. Not IPv6 either (a pod
                // has IPv4 only, and the guest is told so with --ipv6=none).
                let podAddress = address.split(separator: "/").first.flatMap { IPv4Address($0) }?.value ?? 0
                try netlink.perform(TrafficControl.redirect(from: interfaceIndex, to: tapIndex, etherType: 0x0806, priority: 1,
                                                            mask: 0xFFFF_FFFF, value: podAddress, offset: 24),
                                    "tc filter add dev \(interface) ingress redirecting ARP for \(address) to \(tap) in \(namespace)")
                try netlink.perform(TrafficControl.redirect(from: interfaceIndex, to: tapIndex, etherType: 0x0800, priority: 2),
                                    "tc filter add dev \(interface) ingress redirecting IPv4 to \(tap) in \(namespace)")
                // Out of the guest: everything.
                try netlink.perform(TrafficControl.redirectAll(from: tapIndex, to: interfaceIndex),
                                    "tc filter add dev \(tap) ingress redirecting to \(interface) in \(namespace)")
            } catch {
                network.detachHere()
                throw error
            }
            return network
        }
    }

    /// Removes the tap and the interface's redirect; what is already gone (the namespace among
    /// them) is no error.
    public func detach() {
        _ = try? NetworkNamespace.within(namespace) { () throws(RuntimeError) in detachHere() }
    }

    /// ``detach()`` in the namespace already entered.
    func detachHere() {
        guard var netlink = try? RouteNetlink() else { return }
        let interfaceIndex = Int32(if_nametoindex(interface))
        if interfaceIndex > 0 { try? netlink.perform(TrafficControl.deleteIngress(interface: interfaceIndex), "") }
        let tapIndex = Int32(if_nametoindex(tap))
        if tapIndex > 0 { try? netlink.perform(TrafficControl.removeLink(interface: tapIndex), "") }
    }

    /// The first interface but loopback with an IPv4 address, and that address with its prefix.
    static func firstIPv4Interface() -> (name: String, address: String)? {
        var list: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&list) == 0 else { return nil }
        defer { freeifaddrs(list) }
        var entry = list
        while let current = entry?.pointee {
            defer { entry = current.ifa_next }
            guard let address = current.ifa_addr, address.pointee.sa_family == sa_family_t(AF_INET),
                  let mask = current.ifa_netmask, current.ifa_flags & UInt32(IFF_LOOPBACK) == 0 else { continue }
            let host = address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { $0.pointee.sin_addr }
            let netmask = mask.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { UInt32(bigEndian: $0.pointee.sin_addr.s_addr) }
            return (String(cString: current.ifa_name), "\(dotted(host))/\(netmask.nonzeroBitCount)")
        }
        return nil
    }

    /// The gateway of the IPv4 default route (`/proc/thread-self/net/route`: destination and
    /// mask 0, gateway in hexadecimal, in memory order).
    static func defaultGateway() -> String? {
        guard let bytes = try? HostFile.read("/proc/thread-self/net/route") else { return nil }
        for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n").dropFirst() {
            let fields = line.split(whereSeparator: { $0 == "\t" || $0 == " " })
            guard fields.count >= 8, fields[1] == "00000000", fields[7] == "00000000",
                  let gateway = UInt32(fields[2], radix: 16), gateway != 0 else { continue }
            return dotted(in_addr(s_addr: gateway))
        }
        return nil
    }

    /// An `in_addr` (network byte order in memory) as text.
    static func dotted(_ address: in_addr) -> String {
        IPv4Address(value: UInt32(bigEndian: address.s_addr)).description
    }

    /// Makes the tap `name`, which outlives this process until removed.
    static func makePersistentTap(_ name: String) throws(RuntimeError) {
        let fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC)
        guard fd >= 0 else { throw RuntimeError("cannot open /dev/net/tun: \(ErrorNumber.last)") }
        defer { SystemCall.close(fd) }
        var assigned = [CChar](repeating: 0, count: Int(IFNAMSIZ))
        guard mirage_tap_attach(fd, name, &assigned) == 0, mirage_tap_set_persistent(fd, 1) == 0 else {
            throw RuntimeError("cannot make the tap \(name): \(ErrorNumber.last)")
        }
    }
}

/// A network namespace entered by the calling thread for a while (a process it starts meanwhile
/// is born in it).
public enum NetworkNamespace {
    /// Runs `body` with the calling thread in the network namespace at `path`, then returns it to
    /// the one it was in.
    public static func within<Result>(_ path: String, _ body: () throws(RuntimeError) -> Result) throws(RuntimeError) -> Result {
        let original = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC)
        guard original >= 0 else { throw RuntimeError("cannot open this thread's network namespace: \(ErrorNumber.last)") }
        defer { SystemCall.close(original) }
        let target = open(path, O_RDONLY | O_CLOEXEC)
        guard target >= 0 else { throw RuntimeError("cannot open the network namespace \(path): \(ErrorNumber.last)") }
        defer { SystemCall.close(target) }
        guard mirage_enter_network_namespace(target) == 0 else {
            throw RuntimeError("cannot enter the network namespace \(path): \(ErrorNumber.last)")
        }
        defer { _ = mirage_enter_network_namespace(original) }
        return try body()
    }
}

extension PodNetwork {
    /// The state `mirage-runc create` leaves for `delete`.
    public var json: JSONValue {
        var members: [(key: String, value: JSONValue)] = [("namespace", .string(namespace)), ("interface", .string(interface)),
                                                          ("tap", .string(tap)), ("address", .string(address))]
        if let gateway { members.append(("gateway", .string(gateway))) }
        members.append(("mtu", .integer(mtu)))
        return .object(members)
    }

    public init?(json: JSONValue) {
        guard let namespace = json["namespace"]?.stringValue, let interface = json["interface"]?.stringValue,
              let tap = json["tap"]?.stringValue, let address = json["address"]?.stringValue, let mtu = json["mtu"]?.intValue else { return nil }
        self.init(namespace: namespace, interface: interface, tap: tap, address: address, gateway: json["gateway"]?.stringValue, mtu: mtu)
    }
}

