import MirageCore
import MirageKV
import MirageRuntime
import MirageTesting

extension FuzzTargets {
    /// A tar archive (ustar and pax, POSIX.1-2001) as `TarStore` reads it from a block device:
    /// opened, listed from the root down, and each file read whole and in part.
    static let tar = FuzzTarget("tar", "TarStore.open, list and get over a memory block device") { bytes in
        let sectors = (bytes.count + 511) / 512
        var image = Array(bytes)
        image += [UInt8](repeating: 0, count: sectors * 512 - bytes.count)
        _ = Mirage.runToCompletion(SimulatedPlatform()) {
            let device = MemoryBlockDevice(sectorSize: 512, sectorCount: UInt64(Swift.max(sectors, 1)))
            if !image.isEmpty { try? await device.write(at: 0, from: image) }
            guard let store = try? await TarStore.open(device) else { return 0 }
            var folders = [KeyValueKey("/")]
            var visited = 0
            while let folder = folders.popLast(), visited < 256 {
                visited += 1
                guard let entries = try? await store.list(folder) else { continue }
                for (key, kind) in entries {
                    switch kind {
                    case .dictionary:
                        folders.append(key)
                    case .value:
                        _ = try? await store.get(key)
                        _ = try? await store.get(key, offset: 1, length: 7)
                        _ = try? await store.size(key)
                    }
                }
            }
            return 0
        }
    }
}
