import Foundation
import Testing
import AttestCore
import AttestTestSupport

/// Sign-offs made by `attest sign` itself, under faketime, then audited.
@Suite struct AuditSignTests {
    @Test func signedWithAttestSignAuditsClean() throws {
        let repo = AuditCLITests.baseRepository()
        for (q, at) in [("2026-Q1", "2026-01-03 10:00:00"), ("2026-Q2", "2026-04-02 09:00:00")] {
            repo.write("docs/attestation-log/\(q).md", SignoffFixture.document(quarter: try Quarter(parsing: q)))
            let s = repo.attest(["sign", "--quarter", q], at: at)
            #expect(s.status == 0, "\(s)")
        }
        // Q3: the operator missed the window and declares it.
        repo.write("docs/attestation-log/2026-Q3.md", SignoffFixture.document(quarter: try Quarter(parsing: "2026-Q3")))
        let late = repo.attest(["sign", "--quarter", "2026-Q3", "--late", "--reason", "the database was being migrated"], at: "2026-07-09 08:00:00")
        #expect(late.status == 0, "\(late)")
        let clean = repo.attest(["audit", "--from", "2026-01-01", "--to", "2026-06-30", "--json"], at: "2026-11-01 12:00:00")
        #expect(clean.status == 0, "\(clean)")
        let r = repo.attest(["audit", "--from", "2026-01-01", "--to", "2026-09-30", "--json"], at: "2026-11-01 12:00:00")
        #expect(r.status == 1)
        let qs = AuditCLITests.quarters(try AuditCLITests.json(r))
        #expect(qs["2026-Q1"]?["verdict"] as? String == "on-time" && (qs["2026-Q1"]?["flags"] as? [String]) == [])
        #expect(qs["2026-Q2"]?["verdict"] as? String == "on-time" && (qs["2026-Q2"]?["flags"] as? [String]) == [])
        #expect(qs["2026-Q3"]?["verdict"] as? String == "late")
        #expect(qs["2026-Q3"]?["lateReason"] as? String == "the database was being migrated")
        #expect((qs["2026-Q1"]?["signoff"] as? [String: Any])?["committer"] as? [String: String] ==
                ["name": "Olive Operator", "email": "olive@example.com", "instant": "2026-01-03T10:00:00Z"])

        // An amendment made the proper way is still reported, naming what it amends.
        let q1 = try #require((qs["2026-Q1"]?["signoff"] as? [String: Any])?["commit"] as? String)
        repo.write("docs/attestation-log/2026-Q1.md", SignoffFixture.document(quarter: try Quarter(parsing: "2026-Q1")) + "\nCorrected later.\n")
        let amend = repo.attest(["sign", "--quarter", "2026-Q1", "--amends", "a note was missing", "--late", "--reason", "found after the window"], at: "2026-07-20 09:00:00")
        #expect(amend.status == 0, "\(amend)")
        let after = repo.attest(["audit", "--from", "2026-01-01", "--to", "2026-06-30", "--json"], at: "2026-11-01 12:00:00")
        #expect(after.status == 1)
        let a1 = try #require(AuditCLITests.quarters(try AuditCLITests.json(after))["2026-Q1"])
        #expect(a1["verdict"] as? String == "on-time" && a1["flags"] as? [String] == ["amended"], "\(a1["flagDetails"] ?? "")")
        let detail = try #require((a1["flagDetails"] as? [[String: Any]])?.first?["detail"] as? String)
        #expect(detail.contains("with Attest-Amends:") && !detail.contains("does not name the sign-off"), "\(detail)")
        #expect(((a1["signoff"] as? [String: Any])?["commit"] as? String) == q1)
    }
}
