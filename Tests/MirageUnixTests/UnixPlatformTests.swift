import Glibc
import MirageRuntime
import MirageUnix
import Testing

@Suite("Unix platform")
struct UnixPlatformTests {
    @Test("a task waiting for a readable pipe wakes when another task writes to it")
    func readinessWakesWaiter() {
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        defer { close(fds[0]); close(fds[1]) }
        let platform = UnixPlatform(bootArguments: [], handlesSignals: false)
        var events: [String] = []
        let status = Mirage.runToCompletion(platform) { () async -> Int32 in
            let reader = Task {
                await platform.waitUntilReadable(fds[0])
                var byte: UInt8 = 0
                let count = read(fds[0], &byte, 1)
                events.append("read \(count) byte: \(byte)")
            }
            try? await sleep(for: .milliseconds(20))
            events.append("writing")
            var byte: UInt8 = 42
            _ = write(fds[1], &byte, 1)
            await reader.value
            return 0
        }
        #expect(status == 0)
        #expect(events == ["writing", "read 1 byte: 42"])
    }

    @Test("a writable socket wakes its writer at once")
    func writable() {
        var fds: [Int32] = [0, 0]
        #expect(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &fds) == 0)
        defer { close(fds[0]); close(fds[1]) }
        let platform = UnixPlatform(bootArguments: [], handlesSignals: false)
        let status = Mirage.runToCompletion(platform) { () async -> Int32 in
            await platform.waitUntilWritable(fds[0])
            return 5
        }
        #expect(status == 5)
    }

    @Test("sleep waits in epoll for at least the time asked, on CLOCK_MONOTONIC")
    func sleepUsesMonotonicClock() {
        let platform = UnixPlatform(bootArguments: [], handlesSignals: false)
        let clock = UnixMonotonicClock()
        let before = clock.now()
        _ = Mirage.runToCompletion(platform) { () async -> Int32 in
            try? await sleep(for: .milliseconds(30))
            return 0
        }
        #expect(clock.now() - before >= .milliseconds(30))
    }

    /// A reader waits for a pipe that another task writes to after a 20 ms sleep: every wait
    /// ends within a spin of a second, so none sleeps in epoll_wait; with no spin each sleeps.
    /// The host's CPU pressure is left out (`hostCPUStall: nil`): the spin asked for runs.
    @Test("a wait looks for events without sleeping for up to the poll spin, and sleeps at once without one",
          arguments: [(Duration.seconds(1), false), (.zero, true)])
    func pollSpin(spin: Duration, sleeps: Bool) {
        let platform = UnixPlatform(bootArguments: [], handlesSignals: false, pollSpin: spin, hostCPUStall: nil)
        let slept = Self.sleepsWhileWaitingForAWrite(on: platform)
        #expect((slept > 0) == sleeps, "\(slept) sleeps with a spin of \(spin)")
    }

    /// What a host's CPU stall reads as, for the spin's guard.
    enum Host: String, CaseIterable, CustomTestStringConvertible {
        case contended, quiet, unreadable, withoutPressure, withoutPressureAskedFor
        var testDescription: String { rawValue }
    }

    /// The same reader under a spin of a second (1 ms where asked for with `--poll-spin`), the
    /// host's CPU stall read from a counter: a host whose tasks wait for a CPU all the time makes
    /// the wait sleep; a quiet one (the total never moves) lets the spin run; where the pressure
    /// stops reading the spin stands back; where it cannot be read at all, only a spin asked for
    /// runs, not the default one.
    @Test("the spin runs only while no other task on the host waits for a CPU (SpinGuard over the host's CPU pressure)",
          arguments: Host.allCases)
    func spinStandsBackOnAContendedHost(host: Host) {
        var contended = Duration.zero
        let platform: UnixPlatform
        switch host {
        case .contended:
            platform = UnixPlatform(bootArguments: [], handlesSignals: false, pollSpin: .seconds(1),
                                    hostCPUStall: { contended += .seconds(1); return contended })
        case .quiet:
            platform = UnixPlatform(bootArguments: [], handlesSignals: false, pollSpin: .seconds(1), hostCPUStall: { .seconds(5) })
        case .unreadable:
            platform = UnixPlatform(bootArguments: [], handlesSignals: false, pollSpin: .seconds(1), hostCPUStall: { nil })
        case .withoutPressure, .withoutPressureAskedFor:
            platform = UnixPlatform(bootArguments: [], handlesSignals: false, hostCPUStall: nil)
        }
        var delay = Duration.milliseconds(20)
        if host == .withoutPressureAskedFor {
            guard case let .success(asked) = BootArguments.parse(["--poll-spin=1000"], keys: platform.bootKeys) else {
                Issue.record("--poll-spin=1000 did not parse")
                return
            }
            #expect(platform.takeBootArguments(asked) == nil)
            delay = .microseconds(300)  // within the 1 ms spin
        }
        let slept = Self.sleepsWhileWaitingForAWrite(on: platform, after: delay)
        #expect((slept == 0) == [.quiet, .withoutPressureAskedFor].contains(host), "\(slept) sleeps")
    }

    /// Runs a reader of a pipe that another task writes to `after` a sleep (20 ms by default) on
    /// `platform`; the platform's sleeps in epoll_wait so far.
    static func sleepsWhileWaitingForAWrite(on platform: UnixPlatform, after delay: Duration = .milliseconds(20)) -> Int {
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        defer { close(fds[0]); close(fds[1]) }
        var got: UInt8 = 0
        let status = Mirage.runToCompletion(platform) { () async -> Int32 in
            let reader = Task {
                await platform.waitUntilReadable(fds[0])
                _ = read(fds[0], &got, 1)
            }
            try? await sleep(for: delay)
            var byte: UInt8 = 7
            _ = write(fds[1], &byte, 1)
            await reader.value
            return 0
        }
        #expect(status == 0)
        #expect(got == 7)
        return platform.sleeps
    }

    @Test("--poll-spin is a runtime key listed in --help, from 0 to 1000 microseconds; another value is a named error")
    func pollSpinArgument() throws {
        let platform = UnixPlatform(bootArguments: [], handlesSignals: false)
        #expect(BootArguments.help(unikernel: "probe", keys: platform.bootKeys).contains("--poll-spin=MICROSECONDS"))
        for (text, problem) in [("0", nil), ("1000", nil),
                                ("1001", "invalid value '1001' for boot argument '--poll-spin': expected microseconds from 0 to 1000"),
                                ("-1", "invalid value '-1' for boot argument '--poll-spin': expected microseconds from 0 to 1000")] {
            guard case let .success(arguments) = BootArguments.parse(["--poll-spin=\(text)"], keys: platform.bootKeys) else {
                Issue.record("--poll-spin=\(text) did not parse")
                continue
            }
            #expect(platform.takeBootArguments(arguments) == problem)
        }
        guard case let .failure(error) = BootArguments.parse(["--poll-spin=soon"], keys: platform.bootKeys) else {
            Issue.record("--poll-spin=soon parsed")
            return
        }
        #expect("\(error)".contains("'soon'"))
    }

    @Test("the monotonic clock never goes backwards; the wall clock is near the C library's time()")
    func clocks() {
        let clock = UnixMonotonicClock()
        var previous = clock.now()
        for _ in 0..<1000 {
            let next = clock.now()
            #expect(next >= previous)
            previous = next
        }
        let wall = UnixWallClock().now()
        #expect(abs(wall.seconds - Int64(time(nil))) <= 1)
    }

    @Test("getrandom fills buffers of any size, and two draws differ")
    func entropy() {
        let entropy = UnixEntropy()
        let first = entropy.bytes(count: 4096)
        let second = entropy.bytes(count: 4096)
        #expect(first.count == 4096)
        #expect(first != second)
        #expect(Set(first).count > 200)
    }
}

@Suite("File-backed block device")
struct FileBlockDeviceTests {
    /// A temporary file of `bytes` zero bytes, removed after `body`.
    func withImage(bytes: Int, _ body: (String) async throws -> Void) async throws {
        var template = Array("/tmp/mirage-block-XXXXXX".utf8CString)
        let fd = mkstemp(&template)
        #expect(fd >= 0)
        ftruncate(fd, off_t(bytes))
        close(fd)
        let path = String(cString: template)
        defer { unlink(path) }
        try await body(path)
    }

    @Test("the sector count is the file size over the sector size; a partial sector is unused")
    func geometry() async throws {
        try await withImage(bytes: 4096 + 100) { path in
            let device = try FileBlockDevice.connect(path: path)
            #expect(device.info == BlockInfo(sectorSize: 512, sectorCount: 8, isWritable: true))
        }
    }

    @Test("what is written is read back, and lands at sector * sectorSize in the file")
    func roundTrip() async throws {
        try await withImage(bytes: 8192) { path in
            let device = try FileBlockDevice.connect(path: path)
            let data = (0..<1024).map { UInt8(truncatingIfNeeded: $0 * 3) }
            try await device.write(at: 3, from: data)
            try await device.flush()
            var back = [UInt8](repeating: 0, count: 1024)
            try await device.read(at: 3, into: &back)
            #expect(back == data)
            let fd = open(path, O_RDONLY)
            defer { close(fd) }
            var raw = [UInt8](repeating: 0, count: 1024)
            #expect(pread(fd, &raw, 1024, 3 * 512) == 1024)
            #expect(raw == data)
        }
    }

    @Test("transfers past the end, of partial sectors, or writes to a read-only device are typed errors")
    func errors() async throws {
        try await withImage(bytes: 4096) { path in
            let device = try FileBlockDevice.connect(path: path)
            var buffer = [UInt8](repeating: 0, count: 512)
            await #expect(throws: BlockError.outOfRange(sector: 8, sectors: 1, sectorCount: 8)) {
                try await device.read(at: 8, into: &buffer)
            }
            await #expect(throws: BlockError.outOfRange(sector: 7, sectors: 2, sectorCount: 8)) {
                try await device.write(at: 7, from: [UInt8](repeating: 1, count: 1024))
            }
            await #expect(throws: BlockError.outOfRange(sector: .max, sectors: 1, sectorCount: 8)) {
                try await device.read(at: .max, into: &buffer)
            }
            await #expect(throws: BlockError.partialSector(length: 100, sectorSize: 512)) {
                try await device.write(at: 0, from: [UInt8](repeating: 1, count: 100))
            }
            let readOnly = try FileBlockDevice.connect(path: path, readOnly: true)
            await #expect(throws: BlockError.readOnly) {
                try await readOnly.write(at: 0, from: buffer)
            }
            device.disconnect()
            await #expect(throws: BlockError.disconnected) {
                try await device.read(at: 0, into: &buffer)
            }
        }
        #expect(throws: BlockError.cannotOpen(name: "/nonexistent/disk.img", reason: "No such file or directory")) {
            try FileBlockDevice.connect(path: "/nonexistent/disk.img")
        }
    }
}
