import Foundation
import Testing
import AttestCore
import AttestTestSupport

/// Renewal (issue #21): each sign-off's token renews the tokens and validation data stored
/// before it; `attest timestamp renew` does the same without a sign-off; audit says which
/// renewal covers each quarter. Two loopback TSAs with different keys and CAs.
@Suite struct RenewalCLITests {
    static let ltv = "docs/attestation-log/.ltv"

    /// A repository whose policy trusts both TSAs' CAs and requires a token (TSA A by default).
    func world(_ a: TestTSA, _ b: TestTSA) throws -> ScratchRepository {
        let repo = AuditCLITests.baseRepository()
        repo.write(".attest/tsa/ca.pem", try [a.caFile, b.caFile].map { try String(contentsOfFile: $0, encoding: .utf8) }.joined())
        repo.write(".attestconfig", "[tsa]\n\turl = \(a.url)\n\tcaFile = .attest/tsa/ca.pem\n\trequired = true\n")
        repo.commitAll("trusted time: two TSAs", date: "2025-11-21T09:00:00Z")
        return repo
    }

    func signoff(_ repo: ScratchRepository, _ q: String, at time: String, tsa: TestTSA) throws -> String {
        try tsa.restart(at: time)
        repo.write("docs/attestation-log/\(q).md", SignoffFixture.document(quarter: try Quarter(parsing: q)))
        let s = repo.attest(["sign", "--quarter", q, "--tsa", tsa.url], at: time)
        #expect(s.status == 0, "\(s)")
        return repo.revParse("HEAD")
    }

    /// The SHA-256 of a sign-off's token, from its trailer by base64 and sha256sum.
    func tokenDigest(_ repo: ScratchRepository, _ id: String) -> String {
        run("sh", ["-c", "git log -1 --format='%(trailers:key=Attest-Timestamp,valueonly)' \"$1\" | base64 -d | sha256sum | cut -d' ' -f1", "sh", id],
            cwd: repo.path, environment: repo.environment).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// docs/tsa.md's auditor script for commit `id`, run verbatim in a clone; the imprint text it wrote.
    func auditor(_ repo: ScratchRepository, _ id: String) throws -> (RunResult, String) {
        let script = try SignTimestampTests.auditorScript()
        let clone = repo.scratch.path + "/clone-\(UUID().uuidString.prefix(6))"
        run("git", ["clone", "-q", repo.path, clone], environment: repo.environment)
        let r = run("sh", ["-e", "-c", script.replacingOccurrences(of: "C=<sign-off commit id>", with: "C=\(id)")], cwd: clone, environment: repo.environment)
        return (r, (try? String(contentsOfFile: clone + "/imprint.txt", encoding: .utf8)) ?? "")
    }

    @Test func aYearOfFourSignoffsEachRenewingTheOnesBefore() throws {
        let a = try TestTSA(label: "TSA A", at: "2026-01-03 10:00:00"), b = try TestTSA(label: "TSA B", at: "2026-04-02 09:00:00")
        defer { a.stop(); b.stop() }
        let repo = try world(a, b)
        let q1 = try signoff(repo, "2026-Q1", at: "2026-01-03 10:00:00", tsa: a)
        let q2 = try signoff(repo, "2026-Q2", at: "2026-04-02 09:00:00", tsa: b)
        let q3 = try signoff(repo, "2026-Q3", at: "2026-07-02 09:00:00", tsa: a)
        let q4 = try signoff(repo, "2026-Q4", at: "2026-10-02 09:00:00", tsa: a)

        // Q4's imprint, rebuilt from docs/tsa.md's bytes by the auditor's script, lists Q1–Q3's
        // tokens (and their validation data) with their SHA-256, and the Q4 token stamps it.
        let (o, imprint) = try auditor(repo, q4)
        #expect(o.status == 0 && o.stdout.contains("Verification: OK"), "\(o)")
        for (q, id) in [("2026-Q1", q1), ("2026-Q2", q2), ("2026-Q3", q3)] {
            let d = tokenDigest(repo, id)
            #expect(imprint.contains("\nrenews \(d) \(Self.ltv)/\(q)/\(d).tst\n"), "\(q): \(imprint)")
            let crl = run("sh", ["-c", "git show HEAD:\(Self.ltv)/\(q)/\(d).crl.pem | sha256sum | cut -d' ' -f1"], cwd: repo.path, environment: repo.environment).stdout
            #expect(imprint.contains("\nrenews \(crl.prefix(64)) \(Self.ltv)/\(q)/\(d).crl.pem\n"), "\(q): \(imprint)")
        }
        #expect(!imprint.contains("/2026-Q4/"), "a token cannot renew its own files: \(imprint)")
        // Each renewal also refreshed the earlier tokens' revocation data.
        #expect(repo.git(["ls-tree", "-r", "--name-only", q4, "\(Self.ltv)/2026-Q4/refreshed"]).stdout.split(separator: "\n").filter { $0.hasSuffix(".crl.pem") }.count == 3)

        // A year later TSA A's key is reported compromised; a renewal with TSA B records it.
        try a.revoke(at: "2027-02-01 09:00:00", reason: "keyCompromise")
        try a.restart(at: "2027-03-01 10:00:00")
        try b.restart(at: "2027-03-01 10:00:00")
        let renew = repo.attest(["timestamp", "renew", "--tsa", b.url], at: "2027-03-01 10:00:00")
        #expect(renew.status == 0, "\(renew)")
        #expect(renew.stdout.contains("renewed 4 tokens: commit") && renew.stdout.contains("trusted time: TSA CN=TSA B,O=attest tests at 2027-03-01T10:00:"), "\(renew)")
        #expect(repo.git(["diff", "--name-only", "HEAD^", "HEAD"]).stdout.split(separator: "\n").allSatisfy { $0.hasPrefix("\(Self.ltv)/renewals/") })
        a.stop(); b.stop()

        // verify Q1 with every port closed: the token stands, the later revocation is named.
        let v = repo.attest(["verify", q1], at: "2027-03-02 10:00:00")
        #expect(v.status == 0, "\(v)")
        #expect(v.stdout.contains("revoked 2027-02-01T09:00:00Z (keyCompromise), after the token's time, for a compromised key"), "\(v)")

        let audit = repo.attest(["audit", "--from", "2026-01-01", "--to", "2026-12-31"], at: "2027-03-02 10:00:00")
        #expect(audit.status == 1, "\(audit)")
        let lines = audit.stdout.split(separator: "\n").map(String.init)
        let line = { (q: String) in lines.first { $0.hasPrefix("  \(q): token of") } ?? "" }
        #expect(line("2026-Q1").contains("TSA CN=TSA A,O=attest tests at 2026-01-03T10:00:"), "\(audit)")
        #expect(line("2026-Q1").contains("its TSA certificate was revoked 2027-02-01T09:00:00Z (keyCompromise)"), "\(audit)")
        #expect(line("2026-Q1").contains("covered by 2026-Q2's renewal (sign-off \(q2.prefix(12))), TSA CN=TSA B,O=attest tests at 2026-04-02T09:00:"), "\(audit)")
        #expect(!line("2026-Q1").contains("FLAG"))
        #expect(line("2026-Q2").contains("TSA CN=TSA B") && line("2026-Q2").contains("latest renewal covering it: the renewal commit"), "\(audit)")
        // Q3 and Q4 were stamped by TSA A too, and only renewed after the compromise.
        for q in ["2026-Q3", "2026-Q4"] {
            #expect(line(q).contains("no renewal made before then covers it: its trusted time rests on git dates only. FLAG"), "\(q): \(audit)")
        }
        let json = try AuditCLITests.json(repo.attest(["audit", "--from", "2026-01-01", "--to", "2026-12-31", "--json"], at: "2027-03-02 10:00:00"))
        let renewals = try #require(json["renewals"] as? [[String: Any]])
        #expect(renewals.map { $0["flagged"] as? Bool } == [false, false, true, true])
        // The period fails in every format, not only in the renewal section (issue #19: a flagged fact never reads as passed).
        #expect(json["pass"] as? Bool == false, "\(json)")
        // The HTML report carries the same facts (issue #19: every format), readable at 400 px.
        let page = repo.attest(["audit", "--from", "2026-01-01", "--to", "2026-12-31", "--out", "audit.html"], at: "2027-03-02 10:00:00")
        #expect(page.status == 1 && page.stdout.contains(": FAIL: the trusted time of 2026-Q3, 2026-Q4 is no longer proven"), "\(page)")
        let html = try String(contentsOfFile: repo.path + "/audit.html", encoding: .utf8)
        #expect(html.contains("<p class=\"result fail\">✖ FAIL: the trusted time of 2026-Q3, 2026-Q4 is no longer proven"), "\(html)")
        let rows = html.split(separator: "\n").filter { $0.hasPrefix("<tr id=\"renewal-") }
        #expect(rows.count == 4, "\(html)")
        for (n, q) in ["2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4"].enumerated() {
            let row = rows.first { $0.contains("renewal-\(q)\"") } ?? ""
            #expect(row.contains(n < 2 ? "✔ stands" : "✖ FAIL: trusted time rests on git dates only"), "\(q): \(row)")
        }
        let q1Row = rows.first { $0.contains("renewal-2026-Q1") } ?? ""
        #expect(q1Row.contains("its TSA certificate was revoked 2027-02-01T09:00:00Z (keyCompromise)"), "\(q1Row)")
        #expect(q1Row.contains("2026-Q2&#39;s renewal (sign-off \(q2.prefix(12))), TSA CN=TSA B,O=attest tests at 2026-04-02T09:00:"), "\(q1Row)")
        #expect(html.contains("✖ FAIL: the trusted time of 2026-Q3, 2026-Q4 is no longer proven"), "\(html)")
        let s = Scratch("renewal-html")
        // The section alone, under the report's own head (its CSS), so it sits inside the window.
        let head = try #require(html.range(of: "<body>")), section = try #require(html.range(of: "<section id=\"renewals\">")),
            end = try #require(html.range(of: "</section>", range: section.upperBound..<html.endIndex))
        let alone = String(html[..<head.upperBound]) + "\n" + String(html[section.lowerBound..<end.upperBound]) + "\n</body>\n</html>\n"
        for width in [1400, 400] {
            let png = try ReportWidthTests.screenshot(alone, width: width, name: "renewals-\(width)", in: s)
            let ink = try ReportWidthTests.ink(png)
            if let keep = ProcessInfo.processInfo.environment["ATTEST_KEEP_SHOTS"] { try? FileManager.default.copyItem(atPath: png, toPath: keep + "/renewals-\(width).png") }
            #expect(ink > 2000, "the renewal section leaves \(ink) ink at \(width) px")
        }
        let md = repo.attest(["audit", "--from", "2026-01-01", "--to", "2026-12-31", "--format", "markdown"], at: "2027-03-02 10:00:00")
        #expect(md.stdout.contains("## Timestamp renewals") && md.stdout.contains("**FAIL**: the trusted time of 2026-Q3, 2026-Q4"), "\(md)")
        #expect(md.stdout.hasPrefix("# ") && md.stdout.split(separator: "\n").first { $0.hasPrefix("**PASS**") || $0.hasPrefix("**FAIL**") }?.hasPrefix("**FAIL**") == true, "\(md)")
        #expect(audit.stdout.contains("\nFAIL: the trusted time of 2026-Q3, 2026-Q4 is no longer proven by a token or a renewal covering it (timestamp renewals)\n"), "\(audit)")
    }

    @Test func revocationAfterTheTokenForAnotherReasonDoesNotInvalidateIt() throws {
        let a = try TestTSA(label: "TSA A", at: "2026-10-02 09:00:00"), b = try TestTSA(label: "TSA B", at: "2027-01-10 09:00:00")
        defer { a.stop(); b.stop() }
        let repo = try world(a, b)
        let q4 = try signoff(repo, "2026-Q4", at: "2026-10-02 09:00:00", tsa: a)
        try a.revoke(at: "2026-12-01 09:00:00", reason: "superseded")
        try a.restart(at: "2027-01-10 09:00:00")
        let renew = repo.attest(["timestamp", "renew", "--tsa", b.url], at: "2027-01-10 09:00:00")
        #expect(renew.status == 0, "\(renew)")
        a.stop(); b.stop()
        let v = repo.attest(["verify"], at: "2027-01-11 09:00:00")
        #expect(v.status == 0, "\(v)")
        #expect(v.stdout.contains("revoked 2026-12-01T09:00:00Z (superseded), after the token's time, which does not invalidate it"), "\(v)")
        // openssl with the documented flags (the CRL stored with the token, -attime) agrees.
        let (o, _) = try auditor(repo, q4)
        #expect(o.status == 0 && o.stdout.contains("Verification: OK"), "\(o)")
        let audit = repo.attest(["audit", "--from", "2026-10-01", "--to", "2026-12-31"], at: "2027-01-11 09:00:00")
        #expect(audit.stdout.contains("2026-Q4: token of TSA CN=TSA A,O=attest tests at 2026-10-02T09:00:") && audit.stdout.contains("latest renewal covering it: the renewal commit"), "\(audit)")
    }

    @Test func renewWithNothingStoredIsRefused() throws {
        let a = try TestTSA(label: "TSA A", at: "2026-10-02 09:00:00"), b = try TestTSA(label: "TSA B", serve: false)
        defer { a.stop() }
        let repo = try world(a, b)
        let head = repo.revParse("HEAD")
        let r = repo.attest(["timestamp", "renew"], at: "2026-10-02 09:00:00")
        #expect(r.status == 1 && r.stderr.contains("nothing is stored under \(Self.ltv) at HEAD"), "\(r)")
        #expect(repo.revParse("HEAD") == head)
        let u = repo.attest(["timestamp", "refresh"])
        #expect(u.status == 2 && u.stderr.contains("the only action is 'renew'"), "\(u)")
    }
}
