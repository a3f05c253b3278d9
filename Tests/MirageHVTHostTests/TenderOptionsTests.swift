import MirageHVTHost
import Testing

@Suite("Tender command line")
struct TenderOptionsTests {
    typealias Device = TenderOptions.DeviceOption

    @Test("options, then the image, then the guest's boot arguments")
    func fullCommandLine() throws {
        let options = try TenderOptions.parse(["--mem=64", "--block:storage=disk.img", "--net:service=tap0", "--", "hello.hvt", "--hello=hi", "-l", "debug"])
        #expect(options.memoryMiB == 64)
        #expect(options.devices == [
            Device(kind: .block, name: "storage", backing: "disk.img"),
            Device(kind: .net, name: "service", backing: "tap0"),
        ])
        #expect(options.image == "hello.hvt")
        #expect(options.bootArguments == ["--hello=hi", "-l", "debug"])
        #expect(!options.sharesImage)
        #expect(options.pollSpinMicroseconds == TenderOptions.defaultPollSpinMicroseconds)
        #expect(options.ioSpinMicroseconds == TenderOptions.defaultIOSpinMicroseconds)
        let sharing = try TenderOptions.parse(["--share-image", "--mem=8", "--poll-spin=0", "--io-spin=1000", "web.hvt", "--share-image"])
        #expect(sharing.sharesImage && sharing.memoryMiB == 8 && sharing.bootArguments == ["--share-image"], "after the image it is the guest's")
        #expect(sharing.pollSpinMicroseconds == 0 && sharing.ioSpinMicroseconds == 1000)
        #expect(!sharing.exitsWithParent)
        let supervised = try TenderOptions.parse(["--exit-with-parent", "web.hvt", "--exit-with-parent"])
        #expect(supervised.exitsWithParent && supervised.bootArguments == ["--exit-with-parent"])
    }

    @Test("--help or -h before the image asks for the help; after it, it is the guest's", arguments: [["--help"], ["-h"], ["--mem=64", "--help", "x.hvt"]])
    func help(arguments: [String]) throws {
        #expect(try TenderOptions.parse(arguments).helpRequested)
        let guests = try TenderOptions.parse(["x.hvt", "--help"])
        #expect(!guests.helpRequested && guests.bootArguments == ["--help"])
        #expect(TenderOptions.help.hasPrefix(TenderOptions.usage + "\n"))
        #expect(TenderOptions.help.contains("-h, --help"))
    }

    @Test("without --, the first argument that is not an option is the image")
    func imageWithoutSeparator() throws {
        let options = try TenderOptions.parse(["hello.hvt", "--mem=4"])
        #expect(options.image == "hello.hvt")
        #expect(options.memoryMiB == 32)
        #expect(options.bootArguments == ["--mem=4"])
    }

    @Test("--serve takes only --mem; --via is sent on without itself, whatever follows the image")
    func keptReadyVMs() throws {
        let server = try TenderOptions.parse(["--mem=64", "--serve=/run/ready.sock"])
        #expect(server.serveSocket == "/run/ready.sock" && server.memoryMiB == 64 && server.viaSocket == nil)
        let arguments = ["--mem=8", "--via=/run/ready.sock", "--block:storage=d.img", "--", "web.hvt", "--via=/run/ready.sock"]
        let client = try TenderOptions.parse(arguments)
        #expect(client.viaSocket == "/run/ready.sock" && client.serveSocket == nil)
        #expect(client.forwardedArguments == ["--mem=8", "--block:storage=d.img", "--", "web.hvt", "--via=/run/ready.sock"])
        #expect(client.bootArguments == ["--via=/run/ready.sock"])
        #expect(try TenderOptions.parse(["web.hvt"]).forwardedArguments == [])
    }

    @Test("every mistake is a usage error naming it", arguments: [
        ([], "no image given"),
        (["--mem=0", "x"], "--mem=0: give the guest's memory in MiB, from 2 to 3072"),
        (["--mem=4096", "x"], "--mem=4096: give the guest's memory in MiB, from 2 to 3072"),
        (["--mem", "x"], "option '--mem' needs a value: --mem=VALUE"),
        (["--disk=a", "x"], "unknown option '--disk'"),
        (["--block:=a", "x"], "--block:: a device name has 1 to 39 characters"),
        (["--block:storage=", "x"], "--block:storage= needs a file"),
        (["--net:service=", "x"], "--net:service= needs a tap interface"),
        (["--block:a=1", "--block:a=2", "x"], "--block:a is given twice"),
        (["--poll-spin=1001", "x"], "--poll-spin=1001: give microseconds, from 0 to 1000"),
        (["--poll-spin=-1", "x"], "--poll-spin=-1: give microseconds, from 0 to 1000"),
        (["--poll-spin=fast", "x"], "--poll-spin=fast: give microseconds, from 0 to 1000"),
        (["--io-spin=1001", "x"], "--io-spin=1001: give microseconds, from 0 to 1000"),
        (["--io-spin=", "x"], "--io-spin=: give microseconds, from 0 to 1000"),
        (["--serve="], "--serve= needs a socket path"),
        (["--serve=s", "x.hvt"], "--serve=s takes only --mem: the image and its options come with each --via"),
        (["--serve=s", "--block:a=d"], "--serve=s takes only --mem: the image and its options come with each --via"),
        (["--serve=s", "--via=s", "x"], "give one of --serve and --via, once"),
        (["--via=s", "--via=t", "x"], "give one of --serve and --via, once"),
        (["--via=s"], "no image given"),
    ])
    func mistakes(arguments: [String], message: String) {
        #expect(throws: TenderError(message + "\n" + TenderOptions.usage, status: TenderExitStatus.usage)) {
            try TenderOptions.parse(arguments)
        }
    }
}

@Suite("Device manifest")
struct DeviceManifestTests {
    typealias Device = TenderOptions.DeviceOption

    @Test("the section's lines are the devices, in order")
    func parse() {
        #expect(DeviceManifest(sectionText: Array("block:storage\nnet:service\n\n".utf8)).ids == ["block:storage", "net:service"])
        #expect(DeviceManifest(sectionText: [UInt8]()).ids == [])
        #expect(DeviceManifest(sectionText: Array("block:storage\n\0".utf8)).ids == ["block:storage"])
    }

    @Test("the command line's devices come back in the image's order")
    func match() throws {
        let manifest = DeviceManifest(ids: ["net:service", "block:storage"])
        let given = [Device(kind: .block, name: "storage", backing: "d.img"), Device(kind: .net, name: "service", backing: "tap0")]
        #expect(try manifest.match(given).map(\.id) == ["net:service", "block:storage"])
    }

    @Test("missing and extra devices are all named")
    func mismatch() {
        let manifest = DeviceManifest(ids: ["block:storage", "net:service"])
        let given = [Device(kind: .block, name: "spare", backing: "s.img")]
        #expect(throws: TenderError("""
            the image needs --block:storage=FILE
            the image needs --net:service=TAP
            the image has no device block:spare (it needs: block:storage, net:service)
            """, status: TenderExitStatus.usage)) {
            try manifest.match(given)
        }
    }
}
