import MirageDNS
import MirageHTTP
import MirageRuntime

/// A client of the network by name (mirage-skeleton's `applications/dns`, with an HTTP GET):
/// `--lookup=NAME[/TYPE],...` asks the stub resolver for each name and logs the records, then
/// `--url=http://HOST[:PORT]/PATH` resolves the host, fetches the page and logs its status and
/// size; an `https://` URL goes through the TLS client, which validates the server's chain
/// against the CAs of the `trust` store and its name (or address) against HOST. The resolvers
/// are those of `--resolver=`, else those of the network (DHCP's on our stack,
/// `/etc/resolv.conf`'s on the host's sockets).
///
/// The same code runs over our stack (`--net=direct`, on unix or hvt) and the host's sockets.
struct Fetch<Stack: TCPStack & UDPStack, Resolver: DNSResolving, Secure: ServerNameConnecting>: Unikernel {
    typealias Failure = FetchFailure

    let log = LogSource("application", documentation: "what was looked up and fetched")
    let stack: Stack
    let resolver: Resolver
    /// TLS over `stack`, for `https://`.
    let secure: Secure
    let url: String
    let lookup: String

    init(_ stack: Stack, _ resolver: Resolver, _ secure: Secure, url: String, lookup: String) {
        self.stack = stack
        self.resolver = resolver
        self.secure = secure
        self.url = url
        self.lookup = lookup
    }

    func start() async throws(Failure) {
        var failures = 0
        for item in lookup.split(separator: ",") where !(await lookUp(String(item))) { failures += 1 }
        if !url.isEmpty { try await fetch(url) }
        guard failures == 0 else { throw .lookupsFailed(failures) }
    }

    /// Logs the records of one `NAME[/TYPE]`; false when it gave none.
    private func lookUp(_ item: String) async -> Bool {
        let parts = item.split(separator: "/", maxSplits: 1)
        let name = String(parts[0])
        var types: [DNSRecordType] = [.aaaa, .a]
        if parts.count == 2 {
            guard let type = DNSRecordType(mnemonic: parts[1].utf8) else {
                log.error("lookup \(item): '\(parts[1])' is not a record type")
                return false
            }
            types = [type]
        }
        var found = 0
        for type in types {
            do {
                let answer = try await resolver.resolve(name, type: type)
                for alias in answer.aliases { log.info("lookup \(name) \(type): \(alias)") }
                for record in answer.records { log.info("lookup \(name) \(type): \(record)") }
                if answer.records.isEmpty { log.info("lookup \(name) \(type): no records") }
                found += answer.records.count
            } catch {
                log.error("lookup \(name) \(type): \(error)")
                return false
            }
        }
        return found > 0
    }

    /// GETs `text`, an `http://` or `https://` URL, and logs the status and the size of the body.
    private func fetch(_ text: String) async throws(Failure) {
        guard let target = FetchURL(text) else { throw .badURL(text) }
        if target.secure {
            let client: HTTPClient<Secure.Connection>
            do {
                client = try await HTTPClient(connectingWith: secure, to: target.host, port: target.port, resolvingWith: resolver)
            } catch {
                throw .http(text, error)
            }
            try await get(text, target, over: client)
        } else {
            let client: HTTPClient<Stack.Connection>
            do {
                client = try await HTTPClient(connectingWith: stack, to: target.host, port: target.port, resolvingWith: resolver)
            } catch {
                throw .http(text, error)
            }
            try await get(text, target, over: client)
        }
    }

    private func get<Connection: Flow>(_ text: String, _ target: FetchURL, over client: HTTPClient<Connection>) async throws(Failure) {
        log.info("connected to \(client.connection.remote) for \(target.host)")
        var headers = HTTPHeaders()
        headers.add("User-Agent", "swift-mirage-fetch")
        let response: HTTPClientResponse
        do {
            response = try await client.send(HTTPRequest(head: HTTPRequestHead(method: "GET", target: target.path, headers: headers)))
        } catch {
            throw .http(text, error)
        }
        await client.close()
        log.info("GET \(text): \(response.head.status.code), \(response.body.count) bytes")
    }
}

/// An `http://` or `https://HOST[:PORT]/PATH` URL (RFC 9110 sections 4.2.1, 4.2.2), HOST a name
/// or an address (IPv6 in brackets).
struct FetchURL {
    var host: String
    var secure: Bool
    var port: UInt16
    var path = "/"

    init?(_ text: String) {
        let scheme = text.hasPrefix("https://") ? "https://" : "http://"
        guard text.hasPrefix(scheme) else { return nil }
        secure = scheme == "https://"
        port = secure ? 443 : 80
        var rest = Substring(text.dropFirst(scheme.count))
        if let slash = rest.firstIndex(of: "/") {
            path = String(rest[slash...])
            rest = rest[..<slash]
        }
        var hostPart = rest
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]") else { return nil }
            hostPart = rest[rest.index(after: rest.startIndex)..<close]
            rest = rest[rest.index(after: close)...]
            guard rest.isEmpty || rest.hasPrefix(":") else { return nil }
        } else if let colon = rest.firstIndex(of: ":") {
            hostPart = rest[..<colon]
            rest = rest[colon...]
        } else {
            rest = ""
        }
        if rest.hasPrefix(":") {
            guard let port = UInt16(rest.dropFirst()), port != 0 else { return nil }
            self.port = port
        }
        guard !hostPart.isEmpty else { return nil }
        host = String(hostPart)
    }
}

/// Why the fetch failed.
enum FetchFailure: Error, CustomStringConvertible {
    case badURL(String)
    case http(String, HTTPClientError)
    case lookupsFailed(Int)

    var description: String {
        switch self {
        case let .badURL(text): "'\(text)' is not an http:// or https://HOST[:PORT]/PATH URL"
        case let .http(url, error): "GET \(url): \(error)"
        case let .lookupsFailed(count): "\(count) lookups gave no records"
        }
    }
}
