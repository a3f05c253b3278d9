import Foundation
import Testing

/// The client-side checks of the static website, in Python with curl
/// (Tests/EndToEndTests/Fixtures/http/client.py).
let websiteClient = repositoryRoot + "/Tests/EndToEndTests/Fixtures/http/client.py"

/// Whether curl is here; the website suite says so and skips when not.
let curlAvailable: Bool = {
    let available = FileManager.default.isExecutableFile(atPath: "/usr/bin/curl")
    if !available { print("SKIP: static website end-to-end tests: /usr/bin/curl is missing") }
    return available
}()

/// Waits until `log` shows the website listening, for up to `seconds`.
func waitUntilServing(_ log: String, _ process: Process, seconds: Int = 20) throws {
    for _ in 0..<(seconds * 10) {
        if let text = try? String(contentsOfFile: log, encoding: .utf8), text.contains("serving on port") { return }
        if !process.isRunning { break }
        usleep(100_000)
    }
    let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
    throw SetupError("the website did not start:\n\(text)")
}

struct SetupError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

extension EndToEnd {
    @Suite("The static website against curl and hostile clients", .serialized, .enabled(if: networkTestsAvailable && curlAvailable))
    struct WebsiteTests {
        /// Starts `command` in a fresh namespace and runs the client checks against HOST:PORT.
        func check(_ command: [String], host: String, port: Int) throws {
            let namespace = try NetworkNamespace()
            let log = NSTemporaryDirectory() + namespace.name + "-website.log"
            let server = try namespace.start(command, log: log)
            try waitUntilServing(log, server)
            let result = try namespace.exec(["/usr/bin/python3", websiteClient, host, String(port)])
            let serverLog = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            #expect(result.status == 0, "\(result.output)\(result.errorOutput)\nserver:\n\(serverLog.suffix(3000))")
            #expect(result.output.contains("malformed: 14 requests answered"), "\(result.output)")
            #expect(result.output.contains("wrk: ") || result.output.contains("SKIP: the wrk load"), "\(result.output)")
            if result.output.contains("SKIP: the wrk load") { print("SKIP: the website's wrk load: wrk is not installed") }
            #expect(serverLog.contains("[http] GET / 200 "), "no request line logged:\n\(serverLog.suffix(2000))")
            #expect(server.isRunning, "the website exited:\n\(serverLog.suffix(2000))")
        }

        @Test("unix, the host's sockets (--net=socket)")
        func socket() throws {
            let image = try ExampleImages.image("static-website", network: "socket")
            try check([image, "--port=8080"], host: "127.0.0.1", port: 8080)
        }

        @Test("unix, our stack over tap (--net=direct)")
        func direct() throws {
            let image = try ExampleImages.image("static-website", network: "direct")
            try check([image, "--ipv4=10.0.0.2/24"], host: "10.0.0.2", port: 80)
        }

        @Test("hvt: a KVM guest", .enabled(if: kvmAvailable))
        func hvt() throws {
            let image = try ExampleImages.image("static-website", target: "hvt")
            try check([tender, "--net:service=tap0", "--", image, "--ipv4=10.0.0.2/24"], host: "10.0.0.2", port: 80)
        }

        /// The tar archive `swift-mirage build` wrote beside the image configured `--kv=tar`, copied.
        func websiteArchive(after image: String) throws -> String {
            let copy = image + ".htdocs.tar"
            try? FileManager.default.removeItem(atPath: copy)
            try FileManager.default.copyItem(atPath: repositoryRoot + "/Examples/static-website/dist/htdocs.tar", toPath: copy)
            return copy
        }

        @Test("unix, the files from a tar archive on a block device (--kv=tar)")
        func socketTar() throws {
            let image = try ExampleImages.image("static-website", network: "socket", configure: ["--kv=tar"])
            let archive = try websiteArchive(after: image)
            try check([image, "--port=8080", "--block:htdocs=\(archive)"], host: "127.0.0.1", port: 8080)
        }

        @Test("hvt, the files from a tar archive on the tender's block device (--kv=tar)", .enabled(if: kvmAvailable))
        func hvtTar() throws {
            let image = try ExampleImages.image("static-website", target: "hvt", configure: ["--kv=tar"])
            let archive = try websiteArchive(after: image)
            try check([tender, "--net:service=tap0", "--block:htdocs=\(archive)", "--", image, "--ipv4=10.0.0.2/24"],
                      host: "10.0.0.2", port: 80)
        }

        @Test("a corrupt or missing archive stops the website at start with a message naming the problem")
        func corruptArchive() throws {
            let image = try ExampleImages.image("static-website", network: "socket", configure: ["--kv=tar"])
            let corrupt = NSTemporaryDirectory() + "mirage-corrupt-\(getpid()).tar"
            var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: try websiteArchive(after: image))))
            bytes[148] ^= 0x01 // the first header's checksum
            try Data(bytes).write(to: URL(fileURLWithPath: corrupt))
            let bad = try run([image, "--port=8080", "--block:htdocs=\(corrupt)"])
            #expect(bad.status == 1)
            #expect(bad.errorOutput.contains("cannot connect device 'kv:htdocs': a corrupt tar archive:"), "\(bad.errorOutput)")
            let missing = try run([image, "--port=8080", "--block:htdocs=/nonexistent/htdocs.tar"])
            #expect(missing.status == 1)
            #expect(missing.errorOutput.contains("cannot open '/nonexistent/htdocs.tar'"), "\(missing.errorOutput)")
        }
    }
}
