import MirageCore
import MirageHTTP
import MirageKV
import MirageRuntime
import MirageTesting
import Testing

/// A site of three files, modified at 1,000,000,000 s after the epoch.
func testSite() -> HTTPStaticSite<CrunchStore> {
    let modified = WallTime(seconds: 1_000_000_000)
    return HTTPStaticSite(store: CrunchStore(files: [
        .init(path: "index.html", contents: Array("<h1>home</h1>".utf8), lastModified: modified),
        .init(path: "css/site.css", contents: Array("body{}".utf8), lastModified: modified),
        .init(path: "docs/index.html", contents: Array("0123456789".utf8), lastModified: modified),
        .init(path: "docs/a b.txt", contents: Array("spaced".utf8), lastModified: modified),
    ]))
}

/// Runs `body` inside the scheduler (the store and site are async) and returns its result.
func inScheduler<T>(_ body: @escaping () async -> T) -> T {
    var result: T?
    _ = Mirage.runToCompletion(SimulatedPlatform()) {
        result = await body()
        return 0
    }
    return result!
}

func get(_ site: HTTPStaticSite<CrunchStore>, _ target: String, method: String = "GET", headers: [(String, String)] = []) -> HTTPResponse {
    var fields = HTTPHeaders([("Host", "a")])
    for (name, value) in headers { fields.add(name, value) }
    let request = HTTPRequest(head: HTTPRequestHead(method: method, target: target, headers: fields))
    return inScheduler { await site.respond(to: request) }
}

@Suite("A static site from a key-value store")
struct HTTPStaticSiteTests {
    @Test("files by path with their media type, index.html for directories, 404 otherwise, percent-decoding, no climbing")
    func paths() {
        let site = testSite()
        let home = get(site, "/")
        #expect(home.status == .ok && home.body.bytes == Array("<h1>home</h1>".utf8))
        #expect(home.headers["Content-Type"] == "text/html; charset=utf-8")
        #expect(get(site, "/css/site.css?v=2").headers["Content-Type"] == "text/css; charset=utf-8")
        #expect(get(site, "/docs").body.bytes == Array("0123456789".utf8))
        #expect(get(site, "/docs/a%20b.txt").body.bytes == Array("spaced".utf8))
        #expect(get(site, "/css").status == .notFound) // a directory without index.html
        #expect(get(site, "/nope.html").status == .notFound)
        #expect(get(site, "/docs/../index.html").status == .badRequest)
        #expect(get(site, "/%2e%2e/x").status == .badRequest)
        #expect(get(site, "/a%2Fb").status == .badRequest)
        #expect(get(site, "/%zz").status == .badRequest)
    }

    @Test("only GET and HEAD: anything else is 405 with Allow; HEAD has the length and no body")
    func methods() {
        let site = testSite()
        let post = get(site, "/", method: "POST")
        #expect(post.status == .methodNotAllowed && post.headers["Allow"] == "GET, HEAD")
        let head = get(site, "/", method: "HEAD")
        #expect(head.status == .ok && head.body.isEmpty && head.headers["Content-Length"] == "13")
    }

    @Test("conditional requests: a matching If-None-Match or a later If-Modified-Since gives 304; If-None-Match decides when both come")
    func conditional() {
        let site = testSite()
        let first = get(site, "/")
        let tag = first.headers["ETag"]!
        #expect(tag.hasPrefix("\"") && tag.count == 34)
        #expect(first.headers["Last-Modified"] == "Sun, 09 Sep 2001 01:46:40 GMT")
        #expect(get(site, "/", headers: [("If-None-Match", tag)]).status == .notModified)
        #expect(get(site, "/", headers: [("If-None-Match", "\"other\", W/" + tag)]).status == .notModified)
        #expect(get(site, "/", headers: [("If-None-Match", "\"other\"")]).status == .ok)
        #expect(get(site, "/", headers: [("If-Modified-Since", "Sun, 09 Sep 2001 01:46:40 GMT")]).status == .notModified)
        #expect(get(site, "/", headers: [("If-Modified-Since", "Sun, 09 Sep 2001 01:46:39 GMT")]).status == .ok)
        #expect(get(site, "/", headers: [("If-None-Match", "\"other\""), ("If-Modified-Since", "Sun, 09 Sep 2001 01:46:40 GMT")]).status == .ok)
        #expect(get(site, "/css/site.css", headers: [("If-None-Match", tag)]).status == .ok) // another file's tag
    }

    @Test("byte ranges: 206 with Content-Range for one range (first-last, first-, -suffix), 416 past the end, the whole file for several")
    func ranges() {
        let site = testSite()
        let middle = get(site, "/docs/", headers: [("Range", "bytes=2-5")])
        #expect(middle.status == .partialContent && middle.body.bytes == Array("2345".utf8))
        #expect(middle.headers["Content-Range"] == "bytes 2-5/10")
        #expect(get(site, "/docs/", headers: [("Range", "bytes=7-")]).body.bytes == Array("789".utf8))
        #expect(get(site, "/docs/", headers: [("Range", "bytes=-3")]).body.bytes == Array("789".utf8))
        #expect(get(site, "/docs/", headers: [("Range", "bytes=8-100")]).headers["Content-Range"] == "bytes 8-9/10")
        let past = get(site, "/docs/", headers: [("Range", "bytes=10-12")])
        #expect(past.status == .rangeNotSatisfiable && past.headers["Content-Range"] == "bytes */10")
        #expect(get(site, "/docs/", headers: [("Range", "bytes=0-1,4-5")]).status == .ok)
        #expect(get(site, "/docs/", headers: [("Range", "bytes=0-1"), ("If-Range", "\"stale\"")]).status == .ok)
    }

    @Test("a value rewritten in a writable store is served with its new ETag, Last-Modified and bytes, not the kept ones")
    func rewrittenValue() {
        var now: Int64 = 1_000
        let store = inScheduler {
            try! await BlockKeyValueStore.open(MemoryBlockDevice(sectorCount: 64), now: { WallTime(seconds: now) })
        }
        let site = HTTPStaticSite(store: store)
        func fetch() -> HTTPResponse {
            let request = HTTPRequest(head: HTTPRequestHead(method: "GET", target: "/page.txt", headers: HTTPHeaders([("Host", "a")])))
            return inScheduler { await site.respond(to: request) }
        }
        inScheduler { try! await store.set(KeyValueKey("page.txt"), Array("first".utf8)) }
        let first = fetch()
        #expect(first.body.bytes == Array("first".utf8) && first.headers["Last-Modified"] == HTTPDate.format(secondsSinceEpoch: 1_000))
        #expect(fetch().headers["ETag"] == first.headers["ETag"])
        now = 2_000
        inScheduler { try! await store.set(KeyValueKey("page.txt"), Array("second".utf8)) }
        let second = fetch()
        #expect(second.body.bytes == Array("second".utf8))
        #expect(second.headers["ETag"] != first.headers["ETag"])
        #expect(second.headers["Last-Modified"] == HTTPDate.format(secondsSinceEpoch: 2_000))
        #expect(site.cachedRepresentations == 1)
    }

    @Test("the kept representations stay within their bound however many values are fetched")
    func representationBound() {
        let limit = HTTPStaticSite<CrunchStore>.representationLimit
        let files = (0..<(limit + 200)).map {
            CrunchStore.File(path: "f\($0).txt", contents: [UInt8(truncatingIfNeeded: $0)], lastModified: WallTime(seconds: Int64($0)))
        }
        let site = HTTPStaticSite(store: CrunchStore(files: files))
        var most = 0
        for index in 0..<files.count {
            #expect(get(site, "/f\(index).txt").headers["Last-Modified"] == HTTPDate.format(secondsSinceEpoch: Int64(index)))
            most = max(most, site.cachedRepresentations)
        }
        #expect(most == limit)
        #expect(site.cachedRepresentations <= limit)
    }

    @Test("an immutable store's targets are kept: the same answers, within the byte bound under a flood of distinct query strings")
    func targetBound() {
        let site = testSite()
        let first = get(site, "/docs")
        #expect(site.cachedTargets.count == 1)
        let again = get(site, "/docs")
        #expect(again.status == .ok && again.body.bytes == first.body.bytes && again.headers == first.headers)
        #expect(get(site, "/docs", method: "HEAD").headers["Content-Length"] == "10")
        #expect(get(site, "/docs", headers: [("Range", "bytes=2-4")]).body.bytes == Array("234".utf8))
        #expect(get(site, "/docs", headers: [("If-None-Match", first.headers["ETag"]!)]).status == .notModified)
        let limit = HTTPStaticSite<CrunchStore>.targetCacheLimit
        var most = 0
        let long = String(repeating: "q", count: 1000)
        for index in 0..<400 {
            #expect(get(site, "/css/site.css?\(long)\(index)").status == .ok)
            most = max(most, site.cachedTargets.bytes)
        }
        #expect(most <= limit && most > limit / 2)
        #expect(get(site, "/nope").status == .notFound && get(site, "/%zz").status == .badRequest)
    }

    @Test("a writable store's targets are not kept: a value it removes is not found")
    func writableTargetsNotKept() {
        let store = inScheduler {
            try! await BlockKeyValueStore.open(MemoryBlockDevice(sectorCount: 64), now: { WallTime(seconds: 1) })
        }
        let site = HTTPStaticSite(store: store)
        let request = HTTPRequest(head: HTTPRequestHead(method: "GET", target: "/a.txt", headers: HTTPHeaders([("Host", "a")])))
        inScheduler { try! await store.set(KeyValueKey("a.txt"), [1]) }
        #expect(inScheduler { await site.respond(to: request) }.status == .ok)
        #expect(site.cachedTargets.count == 0 && site.keptBodies == 0)
        inScheduler { try! await store.remove(KeyValueKey("a.txt")) }
        #expect(inScheduler { await site.respond(to: request) }.status == .notFound)
    }

    @Test("IMF-fixdate both ways, at the epoch and beyond")
    func dates() {
        #expect(HTTPDate.format(secondsSinceEpoch: 0) == "Thu, 01 Jan 1970 00:00:00 GMT")
        #expect(HTTPDate.format(secondsSinceEpoch: 784_111_777) == "Sun, 06 Nov 1994 08:49:37 GMT") // RFC 9110's example
        #expect(HTTPDate.parse("Sun, 06 Nov 1994 08:49:37 GMT") == 784_111_777)
        #expect(HTTPDate.parse("Sunday, 06-Nov-94 08:49:37 GMT") == nil)
        for seconds in stride(from: Int64(0), to: 4_000_000_000, by: 123_456_789) {
            #expect(HTTPDate.parse(HTTPDate.format(secondsSinceEpoch: seconds)) == seconds)
        }
    }
}

@Suite("A static site's kept bodies")
struct HTTPStaticSiteKeptBodyTests {
    @Test("a small file of an immutable store is kept after its first GET and served the same; the kept bytes stay within the limit")
    func keptWithinLimit() {
        let site = testSite()
        #expect(site.keptBodies == 0)
        let first = get(site, "/docs")
        #expect(site.keptBodies == 10)
        let again = get(site, "/docs")
        #expect(again.body.bytes == first.body.bytes && again.headers == first.headers && site.keptBodies == 10)
        #expect(get(site, "/docs", headers: [("Range", "bytes=0-1")]).body.bytes == Array("01".utf8))
        #expect(get(site, "/docs", method: "HEAD").body.isEmpty && site.keptBodies == 10)

        // Files that together pass the limit: the kept bytes never do, and each is served whole.
        let size = HTTPStaticSite<CrunchStore>.keptBodyMaximum
        let count = HTTPStaticSite<CrunchStore>.keptBodyLimit / size + 4
        let files = (0..<count).map { CrunchStore.File(path: "f\($0)", contents: Array(repeating: UInt8($0 & 0xff), count: size),
                                                        lastModified: WallTime(seconds: 1)) }
        let big = HTTPStaticSite(store: CrunchStore(files: files + [.init(path: "huge", contents: Array(repeating: 1, count: size + 1),
                                                                                    lastModified: WallTime(seconds: 1))]))
        for round in 0..<2 {
            for index in 0..<count {
                let response = inScheduler { await big.respond(to: HTTPRequest(head: HTTPRequestHead(method: "GET", target: "/f\(index)",
                                                                                                          headers: HTTPHeaders([("Host", "a")])))) }
                #expect(response.body.count == size && response.body[0] == UInt8(index & 0xff), "round \(round), file \(index)")
                #expect(big.keptBodies <= HTTPStaticSite<CrunchStore>.keptBodyLimit)
            }
        }
        #expect(big.keptBodies == HTTPStaticSite<CrunchStore>.keptBodyLimit / size * size)
        _ = inScheduler { await big.respond(to: HTTPRequest(head: HTTPRequestHead(method: "GET", target: "/huge", headers: HTTPHeaders([("Host", "a")])))) }
        #expect(big.keptBodies == HTTPStaticSite<CrunchStore>.keptBodyLimit / size * size) // a larger file is not kept
    }
}

@Suite("A static site's kept responses, answered without the store")
struct HTTPStaticSiteKeptResponseTests {
    func request(_ target: String, method: String = "GET", headers: [(String, String)] = []) -> HTTPRequest {
        var fields = HTTPHeaders([("Host", "a")])
        for (name, value) in headers { fields.add(name, value) }
        return HTTPRequest(head: HTTPRequestHead(method: method, target: target, headers: fields))
    }

    @Test("only a plain GET of a target served before with a kept body; the same response as respond gives")
    func onlyPlainGetsOfKeptTargets() {
        let site = testSite()
        #expect(site.keptResponse(to: request("/docs")) == nil) // not served yet
        let served = get(site, "/docs")
        let kept = site.keptResponse(to: request("/docs"))
        #expect(kept?.status == served.status && kept?.headers == served.headers && kept?.body.bytes == served.body.bytes)
        #expect(site.keptResponse(to: request("/docs", method: "HEAD")) == nil)
        #expect(site.keptResponse(to: request("/docs/")) == nil) // another target, not served yet
        for name in ["Range", "If-None-Match", "If-Modified-Since", "range", "IF-NONE-MATCH"] {
            #expect(site.keptResponse(to: request("/docs", headers: [(name, "x")])) == nil, "\(name)")
        }
        // Other fields leave it kept.
        #expect(site.keptResponse(to: request("/docs", headers: [("Accept", "*/*"), ("User-Agent", "t")]))?.body.bytes == served.body.bytes)
    }

    @Test("respond(toNotKept:) answers as respond(to:) does, kept or not")
    func notKeptAnswersTheSame() {
        let site = testSite()
        _ = get(site, "/docs")  // kept from now on
        for (target, method) in [("/docs", "GET"), ("/docs", "HEAD"), ("/", "GET"), ("/nope", "GET"), ("/", "POST")] {
            let plain = inScheduler { await site.respond(to: request(target, method: method)) }
            let notKept = inScheduler { await site.respond(toNotKept: request(target, method: method)) }
            #expect(notKept.status == plain.status && notKept.headers == plain.headers && notKept.body.bytes == plain.body.bytes, "\(method) \(target)")
        }
    }
}
