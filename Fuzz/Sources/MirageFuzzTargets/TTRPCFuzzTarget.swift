import MirageOCI

extension FuzzTargets {
    /// What containerd-shim-mirage-v2 reads from its socket: ttrpc frames (cut where the input's
    /// first byte says, as reads would cut them), each request decoded, written back and decoded
    /// to the same value, and its payload read as the Task API's requests and as a response.
    static let ttrpc = FuzzTarget("ttrpc", "TTRPCFrameReader, TTRPCRequest/Response, TaskMessages.Create and TaskReference") { bytes in
        let input = Array(bytes)
        let cut = input.isEmpty ? 0 : Int(input[0]) % (input.count + 1)
        var reader = TTRPCFrameReader()
        guard let first = try? reader.receive(input[..<cut]), let second = try? reader.receive(input[cut...]) else { return }
        for frame in first + second {
            require(frame.payload.count <= TTRPCFrame.maximumPayload, "a frame over the limit came out")
            _ = try? TTRPCResponse(decoding: frame.payload)
            guard let request = try? TTRPCRequest(decoding: frame.payload) else { continue }
            require((try? TTRPCRequest(decoding: request.encoded)) == request, "a request written back does not read as itself")
            _ = try? TaskMessages.Create(decoding: request.payload)
            _ = try? TaskMessages.TaskReference(decoding: request.payload)
        }
    }
}
