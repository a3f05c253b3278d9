/// The devices an image needs, from its `.mirage.devices` section (one `block:NAME` or `net:NAME`
/// per line), checked against the devices on the command line.
public struct DeviceManifest: Equatable {
    /// Device ids in the image's order, which is the order of the boot info's device table.
    public var ids: [String]

    public init(ids: [String]) { self.ids = ids }

    /// Reads the section's text; blank lines and NUL bytes (a C string's terminator) are ignored.
    public init(sectionText bytes: some Collection<UInt8>) {
        ids = bytes.filter { $0 != 0 }.split(separator: UInt8(ascii: "\n")).map { String(decoding: $0, as: UTF8.self) }
            .filter { !$0.isEmpty }
    }

    /// The command line's devices in the image's order.
    /// - Throws: naming every device the image needs but was not given, and every one given that
    ///   the image does not have.
    public func match(_ devices: [TenderOptions.DeviceOption]) throws(TenderError) -> [TenderOptions.DeviceOption] {
        var problems: [String] = []
        for id in ids where !devices.contains(where: { $0.id == id }) {
            let kind = id.hasPrefix("net:") ? "TAP" : "FILE"
            problems.append("the image needs --\(id)=\(kind)")
        }
        for device in devices where !ids.contains(device.id) {
            let needs = ids.isEmpty ? "it needs no devices" : "it needs: " + ids.joined(separator: ", ")
            problems.append("the image has no device \(device.id) (\(needs))")
        }
        guard problems.isEmpty else {
            throw TenderError(problems.joined(separator: "\n"), status: TenderExitStatus.usage)
        }
        return ids.compactMap { id in devices.first { $0.id == id } }
    }
}
