import Foundation
import MirageConfig

/// `swift-mirage build`: `dist/<name>`, or `dist/<name>.hvt` finished for the tender.
extension UnikernelProject {
    /// Builds `dist/<name>`, configuring first when never configured or when `config.swift` changed.
    /// - Returns: the image's path.
    @discardableResult
    public func build(release: Bool = true, log: (String) -> Void = { _ in }) throws(ToolError) -> String {
        guard var record = readRecord() else {
            throw ToolError("\(relativeDirectory) is not configured: run 'swift-mirage configure -t unix' there first")
        }
        if record.manifestFingerprint != manifestFingerprint {
            log("config.swift changed since configure: configuring again for target \(record.target.rawValue)")
            let arguments = record.configureValues.sorted { $0.key < $1.key }.map { "--\($0.key)=\($0.value)" }
            try configure(target: record.target, network: record.network, configureArguments: arguments)
            record = readRecord() ?? record
        } else {
            try linkApplicationSources()
        }
        try writeArchives(record: record, log: log)
        let deviceModules = try configuredGenerator(target: record.target).deviceModules
        try Self.requireBearSSL(target: record.target,
                                libraries: importedLibraries() + (deviceModules.libraries + deviceModules.target).map(\.name))
        let configuration = release ? "release" : "debug"
        let target = record.target
        log("building \(record.name) for target \(target.rawValue) (\(configuration))")
        var swiftBuild = ["swift", "build", "--package-path", wiringDirectory, "-c", configuration]
        var environment: [String: String] = [:]
        let binPath: String
        // SwiftPM 6.3.1 reuses `<configuration>.yaml`, its build plan, without noticing source
        // files added to the library (a path dependency): after an update the build fails on
        // the missing declarations. With --triple equal to the host's it also writes its
        // plugin-tools plan over that file, and the next build fails with "unknown build
        // description". Removing the plan makes it plan again, which takes well under a second.
        let scratch = sharedBuildDirectory(for: target)
        try? FileManager.default.removeItem(atPath: scratch + "/" + configuration + ".yaml")
        // For the reason above the bin path is computed rather than asked of
        // `swift build --show-bin-path`.
        swiftBuild += ["--scratch-path", scratch]
        if target.isEmbedded {
            swiftBuild += ["--triple", Self.guestTriple]
            environment["SWIFT_EMBEDDED"] = "1"
            binPath = scratch + "/" + Self.guestTriple + "/" + configuration
        } else {
            // The Swift runtime linked in: the image runs where the toolchain is not installed,
            // and its calls into the runtime (reference counts, task frames, thread-local state)
            // are direct rather than through the dynamic loader's tables (`Benchmarks/http`:
            // about a twentieth of the website's instructions per request).
            swiftBuild += ["--static-swift-stdlib"]
            binPath = scratch + "/" + configuration
        }
        let status = try Shell.stream(swiftBuild + ["--product", record.name], environment: environment)
        guard status == 0 else { throw ToolError("error: building \(record.name) failed (swift build exited \(status))") }
        let image = distDirectory + "/" + target.imageName(record.name)
        do {
            try FileManager.default.createDirectory(atPath: distDirectory, withIntermediateDirectories: true)
            try? FileManager.default.removeItem(atPath: image)
            if target.isEmbedded {
                try finishGuestImage(binPath + "/" + record.name, into: image, target: target)
            } else {
                try FileManager.default.copyItem(atPath: binPath + "/" + record.name, toPath: image)
            }
        } catch let error as ToolError {
            throw error
        } catch {
            throw ToolError("cannot copy the image to \(image): \(error)")
        }
        log("built \(relative(image))")
        return image
    }
    /// SwiftPM's build folder for every unikernel of this checkout and `target`:
    /// `.build-mirage/build/<target>` in the checkout. The libraries (MirageNet, MirageTLS and the
    /// rest) compile once there, and each further unikernel, or another configuration of the same
    /// one, compiles only its own code. SwiftPM locks the folder, so two builds at once take turns.
    func sharedBuildDirectory(for target: Target) -> String {
        repository.cacheDirectory + "/build/" + target.rawValue
    }

    /// The triple guests build for: the one whose Embedded Swift has `_Concurrency` (PLATFORM-NOTES.md).
    static let guestTriple = "x86_64-unknown-linux-gnu"

    /// Strips the guest ELF and adds its device manifest (the `.mirage.devices` section the tender
    /// checks its command line against).
    func finishGuestImage(_ linked: String, into image: String, target: Target) throws(ToolError) {
        let devices = try configuredGenerator(target: target).tenderDevices()
        // In a hidden folder of the wiring, which SwiftPM skips: a file beside the wiring would
        // be an unhandled source file to it ("found 1 file(s) which are unhandled").
        let manifest = wiringDirectory + "/.build-\(target.rawValue)/devices.txt"
        try write(devices.map { $0 + "\n" }.joined(), to: manifest)
        let objcopy = try Shell.capture([
            "llvm-objcopy", "--strip-all", "--remove-section=.swift_ast",
            "--add-section", ".mirage.devices=" + manifest,
            linked, image,
        ])
        guard objcopy.status == 0 else {
            throw ToolError("llvm-objcopy could not finish \(image):\n\(objcopy.errorOutput)")
        }
    }
}

extension UnikernelProject {
    /// Debian's BearSSL, which every hvt guest links (its random number generator is BearSSL's
    /// HMAC-DRBG) and so does every unix unikernel that imports MirageCrypto or asks for entropy
    /// (its generator is MirageCrypto's `CryptoRandom`).
    static let bearSSLLibrary = "/usr/lib/x86_64-linux-gnu/libbearssl.a"

    /// Throws a message naming the package when the build would need BearSSL and it is missing,
    /// instead of leaving the linker to fail on its symbols.
    static func requireBearSSL(target: Target, libraries: [String], present: (String) -> Bool = { FileManager.default.fileExists(atPath: $0) }) throws(ToolError) {
        let needs = target.isEmbedded ? "an hvt guest links BearSSL (its random number generator)"
            : libraries.contains(MirageModule.crypto.name) ? "the unikernel uses MirageCrypto (an import, or the entropy device's generator), which links BearSSL" : nil
        guard let needs, !present(bearSSLLibrary) else { return }
        throw ToolError("error: \(needs), and \(bearSSLLibrary) is missing: install Debian's libbearssl-dev (apt-get install libbearssl-dev)")
    }
}
