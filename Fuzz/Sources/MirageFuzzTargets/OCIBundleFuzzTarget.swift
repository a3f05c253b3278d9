import MirageOCI

extension FuzzTargets {
    /// A bundle's `config.json` and an image's `/unikernel/mirage.json` as mirage-runc reads
    /// them (the image is outside bytes): parsed, written back and parsed again to the same
    /// value; as metadata, checked; as a configuration, checked and rewritten with its volumes.
    /// The metadata is the input's member `metadata` (or the whole input); when it is refused, a
    /// valid one is used, so that the configuration is still checked and rewritten.
    static let ociBundle = FuzzTarget("oci-bundle", "JSONValue, UnikernelImageMetadata(json:), UnikernelBundle checks and rewrite") { bytes in
        guard let value = try? JSONValue(parsing: Array(bytes)) else { return }
        let again = try? JSONValue(parsing: value.serialized)
        require(again == value, "a value written back does not read as itself")
        let metadata = (try? UnikernelImageMetadata(json: value["metadata"] ?? value))
            ?? UnikernelImageMetadata(name: "web", target: "hvt", image: "/unikernel/web.hvt", tender: "/mirage-hvt", memoryMiB: 8,
                                      networks: ["service"], blocks: ["data": "/unikernel/data.img"], bootArguments: [])
        guard var bundle = try? UnikernelBundle(configuration: value, metadata: metadata) else { return }
        let volumes = try? bundle.blockVolumes { path in path.hasPrefix("/dev/") ? .blockDevice(major: 7, minor: 0) : .regularFile }
        try? bundle.rewriteProcess(taps: ["service": "tap0"], volumes: volumes?.files ?? [:], network: ["--ipv4=10.0.0.2/24"])
        bundle.add([.init(path: "/dev/kvm", major: 10, minor: 232)], mounted: volumes?.mountedDevices ?? [])
        require((try? JSONValue(parsing: bundle.encoded)) != nil, "a rewritten configuration is not JSON")

    }
}
