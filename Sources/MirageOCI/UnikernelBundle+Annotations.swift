/// The annotations `mirage-runc` reads from a bundle (`config.json`'s `annotations`: in
/// Kubernetes the container's, and the pod's that containerd's `pod_annotations` lets through).
///
/// Those that describe the image, ours (``UnikernelImageMetadata/annotationPrefix``) and urunc's
/// (`com.urunc.unikernel.*`, for images and pods written for urunc), must agree with the image's
/// `mirage.json` when present; ``memoryAnnotation`` sets the guest's memory; any other key under
/// either prefix is refused, so that a misspelt setting is not silently ignored.
extension UnikernelBundle {
    /// The guest's memory in MiB, replacing the packaged `--mem`.
    public static let memoryAnnotation = UnikernelImageMetadata.annotationPrefix + "memory"
    /// urunc's annotation prefix (urunc's `pkg/unikontainers` `annotations.go`).
    public static let uruncPrefix = "com.urunc.unikernel."
    /// The guest memory a bundle may ask for, in MiB (the tender's own bounds).
    public static let memoryRange = 2 ... 3072

    /// Refuses a bundle with urunc's annotations that holds no image of ours: it was meant for a
    /// unikernel runtime, and runc would only fail to start it. (Ours may reach any container of
    /// a pod, the sandbox's among them, through containerd's `pod_annotations`: those pass.)
    static func checkUnclaimed(_ configuration: JSONValue) throws(RuntimeError) {
        let annotations = configuration["annotations"]?.stringMembers ?? [:]
        guard let type = annotations[uruncPrefix + "unikernelType"], annotations["io.kubernetes.cri.container-type"] != "sandbox" else { return }
        let hypervisor = annotations[uruncPrefix + "hypervisor"].map { " for \($0)" } ?? ""
        throw RuntimeError(type == "mirage"
            ? "the bundle's annotations say it is a mirage unikernel, but its root file system has no \(UnikernelImageMetadata.path): package the unikernel with swift-mirage package"
            : "the bundle is a \(type) unikernel\(hypervisor) (urunc's annotations): mirage-runc starts only images of swift-mirage package")
    }

    /// Checks the annotations against the image's metadata and returns the guest memory they ask
    /// for (nil: the packaged one).
    static func checkAnnotations(_ annotations: [String: String], of metadata: UnikernelImageMetadata) throws(RuntimeError) -> Int? {
        let described = metadata.annotations
        var memory: Int?
        for (key, value) in annotations.sorted(by: { $0.key < $1.key }) {
            guard key.hasPrefix(UnikernelImageMetadata.annotationPrefix) || key.hasPrefix(uruncPrefix) else { continue }
            if key == memoryAnnotation {
                guard let mebibytes = Int(value), memoryRange.contains(mebibytes) else {
                    throw RuntimeError("the annotation \(key)=\(value) is not a memory size in MiB from \(memoryRange.lowerBound) to \(memoryRange.upperBound)")
                }
                memory = mebibytes
            } else if let expected = described[key] {
                guard value == expected else {
                    throw RuntimeError("the annotation \(key)=\(value) does not match the image, whose \(UnikernelImageMetadata.path) says \(expected)")
                }
            } else {
                throw RuntimeError("the annotation \(key) is not one mirage-runc knows (it reads \(memoryAnnotation), and checks the image's own: \(described.keys.sorted().joined(separator: ", ")))")
            }
        }
        return memory
    }

    /// Refuses a guest that alone would exceed the container's memory limit (runtime-spec
    /// `linux.resources.memory.limit`): the tender's pages are charged to the container, and
    /// the guest would be killed when it first touches more than the limit.
    static func checkMemoryLimit(_ configuration: JSONValue, guestMiB: Int) throws(RuntimeError) {
        guard let limit = configuration["linux"]?["resources"]?["memory"]?["limit"]?.intValue, limit > 0 else { return }
        guard Int64(guestMiB) << 20 <= limit else {
            throw RuntimeError("the guest's \(guestMiB) MiB do not fit the container's memory limit of \(limit >> 20) MiB: raise the limit or lower \(memoryAnnotation)")
        }
    }
}
