import Foundation
import Testing
@testable import AttestCrypto
import AttestTestSupport

/// Validation data (chain, CRL, OCSP) fetched from a real loopback CA when a token is obtained,
/// and the token judged years later with that data only; `openssl ts -verify -crl_check
/// -attime` and `openssl ocsp` are the oracles.
@Suite struct LongTermValidationTests {
    static let instant = "2026-10-03 12:00:00"
    static let instantDate = Date(timeIntervalSince1970: 1_791_028_800)   // 2026-10-03T12:00:00Z

    func digest(_ text: String) throws -> [UInt8] { try SHA256.digest(of: Data(text.utf8)) }

    /// A token from the TSA, its validation data fetched as sign fetches it.
    func stampAndFetch(_ tsa: TestTSA, _ text: String) throws -> (stamp: TimeStamp, data: ValidationData, check: LongTermStamp) {
        let d = try digest(text)
        let stamp = try TimeStampAuthority(url: tsa.url, caFile: tsa.caFile).stamp(imprint: d)
        let fetched = try ValidationFetcher.fetch(token: stamp.token, imprint: d, caPEM: ca(tsa), caName: "ca.pem")
        return (stamp, fetched.data, fetched.check)
    }

    func ca(_ tsa: TestTSA) throws -> Data { try Data(contentsOf: URL(fileURLWithPath: tsa.caFile)) }

    /// docs/tsa.md's check with OpenSSL alone: the CA and the stored CRL as `-CAfile`, the
    /// stored chain as `-untrusted`, `-crl_check -attime genTime`; optionally under faketime.
    func oracle(_ tsa: TestTSA, token: Data, digest: [UInt8], chain: Data, crl: Data, genTime: Date,
                attime: Bool = true, clock: String? = nil) throws -> RunResult {
        let dir = tsa.scratch.path + "/oracle-\(UUID().uuidString.prefix(6))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try token.write(to: URL(fileURLWithPath: dir + "/token.der"))
        try chain.write(to: URL(fileURLWithPath: dir + "/chain.pem"))
        try (try ca(tsa) + crl).write(to: URL(fileURLWithPath: dir + "/anchors.pem"))
        var args = ["ts", "-verify", "-in", dir + "/token.der", "-token_in", "-digest", SHA256.hex(digest),
                    "-CAfile", dir + "/anchors.pem", "-untrusted", dir + "/chain.pem", "-crl_check"]
        if attime { args += ["-attime", String(Int(genTime.timeIntervalSince1970))] }
        let env = ["TZ": "UTC", "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"]
        if let clock { return run("faketime", ["-f", clock, "openssl"] + args, environment: env) }
        return run("openssl", args, environment: env)
    }

    @Test func signTimeFetchStoresChainCRLAndOCSPAndEachIsWhatOpenSSLAccepts() throws {
        let tsa = try TestTSA(label: "LTV TSA One", at: Self.instant)
        defer { tsa.stop() }
        let (stamp, data, check) = try stampAndFetch(tsa, "sign-off one")
        #expect(check.stamp == stamp)
        #expect(check.chain == ["CN=LTV TSA One,O=attest tests", "CN=LTV TSA One CA,O=attest tests"])
        #expect(data.crls.count == 1 && data.ocspResponses.count == 1)
        #expect(String(decoding: data.chainPEM, as: UTF8.self).components(separatedBy: "BEGIN CERTIFICATE").count == 3)
        let standing = try #require(check.standings.first)
        #expect(check.standings.count == 1)
        #expect(standing.subject == "CN=LTV TSA One,O=attest tests" && standing.serial == "02")
        #expect(standing.revokedAfter == nil)
        #expect(standing.sources.count == 2)
        #expect(standing.sources[0].hasPrefix("CRL by CN=LTV TSA One CA,O=attest tests issued 2026-10-03T12:00"), "\(standing.sources)")
        #expect(standing.sources[1].hasPrefix("OCSP response by CN=LTV TSA One CA,O=attest tests produced 2026-10-03T12:00"), "\(standing.sources)")
        #expect(check.summary.contains("not revoked at \(ISO.text(stamp.time)) per CRL by"), "\(check.summary)")
        // The requests reached the CA's endpoints named in the certificate.
        let log = tsa.scratch.read("requests.log") ?? ""
        #expect(log.contains("GET /ca.crl") && log.contains("POST /ocsp"), "\(log)")

        // Oracles: openssl reads the stored CRL and OCSP response the same way.
        let o = try oracle(tsa, token: stamp.token, digest: try digest("sign-off one"), chain: data.chainPEM, crl: data.crlPEM, genTime: stamp.time)
        #expect(o.status == 0 && o.stdout.contains("Verification: OK"), "\(o)")
        try data.ocspResponses[0].write(to: URL(fileURLWithPath: tsa.scratch.path + "/r.ocsp"))
        let ocsp = run("openssl", ["ocsp", "-respin", tsa.scratch.path + "/r.ocsp", "-issuer", tsa.caFile, "-cert", tsa.certificateFile,
                                   "-CAfile", tsa.caFile, "-no_nonce", "-attime", String(Int(stamp.time.timeIntervalSince1970))])
        // (openssl judges the response's freshness at its own clock, hence its warning.)
        #expect(ocsp.status == 0 && ocsp.stderr.contains("Response verify OK") && ocsp.stdout.contains("good\n\tThis Update: Oct  3"), "\(ocsp)")

        // Stored data alone, with the server gone: the same result.
        tsa.stop()
        let again = try LongTermVerifier.verify(token: stamp.token, imprint: try digest("sign-off one"), caPEM: try ca(tsa), caName: "ca.pem", data: data)
        #expect(again == check)
    }

    @Test func revocationAfterGenTimeIsReportedAndDoesNotInvalidate() throws {
        let tsa = try TestTSA(label: "LTV Later Revoked", at: Self.instant)
        defer { tsa.stop() }
        let (stamp, signTime, _) = try stampAndFetch(tsa, "revoked later")
        try tsa.revoke(at: "2027-02-01 09:00:00", reason: "keyCompromise")
        let later = try tsa.crl(at: "2027-02-02 00:00:00")
        var data = signTime
        data.crls.append(later)
        let d = try digest("revoked later")
        let check = try LongTermVerifier.verify(token: stamp.token, imprint: d, caPEM: try ca(tsa), caName: "ca.pem", data: data)
        let r = try #require(check.standings.first?.revokedAfter)
        #expect(r.time == Date(timeIntervalSince1970: 1_801_472_400) && r.reason == "keyCompromise")   // 2027-02-01T09:00:00Z
        #expect(check.summary.contains("revoked 2027-02-01T09:00:00Z (keyCompromise), after the token's time, for a compromised key: the token stands as far as a renewal made before then covers it"), "\(check.summary)")
        #expect(check.compromise == r)
        // The later CRL alone also speaks for genTime (it lists every revocation until its issue).
        let alone = try LongTermVerifier.verify(token: stamp.token, imprint: d, caPEM: try ca(tsa), caName: "ca.pem",
                                                data: ValidationData(chainPEM: data.chainPEM, crls: [later]))
        #expect(alone.standings.first?.revokedAfter == r)
        #expect(alone.standings.first?.sources == ["CRL by CN=LTV Later Revoked CA,O=attest tests issued 2027-02-02T00:00:00Z"])
        // openssl with the documented flags and the CRL stored with the token agrees: valid.
        let o = try oracle(tsa, token: stamp.token, digest: d, chain: data.chainPEM, crl: signTime.crlPEM, genTime: stamp.time)
        #expect(o.status == 0 && o.stdout.contains("Verification: OK"), "\(o)")
    }

    @Test func revocationBeforeGenTimeFailsByThatCause() throws {
        let tsa = try TestTSA(label: "LTV Revoked Before", at: Self.instant)
        defer { tsa.stop() }
        try tsa.revoke(at: "2026-09-20 08:00:00", reason: "keyCompromise")
        let d = try digest("revoked before")
        let stamp = try TimeStampAuthority(url: tsa.url, caFile: tsa.caFile).stamp(imprint: d)
        // At sign time: the fetched data says revoked, so nothing usable comes back.
        let fetchError = #expect(throws: TimeStampError.self) {
            try ValidationFetcher.fetch(token: stamp.token, imprint: d, caPEM: try ca(tsa), caName: "ca.pem")
        }
        #expect(fetchError?.cause == "revoked", "\(String(describing: fetchError))")
        // Years later with a CRL issued at the token's time, and with an OCSP response alone.
        let crl = try tsa.crl(at: "2026-10-03 12:00:00")
        let chain = try Data(contentsOf: URL(fileURLWithPath: tsa.certificateFile)) + (try ca(tsa))
        for data in [ValidationData(chainPEM: chain, crls: [crl]), ValidationData(chainPEM: chain, ocspResponses: [try ocspResponse(tsa)])] {
            let e = #expect(throws: TimeStampError.self) {
                try LongTermVerifier.verify(token: stamp.token, imprint: d, caPEM: try ca(tsa), caName: "ca.pem", data: data)
            }
            #expect(e?.cause == "revoked")
            #expect(e?.description.contains("CN=LTV Revoked Before,O=attest tests was revoked 2026-09-20T08:00:00Z (keyCompromise), not after the token's time") == true,
                    "\(String(describing: e))")
        }
        let o = try oracle(tsa, token: stamp.token, digest: d, chain: chain, crl: crl, genTime: stamp.time)
        #expect(o.status != 0 && !o.stdout.contains("Verification: OK") && o.stderr.contains("certificate revoked"), "\(o)")
    }

    /// The OCSP response the loopback responder gives now, made by `openssl ocsp` as client.
    func ocspResponse(_ tsa: TestTSA) throws -> Data {
        let out = tsa.scratch.path + "/o-\(UUID().uuidString.prefix(6)).der"
        let r = run("openssl", ["ocsp", "-issuer", tsa.caFile, "-cert", tsa.certificateFile, "-url", "http://127.0.0.1:\(tsa.port)/ocsp",
                                "-respout", out, "-noverify"])
        #expect(r.status == 0, "\(r)")
        return try Data(contentsOf: URL(fileURLWithPath: out))
    }

    @Test func expiredTSACertificateStillVerifiesWithStoredData() throws {
        // Valid 2025-06-01 to 2026-06-01: expired by the machine's clock, and five years on.
        let tsa = try TestTSA(label: "LTV Short Lived", at: "2026-03-03 12:00:00", validFrom: "2025-06-01 00:00:00", days: 365)
        defer { tsa.stop() }
        let (stamp, data, _) = try stampAndFetch(tsa, "short lived")
        tsa.stop()
        let d = try digest("short lived")
        let check = try LongTermVerifier.verify(token: stamp.token, imprint: d, caPEM: try ca(tsa), caName: "ca.pem", data: data)
        #expect(check.standings.first?.sources.count == 2)
        let fiveYearsOn = "2031-03-03 12:00:00"
        let o = try oracle(tsa, token: stamp.token, digest: d, chain: data.chainPEM, crl: data.crlPEM, genTime: stamp.time, clock: fiveYearsOn)
        #expect(o.status == 0 && o.stdout.contains("Verification: OK"), "\(o)")
        // Without -attime openssl judges at its clock, where the certificate has expired.
        let now = try oracle(tsa, token: stamp.token, digest: d, chain: data.chainPEM, crl: data.crlPEM, genTime: stamp.time,
                             attime: false, clock: fiveYearsOn)
        #expect(now.status != 0 && now.stderr.contains("expired"), "\(now)")
    }

    enum Spoiled: String, CaseIterable { case none, otherCA, tampered, stale, unreadable }

    @Test(arguments: Spoiled.allCases)
    func missingForeignOrTamperedDataDoesNotVerify(_ spoil: Spoiled) throws {
        let tsa = try TestTSA(label: "LTV Spoiled", at: Self.instant)
        defer { tsa.stop() }
        let d = try digest("spoiled")
        let stamp = try TimeStampAuthority(url: tsa.url, caFile: tsa.caFile).stamp(imprint: d)
        tsa.stop()
        let chain = try Data(contentsOf: URL(fileURLWithPath: tsa.certificateFile))
        var crls: [Data] = []
        switch spoil {
        case .none: break
        case .otherCA: crls = [try TestTSA(label: "LTV Other", serve: false).crl(at: Self.instant)]
        case .tampered:
            var der = try derCRL(try tsa.crl(at: Self.instant), tsa)
            der[der.count - 5] ^= 0x41
            crls = [der]
        case .stale: crls = [try tsa.crl(at: "2026-08-01 00:00:00")]   // next update 2026-08-31
        case .unreadable: crls = [Data("-----BEGIN X509 CRL-----\nnot base64\n-----END X509 CRL-----\n".utf8)]
        }
        let e = #expect(throws: TimeStampError.self) {
            try LongTermVerifier.verify(token: stamp.token, imprint: d, caPEM: try ca(tsa), caName: "ca.pem",
                                        data: ValidationData(chainPEM: chain, crls: crls))
        }
        #expect(e?.cause == "validation-data", "\(String(describing: e))")
        let text = e?.description ?? ""
        switch spoil {
        case .none: #expect(text.contains("no CRL or OCSP response from CN=LTV Spoiled CA,O=attest tests speaks for CN=LTV Spoiled,O=attest tests") && text.contains("none is stored"), "\(text)")
        case .otherCA: #expect(text.contains("stored: a CRL by CN=LTV Other CA,O=attest tests"), "\(text)")
        case .tampered: #expect(text.contains("signature does not verify"), "\(text)")
        case .stale: #expect(text.contains("next update 2026-08-31T00:00:00Z (before the token's time)"), "\(text)")
        case .unreadable: #expect(text.contains("a stored CRL cannot be read"), "\(text)")
        }
    }

    func derCRL(_ pem: Data, _ tsa: TestTSA) throws -> Data {
        let p = tsa.scratch.path + "/c.pem"
        try pem.write(to: URL(fileURLWithPath: p))
        let r = run("openssl", ["crl", "-in", p, "-outform", "DER", "-out", p + ".der"])
        #expect(r.status == 0, "\(r)")
        return try Data(contentsOf: URL(fileURLWithPath: p + ".der"))
    }

    @Test func revocationServerDownAtSignTimeNamesBothURLs() throws {
        let tsa = try TestTSA(label: "LTV No CRL", at: Self.instant)
        defer { tsa.stop() }
        tsa.revocationDown = true
        let d = try digest("no crl")
        let stamp = try TimeStampAuthority(url: tsa.url, caFile: tsa.caFile).stamp(imprint: d)
        let e = #expect(throws: TimeStampError.self) {
            try ValidationFetcher.fetch(token: stamp.token, imprint: d, caPEM: try ca(tsa), caName: "ca.pem")
        }
        #expect(e?.cause == "validation-data")
        let text = e?.description ?? ""
        #expect(text.contains("cannot obtain revocation data for CN=LTV No CRL,O=attest tests"), "\(text)")
        #expect(text.contains("CRL \(tsa.crlURL) answered HTTP 503") && text.contains("OCSP responder http://127.0.0.1:\(tsa.port)/ocsp answered HTTP 503"), "\(text)")
    }
}
