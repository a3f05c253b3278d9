import Foundation
import MirageConfig
import MirageTool
import Testing

/// `swift-mirage describe`: the device graph with each device's signature and the implementation
/// the target gives it.
@Suite("describe: signatures and implementations", .serialized)
struct DescribeTests {
    static let website = UnikernelProject(directory: repository.root + "/Examples/static-website", repository: repository)

    @Test("text: each device's line, then the implementation the target gives it")
    func textOnHVT() throws {
        let wiring = WiringGenerator(description: try Self.website.loadDescription(), target: .hvt)
        #expect(GraphPrinter.text(wiring) == """
            unikernel static-website
              target: hvt
              main: Website(stack:service, tls:certificates, kv:htdocs, monotonic-clock:default, wall-clock:default)
              keys:
                --port: UInt16 = "80", boot time. The TCP port to serve HTTP on.
                --http-connections: Int = "256", boot time. HTTP connections served at once; past it a new one is closed at once.
                --tls: Bool = "false", configure time. Serve HTTPS on --tls-port with certificates/server.pem and server.key (scripts/dev-certificate makes them), and redirect HTTP there.
                --tls-port: UInt16 = "443", boot time. The TCP port to serve HTTPS on, when configured with --tls=true.
                --hsts: Bool = "false", boot time. Send Strict-Transport-Security over HTTPS (RFC 6797): browsers then use HTTPS only, for a year.
              devices:
                stack:service: TCPStack & UDPStack
                  implementation: HVTDirectStack, our stack over the tender's net device --net:service=TAP
                kv:certificates: KeyValueStore (directory=certificates)
                  implementation: none: nothing uses it as configured
                tls:certificates: TCPStack (certificates=kv:certificates, enabledBy=tls, stack=stack:service) <- stack:service, kv:certificates
                  implementation: TLS switched off (--tls=false): listening on it is refused
                kv:htdocs: KeyValueStore (directory=htdocs)
                  implementation: CrunchStore of the files in htdocs/, compiled in
                monotonic-clock:default: MonotonicClock
                  implementation: HVTMonotonicClock, the platform's
                wall-clock:default: WallClock
                  implementation: HVTWallClock, the platform's

            """)
        let secure = WiringGenerator(description: try Self.website.loadDescription(), target: .hvt, configureValues: ["tls": "true"])
        #expect(GraphPrinter.text(secure).contains("""
                tls:certificates: TCPStack (certificates=kv:certificates, enabledBy=tls, stack=stack:service) <- stack:service, kv:certificates
                  implementation: TLSStack over stack:service, its certificate server.pem and key server.key from kv:certificates

            """))
    }

    @Test("the resolver and the writable store show what they are built over")
    func resolverAndWritableStore() throws {
        let fetch = try UnikernelProject(directory: repository.root + "/Examples/fetch", repository: repository).loadDescription()
        #expect(GraphPrinter.text(WiringGenerator(description: fetch, target: .unix, network: .socket)).contains("""
                resolver:service: DNSResolving (stack=stack:service) <- stack:service
                  implementation: DNSStubResolver over stack:service: --resolver=, else the network's resolvers

            """))
        let dhcp = try UnikernelProject(directory: repository.root + "/Examples/dhcp-server", repository: repository).loadDescription()
        #expect(GraphPrinter.text(WiringGenerator(description: dhcp, target: .hvt)).contains("""
                kv-rw:leases: WritableKeyValueStore (storage=block:leases) <- block:leases
                  implementation: BlockKeyValueStore on block:leases: the store in memory, written whole at each change to alternate halves

            """))
    }

    @Test("the piñata's TLS device requires client certificates: its summary says so and the generated code asks for them")
    func pinataRequiresClientCertificates() throws {
        let pinata = UnikernelProject(directory: repository.root + "/Examples/tls-pinata", repository: repository)
        let wiring = WiringGenerator(description: try pinata.loadDescription(), target: .unix, network: .socket)
        #expect(GraphPrinter.text(wiring).contains(
            "      implementation: TLSStack over stack:service, its certificate server.pem and key server.key from kv:certificates, requiring client certificates from its client-ca.pem\n"))
        let main = try wiring.mainSwift()
        #expect(main.contains("requiringClientCertificates: true)"), "\(main)")
        let website = try WiringGenerator(description: try Self.website.loadDescription(), target: .unix, configureValues: ["tls": "true"]).mainSwift()
        #expect(!website.contains("requiringClientCertificates"))
    }

    @Test("text: --net and --kv choose the implementations, and the target line shows them")
    func textWithChoices() throws {
        let description = try Self.website.loadDescription()
        let socket = GraphPrinter.text(WiringGenerator(description: description, target: .unix))
        #expect(socket.contains("  target: unix\n"))
        #expect(socket.contains("    stack:service: TCPStack & UDPStack\n      implementation: SocketStack over the host's sockets\n"))
        let direct = GraphPrinter.text(WiringGenerator(description: description, target: .unix, configureValues: ["kv": "tar"], network: .direct))
        #expect(direct.contains("  target: unix --net=direct --kv=tar\n"))
        #expect(direct.contains("      implementation: UnixDirectStack, our stack over the tap device --net:service=TAP\n"))
        #expect(direct.contains("""
                kv:htdocs: KeyValueStore (directory=htdocs)
                  implementation: TarStore over FileBlockDevice, the archive --block:htdocs=FILE (default dist/htdocs.tar) of htdocs/

            """))
    }

    @Test("text: a device the target cannot provide is shown with the reason")
    func unavailable() throws {
        let description = try UnikernelProject(directory: fixture("network-on-unix"), repository: repository).loadDescription()
        #expect(GraphPrinter.text(WiringGenerator(description: description, target: .unix)).hasSuffix("""
                network:service: NetworkDevice
                  implementation: none: the network device 'service' is not available on target 'unix'

            """))
        let echo = try UnikernelProject(directory: repository.root + "/Examples/echo", repository: repository).loadDescription()
        #expect(GraphPrinter.text(WiringGenerator(description: echo, target: .hvt, network: .socket)).contains(
            "      implementation: none: the host-socket stack (--net=socket) is not available on target hvt: a VM has no host sockets; use --net=direct\n"))
    }

    @Test("dot: the graph as before, each device's implementation in a note below it, the target as the label")
    func dot() throws {
        let description = try UnikernelProject(directory: repository.root + "/Examples/block", repository: repository).loadDescription()
        #expect(GraphPrinter.dot(WiringGenerator(description: description, target: .hvt)) == #"""
            digraph "block" {
              rankdir=BT;
              label="target: hvt";
              "main" [label="BlockTest", shape=box, style=bold];
              "block:storage" [label="block:storage\nBlockDevice"];
              "block:storage implementation" [label="HVTBlockDevice over the tender's block device --block:storage=FILE (default disk.img)", shape=note];
              "block:storage implementation" -> "block:storage" [style=dashed, arrowhead=none];
              "block:storage" -> "main";
            }

            """#)
    }

    @Test("a configured unikernel is described for its target and choices; -t describes another target")
    func configuredProject() throws {
        let project = UnikernelProject(directory: fixture("keys"), repository: repository)
        defer { _ = try? project.clean() }
        #expect(try project.describe().contains("  target: unix\n"), "unconfigured: unix")
        #expect(try project.describe(target: .hvt).contains("      implementation: HVTBlockDevice over the tender's block device --block:data=FILE (required)\n"))
        try project.configure(target: .hvt, configureArguments: ["--count=7"])
        let text = try project.describe()
        #expect(text.contains("  target: hvt --count=7\n"))
        #expect(text.contains("    console:default: Console\n      implementation: HVTConsole, the tender's console\n"))
        let unix = try project.describe(target: .unix)
        #expect(unix.contains("  target: unix\n"))
        #expect(unix.contains("      implementation: FileBlockDevice over the file --block:data=FILE (required)\n"))
        let dot = try project.describe(dot: true)
        #expect(dot.contains(#"  label="target: hvt --count=7";"#))
        #expect(dot.contains(#"  "console:default implementation" [label="HVTConsole, the tender's console", shape=note];"#))
    }
}
