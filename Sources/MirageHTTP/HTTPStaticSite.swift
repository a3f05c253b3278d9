import MirageCore
import MirageRuntime

/// Serves the files of a key-value store over HTTP, as a static website: `GET` and `HEAD` of a
/// path answer with the value at that key (a dictionary's `index.html` for a directory), with
/// `Content-Type` from the name, `ETag` from the store's digest and `Last-Modified`; conditional
/// requests get 304 (RFC 9110 section 13) and single byte ranges 206 or 416 (section 14).
public final class HTTPStaticSite<Store: KeyValueStore> {
    public let store: Store
    /// The value served for a dictionary.
    public let indexName: String
    /// The validators and type of each value served, kept while the store's digest and
    /// modification time for it stay the same: formatting them was a large part of a request.
    private var representations: [KeyValueKey: HTTPRepresentation] = [:]
    /// The most values whose ``HTTPRepresentation`` is kept (a few hundred bytes each); only keys
    /// the store holds get one, and the table starts again when full.
    public static var representationLimit: Int { 1024 }
    /// For a store that never changes (``KeyValueStore/isImmutable``): each request-target
    /// served, with the value it named and its representation, so that the same request again
    /// costs one lookup instead of a path parse and six of the store's. (Read once a request on
    /// the scheduler's thread, the lookup's hashing touching nothing of the site: it goes
    /// without the run-time exclusivity check, as `Scheduler`'s queues do.)
    @exclusivity(unchecked) private var targets: [String: (key: KeyValueKey, representation: HTTPRepresentation)] = [:]
    private var targetBytes = 0
    /// The most memory the kept targets may take, charged as each target's length plus
    /// ``targetEntryCost``: targets come from clients, and a query string makes any number of
    /// them, so the table starts again when this is reached.
    public static var targetCacheLimit: Int { 64 * 1024 }
    /// What one kept target costs besides its own bytes: the entry, the key and the
    /// representation's strings.
    public static var targetEntryCost: Int { 320 }
    /// For a store that never changes: the bytes of values kept with their representations, so
    /// that a small file costs neither the store nor a copy per request. Only values of at most
    /// ``keptBodyMaximum`` bytes are kept, while the total stays within this limit.
    public static var keptBodyLimit: Int { 256 * 1024 }
    /// The largest value kept whole (one that goes out in the same write as its head).
    public static var keptBodyMaximum: Int { HTTPMessageWriter.coalescingLimit }
    private var keptBodyBytes = 0

    public init(store: Store, indexName: String = "index.html") {
        self.store = store
        self.indexName = indexName
    }

    /// How many values' representations are kept now.
    public var cachedRepresentations: Int { representations.count }
    /// How many request-targets are kept now, and the memory charged for them.
    public var cachedTargets: (count: Int, bytes: Int) { (targets.count, targetBytes) }
    /// The bytes of values kept now (``keptBodyLimit``).
    public var keptBodies: Int { keptBodyBytes }

    /// The response to `request`.
    public func respond(to request: HTTPRequest) async -> HTTPResponse {
        if let kept = keptResponse(to: request) { return kept }
        return await respond(toNotKept: request)
    }

    /// The response to `request`, for a caller that found no ``keptResponse(to:)`` for it: the
    /// same as ``respond(to:)`` without looking for a kept one again.
    public func respond(toNotKept request: HTTPRequest) async -> HTTPResponse {
        let head = request.head
        guard head.method == "GET" || head.method == "HEAD" else {
            var response = HTTPResponse.text(.methodNotAllowed, "only GET and HEAD")
            response.headers.add("Allow", "GET, HEAD")
            return response
        }
        do {
            if let known = targets[head.target] {
                return try await respond(to: head, with: known.key, representation: known.representation)
            }
            guard var key = Self.key(forTarget: head.target) else { return .text(.badRequest, "a malformed path") }
            switch try await store.exists(key) {
            case nil: return .text(.notFound, "not found")
            case .dictionary?:
                key = key.appending(indexName)
                guard try await store.exists(key) == .value else { return .text(.notFound, "not found") }
            case .value?: break
            }
            let representation = try await self.representation(of: key)
            if store.isImmutable { keep(head.target, key, representation) }
            return try await respond(to: head, with: key, representation: representation)
        } catch {
            return .text(error.isNotFound ? .notFound : .internalServerError, error.isNotFound ? "not found" : "storage error")
        }
    }

    /// The response to a plain GET (no range, no conditions) of a target served before whose body
    /// is kept (``keptBodyLimit``): as it was, without asking the store and without suspending,
    /// so an application may answer with it before it calls ``respond(to:)``. Nil for any other
    /// request, which ``respond(to:)`` answers.
    public func keptResponse(to request: HTTPRequest) -> HTTPResponse? {
        let head = request.head
        guard head.method == "GET", let known = targets[head.target], let body = known.representation.body,
              !head.headers.mayContain(bit: HTTPHeaders.rangeOrConditionBits) else { return nil }
        return HTTPResponse(status: .ok, headers: known.representation.headers, body: body)
    }

    /// Keeps what `target` named, within ``targetCacheLimit``.
    private func keep(_ target: String, _ key: KeyValueKey, _ representation: HTTPRepresentation) {
        let cost = target.utf8.count + Self.targetEntryCost
        guard cost <= Self.targetCacheLimit else { return }
        if targetBytes + cost > Self.targetCacheLimit {
            targets.removeAll()
            targetBytes = 0
        }
        targets[target] = (key, representation)
        targetBytes += cost
    }

    private func respond(to head: HTTPRequestHead, with key: KeyValueKey,
                         representation: HTTPRepresentation) async throws(KeyValueError) -> HTTPResponse {
        let tag = representation.tag, modified = representation.modified
        var headers = representation.headers
        if Self.notModified(head.headers, tag: tag, modified: modified) {
            headers.remove("Content-Type")
            return HTTPResponse(status: .notModified, headers: headers)
        }
        var range: ClosedRange<UInt64>?
        let isHead = head.method == "HEAD"
        // Only a range or HEAD needs the size first: a GET's body has it.
        var rangeValue: String?
        if let value = head.headers["Range"], head.headers["If-Range"].map({ $0 == tag }) ?? true { rangeValue = value }
        let size = rangeValue != nil || isHead ? try await store.size(key) : 0
        if let value = rangeValue {
            switch HTTPRange.parse(value, size: size) {
            case .none: break
            case .unsatisfiable:
                headers.add("Content-Range", "bytes */\(size)")
                headers.remove("Content-Type")
                return HTTPResponse(status: .rangeNotSatisfiable, headers: headers)
            case let .bytes(bytes): range = bytes
            }
        }
        if let range {
            headers.add("Content-Range", "bytes \(range.lowerBound)-\(range.upperBound)/\(size)")
            let length = Int(range.upperBound - range.lowerBound + 1)
            if isHead {
                headers.add("Content-Length", String(length))
                return HTTPResponse(status: .partialContent, headers: headers)
            }
            let bytes = try await store.get(key, offset: range.lowerBound, length: length)
            return HTTPResponse(status: .partialContent, headers: headers, body: PacketBuffer(bytes))
        }
        if isHead {
            headers.add("Content-Length", String(size))
            return HTTPResponse(status: .ok, headers: headers)
        }
        if let kept = representation.body { return HTTPResponse(status: .ok, headers: headers, body: kept) }
        let body = PacketBuffer(try await store.get(key))
        keepBody(body, of: representation)
        return HTTPResponse(status: .ok, headers: headers, body: body)
    }

    /// Keeps a small value's bytes with its representation when the store never changes, within
    /// ``keptBodyLimit``: the next response shares them instead of asking the store and copying.
    private func keepBody(_ body: PacketBuffer, of representation: HTTPRepresentation) {
        guard store.isImmutable, body.count <= Self.keptBodyMaximum, keptBodyBytes + body.count <= Self.keptBodyLimit else { return }
        representation.body = body
        keptBodyBytes += body.count
    }

    /// The validators and type of the value at `key`, formatted once per digest and modification
    /// time.
    private func representation(of key: KeyValueKey) async throws(KeyValueError) -> HTTPRepresentation {
        let digest = try await store.digest(key)
        let modified = try await store.lastModified(key).seconds
        if let known = representations[key], known.digest == digest, known.modified == modified { return known }
        let fresh = HTTPRepresentation(digest: digest, modified: modified, tag: Self.entityTag(digest),
                                       lastModified: HTTPDate.format(secondsSinceEpoch: modified),
                                       contentType: HTTPMediaTypes.type(forName: key.basename ?? ""))
        if representations.count >= Self.representationLimit, representations[key] == nil {
            // The kept targets and bodies go too, so nothing outlives the tables' limits.
            representations.removeAll()
            targets.removeAll()
            targetBytes = 0
            keptBodyBytes = 0
        }
        representations[key] = fresh
        return fresh
    }

    /// Whether the client's copy is current (RFC 9110 section 13.2.2): `If-None-Match` (weak
    /// comparison) decides when present, else `If-Modified-Since`.
    static func notModified(_ headers: HTTPHeaders, tag: String, modified: Int64) -> Bool {
        let matches = headers.values("If-None-Match")
        if !matches.isEmpty {
            let tags = matches.flatMap { $0.split(separator: ",").map { String(HTTPText.trimmed($0)) } }
            return tags.contains { $0 == "*" || Self.weaklyEqual($0, tag) }
        }
        if let since = headers["If-Modified-Since"], let date = HTTPDate.parse(since) {
            return modified <= date
        }
        return false
    }

    /// Weak comparison of entity tags (RFC 9110 section 8.8.3.2): equal once `W/` is dropped.
    static func weaklyEqual(_ a: String, _ b: String) -> Bool {
        func opaque(_ tag: String) -> Substring { tag.hasPrefix("W/") ? tag.dropFirst(2) : Substring(tag) }
        return opaque(a) == opaque(b)
    }

    /// A strong entity tag from a digest: its first 16 bytes in hexadecimal, quoted.
    static func entityTag(_ digest: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = [UInt8(ascii: "\"")]
        for byte in digest.prefix(16) {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 15)])
        }
        text.append(UInt8(ascii: "\""))
        return String(decoding: text, as: UTF8.self)
    }

    /// The store key a request-target names: its path, percent-decoded (RFC 3986 section 2.1),
    /// without the query; nil for a target that is not an absolute path, that climbs with `..`,
    /// or that decodes to a NUL or a slash inside a segment.
    static func key(forTarget target: String) -> KeyValueKey? {
        let path = target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        guard path.utf8.first == UInt8(ascii: "/") else { return nil }
        var segments: [String] = []
        for raw in path.split(separator: "/") {
            guard let segment = percentDecoded(raw), !segment.isEmpty, segment != "..", segment != ".",
                  !segment.utf8.contains(0), !segment.utf8.contains(UInt8(ascii: "/")) else { return nil }
            segments.append(segment)
        }
        var key = KeyValueKey.root
        for segment in segments { key = key.appending(segment) }
        return key
    }

    static func percentDecoded(_ text: Substring) -> String? {
        var bytes: [UInt8] = []
        var iterator = text.utf8.makeIterator()
        while let byte = iterator.next() {
            guard byte == UInt8(ascii: "%") else { bytes.append(byte); continue }
            guard let high = iterator.next().flatMap(ASCIIDigit.hexadecimalValue), let low = iterator.next().flatMap(ASCIIDigit.hexadecimalValue) else { return nil }
            bytes.append(high << 4 | low)
        }
        return String(validating: bytes, as: UTF8.self)
    }
}

/// What ``HTTPStaticSite`` sends about a value besides its bytes (RFC 9110 sections 8.3, 8.8):
/// its `Content-Type`, `ETag` and `Last-Modified`, with the digest and time they came from.
final class HTTPRepresentation {
    let digest: [UInt8]
    let modified: Int64
    let tag: String
    /// The fields every response with the value carries (a 200's, which the others change), their
    /// encoding prepared: `Content-Type`, `ETag`, `Last-Modified` and `Accept-Ranges`.
    let headers: HTTPHeaders
    /// The value's bytes, kept for a store that never changes (``HTTPStaticSite/keptBodyLimit``).
    var body: PacketBuffer?

    init(digest: [UInt8], modified: Int64, tag: String, lastModified: String, contentType: String) {
        self.digest = digest
        self.modified = modified
        self.tag = tag
        var headers = HTTPHeaders()
        headers.add("Content-Type", contentType)
        headers.add("ETag", tag)
        headers.add("Last-Modified", lastModified)
        headers.add("Accept-Ranges", "bytes")
        headers.prepareEncoding()
        self.headers = headers
    }
}

extension KeyValueError {
    var isNotFound: Bool {
        switch self {
        case .notFound, .valueExpected, .dictionaryExpected: true
        case .storage, .full: false
        }
    }
}

/// A `Range` request (RFC 9110 section 14.2): one byte range is served; several, or other units,
/// are ignored (the whole representation is sent, which the RFC allows).
enum HTTPRange: Equatable {
    case none
    case unsatisfiable
    case bytes(ClosedRange<UInt64>)

    static func parse(_ value: String, size: UInt64) -> HTTPRange {
        guard value.hasPrefix("bytes=") else { return .none }
        let specs = value.dropFirst(6).split(separator: ",", omittingEmptySubsequences: false)
        guard specs.count == 1 else { return .none }
        let spec = HTTPText.trimmed(specs[0])
        let parts = spec.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2 else { return .none }
        func number(_ text: Substring) -> UInt64? { HTTPText.decimal(text).map(UInt64.init) }
        if parts[0].isEmpty {
            // A suffix: the last N bytes.
            guard let suffix = number(parts[1]) else { return .none }
            guard suffix > 0, size > 0 else { return .unsatisfiable }
            return .bytes((size - Swift.min(suffix, size))...(size - 1))
        }
        guard let first = number(parts[0]) else { return .none }
        let last: UInt64
        if parts[1].isEmpty {
            last = size &- 1
        } else {
            guard let value = number(parts[1]), value >= first else { return .none }
            last = Swift.min(value, size &- 1)
        }
        guard first < size else { return .unsatisfiable }
        return .bytes(first...last)
    }
}

/// Media types by file-name extension, for `Content-Type` (RFC 9110 section 8.3).
public enum HTTPMediaTypes {
    static let table: [String: String] = [
        "html": "text/html; charset=utf-8", "htm": "text/html; charset=utf-8", "css": "text/css; charset=utf-8",
        "js": "text/javascript; charset=utf-8", "mjs": "text/javascript; charset=utf-8",
        "json": "application/json", "xml": "application/xml", "txt": "text/plain; charset=utf-8",
        "md": "text/markdown; charset=utf-8", "svg": "image/svg+xml", "png": "image/png", "jpg": "image/jpeg",
        "jpeg": "image/jpeg", "gif": "image/gif", "webp": "image/webp", "ico": "image/vnd.microsoft.icon",
        "woff": "font/woff", "woff2": "font/woff2", "ttf": "font/ttf", "pdf": "application/pdf",
        "wasm": "application/wasm", "zip": "application/zip", "gz": "application/gzip", "mp4": "video/mp4",
        "webm": "video/webm", "mp3": "audio/mpeg", "atom": "application/atom+xml", "rss": "application/rss+xml",
    ]

    /// The media type for a file named `name`; `application/octet-stream` when unknown.
    public static func type(forName name: String) -> String {
        guard let dot = name.utf8.lastIndex(of: UInt8(ascii: ".")) else { return "application/octet-stream" }
        let suffix = name.utf8[name.utf8.index(after: dot)...]
        let lower = String(decoding: suffix.map(HTTPText.lower), as: UTF8.self)
        return table[lower] ?? "application/octet-stream"
    }
}
