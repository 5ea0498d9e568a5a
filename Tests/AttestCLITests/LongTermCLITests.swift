import Foundation
import Testing
import AttestTestSupport

/// Validation data stored with each token by `attest sign` (issue #21), checked by `attest
/// verify` with the stored data only (the TSA's, CRL's and OCSP responder's port closed) and
/// by the auditor's OpenSSL recipe in docs/tsa.md; the test TSA is also the CA's CRL and OCSP
/// server on loopback.
@Suite struct LongTermCLITests {
    static let doc = "docs/attestation-log/2026-Q4.md"
    static let ltv = "docs/attestation-log/.ltv/2026-Q4"
    let sign = SignTimestampTests()

    /// The files the sign-off commit `id` adds under the .ltv folder (git alone).
    func added(_ c: ComplianceRepo, _ id: String) -> [String] {
        c.git(["diff", "--name-only", "\(id)^", id, "--", "docs/attestation-log/.ltv"]).stdout.split(separator: "\n").map(String.init)
    }

    /// The token's SHA-256, by sha256sum over the trailer as docs/tsa.md extracts it.
    func tokenDigest(_ c: ComplianceRepo, _ id: String) -> String {
        let r = run("sh", ["-c", "git log -1 --format='%(trailers:key=Attest-Timestamp,valueonly)' \"$1\" | base64 -d | sha256sum | cut -d' ' -f1", "sh", id],
                    cwd: c.path, environment: c.repo.environment)
        return r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test func signStoresValidationDataAndVerifyUsesItOffline() throws {
        let tsa = try TestTSA(label: "LTV Sign TSA", at: "2026-10-04 12:00:00")
        defer { tsa.stop() }
        let c = sign.world(tsa, required: true)
        let r = c.attest(["sign", "--quarter", "2026-Q4"], at: "2026-10-04 12:00:00")
        #expect(r.status == 0, "\(r)")
        #expect(r.stdout.contains("validation data stored: chain CN=LTV Sign TSA,O=attest tests → CN=LTV Sign TSA CA,O=attest tests; CN=LTV Sign TSA,O=attest tests not revoked at 2026-10-04T12:00:"), "\(r)")
        let id = c.head()
        let d = tokenDigest(c, id)
        #expect(d.count == 64)
        let expected = ["chain.pem", "crl.pem", "ocsp", "tst"].map { "\(Self.ltv)/\(d).\($0)" }
        #expect(added(c, id) == expected, "\(added(c, id))")
        // The sign-off commit changes the attestation file and those files only; all committed.
        let changed = c.git(["diff", "--name-only", "\(id)^", id]).stdout.split(separator: "\n").map(String.init)
        #expect(Set(changed) == Set(expected + [Self.doc]), "\(changed)")
        #expect(c.git(["status", "--porcelain", "--untracked-files=all"]).stdout == "")
        // The stored token is the trailer's; the stored CRL is the CA's, by openssl.
        let crl = run("sh", ["-c", "git show \"$1:$2\" | openssl crl -noout -issuer -lastupdate", "sh", id, "\(Self.ltv)/\(d).crl.pem"],
                      cwd: c.path, environment: c.repo.environment)
        #expect(crl.stdout.contains("issuer=O = attest tests, CN = LTV Sign TSA CA") && crl.stdout.contains("Oct  4 12:00:"), "\(crl)")

        // The auditor's packet (attest export) rebuilds this imprint and the token verifies offline.
        let e = c.attest(["export", "--from", "2026-10-01", "--to", "2026-12-31", "--out", "packet.tar.gz"], at: "2026-10-04 12:10:00")
        #expect(e.status == 0, "\(e)")
        let s = Scratch("ltv-export")
        let packet = try ExportTests.extract(c.path + "/packet.tar.gz", into: s)
        // The packet ships the token's stored validation data (issue #19), and the recipe checks it is the committed one.
        for f in expected {
            let shipped = packet + "/tokens/2026-Q4/" + (f as NSString).lastPathComponent
            #expect(FileManager.default.fileExists(atPath: shipped), "no \(shipped)")
            #expect(run("sh", ["-c", "git show \"$1\" | cmp - \"$2\"", "sh", "\(id):\(f)", shipped], cwd: c.path, environment: c.repo.environment).status == 0, "\(f)")
        }
        let results = try ExportTests.runRecipe(in: packet, home: s.path)
        let all = results.map(\.stdout).joined() + results.map(\.stderr).joined()
        #expect(all.contains("the imprint is this sign-off") && all.contains("Verification: OK") && !all.contains("MISMATCH"), "\(all)")
        #expect(all.contains("the token's validation data in tokens/2026-Q4/ is the one stored at the sign-off (4 files)"), "\(all)")
        // The shipped CRL is usable by openssl alone, in the packet.
        let shippedCRL = run("openssl", ["crl", "-noout", "-issuer", "-in", packet + "/tokens/2026-Q4/\(d).crl.pem"])
        #expect(shippedCRL.stdout.contains("CN = LTV Sign TSA CA"), "\(shippedCRL)")
        try? FileManager.default.removeItem(atPath: c.path + "/packet.tar.gz")

        // Verify with every port closed: the stored data alone.
        tsa.stop()
        let v = c.attest(["verify"], at: "2026-10-04 12:05:00")
        #expect(v.status == 0, "\(v)")
        #expect(v.stdout.contains("note: validation data \(Self.ltv)/\(d.prefix(12))…: chain CN=LTV Sign TSA,O=attest tests → CN=LTV Sign TSA CA,O=attest tests"), "\(v)")
        #expect(v.stdout.contains("per CRL by CN=LTV Sign TSA CA,O=attest tests issued 2026-10-04T12:00:") && v.stdout.contains("and OCSP response by CN=LTV Sign TSA CA,O=attest tests"), "\(v)")
        let refused = run("curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", tsa.crlURL])
        #expect(refused.stdout == "000", "the CRL server still answers: \(refused)")
        // The auditor's recipe, verbatim: -crl_check with the stored CRL at genTime.
        let o = try sign.auditorCheck(c, id)
        #expect(o.status == 0 && o.stdout.contains("Verification: OK"), "\(o)")
    }

    @Test(arguments: [true, false])
    func revocationDataUnavailableAtSignTime(_ required: Bool) throws {
        let tsa = try TestTSA(label: "LTV Sign TSA", at: "2026-10-04 12:00:00")
        defer { tsa.stop() }
        tsa.revocationDown = true
        let c = sign.world(tsa, required: required)
        let before = try sign.snapshot(c)
        let r = c.attest(["sign", "--quarter", "2026-Q4"], at: "2026-10-04 12:00:00")
        let why = "cannot obtain revocation data for CN=LTV Sign TSA,O=attest tests: CRL \(tsa.crlURL) answered HTTP 503"
        if required {
            #expect(r.status == 1, "\(r)")
            #expect(r.stderr.contains("error: the TSA's token is good, but timestamp validation data: \(why)"), "\(r)")
            #expect(r.stderr.contains("nothing was signed: tsa.required is true"), "\(r)")
            #expect(try sign.snapshot(c) == before)
        } else {
            #expect(r.status == 0, "\(r)")
            #expect(r.stderr.contains("warning: timestamp validation data: \(why)") && r.stderr.contains("the token is kept without validation data"), "\(r)")
            #expect(added(c, c.head()).isEmpty)
            let v = c.attest(["verify"], at: "2026-10-04 12:05:00")
            #expect(v.status == 0 && v.stdout.contains("note: no validation data is stored for the timestamp token"), "\(v)")
        }
    }

    @Test func tsaCertificateRevokedBeforeItsTokenIsRefused() throws {
        let tsa = try TestTSA(label: "LTV Revoked TSA", at: "2026-10-04 12:00:00")
        defer { tsa.stop() }
        try tsa.revoke(at: "2026-09-30 08:00:00", reason: "keyCompromise")
        let c = sign.world(tsa, required: true)
        let before = try sign.snapshot(c)
        let r = c.attest(["sign", "--quarter", "2026-Q4"], at: "2026-10-04 12:00:00")
        #expect(r.status == 1, "\(r)")
        #expect(r.stderr.contains("timestamp token from a revoked TSA certificate: CN=LTV Revoked TSA,O=attest tests was revoked 2026-09-30T08:00:00Z (keyCompromise), not after the token's time"), "\(r)")
        #expect(try sign.snapshot(c) == before)
    }

    @Test func expiredTSACertificateVerifiesFiveYearsOnWithStoredData() throws {
        // The TSA certificate is valid 2025-10-10 .. 2026-10-10.
        let tsa = try TestTSA(label: "LTV Short TSA", at: "2026-10-04 12:00:00", validFrom: "2025-10-10 00:00:00", days: 365)
        defer { tsa.stop() }
        let c = sign.world(tsa, required: true)
        let r = c.attest(["sign", "--quarter", "2026-Q4"], at: "2026-10-04 12:00:00")
        #expect(r.status == 0, "\(r)")
        let id = c.head()
        tsa.stop()
        let v = c.attest(["verify"], at: "2031-10-04 12:00:00")
        #expect(v.status == 0, "\(v)")
        #expect(v.stdout.contains("note: trusted time: TSA CN=LTV Short TSA,O=attest tests at 2026-10-04T12:00:"), "\(v)")
        #expect(v.stdout.contains("not revoked at 2026-10-04T12:00:"), "\(v)")
        // The recipe under the same clock five years on.
        let o = try sign.auditorCheck(c, id, clock: "2031-10-04 12:00:00")
        #expect(o.status == 0 && o.stdout.contains("Verification: OK"), "\(o)")
    }
}

/// Several TSAs in `tsa.url` (issue #21): every token stored, `tsa.minTokens` enforced, the
/// trusted time judged by the tokens that verify, disagreement flagged.
@Suite struct SeveralTSAsTests {
    let sign = SignTimestampTests()

    /// A rendered 2026-Q4 attestation under a policy naming both TSAs and both CAs.
    func world(_ a: TestTSA, _ b: TestTSA, minTokens: Int, required: Bool = true) throws -> ComplianceRepo {
        let c = ComplianceRepo("sign-2tsa")
        let pems = try [a.caFile, b.caFile].map { try String(contentsOfFile: $0, encoding: .utf8) }
        c.write(".attest/tsa/ca.pem", pems.joined())
        c.write(".attestconfig", c.read(".attestconfig") + "\n[tsa]\n\turl = \(a.url) \(b.url)\n\tcaFile = .attest/tsa/ca.pem\n"
                + "\trequired = \(required)\n\tminTokens = \(minTokens)\n")
        c.repo.commitAll("trusted time: two TSAs", date: "2026-09-02T10:00:00Z")
        c.evidence()
        let r = c.attest(["render", "--quarter", "2026-Q4"], at: "2026-10-02 09:30:00")
        #expect(r.status == 0, "\(r)")
        return c
    }

    func tokens(_ c: ComplianceRepo) -> [String] {
        c.git(["diff", "--name-only", "HEAD^", "HEAD", "--", "docs/attestation-log/.ltv"]).stdout.split(separator: "\n").filter { $0.hasSuffix(".tst") }.map(String.init)
    }

    @Test func bothTokensAreStoredAndVerified() throws {
        let a = try TestTSA(label: "TSA Alpha", at: "2026-10-04 12:00:00"), b = try TestTSA(label: "TSA Beta", at: "2026-10-04 12:00:00")
        defer { a.stop(); b.stop() }
        let c = try world(a, b, minTokens: 2)
        let r = c.attest(["sign", "--quarter", "2026-Q4"], at: "2026-10-04 12:00:00")
        #expect(r.status == 0, "\(r)")
        #expect(r.stdout.contains("2 tokens: TSA CN=TSA Alpha,O=attest tests at 2026-10-04T12:00:") && r.stdout.contains("TSA CN=TSA Beta,O=attest tests at"), "\(r)")
        #expect(!r.stdout.contains("disagree"), "\(r)")
        #expect(tokens(c).count == 2)
        a.stop(); b.stop()
        let v = c.attest(["verify"], at: "2026-10-04 12:05:00")
        #expect(v.status == 0, "\(v)")
        #expect(v.stdout.contains("note: 2 of 2 timestamp tokens verify: TSA CN=TSA Alpha,O=attest tests at"), "\(v)")
        #expect(v.stdout.components(separatedBy: "note: validation data docs/attestation-log/.ltv/2026-Q4/").count == 3, "\(v)")
    }

    @Test(arguments: [1, 2])
    func oneTSADown(_ minTokens: Int) throws {
        let a = try TestTSA(label: "TSA Alpha", at: "2026-10-04 12:00:00"), b = try TestTSA(label: "TSA Beta", at: "2026-10-04 12:00:00")
        defer { a.stop(); b.stop() }
        let c = try world(a, b, minTokens: minTokens)
        b.stop()
        let before = try sign.snapshot(c)
        let r = c.attest(["sign", "--quarter", "2026-Q4"], at: "2026-10-04 12:00:00")
        #expect(r.stderr.contains("TSA \(b.url) did not answer"), "\(r)")
        if minTokens == 1 {
            #expect(r.status == 0, "\(r)")
            #expect(r.stdout.contains("1 token, from TSA CN=TSA Alpha,O=attest tests, of the 2 TSAs in tsa.url"), "\(r)")
            #expect(r.stderr.contains("warning: 1 of the 2 TSAs in tsa.url gave a token (tsa.minTokens is 1)"), "\(r)")
            #expect(tokens(c).count == 1)
            let v = c.attest(["verify"], at: "2026-10-04 12:05:00")
            #expect(v.status == 0 && v.stdout.contains("note: trusted time: TSA CN=TSA Alpha,O=attest tests at"), "\(v)")
        } else {
            #expect(r.status == 1, "\(r)")
            #expect(r.stderr.contains("error: 1 of the 2 TSAs in tsa.url gave a token, tsa.minTokens is 2: TSA \(b.url) did not answer"), "\(r)")
            #expect(r.stderr.contains("nothing was signed"), "\(r)")
            #expect(try sign.snapshot(c) == before)
        }
    }

    @Test func tsasThatDisagreeAreFlagged() throws {
        let a = try TestTSA(label: "TSA Alpha", at: "2026-10-04 12:00:00"), b = try TestTSA(label: "TSA Beta", at: "2026-10-04 12:20:00")
        defer { a.stop(); b.stop() }
        let c = try world(a, b, minTokens: 2)
        let r = c.attest(["sign", "--quarter", "2026-Q4"], at: "2026-10-04 12:00:00")
        #expect(r.status == 0, "\(r)")
        #expect(r.stdout.contains("the TSAs disagree by 1"), "\(r)")
        let v = c.attest(["verify"], at: "2026-10-04 12:30:00")
        #expect(v.status == 0, "\(v)")
        #expect(v.stdout.contains("note: trusted time: TSA CN=TSA Alpha,O=attest tests at 2026-10-04T12:00:"), "\(v)")
        #expect(v.stdout.contains("the trusted time is the earliest; the TSAs disagree by 1") && v.stdout.contains("check their clocks"), "\(v)")
    }
}
