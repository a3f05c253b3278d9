import MirageCore
import MirageRuntime

let resolverLog = LogSource("resolver", documentation: "the DNS stub resolver: at debug, each query and what came back")

/// A DNS stub resolver (RFC 1034 section 5.3.1; MirageOS's `dns-client`): asks the recursive
/// resolvers it is given, over UDP with a fall back to TCP for truncated answers (RFC 7766
/// section 5), and keeps the answers while their TTLs last. The async shell around
/// ``DNSStubQuery``, ``DNSAnswer`` and ``DNSResolverCache``.
///
/// Against forgery (RFC 5452): every query has a random identifier and goes from a random
/// source port, and only a datagram from the server asked, with the identifier and the
/// question asked, is taken; anything else is counted in ``statistics`` and the wait goes on.
/// CNAME chains are followed, asking again for a target the response left out.
///
/// ```swift
/// let resolver = DNSStubResolver(stack: stack, clock: clock, entropy: entropy) { stack.nameServers }
/// let addresses = try await resolver.addresses(of: "example.com")
/// ```
public final class DNSStubResolver<Stack: UDPStack & TCPStack, Clock: MonotonicClock>: NameResolver {
    public let stack: Stack
    public let configuration: DNSResolverConfiguration
    /// What the resolver has done so far.
    public internal(set) var statistics = DNSResolverStatistics()
    /// The answers kept.
    public private(set) var cache: DNSResolverCache
    let clock: Clock
    let entropy: any EntropySource
    /// The resolvers to ask, in order, looked up for each query: a lease may change them.
    let nameServers: () -> [Endpoint]
    private var queriesUnderWay = 0
    private let queryFinished = WaitQueue()

    /// - Parameters:
    ///   - entropy: where identifiers and source ports are drawn from.
    ///   - nameServers: the recursive resolvers to ask, in order (port 53 unless another is
    ///     said); asked again for each query.
    public init(stack: Stack, clock: Clock, entropy: any EntropySource,
                configuration: DNSResolverConfiguration = DNSResolverConfiguration(),
                nameServers: @escaping () -> [Endpoint]) {
        self.stack = stack
        self.clock = clock
        self.entropy = entropy
        self.configuration = configuration
        self.nameServers = nameServers
        cache = DNSResolverCache(limits: configuration.cache)
    }

    /// The records of `type` for `name`, from the cache or the resolvers, following aliases.
    /// A name that exists without such records gives an answer with none.
    /// - Throws: ``DNSResolverError``; ``DNSResolverError/nameDoesNotExist(_:)`` for NXDOMAIN.
    public func resolve(_ name: DNSName, type: DNSRecordType) async throws(DNSResolverError) -> DNSAnswer {
        let question = DNSQuestion(name: name, type: type)
        var answer = try await lookUp(question)
        // RFC 1034 section 5.3.3: a chain the response did not finish is asked about from its end.
        while answer.needsTarget {
            guard answer.aliases.count < DNSAnswer.maximumChainLength else { throw .aliasChainTooLong(name) }
            let rest = try await lookUp(DNSQuestion(name: answer.canonicalName, type: type))
            guard !rest.aliases.contains(where: { alias in answer.aliases.contains { $0.name == alias.name } }),
                  rest.canonicalName != name else { throw .aliasLoop(name) }
            answer = DNSAnswer(question: question, canonicalName: rest.canonicalName, aliases: answer.aliases + rest.aliases,
                               records: rest.records, nameDoesNotExist: rest.nameDoesNotExist,
                               ttl: Swift.min(answer.ttl, rest.ttl), needsTarget: rest.needsTarget)
        }
        guard !answer.nameDoesNotExist else { throw .nameDoesNotExist(answer.canonicalName) }
        return answer
    }

    /// ``resolve(_:type:)`` for a name in presentation form (`www.example.com`, with or without
    /// the final dot).
    public func resolve(_ name: String, type: DNSRecordType) async throws(DNSResolverError) -> DNSAnswer {
        let parsed: DNSName
        do { parsed = try DNSName(parsing: name) } catch { throw .invalidName(name) }
        return try await resolve(parsed, type: type)
    }

    /// The addresses of `host`: a literal address as it is, else its AAAA and A records, IPv6
    /// first (RFC 6724 section 10.3's default policy prefers IPv6).
    public func addresses(of host: String) async throws(NameResolutionError) -> [IPAddress] {
        if let address = IPv4Address(host) { return [.v4(address)] }
        if let address = IPv6Address(host) { return [.v6(address)] }
        var addresses: [IPAddress] = []
        var failure: DNSResolverError?
        for type in [DNSRecordType.aaaa, .a] {
            do {
                addresses += try await resolve(host, type: type).addresses
            } catch {
                // NXDOMAIN for one type is NXDOMAIN for both (RFC 8020): no need to ask again.
                if case .nameDoesNotExist = error { throw error.nameResolutionError }
                failure = failure ?? error
            }
        }
        guard addresses.isEmpty else { return addresses }
        if let failure { throw failure.nameResolutionError }
        throw .noAddresses(host)
    }

    /// Forgets every answer kept.
    public func flushCache() { cache.removeAll() }

    /// The answer to `question` from the cache, else from the resolvers, then kept.
    func lookUp(_ question: DNSQuestion) async throws(DNSResolverError) -> DNSAnswer {
        if let answer = cache.answer(to: question, now: clock.now()) {
            statistics.cacheHits += 1
            return answer
        }
        while queriesUnderWay >= configuration.concurrentQueries { await queryFinished.wait() }
        queriesUnderWay += 1
        defer {
            queriesUnderWay -= 1
            queryFinished.wakeAll()
        }
        let answer = try await ask(question)
        cache.insert(answer, now: clock.now())
        return answer
    }

    /// Asks each resolver in turn, `attempts` rounds, the wait doubling each round; a response
    /// code other than NOERROR and NXDOMAIN moves on to the next resolver.
    private func ask(_ question: DNSQuestion) async throws(DNSResolverError) -> DNSAnswer {
        let servers = try await someNameServers()
        var failure = DNSResolverError.timedOut
        var timeout = configuration.timeout
        for _ in 0..<Swift.max(configuration.attempts, 1) {
            for server in servers {
                let query = DNSStubQuery(question: question, id: randomID(), server: server)
                var outcome = await exchangeOverUDP(query, timeout: timeout)
                if case .truncated = outcome { outcome = await exchangeOverTCP(query) }
                switch outcome {
                case let .answer(response):
                    let code = response.responseCode
                    guard code == .noError || code == .nameError else {
                        resolverLog.debug("\(question) from \(server): \(code)")
                        failure = .serverFailure(code)
                        continue
                    }
                    return try DNSAnswer(question: question, response: response)
                case .timedOut:
                    resolverLog.debug("\(question) from \(server): no answer in time")
                case let .failed(error):
                    resolverLog.debug("\(question) from \(server): \(error)")
                    if case .timedOut = failure { failure = .transport(error) }
                case .truncated:
                    break
                }
            }
            timeout = timeout * 2
        }
        throw failure
    }

    /// The resolvers to ask; when none is known yet (a router advertisement's RDNSS not heard
    /// yet), asked again every 100 ms for up to ``DNSResolverConfiguration/serverWait``.
    private func someNameServers() async throws(DNSResolverError) -> [Endpoint] {
        let deadline = clock.now() + configuration.serverWait
        while true {
            let servers = nameServers()
            if !servers.isEmpty { return servers }
            guard clock.now() < deadline else { throw .noServers }
            do { try await sleep(for: .milliseconds(100)) } catch { throw .noServers }
        }
    }

    /// A random 16-bit identifier (RFC 5452 section 9.2).
    func randomID() -> UInt16 {
        var id: UInt16 = 0
        withUnsafeMutableBytes(of: &id) { entropy.fill($0) }
        return id
    }
}
