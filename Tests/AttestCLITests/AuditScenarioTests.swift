import Foundation
import Testing
import AttestCore
import AttestTestSupport

/// More of `attest audit` end to end: a policy changed during the period, a sign-off that sat
/// on a side branch until after the window, and signatures when policy requires them.
@Suite struct AuditScenarioTests {
    typealias T = AuditCLITests

    @Test func theWindowIsThePolicyAtTheSignoffAndTheChangeIsReported() throws {
        let repo = T.baseRepository()
        repo.write(".attestconfig", "[window]\n\tcloseDaysAfter = 30\n")
        // Before the Q1 window opens (2025-12-27): it applies to Q1 (issue #15: a change made
        // after a window opened applies to that quarter only where it is stricter).
        let widen = repo.commitAll("policy: a longer window", date: "2025-12-20T09:00:00Z")
        // Late under the default policy; the file states the window of the policy in force.
        let wide = Schedule(openDaysBefore: 5, closeDaysAfter: 30, targetHour: 10)
        SignoffFixture.commit(in: repo, quarter: "2026-Q1", date: "2026-01-20T10:00:00Z",
                              text: SignoffFixture.document(quarter: try Quarter(parsing: "2026-Q1"), schedule: wide))
        repo.write(".attestconfig", "[window]\n\tcloseDaysAfter = 5\n")
        let narrow = repo.commitAll("policy: back to five days", date: "2026-02-10T09:00:00Z")
        let r = repo.attest(["audit", "--from", "2026-01-01", "--to", "2026-03-31", "--json"])
        #expect(r.status == 1, "\(r)")
        let doc = try T.json(r)
        let q = try #require(T.quarters(doc)["2026-Q1"])
        #expect(q["verdict"] as? String == "on-time")
        #expect((q["window"] as? [String: String])?["closes"] == "2026-01-31T23:59:59Z")
        #expect((q["verdictDetail"] as? String)?.contains("window from the policy at the sign-off commit") == true)
        #expect(q["flags"] as? [String] == ["policy-changed"])
        let details = try #require(q["flagDetails"] as? [[String: Any]])
        // The widening entered history before the period: only the narrowing is in it.
        #expect(details.compactMap { $0["commit"] as? String } == [narrow])
        let changes = try #require(doc["policyChanges"] as? [[String: Any]])
        #expect(changes.count == 2)
        #expect((changes[0]["changes"] as? [[String: String]]) == [["key": "window.closeDaysAfter", "old": "5", "new": "30"]])
        #expect((changes[1]["changes"] as? [[String: String]]) == [["key": "window.closeDaysAfter", "old": "30", "new": "5"]])
    }

    @Test func signoffOnASideBranchMergedAfterTheCloseIsADateAnomaly() throws {
        let repo = T.baseRepository()
        T.filler(repo, "2026-01-02T09:00:00Z", 1)
        repo.git(["checkout", "-q", "-b", "attestation"])
        let s = SignoffFixture.commit(in: repo, quarter: "2026-Q1", date: "2026-01-04T10:00:00Z")
        repo.git(["checkout", "-q", "main"])
        T.filler(repo, "2026-01-10T09:00:00Z", 2)
        T.filler(repo, "2026-01-15T09:00:00Z", 3)
        repo.git(["merge", "-q", "--no-ff", "-m", "merge the attestation", "attestation"],
                 env: ["GIT_AUTHOR_DATE": "2026-01-20T09:00:00Z", "GIT_COMMITTER_DATE": "2026-01-20T09:00:00Z"])
        let merge = repo.revParse("HEAD")
        let r = repo.attest(["audit", "--from", "2026-01-01", "--to", "2026-03-31", "--json"])
        #expect(r.status == 1)
        let q = try #require(T.quarters(try T.json(r))["2026-Q1"])
        #expect(q["verdict"] as? String == "on-time")
        #expect(q["flags"] as? [String] == ["date-anomaly"])
        let detail = try #require((q["flagDetails"] as? [[String: Any]])?.first?["detail"] as? String)
        #expect(detail.contains("sat on a side line") && detail.contains(String(merge.prefix(12))), "\(detail)")
        let commits = try #require(q["commits"] as? [[String: Any]])
        #expect(commits.map { $0["commit"] as? String } == [s, merge])
        #expect(commits.map { $0["role"] as? String } == ["sign-off", "merge"])
        #expect(commits.map { $0["change"] as? String } == ["added", "merged"])
        // The same sign-off merged inside the window is fine.
        let quick = T.baseRepository()
        quick.git(["checkout", "-q", "-b", "attestation"])
        SignoffFixture.commit(in: quick, quarter: "2026-Q1", date: "2026-01-04T10:00:00Z")
        quick.git(["checkout", "-q", "main"])
        T.filler(quick, "2026-01-04T12:00:00Z", 1)
        quick.git(["merge", "-q", "--no-ff", "-m", "merge", "attestation"],
                  env: ["GIT_AUTHOR_DATE": "2026-01-05T09:00:00Z", "GIT_COMMITTER_DATE": "2026-01-05T09:00:00Z"])
        #expect(quick.attest(["audit", "--from", "2026-01-01", "--to", "2026-03-31"]).status == 0)
    }

    @Test func signaturesWhenPolicyRequiresThem() throws {
        let repo = T.baseRepository()
        let key = SignoffFixture.sshKey(in: repo)
        let stranger = SignoffFixture.sshKey(in: repo, name: "stranger")
        repo.write(".attest/allowed_signers", SignoffFixture.allowedSignersLine(key: key) + "\n")
        repo.commitAll("allowed signers", date: "2025-12-01T10:00:00Z")
        SignoffFixture.commit(in: repo, quarter: "2026-Q1", date: "2026-01-02T10:00:00Z", signingKey: key)
        let unsigned = SignoffFixture.commit(in: repo, quarter: "2026-Q2", date: "2026-04-02T10:00:00Z")
        let foreign = SignoffFixture.commit(in: repo, quarter: "2026-Q3", date: "2026-07-02T10:00:00Z", signingKey: stranger)
        // git itself agrees on which signatures hold.
        let verified = repo.git(["-c", "gpg.ssh.allowedSignersFile=.attest/allowed_signers", "verify-commit", ":/Q1 2026"], check: false)
        #expect(verified.status == 0, "\(verified)")

        // Without signing.required a signature is not required, but one that is there must hold
        // (the judge's `signature` rule, as verify and the hooks apply it): only Q3 is flagged.
        let lax = repo.attest(["audit", "--from", "2026-01-01", "--to", "2026-07-31", "--json"])
        #expect(lax.status == 1, "\(lax)")
        let laxQuarters = T.quarters(try T.json(lax))
        #expect(laxQuarters["2026-Q1"]?["flags"] as? [String] == [] && laxQuarters["2026-Q2"]?["flags"] as? [String] == [])
        #expect(laxQuarters["2026-Q3"]?["flags"] as? [String] == ["bad-signature"])
        let r = repo.attest(["-c", "signing.required=true", "audit", "--from", "2026-01-01", "--to", "2026-07-31", "--json"])
        #expect(r.status == 1)
        let qs = T.quarters(try T.json(r))
        #expect(qs["2026-Q1"]?["flags"] as? [String] == [])
        let s1 = try #require(qs["2026-Q1"]?["signoff"] as? [String: Any])
        #expect(s1["signature"] as? String == "good")
        #expect((s1["signer"] as? String)?.hasPrefix("olive@example.com") == true)
        #expect(qs["2026-Q2"]?["flags"] as? [String] == ["unsigned"])
        #expect(((qs["2026-Q2"]?["flagDetails"] as? [[String: Any]])?.first?["commit"] as? String) == unsigned)
        #expect(qs["2026-Q3"]?["flags"] as? [String] == ["bad-signature"])
        #expect(((qs["2026-Q3"]?["flagDetails"] as? [[String: Any]])?.first?["commit"] as? String) == foreign)
    }
}
