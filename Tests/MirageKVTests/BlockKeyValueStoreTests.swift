import MirageCore
@testable import MirageKV
import MirageRuntime
import MirageTesting
import Testing

/// A device that passes to a memory device, except that the write it is told to tear writes
/// only its first sectors and then fails, as a crash in the middle of a write leaves a disk.
final class TearingDevice: BlockDevice {
    let memory: MemoryBlockDevice
    /// The write (counted from 1) to tear, and how many of its sectors reach the device.
    var tear: (write: Int, sectors: Int)?
    private(set) var writes = 0

    init(_ memory: MemoryBlockDevice) { self.memory = memory }

    var info: BlockInfo { memory.info }

    func read(at sector: UInt64, into buffer: inout [UInt8]) async throws(BlockError) {
        try await memory.read(at: sector, into: &buffer)
    }

    func write(at sector: UInt64, from buffer: [UInt8]) async throws(BlockError) {
        writes += 1
        if let tear, tear.write == writes {
            let kept = Swift.min(tear.sectors * info.sectorSize, buffer.count)
            if kept > 0 { try await memory.write(at: sector, from: Array(buffer[0..<kept])) }
            throw .io(code: 5)
        }
        try await memory.write(at: sector, from: buffer)
    }

    func flush() async throws(BlockError) { try await memory.flush() }
}

typealias MemoryStore = BlockKeyValueStore<MemoryBlockDevice>

func openStore(_ device: MemoryBlockDevice, at seconds: Int64 = 1_000) -> MemoryStore {
    inScheduler { try! await BlockKeyValueStore.open(device, now: { WallTime(seconds: seconds) }) }
}

/// Everything a store holds, key by key, read through its interface.
func contents(_ store: some KeyValueStore) -> [String: [UInt8]] {
    inScheduler {
        var found: [String: [UInt8]] = [:]
        var pending = [KeyValueKey.root]
        while let key = pending.popLast() {
            for (child, kind) in (try? await store.list(key)) ?? [] {
                if kind == .value { found[child.description] = try? await store.get(child) } else { pending.append(child) }
            }
        }
        return found
    }
}

@Suite("BlockKeyValueStore: a writable store in snapshots on a block device")
struct BlockKeyValueStoreTests {
    @Test("CRC-32C gives the check value of RFC 3720's polynomial")
    func crc() {
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
        #expect(CRC32C.checksum([UInt8](repeating: 0, count: 32)) == 0x8A91_36AA)  // RFC 3720 B.4
    }

    @Test("values and implied dictionaries are set, read, listed and removed; each change is on the device when set returns")
    func operations() {
        let device = MemoryBlockDevice(sectorCount: 64)
        let store = openStore(device)
        let lines = inScheduler { () -> [String] in
            var lines: [String] = []
            func attempt(_ body: () async throws(KeyValueError) -> Void) async {
                do { try await body(); lines.append("ok") } catch { lines.append("\(error)") }
            }
            await attempt { () throws(KeyValueError) in try await store.set(KeyValueKey("leases/10.0.0.50"), [1, 2, 3]) }
            await attempt { () throws(KeyValueError) in try await store.set(KeyValueKey("leases/10.0.0.51"), []) }
            await attempt { () throws(KeyValueError) in try await store.set(KeyValueKey("motd"), Array("hello".utf8)) }
            await attempt { () throws(KeyValueError) in try await store.set(KeyValueKey("motd/x"), [1]) }
            await attempt { () throws(KeyValueError) in try await store.set(KeyValueKey("leases"), [1]) }
            await attempt { () throws(KeyValueError) in try await store.set(.root, [1]) }
            lines.append("\(String(describing: try? await store.exists(KeyValueKey("leases"))))")
            lines.append("\((try? await store.list(KeyValueKey("leases")))?.map { "\($0.key)" } ?? [])")
            lines.append("\((try? await store.list(.root))?.map { "\($0.key) \($0.kind)" } ?? [])")
            lines.append("\((try? await store.get(KeyValueKey("motd"), offset: 1, length: 3)) ?? [])")
            lines.append("\((try? await store.size(KeyValueKey("leases/10.0.0.50"))) ?? 99)")
            lines.append("\((try? await store.lastModified(KeyValueKey("motd")))?.seconds ?? 0)")
            await attempt { () throws(KeyValueError) in _ = try await store.get(KeyValueKey("leases")) }
            await attempt { () throws(KeyValueError) in _ = try await store.list(KeyValueKey("motd")) }
            await attempt { () throws(KeyValueError) in _ = try await store.get(KeyValueKey("nothing")) }
            await attempt { () throws(KeyValueError) in try await store.remove(KeyValueKey("leases")) }
            await attempt { () throws(KeyValueError) in try await store.remove(KeyValueKey("nothing")) }
            lines.append("\((try? await store.list(.root))?.map { "\($0.key)" } ?? [])")
            return lines
        }
        #expect(lines == ["ok", "ok", "ok", "/motd is a value, not a dictionary", "/leases is a dictionary, not a value",
                          "/ is a dictionary, not a value", "Optional(MirageCore.KeyValueEntryKind.dictionary)",
                          "[\"/leases/10.0.0.50\", \"/leases/10.0.0.51\"]", "[\"/leases dictionary\", \"/motd value\"]",
                          "[101, 108, 108]", "3", "1000", "/leases is a dictionary, not a value", "/motd is a value, not a dictionary",
                          "/nothing is not in the store", "ok", "ok", "[\"/motd\"]"])
        // Four changes, four snapshots, each flushed; the removal of nothing wrote nothing.
        #expect(store.writes == 4 && store.sequence == 4 && device.flushes == 4)
        let reopened = openStore(device)
        #expect(contents(reopened) == ["/motd": Array("hello".utf8)] && reopened.sequence == 4)
    }

    @Test("a write torn at any sector leaves the store as it was before it, on the device and in memory")
    func tornWrites() {
        // The third snapshot takes 3 sectors: torn after 0, 1 or 2 of them.
        for sectors in 0..<3 {
            let memory = MemoryBlockDevice(sectorCount: 16)
            let device = TearingDevice(memory)
            let outcome = inScheduler { () -> String in
                let store = try! await BlockKeyValueStore.open(device, now: { WallTime(seconds: 1) })
                try! await store.set(KeyValueKey("a"), [UInt8](repeating: 1, count: 700))
                try! await store.set(KeyValueKey("b"), [UInt8](repeating: 2, count: 300))
                device.tear = (write: 3, sectors: sectors)
                do {
                    try await store.set(KeyValueKey("a"), [UInt8](repeating: 3, count: 900))
                    return "written"
                } catch {
                    return "\(error) \(store.sequence) \((try? await store.get(KeyValueKey("a")))?.first ?? 0)"
                }
            }
            #expect(outcome == "storage error: input/output error (error number 5) 2 1", "torn after \(sectors) sectors")
            let reopened = openStore(memory)
            #expect(contents(reopened) == ["/a": [UInt8](repeating: 1, count: 700), "/b": [UInt8](repeating: 2, count: 300)],
                    "torn after \(sectors) sectors")
            #expect(reopened.sequence == 2)
        }
    }

    @Test("a value past the capacity is refused with the store unchanged; a new device is an empty store; a read-only one is refused")
    func bounds() {
        let device = MemoryBlockDevice(sectorCount: 8)  // halves of 4 sectors: 1536 bytes of snapshot
        let store = openStore(device)
        #expect(store.capacity == 1536)
        let outcome = inScheduler { () -> [String] in
            var lines: [String] = []
            for size in [1000, 1600, 400] {
                do { try await store.set(KeyValueKey("v\(size)"), [UInt8](repeating: 7, count: size)); lines.append("ok") } catch { lines.append("\(error)") }
            }
            return lines
        }
        #expect(outcome == ["ok", "no room in the store for /v1600", "ok"])
        #expect(contents(openStore(device)).keys.sorted() == ["/v1000", "/v400"])
        #expect(contents(openStore(MemoryBlockDevice(sectorCount: 8))).isEmpty)
        let refused = inScheduler { () -> String in
            do {
                _ = try await BlockKeyValueStore.open(MemoryBlockDevice(sectorCount: 8, isWritable: false), now: { WallTime(seconds: 0) })
                return "opened"
            } catch { return "\(error)" }
        }
        #expect(refused == "storage error: the device is read-only")
    }

    @Test("random sets and removes, reopened at random points, always read back as a model dictionary says")
    func randomAgainstModel() {
        let seed = UInt64.random(in: 0...UInt64.max)
        print("BlockKeyValueStore randomAgainstModel seed \(seed)")
        var random = EntropyRandomNumberGenerator(SeededEntropy(seed: seed))
        let device = MemoryBlockDevice(sectorCount: 256)
        var store = openStore(device)
        var model: [String: [UInt8]] = [:]
        let names = ["a", "b", "c/d", "c/e", "f/g/h", "f/i"]
        for step in 0..<300 {
            let name = names[Int.random(in: 0..<names.count, using: &random)]
            if Int.random(in: 0..<4, using: &random) == 0 {
                inScheduler { try? await store.remove(KeyValueKey(name)) }
                model[KeyValueKey(name).description] = nil
            } else {
                let value = (0..<Int.random(in: 0..<2000, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }
                inScheduler { try? await store.set(KeyValueKey(name), value) }
                model[KeyValueKey(name).description] = value
            }
            if Int.random(in: 0..<20, using: &random) == 0 {
                store = openStore(device)
                #expect(contents(store) == model, "seed \(seed), step \(step)")
            }
        }
        #expect(contents(openStore(device)) == model, "seed \(seed)")
    }
}
