import MirageOCI
import Testing

/// The wire formats containerd-shim-mirage-v2 speaks with containerd: protobuf, ttrpc frames and
/// messages, the Task API's messages; and the shim's task lifecycle.
@Suite("containerd shim: protobuf, ttrpc, the Task API and task states")
struct ShimProtocolTests {
    @Test("protobuf varints, signed integers, strings and embedded messages read back as written; zero values are left out")
    func protobufRoundTrip() throws {
        for value: UInt64 in [1, 127, 128, 300, 16383, 16384, UInt64(UInt32.max), .max] {
            var writer = ProtobufWriter()
            writer.integer(7, value)
            var reader = ProtobufReader(writer.bytes)
            let field = try reader.next()
            #expect(field?.field == 7 && field?.value == .varint(value), "\(value)")
            #expect(try reader.next() == nil)
        }
        var writer = ProtobufWriter()
        writer.integer(1, 0)
        writer.string(2, "")
        #expect(writer.bytes.isEmpty, "proto3 leaves zero values out")
        writer.signedInteger(3, -1)
        #expect(writer.bytes.count == 11, "a negative int64 takes ten bytes after its tag")
        var inner = ProtobufWriter()
        inner.string(1, "überall")
        writer.message(4, inner)
        writer.message(5, ProtobufWriter())
        var fields: [Int: ProtobufReader.Value] = [:]
        try ProtobufReader.fields(of: writer.bytes[...]) { field, value in fields[field] = value }
        #expect(fields[3] == .varint(.max))
        #expect(fields[4]?.bytes.map(Array.init) == inner.bytes)
        #expect(fields[5] == .bytes([]), "an empty message is written")
        // Known bytes: field 1 = 150 is 08 96 01 (protobuf's "Encoding" page).
        var known = ProtobufWriter()
        known.integer(1, 150)
        #expect(known.bytes == [0x08, 0x96, 0x01])
    }

    @Test("malformed protobuf is refused: a truncated varint or field, an eleven-byte varint, a group, field number 0")
    func protobufMalformed() {
        let inputs: [[UInt8]] = [
            [0x08, 0x96], // varint cut
            [0x12, 0x05, 0x61], // five bytes announced, one there
            [0x08] + [UInt8](repeating: 0xFF, count: 10) + [0x01], // longer than ten bytes
            [0x0B], // wire type 3: a group
            [0x00, 0x01], // field 0
            [0x12, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F], // a length of 4 GiB
        ]
        for input in inputs {
            #expect(throws: ProtobufReader.Malformed.self, "\(input)") {
                try ProtobufReader.fields(of: input[...]) { _, _ in }
            }
        }
    }

    @Test("ttrpc frames: a 10-byte big-endian header; cut anywhere, they come out whole and in order")
    func frames() throws {
        let first = TTRPCFrame(stream: 1, kind: .request, payload: Array("hello".utf8))
        let second = TTRPCFrame(stream: 3, kind: .response, flags: 0, payload: [])
        #expect(Array(first.encoded.prefix(10)) == [0, 0, 0, 5, 0, 0, 0, 1, 1, 0])
        let bytes = first.encoded + second.encoded
        for cut in 0 ... bytes.count {
            var reader = TTRPCFrameReader()
            let frames = try reader.receive(bytes[..<cut]) + reader.receive(bytes[cut...])
            #expect(frames == [first, second], "cut at \(cut)")
        }
        var reader = TTRPCFrameReader()
        var all: [TTRPCFrame] = []
        for byte in bytes { all += try reader.receive([byte]) }
        #expect(all == [first, second])
    }

    @Test("a ttrpc frame announcing more than 4 MiB is refused from its header, before its payload is held")
    func oversizedFrame() {
        var reader = TTRPCFrameReader()
        let length = UInt32(TTRPCFrame.maximumPayload + 1)
        let header: [UInt8] = [UInt8(length >> 24), UInt8(length >> 16 & 0xFF), UInt8(length >> 8 & 0xFF), UInt8(length & 0xFF), 0, 0, 0, 1, 1, 0]
        #expect(throws: TTRPCFrameReader.Oversized(length: Int(length))) { _ = try reader.receive(header) }
        var exact = TTRPCFrameReader()
        let limit = UInt32(TTRPCFrame.maximumPayload)
        #expect((try? exact.receive([UInt8(limit >> 24), UInt8(limit >> 16 & 0xFF), 0, 0, 0, 0, 0, 1, 1, 0])) == [], "the limit itself waits for its payload")
    }

    @Test("ttrpc requests and responses read back as written; a request without service or method is malformed")
    func messages() throws {
        let request = TTRPCRequest(service: "containerd.task.v2.Task", method: "Wait", payload: [0x0A, 0x01, 0x61], timeoutNanoseconds: 5_000_000_000)
        #expect(try TTRPCRequest(decoding: request.encoded) == request)
        #expect(throws: ProtobufReader.Malformed.self) { try TTRPCRequest(decoding: TTRPCRequest(service: "", method: "Wait", payload: []).encoded) }
        let failure = TTRPCResponse.failure(.notFound, "task x not found")
        #expect(try TTRPCResponse(decoding: failure.encoded) == failure)
        let success = TTRPCResponse.success(TaskMessages.pid(4242))
        #expect(try TTRPCResponse(decoding: success.encoded) == success)
    }

    @Test("Create and Kill requests decode as containerd encodes them (shim.proto field numbers), mounts with their options")
    func taskRequests() throws {
        var mount = ProtobufWriter()
        mount.string(1, "overlay")
        mount.string(2, "overlay")
        mount.string(4, "workdir=/w")
        mount.string(4, "lowerdir=/l")
        var create = ProtobufWriter()
        create.string(1, "web")
        create.string(2, "/run/bundle/web")
        create.message(3, mount)
        create.string(6, "/run/fifo/web-stdout")
        create.string(7, "/run/fifo/web-stderr")
        create.integer(99, 1) // a field of a later version
        let decoded = try TaskMessages.Create(decoding: create.bytes)
        #expect(decoded.id == "web" && decoded.bundle == "/run/bundle/web" && decoded.stdout == "/run/fifo/web-stdout" && decoded.stderr == "/run/fifo/web-stderr")
        #expect(decoded.rootfs == [TaskMessages.Mount(type: "overlay", source: "overlay", options: ["workdir=/w", "lowerdir=/l"])])
        var kill = ProtobufWriter()
        kill.string(1, "web")
        kill.integer(3, 15)
        kill.bool(4, true)
        #expect(try TaskMessages.TaskReference(decoding: kill.bytes) == TaskMessages.TaskReference(id: "web", signal: 15))
    }

    @Test("the exit event is a protobuf Any of containerd.events.TaskExit with the task's ID, PID, status and time")
    func exitEvent() throws {
        let bytes = TaskMessages.exitEvent(id: "web", pid: 77, exitStatus: 143, exitedAt: .init(seconds: 1_800_000_000, nanoseconds: 5))
        var any: [Int: ProtobufReader.Value] = [:]
        try ProtobufReader.fields(of: bytes[...]) { field, value in any[field] = value }
        #expect(any[1]?.string == "containerd.events.TaskExit")
        var event: [Int: ProtobufReader.Value] = [:]
        try ProtobufReader.fields(of: any[2]?.bytes ?? []) { field, value in event[field] = value }
        #expect(event[1]?.string == "web" && event[2]?.string == "web" && event[3] == .varint(77) && event[4] == .varint(143))
    }

    @Test("Stats answers an Any of cgroup v1 Metrics: pids 2, cpu 3 (usage 1, total 1), memory 4 (usage 33: limit 1, usage 2)")
    func metrics() throws {
        let bytes = TaskMessages.metrics(memoryUsage: 5 << 20, memoryLimit: 64 << 20, cpuNanoseconds: 123_456, pids: 2)
        func fields(_ bytes: ArraySlice<UInt8>?) throws -> [Int: ProtobufReader.Value] {
            var result: [Int: ProtobufReader.Value] = [:]
            try ProtobufReader.fields(of: bytes ?? []) { field, value in result[field] = value }
            return result
        }
        let any = try fields(try fields(bytes[...])[1]?.bytes)
        #expect(any[1]?.string == "io.containerd.cgroups.v1.Metrics")
        let metrics = try fields(any[2]?.bytes)
        #expect(try fields(metrics[2]?.bytes)[1] == .varint(2))
        #expect(try fields(try fields(metrics[3]?.bytes)[1]?.bytes)[1] == .varint(123_456))
        let usage = try fields(try fields(metrics[4]?.bytes)[33]?.bytes)
        #expect(usage[1] == .varint(64 << 20) && usage[2] == .varint(5 << 20))
    }

    @Test("task states: created, then running, then stopped once; a second task of one ID, a start of a started task and a delete of a running one are refused with containerd's codes")
    func lifecycle() throws {
        var table = ShimTaskTable()
        try table.add(ShimTask(id: "pod", bundle: "/b/pod", kind: .sandbox(networkNamespace: "/var/run/netns/cni-1")))
        try table.add(ShimTask(id: "web", bundle: "/b/web", kind: .unikernel))
        #expect(throws: ShimTaskTable.Refusal(code: .alreadyExists, description: "task web already exists")) {
            try table.add(ShimTask(id: "web", bundle: "/b/other", kind: .unikernel))
        }
        #expect(table.sandboxNamespace("pod") == .some("/var/run/netns/cni-1"))
        #expect(table.sandboxNamespace("web") == nil, "a unikernel is no sandbox")
        _ = try table.checkStartable("web")
        table.started("web", pid: 1234)
        #expect(table.task(withPID: 1234)?.id == "web")
        #expect(throws: ShimTaskTable.Refusal.self) { try table.checkStartable("web") }
        #expect(throws: ShimTaskTable.Refusal(code: .failedPrecondition, description: "task web is running: kill it first")) { _ = try table.remove("web") }
        let time = TaskMessages.Timestamp(seconds: 10, nanoseconds: 0)
        #expect(table.exited("web", status: 143, at: time)?.exit == ShimTask.Exit(status: 143, at: time))
        #expect(table.exited("web", status: 0, at: time) == nil, "an exit is reported once")
        #expect(table.task(withPID: 1234) == nil, "an ended task's PID may be reused")
        #expect(try table.remove("web").status == .stopped)
        #expect(throws: ShimTaskTable.Refusal(code: .notFound, description: "task web not found")) { _ = try table.task("web") }
    }

    @Test("the shim holds at most maximumTasks tasks: one more is refused")
    func taskLimit() throws {
        var table = ShimTaskTable()
        for index in 0 ..< ShimTaskTable.maximumTasks {
            try table.add(ShimTask(id: "t\(index)", bundle: "/b", kind: .unikernel))
        }
        #expect(throws: ShimTaskTable.Refusal.self) { try table.add(ShimTask(id: "one-more", bundle: "/b", kind: .unikernel)) }
    }
}
