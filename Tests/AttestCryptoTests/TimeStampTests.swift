import Foundation
import Testing
@testable import AttestCrypto
import AttestTestSupport

/// RFC 3161 against a real TSA (`openssl ts -reply` on loopback, scripts/test-tsa), with
/// `openssl ts` as the independent oracle.
@Suite struct TimeStampTests {
    static let instant = "2026-10-03 12:00:00"
    static let instantDate = Date(timeIntervalSince1970: 1_791_028_800)   // 2026-10-03T12:00:00Z

    func imprint(_ text: String) throws -> [UInt8] { try SHA256.digest(of: Data(text.utf8)) }

    /// `openssl ts -verify` on a token file: the exit status and what it printed.
    func oracle(token: Data, imprint: [UInt8], caFile: String, in scratch: Scratch) throws -> RunResult {
        let path = scratch.path + "/token-\(UUID().uuidString.prefix(6)).der"
        try token.write(to: URL(fileURLWithPath: path))
        return run("openssl", ["ts", "-verify", "-in", path, "-token_in", "-digest", SHA256.hex(imprint), "-CAfile", caFile])
    }

    @Test func requestIsWhatOpenSSLReadsBack() throws {
        let digest = try imprint("request")
        let req = try TimeStampRequest(imprint: digest)
        let s = Scratch("tsq")
        try req.der.write(to: URL(fileURLWithPath: s.path + "/q.tsq"))
        let text = run("openssl", ["ts", "-query", "-in", s.path + "/q.tsq", "-text"])
        #expect(text.status == 0, "\(text)")
        #expect(text.stdout.contains("Version: 1"))
        #expect(text.stdout.contains("Hash Algorithm: sha256"))
        #expect(text.stdout.contains("Certificate required: yes"))
        let nonceHex = req.nonce.map { String(format: "%02X", $0) }.joined()
        #expect(text.stdout.contains("Nonce: 0x\(nonceHex)"))
        // The imprint as openssl prints it: "0000 - 58 91 b5 …"
        let dump = text.stdout.split(separator: "\n").filter { $0.contains(" - ") }
            .map { line in line.split(separator: "-", maxSplits: 1)[1].prefix(50).replacingOccurrences(of: "-", with: " ") }
            .joined().split(separator: " ").joined()
        #expect(dump.lowercased() == SHA256.hex(digest))
        // A second request carries another nonce.
        #expect(try TimeStampRequest(imprint: digest).nonce != req.nonce)
    }

    @Test func grantedTokenVerifiesHereAndWithOpenSSL() throws {
        let tsa = try TestTSA(label: "Test TSA One", at: Self.instant)
        defer { tsa.stop() }
        let digest = try imprint("sign-off one")
        let stamp = try TimeStampAuthority(url: tsa.url, caFile: tsa.caFile).stamp(imprint: digest)
        // faketime starts the TSA's clock at the instant; it has run for a few seconds since.
        #expect(stamp.time >= Self.instantDate && stamp.time < Self.instantDate.addingTimeInterval(120))
        #expect(stamp.tsaSubject == "CN=Test TSA One,O=attest tests")
        #expect(stamp.imprint == SHA256.hex(digest))
        let again = try TimeStampVerifier.verify(token: stamp.token, imprint: digest, caFile: tsa.caFile)
        #expect(again == stamp)
        let ok = try oracle(token: stamp.token, imprint: digest, caFile: tsa.caFile, in: tsa.scratch)
        #expect(ok.status == 0 && ok.stdout.contains("Verification: OK"), "\(ok)")
    }

    @Test func tokenMadeByOpenSSLAloneVerifiesHere() throws {
        let tsa = try TestTSA(label: "Oracle TSA", serve: false)
        let s = tsa.scratch
        let digest = try imprint("made by openssl ts")
        let q = run("openssl", ["ts", "-query", "-digest", SHA256.hex(digest), "-sha256", "-cert", "-out", s.path + "/q.tsq"])
        #expect(q.status == 0, "\(q)")
        let r = run("faketime", ["-f", "2026-07-03 08:30:00", "openssl", "ts", "-reply", "-config", s.path + "/tsa.cnf",
                                 "-queryfile", s.path + "/q.tsq", "-token_out", "-out", s.path + "/t.der"],
                    environment: ["TZ": "UTC", "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"])
        #expect(r.status == 0, "\(r)")
        let token = try Data(contentsOf: URL(fileURLWithPath: s.path + "/t.der"))
        let stamp = try TimeStampVerifier.verify(token: token, imprint: digest, caFile: tsa.caFile)
        #expect(stamp.time == Date(timeIntervalSince1970: 1_783_067_400))   // 2026-07-03T08:30:00Z
        #expect(stamp.policy == "1.3.6.1.4.1.4146.2.3")
    }

    enum Damage: String, CaseIterable { case otherCA, otherImprint, corruptedSignature, truncated, trailingBytes, empty, notDER }

    @Test(arguments: Damage.allCases)
    func damagedTokenIsRejectedNamingTheCause(_ damage: Damage) throws {
        let tsa = try TestTSA(label: "Test TSA Two", at: Self.instant)
        defer { tsa.stop() }
        let digest = try imprint("sign-off two")
        let good = try TimeStampAuthority(url: tsa.url, caFile: tsa.caFile).stamp(imprint: digest).token
        var token = good, expectedImprint = digest, caFile = tsa.caFile
        var other: TestTSA?
        switch damage {
        case .otherCA:
            other = try TestTSA(label: "Another CA", serve: false)
            caFile = other!.caFile
        case .otherImprint: expectedImprint = try imprint("another sign-off")
        case .corruptedSignature: token[token.count - 3] ^= 0x5A   // inside the signature value, the last field
        case .truncated: token = token.prefix(token.count / 2)
        case .trailingBytes: token.append(contentsOf: [0, 0])
        case .empty: token = Data()
        case .notDER: token = Data("MIIG not a token".utf8)
        }
        let error = #expect(throws: TimeStampError.self) {
            try TimeStampVerifier.verify(token: token, imprint: expectedImprint, caFile: caFile)
        }
        let expected: String
        switch damage {
        case .otherCA: expected = "other-ca"
        case .otherImprint: expected = "other-imprint"
        default: expected = "corrupted"
        }
        #expect(error?.cause == expected, "\(String(describing: error))")
        switch damage {
        case .otherCA: #expect(error?.description.contains("another CA") == true && error?.description.contains(caFile) == true)
        case .otherImprint: #expect(error?.description.contains(SHA256.hex(expectedImprint)) == true)
        default: #expect(error?.description.hasPrefix("corrupted timestamp token") == true)
        }
        // The oracle agrees that the token does not pass. (openssl's DER reader ignores bytes
        // after the structure; attest does not, so a token means exactly one thing.)
        if damage != .empty && damage != .trailingBytes {
            let o = try oracle(token: token, imprint: expectedImprint, caFile: caFile, in: tsa.scratch)
            #expect(o.status != 0 && !o.stdout.contains("Verification: OK"), "\(o)")
        }
        _ = other
    }

    @Test func unreadableCAFileIsNamed() throws {
        let tsa = try TestTSA(label: "Test TSA Three", at: Self.instant)
        defer { tsa.stop() }
        let digest = try imprint("ca file")
        let token = try TimeStampAuthority(url: tsa.url, caFile: tsa.caFile).stamp(imprint: digest).token
        let notPEM = tsa.scratch.write("not.pem", "hello\n")
        for path in ["/nonexistent/ca.pem", notPEM] {
            let e = #expect(throws: TimeStampError.self) { try TimeStampVerifier.verify(token: token, imprint: digest, caFile: path) }
            #expect(e?.cause == "ca-file" && e?.description.contains(path) == true, "\(String(describing: e))")
        }
    }

    @Test(arguments: [TestTSA.Mode.reject, .httpError, .garbage])
    func tsaErrorsNameTheTSAAndItsAnswer(_ mode: TestTSA.Mode) throws {
        let tsa = try TestTSA(label: "Test TSA Four", at: Self.instant)
        defer { tsa.stop() }
        tsa.mode = mode
        let e = #expect(throws: TimeStampError.self) {
            try TimeStampAuthority(url: tsa.url, caFile: tsa.caFile).stamp(imprint: try imprint("refused"))
        }
        #expect(e?.description.contains(tsa.url) == true, "\(String(describing: e))")
        switch mode {
        case .reject:
            #expect(e?.cause == "tsa-rejected")
            #expect(e?.description.contains("rejection") == true && e?.description.contains("badAlg") == true, "\(String(describing: e))")
        case .httpError:
            #expect(e?.cause == "tsa-http-error")
            #expect(e?.description.contains("HTTP 500") == true && e?.description.contains("mode http-500") == true, "\(String(describing: e))")
        case .garbage:
            #expect(e?.cause == "tsa-bad-answer")
        case .grant, .hugeLength, .endless, .redirectOther: break
        }
    }

    @Test func tsaDownIsNamed() throws {
        let tsa = try TestTSA(label: "Test TSA Five")
        let url = tsa.url
        tsa.stop()
        let e = #expect(throws: TimeStampError.self) {
            try TimeStampAuthority(url: url, caFile: tsa.caFile, timeout: 5).stamp(imprint: try imprint("down"))
        }
        #expect(e?.cause == "tsa-unreachable" && e?.description.contains(url) == true, "\(String(describing: e))")
    }

    @Test(arguments: ["", "ftp://example.com/tsa", "timestamp.example.com", "http://"])
    func badURLsAreRefused(_ url: String) {
        #expect(TimeStampAuthority.problem(withURL: url) != nil)
    }
}
