import Foundation
import Testing
import AttestCore
import AttestTestSupport

/// Issue 13: a sign-off is judged by the policy in force when it was signed (`.attestconfig` at
/// its parent, tightened by its own), in sign, verify and audit alike.
@Suite struct PolicyInForceTests {
    typealias T = AuditCLITests

    @Test func tsaRequiredInMarchAppliesFromApril() throws {
        let tsa = try TestTSA(label: "March TSA", serve: false)
        let repo = T.baseRepository()
        let january = SignoffFixture.commit(in: repo, quarter: "2026-Q1", date: "2026-01-03T10:00:00Z")
        TimestampFixture.configure(repo, caFile: tsa.caFile, required: true, date: "2026-03-10T10:00:00Z")

        // April: sign refuses a sign-off without a token, writing nothing.
        let q2 = try Quarter(parsing: "2026-Q2")
        repo.write("docs/attestation-log/2026-Q2.md", SignoffFixture.document(quarter: q2))
        let head = repo.revParse("HEAD")
        let refused = repo.attest(["sign", "--quarter", "2026-Q2"], at: "2026-04-02 10:00:00")
        #expect(refused.status == 1, "\(refused)")
        #expect(refused.stderr.contains("[untrusted-time]"), "\(refused)")
        #expect(repo.revParse("HEAD") == head)

        // One made by hand anyway is flagged by audit and refused by verify; January keeps its
        // on-time verdict in both.
        let april = SignoffFixture.commit(in: repo, quarter: "2026-Q2", date: "2026-04-02T10:00:00Z")
        let vJan = repo.attest(["verify", january], at: "2026-04-03 10:00:00")
        #expect(vJan.status == 0, "\(vJan)")
        let vApr = repo.attest(["verify", april], at: "2026-04-03 10:00:00")
        #expect(vApr.status == 1, "\(vApr)")
        #expect(vApr.stdout.contains("[untrusted-time] missing timestamp token"), "\(vApr)")

        let r = repo.attest(["audit", "--from", "2026-01-01", "--to", "2026-06-30", "--json"], at: "2026-07-01 10:00:00")
        #expect(r.status == 1, "\(r)")
        let qs = T.quarters(try T.json(r))
        #expect(qs["2026-Q1"]?["verdict"] as? String == "on-time")
        #expect(qs["2026-Q1"]?["flags"] as? [String] == [], "\(qs["2026-Q1"] ?? [:])")
        #expect((qs["2026-Q1"]?["verdictDetail"] as? String)?.contains("judged under the policy in force when it was signed (signing.required=false, tsa.required=false") == true)
        #expect(qs["2026-Q2"]?["verdict"] as? String == "on-time")
        #expect(qs["2026-Q2"]?["flags"] as? [String] == ["untrusted-time"], "\(qs["2026-Q2"] ?? [:])")
        #expect((qs["2026-Q2"]?["verdictDetail"] as? String)?.contains("tsa.required=true") == true)
    }

    @Test func aSignoffCannotWeakenTheRuleForItself() throws {
        // signing.required is on at the parent; the sign-off's own commit turns it off.
        let repo = T.baseRepository()
        repo.write(".attestconfig", "[signing]\n\trequired = true\n")
        repo.commitAll("policy: signatures required", date: "2026-09-20T10:00:00Z")
        repo.write(".attestconfig", "[signing]\n\trequired = false\n")
        let id = SignoffFixture.commit(in: repo, quarter: "2026-Q4", date: "2026-10-02T10:00:00Z")
        let v = repo.attest(["verify", id], at: "2026-10-02 11:00:00")
        #expect(v.status == 1, "\(v)")
        #expect(v.stdout.contains("[signature] the commit is not signed and signing.required is true"), "\(v)")
        // status judges it the same way: a sign-off that breaks a rule needs action.
        let st = repo.attest(["status", "--check"], at: "2026-10-02 11:00:00")
        #expect(st.status == 1, "\(st)")
        #expect(st.stdout.contains("2026-Q4 signed: signed off on HEAD in \(id.prefix(12))") && st.stdout.contains("it breaks [signature]"), "\(st)")
        #expect(st.stdout.contains("next: attest verify \(id.prefix(12))"), "\(st)")
        let r = repo.attest(["audit", "--from", "2026-10-01", "--to", "2026-10-31", "--json"], at: "2026-11-01 10:00:00")
        let q = try #require(T.quarters(try T.json(r))["2026-Q4"])
        #expect((q["flags"] as? [String])?.contains("unsigned") == true, "\(q)")
        // The weakening is flagged as a policy change.
        #expect((q["flags"] as? [String])?.contains("policy-changed") == true, "\(q)")
        let details = (q["flagDetails"] as? [[String: Any]] ?? []).compactMap { $0["detail"] as? String }
        #expect(details.contains { $0.contains("signing.required true → false (it weakens a rule)") }, "\(details)")
    }

    @Test func policyInForceTightensOnly() {
        var parent = Policy()
        parent.signatureRequired = true
        parent.windowCloseDaysAfter = 10
        var own = Policy()
        own.windowCloseDaysAfter = 30
        own.tsaRequired = true
        let p = SignoffRules.policyInForce(parent: parent, own: own)
        #expect(p.signatureRequired && p.tsaRequired && p.windowCloseDaysAfter == 10)
        own.windowCloseDaysAfter = 3
        #expect(SignoffRules.policyInForce(parent: parent, own: own).windowCloseDaysAfter == 3)
        // A narrower window is no weakening; a requirement turned off is.
        #expect(SignoffRules.weakenings(from: parent, to: Policy()) == ["signing.required true → false"])
    }
}
