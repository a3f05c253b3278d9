import MirageHVTHost

extension FuzzTargets {
    /// A request to a server of kept-ready VMs (`mirage-hvt --via`), as the server's child reads
    /// it: decoded or refused with a message; what decodes encodes to a request that decodes to
    /// itself.
    static let readyRequest = FuzzTarget("ready-request", "ReadyRequest(decoding:), a --via client's request") { bytes in
        let request: ReadyRequest
        do throws(TenderError) {
            request = try ReadyRequest(decoding: Array(bytes))
        } catch {
            require(!error.description.isEmpty && error.status == TenderExitStatus.usage, "a refusal without a message")
            return
        }
        let again = try? ReadyRequest(decoding: request.encoded)
        require(again == request, "a decoded request does not survive encoding: \(request)")
    }
}
