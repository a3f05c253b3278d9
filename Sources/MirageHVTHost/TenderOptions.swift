/// The tender's command line:
/// `mirage-hvt [--mem=MiB] [--net:NAME=TAP] [--block:NAME=FILE] [--share-image] [--poll-spin=µs] [--io-spin=µs] [--exit-with-parent] [--via=SOCKET] [--] IMAGE [BOOT ARGUMENTS]`,
/// or `mirage-hvt --serve=SOCKET [--mem=MiB]`.
public struct TenderOptions: Equatable {
    /// A device given on the command line.
    public struct DeviceOption: Equatable {
        public enum Kind: String, Equatable { case block, net }
        public var kind: Kind
        public var name: String
        /// The file (block) or tap interface (net) behind it.
        public var backing: String

        public init(kind: Kind, name: String, backing: String) {
            self.kind = kind
            self.name = name
            self.backing = backing
        }

        /// `block:NAME`, as the image's device manifest spells it.
        public var id: String { "\(kind.rawValue):\(name)" }
    }

    /// Guest memory in MiB.
    public var memoryMiB: UInt64 = 32
    public var devices: [DeviceOption] = []
    public var image = ""
    /// Everything after the image, given to the guest as its boot arguments.
    public var bootArguments: [String] = []
    /// Whether the image's code and constants are mapped from its file rather than copied
    /// (``ELFImage/shareReadOnlyPages(from:in:)``): `--share-image`.
    public var sharesImage = false
    /// The longest, in microseconds, the guest keeps looking at its net rings before it sleeps in
    /// the poll hypercall (`--poll-spin`; written to the boot information's `poll_spin_ns`; the
    /// guest adapts its spin below it, `PollSpin`).
    /// Sleeping costs a VM exit and a wake-up, tens of microseconds of CPU under PVM; spinning
    /// costs the CPU it spins. 0 sleeps at once: for hosts packed with guests.
    public var pollSpinMicroseconds: UInt64 = defaultPollSpinMicroseconds
    /// How long, in microseconds, the tender's ring I/O thread keeps looking at the transmit and
    /// block rings once it has moved frames or served requests and has nothing left to do, before
    /// it sleeps (`--io-spin`): a frame or request the guest puts there meanwhile needs no kick, a
    /// store that exits the guest and wakes the thread. Unless it has just served a block request,
    /// it stops looking once the guest says it is idle with every frame taken. 0 sleeps at once.
    public var ioSpinMicroseconds: UInt64 = defaultIOSpinMicroseconds
    /// Whether the guest is stopped (SIGTERM) when the process that started the tender ends
    /// (`--exit-with-parent`: containerd-shim-mirage-v2 gives it, so that no guest outlives its
    /// supervisor).
    public var exitsWithParent = false
    /// `--serve=SOCKET`: keep VMs ready for clients at SOCKET (``ReadyServer``); no image.
    public var serveSocket: String?
    /// `--via=SOCKET`: have the server at SOCKET run the image (``ReadyClient``).
    public var viaSocket: String?
    /// The command line less `--via`, which the client sends to the server.
    public var forwardedArguments: [String] = []
    /// Whether `--help` (or `-h`) came before the image: the tender prints ``help`` and exits 0.
    public var helpRequested = false

    public static let usage = """
        usage: mirage-hvt [--mem=MiB] [--net:NAME=TAP] [--block:NAME=FILE] [--share-image] [--poll-spin=µs] [--io-spin=µs] [--exit-with-parent] [--via=SOCKET] [--] IMAGE [BOOT ARGUMENTS]
        usage: mirage-hvt --serve=SOCKET [--mem=MiB]
        """

    /// What `mirage-hvt --help` prints.
    public static let help = usage + """


        Runs a swift-mirage hvt unikernel (IMAGE, from `swift-mirage build` after
        `swift-mirage configure -t hvt`) as a KVM virtual machine.

        options:
          --mem=MiB          guest memory in MiB, from 2 to \(maximumMemoryMiB) (default 32)
          --net:NAME=TAP     attach the image's network device NAME to the tap interface TAP,
                             which must exist (the tender never creates one)
          --block:NAME=FILE  attach the image's block device NAME to FILE
          --share-image      map the image's code and constants from its file instead of
                             copying them, so that guests of one image share those pages;
                             the file must not change while the guest runs (mirage-runc
                             gives it: a container image's layers do not change)
          --poll-spin=µs     the longest the guest keeps looking for frames (or for a block
                             request's end) before it sleeps, from 0 (sleep at once) to
                             \(maximumPollSpinMicroseconds) (default \(defaultPollSpinMicroseconds)); the guest adapts its spin for frames
                             below this to how soon they came after it slept: a frame that
                             comes while it spins costs no VM exit and no wake-up, but the
                             spin costs CPU; give 0 on a host packed with guests (block
                             requests then go by hypercall, a VM exit each)
          --io-spin=µs       how long the tender's I/O thread, having moved frames or served
                             block requests, keeps looking for the guest's next one before it
                             sleeps, while the guest works (default \(defaultIOSpinMicroseconds), from 0: sleep at once, to \(maximumPollSpinMicroseconds)): a
                             frame or request meanwhile costs the guest no kick (a VM exit)
                             and the thread no wake-up; give 0 on a host packed with guests
          --exit-with-parent stop the guest (as SIGTERM does) when the process that started
                             the tender ends (containerd-shim-mirage-v2 gives it)
          --serve=SOCKET     keep a VM of --mem MiB ready for the next guest, made before it is
                             asked for, so that a boot through SOCKET (--via) skips making it;
                             SOCKET is a Unix socket (mode 0600) that only this user may use;
                             one process per guest, as without it; runs until SIGINT or SIGTERM
          --via=SOCKET       run IMAGE in the VM that the server at SOCKET keeps ready (with this
                             process's standard input, output, error and working directory),
                             and exit with its status; SIGINT and SIGTERM stop the guest as
                             they would the tender's; another --mem gets a VM made for it
          -h, --help         print this help and exit

        The image names the devices it needs: each must be given, and no other. The arguments after
        the image are the guest's boot arguments (IMAGE --help lists them). Exit status: the guest's,
        or 64 for a bad command line, 65 a bad image, 66 a file or tap that cannot be opened, 70 a
        crashed guest, 71 a host failure.

        """

    /// The largest guest: memory must end below the hypercall addresses.
    static let maximumMemoryMiB: UInt64 = 3072
    /// `--poll-spin` by default: 200 µs, as Linux's KVM polls before it halts a vCPU
    /// (`halt_poll_ns`); measured against 0, 50, 100 and 500 in docs/ARCHITECTURE.md, "Adaptive
    /// polling".
    public static let defaultPollSpinMicroseconds: UInt64 = 200
    /// `--io-spin` by default: 5 µs, which halves a keep-alive request's latency and cost; stopping
    /// when the guest says it is idle (the transmit ring's `producer_idle`), it costs bulk TCP
    /// nothing (docs/ARCHITECTURE.md, "Adaptive polling").
    public static let defaultIOSpinMicroseconds: UInt64 = 5
    /// The longest spin: a millisecond, past which a sleep's cost no longer matters.
    static let maximumPollSpinMicroseconds: UInt64 = 1000

    /// Parses `arguments` (without the program name).
    public static func parse(_ arguments: [String]) throws(TenderError) -> TenderOptions {
        var options = TenderOptions()
        var index = 0
        var viaIndex = 0
        func fail(_ message: String) -> TenderError {
            TenderError(message + "\n" + usage, status: TenderExitStatus.usage)
        }
        while index < arguments.count {
            let argument = arguments[index]
            if argument == "--" {
                index += 1
                break
            }
            if argument == "--help" || argument == "-h" {
                options.helpRequested = true
                return options
            }
            guard argument.hasPrefix("--") else { break }
            if argument == "--share-image" || argument == "--exit-with-parent" {
                if argument == "--share-image" { options.sharesImage = true } else { options.exitsWithParent = true }
                index += 1
                continue
            }
            guard let equals = argument.firstIndex(of: "=") else {
                throw fail("option '\(argument)' needs a value: \(argument)=VALUE")
            }
            let name = String(argument[argument.index(argument.startIndex, offsetBy: 2)..<equals])
            let value = String(argument[argument.index(after: equals)...])
            if name == "serve" || name == "via" {
                guard !value.isEmpty else { throw fail("--\(name)= needs a socket path") }
                guard options.serveSocket == nil, options.viaSocket == nil else {
                    throw fail("give one of --serve and --via, once")
                }
                if name == "serve" { options.serveSocket = value } else { options.viaSocket = value; viaIndex = index }
                index += 1
                continue
            }
            if name == "mem" {
                guard let megabytes = UInt64(value), megabytes >= 2, megabytes <= maximumMemoryMiB else {
                    throw fail("--mem=\(value): give the guest's memory in MiB, from 2 to \(maximumMemoryMiB)")
                }
                options.memoryMiB = megabytes
            } else if name == "poll-spin" || name == "io-spin" {
                guard let microseconds = UInt64(value), microseconds <= maximumPollSpinMicroseconds else {
                    throw fail("--\(name)=\(value): give microseconds, from 0 to \(maximumPollSpinMicroseconds)")
                }
                if name == "poll-spin" { options.pollSpinMicroseconds = microseconds } else { options.ioSpinMicroseconds = microseconds }
            } else if name.hasPrefix("block:") || name.hasPrefix("net:") {
                let kind: DeviceOption.Kind = name.hasPrefix("block:") ? .block : .net
                let deviceName = String(name.dropFirst(kind.rawValue.count + 1))
                guard !deviceName.isEmpty, deviceName.utf8.count < 40 else {
                    throw fail("--\(name): a device name has 1 to 39 characters")
                }
                guard !value.isEmpty else { throw fail("--\(name)= needs a \(kind == .block ? "file" : "tap interface")") }
                guard !options.devices.contains(where: { $0.kind == kind && $0.name == deviceName }) else {
                    throw fail("--\(name) is given twice")
                }
                options.devices.append(DeviceOption(kind: kind, name: deviceName, backing: value))
            } else {
                throw fail("unknown option '--\(name)'")
            }
            index += 1
        }
        if let socket = options.serveSocket {
            guard index == arguments.count, options.devices.isEmpty, !options.sharesImage, !options.exitsWithParent,
                  options.pollSpinMicroseconds == defaultPollSpinMicroseconds else {
                throw fail("--serve=\(socket) takes only --mem: the image and its options come with each --via")
            }
            return options
        }
        guard index < arguments.count else { throw fail("no image given") }
        options.image = arguments[index]
        options.bootArguments = Array(arguments[(index + 1)...])
        if options.viaSocket != nil {
            options.forwardedArguments = arguments
            options.forwardedArguments.remove(at: viaIndex)
        }
        return options
    }
}
