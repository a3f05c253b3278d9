/// A ttrpc request (containerd/ttrpc `request.proto`: service 1, method 2, payload 3,
/// timeout_nano 4, metadata 5).
public struct TTRPCRequest: Equatable, Sendable {
    public var service: String
    public var method: String
    public var payload: [UInt8]
    public var timeoutNanoseconds: Int64

    public init(service: String, method: String, payload: [UInt8], timeoutNanoseconds: Int64 = 0) {
        self.service = service
        self.method = method
        self.payload = payload
        self.timeoutNanoseconds = timeoutNanoseconds
    }

    public init(decoding bytes: [UInt8]) throws(ProtobufReader.Malformed) {
        var service = "", method = "", payload: [UInt8] = [], timeout: Int64 = 0
        try ProtobufReader.fields(of: bytes[...]) { field, value throws(ProtobufReader.Malformed) in
            switch (field, value) {
            case (1, .bytes): service = value.string ?? ""
            case (2, .bytes): method = value.string ?? ""
            case let (3, .bytes(bytes)): payload = Array(bytes)
            case let (4, .varint(nanoseconds)): timeout = Int64(bitPattern: nanoseconds)
            default: break // metadata and fields of later versions
            }
        }
        guard !service.isEmpty, !method.isEmpty else { throw ProtobufReader.Malformed(description: "a ttrpc request names no service or method") }
        self.init(service: service, method: method, payload: payload, timeoutNanoseconds: timeout)
    }

    public var encoded: [UInt8] {
        var writer = ProtobufWriter()
        writer.string(1, service)
        writer.string(2, method)
        writer.bytes(3, payload)
        writer.signedInteger(4, timeoutNanoseconds)
        return writer.bytes
    }
}

/// A ttrpc response: status 1 (`google.rpc.Status`: code 1, message 2), payload 2.
public struct TTRPCResponse: Equatable, Sendable {
    /// gRPC's status codes (`google.rpc.Code`) containerd maps to its errors.
    public enum Code: Int64, Sendable {
        case ok = 0
        case invalidArgument = 3
        case notFound = 5
        case alreadyExists = 6
        case failedPrecondition = 9
        case unimplemented = 12
        case `internal` = 13
    }

    public var code: Code
    public var message: String
    public var payload: [UInt8]

    public static func success(_ payload: [UInt8]) -> TTRPCResponse {
        TTRPCResponse(code: .ok, message: "", payload: payload)
    }

    public static func failure(_ code: Code, _ message: String) -> TTRPCResponse {
        TTRPCResponse(code: code, message: message, payload: [])
    }

    public var encoded: [UInt8] {
        var status = ProtobufWriter()
        status.signedInteger(1, code.rawValue)
        status.string(2, message)
        var writer = ProtobufWriter()
        writer.message(1, status)
        writer.bytes(2, payload)
        return writer.bytes
    }

    public init(code: Code, message: String, payload: [UInt8]) {
        self.code = code
        self.message = message
        self.payload = payload
    }

    public init(decoding bytes: [UInt8]) throws(ProtobufReader.Malformed) {
        var code: Int64 = 0, message = "", payload: [UInt8] = []
        try ProtobufReader.fields(of: bytes[...]) { field, value throws(ProtobufReader.Malformed) in
            switch (field, value) {
            case let (1, .bytes(status)):
                try ProtobufReader.fields(of: status) { field, value throws(ProtobufReader.Malformed) in
                    if field == 1, let number = value.integer { code = Int64(bitPattern: number) }
                    if field == 2 { message = value.string ?? "" }
                }
            case let (2, .bytes(bytes)): payload = Array(bytes)
            default: break
            }
        }
        self.init(code: Code(rawValue: code) ?? .internal, message: message, payload: payload)
    }
}
