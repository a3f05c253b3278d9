import Foundation
import MirageCore
import MirageCrypto
import MirageTLS
import MirageTesting
import Testing

/// Our record layer and key derivations against tlslite-ng (PyPI, a TLS implementation no one
/// here wrote, pinned by scripts/test into `.build/python-peers`) on seeded random inputs
/// (`MIRAGE_TEST_SEED`): each side seals records the other opens, for every suite of both
/// versions, with tlslite-ng deriving its keys and IVs from the traffic secrets (TLS 1.3) or
/// the master secret and randoms (TLS 1.2) itself; and the TLS 1.3 secrets, TLS 1.2's extended
/// master secret and Finished values are compared. `Fixtures/tls_oracle.py` is its side.
@Suite("TLS cross-check with tlslite-ng")
struct CrossCheckTests {
    static let package = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let oracle = package.appendingPathComponent("Tests/MirageTLSTests/Fixtures/tls_oracle.py").path
    /// Where scripts/test installs tlslite-ng (or the folder `MIRAGE_PYTHON_PEERS` names).
    static var peers: String {
        ProcessInfo.processInfo.environment["MIRAGE_PYTHON_PEERS"] ?? package.appendingPathComponent(".build/python-peers").path
    }

    struct Inputs {
        let random: SeededEntropy
        func bytes(_ count: Int) -> [UInt8] { random.bytes(count: count) }
        func contents() -> [(type: TLSContentType, content: [UInt8])] {
            var result: [(TLSContentType, [UInt8])] = [(.applicationData, bytes(16_384)), (.handshake, bytes(1))]
            for _ in 0..<4 {
                let length = Int(bytes(2).withUnsafeBytes { $0.load(as: UInt16.self) }) % 3000
                result.append((bytes(1)[0] & 1 == 0 ? .applicationData : .handshake, bytes(length)))
            }
            return result
        }
    }

    @Test("records sealed by one side open on the other, for every suite of TLS 1.3 and 1.2; secrets agree")
    func againstTLSLite() throws {
        let seed = ProcessInfo.processInfo.environment["MIRAGE_TEST_SEED"].flatMap { UInt64($0) } ?? UInt64.random(in: 1...1_000_000)
        print("TLS cross-check seed: \(seed) (MIRAGE_TEST_SEED)")
        let inputs = Inputs(random: SeededEntropy(seed: seed))
        var request: [String: Any] = [:]

        // TLS 1.3: we are the server; tlslite-ng the client.
        var tls13: [[String: Any]] = []
        var expected13: [[(type: TLSContentType, content: [UInt8])]] = []
        var theirContents13: [[(type: TLSContentType, content: [UInt8])]] = []
        var secrets13: [(client: [UInt8], server: [UInt8])] = []
        for suite in TLSCipherSuite.tls13Suites {
            let parameters = try #require(suite.parameters)
            let client = inputs.bytes(parameters.hash.digestLength), server = inputs.bytes(parameters.hash.digestLength)
            let (key, iv) = TLS13KeySchedule.trafficKeys(parameters.hash, secret: server, cipher: parameters.cipher)
            var protection = try TLS13RecordProtection(cipher: parameters.cipher, key: key, iv: iv)
            let ours = inputs.contents(), theirs = inputs.contents()
            var sealed: [String] = []
            for item in ours { sealed.append(hexString(try protection.seal(item.content, type: item.type))) }
            tls13.append(["suite": Int(suite.rawValue), "client_secret": hexString(client), "server_secret": hexString(server),
                          "contents": theirs.map { ["type": Int($0.type.rawValue), "content": hexString($0.content)] }, "ours": sealed])
            expected13.append(ours)
            theirContents13.append(theirs)
            secrets13.append((client, server))
        }
        request["tls13"] = tls13

        // TLS 1.2: the same, keyed from a master secret and the randoms.
        var tls12: [[String: Any]] = []
        var expected12: [[(type: TLSContentType, content: [UInt8])]] = []
        var theirContents12: [[(type: TLSContentType, content: [UInt8])]] = []
        var keys12: [(hash: HashAlgorithm, master: [UInt8], clientRandom: [UInt8], serverRandom: [UInt8], cipher: TLSRecordCipher,
                      preMaster: [UInt8], transcriptHash: [UInt8])] = []
        for suite in TLSCipherSuite.tls12Suites {
            let parameters = try #require(suite.parameters)
            let master = inputs.bytes(48), clientRandom = inputs.bytes(32), serverRandom = inputs.bytes(32)
            let keys = TLS12PRF.keys(parameters.hash, masterSecret: master, clientRandom: clientRandom, serverRandom: serverRandom,
                                     cipher: parameters.cipher)
            var protection = try TLS12RecordProtection(cipher: parameters.cipher, key: keys.serverKey, iv: keys.serverIV)
            let ours = inputs.contents(), theirs = inputs.contents()
            var sealed: [String] = []
            for item in ours { sealed.append(hexString(try protection.seal(item.content, type: item.type))) }
            let preMaster = inputs.bytes(32), transcriptHash = inputs.bytes(parameters.hash.digestLength)
            tls12.append(["suite": Int(suite.rawValue), "master": hexString(master), "client_random": hexString(clientRandom),
                          "server_random": hexString(serverRandom), "hash": parameters.hash == .sha384 ? "sha384" : "sha256",
                          "transcript_hash": hexString(transcriptHash), "pre_master": hexString(preMaster),
                          "contents": theirs.map { ["type": Int($0.type.rawValue), "content": hexString($0.content)] }, "ours": sealed])
            expected12.append(ours)
            theirContents12.append(theirs)
            keys12.append((parameters.hash, master, clientRandom, serverRandom, parameters.cipher, preMaster, transcriptHash))
        }
        request["tls12"] = tls12

        // The TLS 1.3 key schedule, with and without a PSK, for both hashes.
        var schedules: [[String: Any]] = []
        var scheduleInputs: [(hash: HashAlgorithm, psk: [UInt8]?, shared: [UInt8], hello: [UInt8], finished: [UInt8],
                              resumption: [UInt8], nonce: [UInt8])] = []
        for hash in [HashAlgorithm.sha256, .sha384] {
            for withPSK in [false, true] {
                let psk = withPSK ? inputs.bytes(hash.digestLength) : nil
                let item = (hash, psk, inputs.bytes(32), inputs.bytes(hash.digestLength), inputs.bytes(hash.digestLength),
                            inputs.bytes(hash.digestLength), inputs.bytes(8))
                scheduleInputs.append(item)
                schedules.append(["hash": hash == .sha384 ? "sha384" : "sha256", "psk": psk.map(hexString) ?? "",
                                  "shared": hexString(item.2), "hello_hash": hexString(item.3), "finished_hash": hexString(item.4),
                                  "resumption_master": hexString(item.5), "ticket_nonce": hexString(item.6)])
            }
        }
        request["schedule"] = schedules

        let answer = try runOracle(request)
        let answers13 = try #require(answer["tls13"] as? [[String: Any]])
        for (index, suite) in TLSCipherSuite.tls13Suites.enumerated() {
            let parameters = try #require(suite.parameters)
            try checkOpened(answers13[index]["opened"], expected: expected13[index], "TLS 1.3 suite \(suite.rawValue), tlslite-ng opening ours")
            let (key, iv) = TLS13KeySchedule.trafficKeys(parameters.hash, secret: secrets13[index].client, cipher: parameters.cipher)
            var protection = try TLS13RecordProtection(cipher: parameters.cipher, key: key, iv: iv)
            let records = try #require(answers13[index]["sealed"] as? [String])
            for (record, item) in zip(records, theirContents13[index]) {
                var framer = TLSRecordFramer(maximumFragment: TLSRecord.maximumProtected13)
                framer.append(hex(record))
                let opened = try protection.open(try #require(try framer.next()))
                #expect(opened.type == item.type && opened.content == item.content, "TLS 1.3 suite \(suite.rawValue), ours opening tlslite-ng's")
            }
        }
        let answers12 = try #require(answer["tls12"] as? [[String: Any]])
        for (index, suite) in TLSCipherSuite.tls12Suites.enumerated() {
            let inputs = keys12[index]
            try checkOpened(answers12[index]["opened"], expected: expected12[index], "TLS 1.2 suite \(suite.rawValue), tlslite-ng opening ours")
            let keys = TLS12PRF.keys(inputs.hash, masterSecret: inputs.master, clientRandom: inputs.clientRandom,
                                     serverRandom: inputs.serverRandom, cipher: inputs.cipher)
            var protection = try TLS12RecordProtection(cipher: inputs.cipher, key: keys.clientKey, iv: keys.clientIV)
            let records = try #require(answers12[index]["sealed"] as? [String])
            for (record, item) in zip(records, theirContents12[index]) {
                var framer = TLSRecordFramer(maximumFragment: TLSRecord.maximumProtected12)
                framer.append(hex(record))
                let fragment = try #require(try framer.next())
                #expect(fragment.type == item.type)
                #expect(try protection.open(fragment) == item.content, "TLS 1.2 suite \(suite.rawValue), ours opening tlslite-ng's")
            }
            #expect(answers12[index]["extended_master_secret"] as? String
                    == hexString(TLS12PRF.extendedMasterSecret(inputs.hash, preMasterSecret: inputs.preMaster, sessionHash: inputs.transcriptHash)))
            let finished = try #require(answers12[index]["finished"] as? [String: String])
            for client in [true, false] {
                #expect(finished[client ? "client" : "server"]
                        == hexString(TLS12PRF.verifyData(inputs.hash, masterSecret: inputs.master, client: client, transcriptHash: inputs.transcriptHash)))
            }
        }
        let answersSchedule = try #require(answer["schedule"] as? [[String: String]])
        for (index, item) in scheduleInputs.enumerated() {
            var schedule = TLS13KeySchedule(item.hash, preSharedKey: item.psk)
            let theirs = answersSchedule[index]
            #expect(theirs["binder_key"] == hexString(schedule.binderKey()))
            schedule.addSharedSecret(item.shared)
            let serverHandshake = schedule.derive("s hs traffic", transcriptHash: item.hello)
            #expect(theirs["client_handshake"] == hexString(schedule.derive("c hs traffic", transcriptHash: item.hello)))
            #expect(theirs["server_handshake"] == hexString(serverHandshake))
            #expect(theirs["server_finished"]
                    == hexString(TLS13KeySchedule.finishedMAC(item.hash, baseKey: serverHandshake, transcriptHash: item.hello)))
            schedule.enterMasterSecret()
            let clientApplication = schedule.derive("c ap traffic", transcriptHash: item.finished)
            #expect(theirs["client_application"] == hexString(clientApplication))
            #expect(theirs["server_application"] == hexString(schedule.derive("s ap traffic", transcriptHash: item.finished)))
            #expect(theirs["resumption_master"] == hexString(schedule.derive("res master", transcriptHash: item.finished)))
            #expect(theirs["next_client_application"] == hexString(TLS13KeySchedule.nextTrafficSecret(item.hash, after: clientApplication)))
            #expect(theirs["resumption_psk"]
                    == hexString(TLS13KeySchedule.resumptionPSK(item.hash, resumptionMasterSecret: item.resumption, ticketNonce: item.nonce)))
        }
        print("TLS cross-check: \(TLSCipherSuite.tls13Suites.count) TLS 1.3 and \(TLSCipherSuite.tls12Suites.count) TLS 1.2 suites, "
              + "6 records each way per suite, \(scheduleInputs.count) key schedules")
    }

    private func checkOpened(_ value: Any?, expected: [(type: TLSContentType, content: [UInt8])], _ what: String) throws {
        let opened = try #require(value as? [[String: Any]], "\(what): no answer")
        #expect(opened.count == expected.count, "\(what)")
        for (theirs, ours) in zip(opened, expected) {
            #expect(theirs["type"] as? Int == Int(ours.type.rawValue) && theirs["content"] as? String == hexString(ours.content), "\(what)")
        }
    }

    private func runOracle(_ request: [String: Any]) throws -> [String: Any] {
        guard FileManager.default.fileExists(atPath: Self.peers + "/tlslite") else {
            throw OracleFailure(description: "tlslite-ng is not in \(Self.peers): run scripts/test, which installs it from PyPI")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = [Self.oracle]
        process.environment = ["MIRAGE_PYTHON_PEERS": Self.peers, "PATH": "/usr/bin:/bin"]
        let input = Pipe(), output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        input.fileHandleForWriting.write(try JSONSerialization.data(withJSONObject: request))
        try input.fileHandleForWriting.close()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw OracleFailure(description: "tls_oracle.py exited with \(process.terminationStatus)") }
        return try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
    }
}

struct OracleFailure: Error, CustomStringConvertible { let description: String }
