import Foundation
import MirageCore
import MirageKV
import MirageRuntime
import MirageTesting
import Testing

/// Runs `body` inside the scheduler (the stores are async) and returns its result.
func inScheduler<T>(_ body: @escaping () async -> T) -> T {
    var result: T?
    _ = Mirage.runToCompletion(SimulatedPlatform()) {
        result = await body()
        return 0
    }
    return result!
}

@Suite("crunch: files compiled into the image")
struct CrunchStoreTests {
    @Test("values, implied folders, listing, sizes, ranges and digests that change with the contents")
    func store() {
        let store = CrunchStore(files: [.init(path: "a/b.txt", contents: [1, 2, 3]), .init(path: "c", contents: [])])
        let results = inScheduler { () -> [String] in
            var lines: [String] = []
            lines.append("\(String(describing: try? await store.exists(KeyValueKey("a"))))")
            lines.append("\(String(describing: try? await store.exists(KeyValueKey("/a/b.txt"))))")
            lines.append("\((try? await store.list(.root))?.map { "\($0.key)" } ?? [])")
            lines.append("\((try? await store.get(KeyValueKey("a/b.txt"), offset: 1, length: 5)) ?? [])")
            lines.append("\((try? await store.size(KeyValueKey("a/b.txt"))) ?? 99)")
            do { _ = try await store.get(KeyValueKey("a")) } catch { lines.append("\(error)") }
            do { _ = try await store.get(KeyValueKey("x")) } catch { lines.append("\(error)") }
            return lines
        }
        #expect(results == ["Optional(MirageCore.KeyValueEntryKind.dictionary)", "Optional(MirageCore.KeyValueEntryKind.value)",
                            "[\"/a\", \"/c\"]", "[2, 3]", "3", "/a is a dictionary, not a value", "/x is not in the store"])
        let one = CrunchStore(files: [.init(path: "f", contents: [1, 2, 3])])
        let other = CrunchStore(files: [.init(path: "f", contents: [1, 2, 4])])
        let digests = inScheduler { [(try? await one.digest(KeyValueKey("f"))) ?? [], (try? await other.digest(KeyValueKey("f"))) ?? []] }
        #expect(digests[0].count == 16 && digests[0] != digests[1])
    }
}

/// A tar archive of `files` made by the host's tar (GNU tar: a peer no one here wrote), in
/// `format`, as the bytes of a block device.
func hostTar(_ files: [(String, [UInt8])], format: String) throws -> MemoryBlockDevice {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("mirage-tar-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: folder) }
    for (path, contents) in files {
        let url = folder.appendingPathComponent("site").appendingPathComponent(path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(contents).write(to: url)
        try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSince1970: 1_700_000_000)], ofItemAtPath: url.path)
    }
    let archive = folder.appendingPathComponent("site.tar")
    let tar = Process()
    tar.executableURL = URL(fileURLWithPath: "/usr/bin/tar")
    tar.arguments = ["--format=\(format)", "-cf", archive.path, "-C", folder.appendingPathComponent("site").path, "."]
    try tar.run()
    tar.waitUntilExit()
    let bytes = try [UInt8](Data(contentsOf: archive))
    let device = MemoryBlockDevice(sectorSize: 512, sectorCount: UInt64((bytes.count + 511) / 512))
    inScheduler { try? await device.write(at: 0, from: bytes + [UInt8](repeating: 0, count: (512 - bytes.count % 512) % 512)) }
    return device
}

/// Whether GNU tar, which makes the archives these tests read, is installed; a SKIP line when not.
let gnuTarAvailable: Bool = {
    let available = FileManager.default.isExecutableFile(atPath: "/usr/bin/tar")
    if !available { print("SKIP: tar store tests: /usr/bin/tar is missing (package tar)") }
    return available
}()

@Suite("tar: an archive on a block device", .enabled(if: gnuTarAvailable, "SKIP: /usr/bin/tar is missing"))
struct TarStoreTests {
    static let longName = "docs/" + String(repeating: "a-very-long-folder-name/", count: 6) + "page.html"
    static let files: [(String, [UInt8])] = [
        ("index.html", Array("<h1>home</h1>".utf8)),
        ("css/site.css", Array("body{}".utf8)),
        ("big.bin", (0..<5000).map { UInt8(truncatingIfNeeded: $0 * 7) }),
        ("empty.txt", []),
        (longName, Array("deep".utf8)),
    ]

    @Test("GNU tar's ustar and pax archives: every file, folders, sizes, times, ranges and long names", arguments: ["ustar", "pax", "gnu"])
    func archive(format: String) throws {
        let files = format == "ustar" ? Self.files.filter { $0.0 != Self.longName } : Self.files
        let device = try hostTar(files, format: format)
        let outcome = inScheduler { () -> (String?, [String]) in
            let store: TarStore<MemoryBlockDevice>
            do { store = try await TarStore.open(device) } catch { return ("\(error)", []) }
            var lines: [String] = []
            for (path, contents) in files {
                let got = (try? await store.get(KeyValueKey(path))) ?? [9, 9, 9]
                lines.append("\(path): \(got == contents) \((try? await store.size(KeyValueKey(path))) ?? 0)")
            }
            lines.append("modified \((try? await store.lastModified(KeyValueKey("index.html")))?.seconds ?? 0)")
            lines.append("range \((try? await store.get(KeyValueKey("big.bin"), offset: 510, length: 4)) ?? [])")
            lines.append("css is \(String(describing: try? await store.exists(KeyValueKey("css"))))")
            lines.append("root \((try? await store.list(.root))?.map { "\($0.key)" } ?? [])")
            return (nil, lines)
        }
        #expect(outcome.0 == nil)
        var expected = files.map { "\($0.0): true \($0.1.count)" }
        expected += ["modified 1700000000", "range \(Array(Self.files[2].1[510..<514]))",
                     "css is Optional(MirageCore.KeyValueEntryKind.dictionary)"]
        expected.append("root \((format == "ustar" ? ["/big.bin", "/css", "/empty.txt", "/index.html"] : ["/big.bin", "/css", "/docs", "/empty.txt", "/index.html"]))")
        #expect(outcome.1 == expected)
    }

    @Test("small values are read from the device once; a large one each time; the cache stays within its capacity")
    func cache() throws {
        let many = (0..<40).map { ("page\($0).html", [UInt8](repeating: UInt8($0), count: 1000)) }
        let huge = ("huge.bin", [UInt8](repeating: 7, count: 20_000))
        let device = try hostTar(Self.files + many + [huge], format: "ustar")
        let outcome = inScheduler { () -> [String] in
            guard let store = try? await TarStore.open(device, cacheCapacity: 10_000) else { return ["open failed"] }
            let opened = device.reads
            var lines: [String] = []
            for _ in 0..<3 { _ = try? await store.get(KeyValueKey("index.html")) }
            lines.append("small: \(device.reads - opened) read")
            let beforeBig = device.reads
            for _ in 0..<3 { _ = try? await store.get(KeyValueKey("big.bin"), offset: 0, length: 5000) }
            lines.append("5000 bytes: \(device.reads - beforeBig) reads")
            let beforeHuge = device.reads
            for _ in 0..<3 { _ = try? await store.get(KeyValueKey("huge.bin")) }
            lines.append("20000 bytes: \(device.reads - beforeHuge) reads")
            let beforeRange = device.reads
            _ = try? await store.get(KeyValueKey("css/site.css"), offset: 1, length: 3)
            _ = try? await store.get(KeyValueKey("css/site.css"), offset: 1, length: 3)
            lines.append("a range: \(device.reads - beforeRange) reads")
            for (path, contents) in many {
                let got = try? await store.get(KeyValueKey(path))
                if got != contents { lines.append("\(path) wrong") }
                if store.cachedBytes > store.cacheCapacity { lines.append("over capacity: \(store.cachedBytes)") }
            }
            // The oldest went: the first page is read again, the last is not.
            let beforeAgain = device.reads
            _ = try? await store.get(KeyValueKey("page39.html"))
            lines.append("newest again: \(device.reads - beforeAgain) reads")
            _ = try? await store.get(KeyValueKey("page0.html"))
            lines.append("oldest again: \(device.reads - beforeAgain) reads")
            return lines
        }
        #expect(outcome == ["small: 1 read", "5000 bytes: 1 reads", "20000 bytes: 3 reads", "a range: 2 reads", "newest again: 0 reads", "oldest again: 1 reads"])
    }

    @Test("a corrupt header, a missing magic and a truncated entry are clear errors at open")
    func corrupt() throws {
        let device = try hostTar([("a.txt", Array(repeating: 65, count: 3000))], format: "ustar")
        var damaged = device.contents
        damaged[148] = UInt8(ascii: "9") // the first header's checksum field
        let errors = inScheduler { () -> [String] in
            func open(_ bytes: [UInt8]) async -> String {
                let device = MemoryBlockDevice(sectorSize: 512, sectorCount: UInt64(bytes.count / 512))
                try? await device.write(at: 0, from: bytes)
                do { _ = try await TarStore.open(device); return "opened" } catch { return "\(error)" }
            }
            var noMagic = device.contents
            noMagic.replaceSubrange(257..<263, with: Array("xxxxx\u{0}".utf8))
            var sum = 0
            for (index, byte) in noMagic[0..<512].enumerated() { sum += (148..<156).contains(index) ? 32 : Int(byte) }
            noMagic.replaceSubrange(148..<156, with: Array((String(sum, radix: 8).leftPadded(to: 6) + "\u{0} ").utf8))
            return [await open(damaged), await open(noMagic), await open(Array(device.contents[0..<1536]))]
        }
        #expect(errors[0].contains("checksum") && errors[0].contains("byte 0"))
        #expect(errors[1].contains("no ustar magic"))
        #expect(errors[2].contains("truncated"))
    }
}

extension String {
    func leftPadded(to width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}
