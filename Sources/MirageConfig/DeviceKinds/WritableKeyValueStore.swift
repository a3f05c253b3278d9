/// A writable key-value store called `name` on the block device `storage` (MirageOS's
/// `Mirage_kv.RW`): `MirageKV.BlockKeyValueStore`, which keeps the whole store in memory and
/// writes it whole at each change, alternating between the device's halves, so that a change
/// survives a restart whole or not at all. It holds at most half the device; for what a
/// unikernel keeps across restarts (leases, counters, settings), not for bulk data.
public func writableKeyValueStore(_ name: String, on storage: Device<Block>, file: String = #filePath,
                                  line: Int = #line) -> Device<WritableKV> {
    Device(.writableKeyValueStore, name: name, parameters: ["storage": storage.description.id],
           dependsOn: [storage.description], file: file, line: line)
}

extension DeviceKind {
    /// ``writableKeyValueStore(_:on:file:line:)``: a `BlockKeyValueStore` opened on the block
    /// device at start, its times from the platform's wall clock.
    package static let writableKeyValueStore = DeviceKind("kv-rw", signature: WritableKV.self, modules: [.kv], targets: [
        .unix: OnTarget { device, _ in device.blockStoreImplementation },
        .hvt: OnTarget { device, _ in device.blockStoreImplementation },
    ])
}

extension DeviceDescription {
    fileprivate var blockStoreImplementation: DeviceImplementation {
        let storage = lowerCamelCase(parameters["storage"] ?? "")
        return DeviceImplementation(
            summary: "BlockKeyValueStore on \(parameters["storage"] ?? ""): the store in memory, written whole at each change to alternate halves",
            connect: "try await BlockKeyValueStore.open(\(storage), now: { platform.wallClock.now() })",
            errorType: "KeyValueError")
    }
}
