/// The application: a Swift type conforming to `Unikernel`, and the device signatures its
/// initialiser takes, in order (MirageOS's `main "Unikernel.Main" (block @-> job)`).
///
/// ```swift
/// let main = Main("BlockTest", needs: Block.self)
/// register("block", main(block("storage")))
/// ```
/// Calling it with devices of other signatures does not compile.
public struct Main<each S: Signature> {
    let typeName: String
    let keys: [any AnyKey]
    let location: SourceLocation

    /// - Parameters:
    ///   - typeName: the application type, such as `Hello` or `BlockTest`.
    ///   - needs: the signatures of the devices its initialiser takes, in order.
    ///   - keys: keys passed to the initialiser after the devices, labelled by name.
    public init(_ typeName: String, needs signatures: repeat (each S).Type, keys: [any AnyKey] = [],
                file: String = #filePath, line: Int = #line) {
        self.typeName = typeName
        self.keys = keys
        location = SourceLocation(file: file, line: line)
    }

    /// The application applied to its devices: the job ``register(_:_:file:line:)`` takes.
    public func callAsFunction(_ devices: repeat Device<each S>) -> Job {
        var signatures: [String] = []
        var chosen: [ErasedDevice] = []
        for device in repeat each devices {
            signatures.append(type(of: device).signatureName)
            chosen.append(device.erased)
        }
        return Job(
            main: MainDescription(
                typeName: typeName, signatures: signatures, devices: chosen.map(\.description.id),
                keys: keys.map(\.description.name), location: location),
            devices: chosen,
            keys: keys.map(\.description))
    }
}

/// A device with its signature forgotten, once the compiler has checked it: a node of the graph.
struct ErasedDevice {
    let description: DeviceDescription
    let dependencies: [DeviceDescription]
}

extension Device {
    static var signatureName: String { S.name }
    var erased: ErasedDevice { ErasedDevice(description: description, dependencies: dependencies) }
}

/// An application applied to its devices.
public struct Job {
    let main: MainDescription
    let devices: [ErasedDevice]
    let keys: [KeyDescription]
}
