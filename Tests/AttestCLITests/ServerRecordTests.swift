import Foundation
import Testing
import AttestCore
import AttestTestSupport

/// Issue #15, cases 1 to 5: an adversary with push access against a real bare server running
/// attest's pre-receive shim, through real `git push` (never the hook called by hand). Each
/// attack is refused (or flagged by audit) with its message; each honest variant goes through.
@Suite struct ServerRecordTests {
    static let q4 = "docs/attestation-log/2026-Q4.md"
    static let inWindow = "2026-10-02T09:30:00Z"
    static let pushTime = "2026-10-03 12:00:00"

    /// `git push ARGS` from the client at a UTC instant.
    static func push(_ w: PushWorld, _ args: [String], at instant: String = pushTime) -> RunResult {
        run("faketime", ["-f", "@\(instant)", "git", "push"] + args, cwd: w.client.path, environment: w.client.environment)
    }

    static func server(_ w: PushWorld, _ args: [String]) -> RunResult {
        run("git", ["--git-dir", w.server] + args, environment: w.client.environment)
    }

    static func document(_ extra: String = "") -> String {
        SignoffFixture.document(quarter: try! Quarter(parsing: "2026-Q4")) + extra
    }

    // MARK: 1. the server's record is append-only

    @Test func forcePushDroppingAnAmendmentIsRefused() {
        let w = PushWorld(.server)
        let signed = SignoffFixture.commit(in: w.client, quarter: "2026-Q4", date: Self.inWindow)
        #expect(w.push(at: Self.pushTime).status == 0)
        let amendment = SignoffFixture.commit(in: w.client, quarter: "2026-Q4", date: "2026-10-03T10:00:00Z", text: Self.document("\nstep 6 issue linked\n"), amends: signed)
        let ok = w.push(at: "2026-10-03 10:30:00")
        #expect(ok.status == 0, "\(ok)")
        #expect(w.serverMain == amendment)

        w.client.git(["reset", "-q", "--hard", "HEAD~1"])
        let r = Self.push(w, ["origin", "+main"], at: "2026-10-03 11:00:00")
        #expect(r.status != 0)
        #expect(r.stderr.contains("refs/heads/main: [append-only] this push moves refs/heads/main from \(amendment.prefix(12)) to \(signed.prefix(12)), which is not a fast-forward, and drops 1 commit of the record"), "\(r)")
        #expect(r.stderr.contains("\(amendment.prefix(12)) (amendment of 2026-Q4"), "\(r)")
        #expect(r.stderr.contains("to fix: keep what was pushed and add to it"), "\(r)")
        #expect(r.stderr.contains("push refused: the record is append-only"), "\(r)")
        #expect(w.serverMain == amendment)

        // The honest way: a fast-forward on top of what the server has.
        w.client.git(["reset", "-q", "--hard", amendment])
        w.client.write("README.md", "compliance repository, tidied\n")
        let tip = w.client.commitAll("readme", date: "2026-10-03T11:10:00Z")
        let ff = Self.push(w, ["origin", "main"], at: "2026-10-03 11:15:00")
        #expect(ff.status == 0, "\(ff)")
        #expect(w.serverMain == tip)
    }

    @Test func replacingAPushedSignoffIsRefused() {
        let w = PushWorld(.server)
        let signed = SignoffFixture.commit(in: w.client, quarter: "2026-Q4", date: Self.inWindow)
        #expect(w.push(at: Self.pushTime).status == 0)
        // Re-made within 48 hours, with another result file.
        w.client.git(["reset", "-q", "--hard", "HEAD~1"])
        let remade = SignoffFixture.commit(in: w.client, quarter: "2026-Q4", date: "2026-10-03T11:00:00Z", text: Self.document("\nre-made\n"))
        let r = Self.push(w, ["--force", "origin", "main"], at: "2026-10-03 11:30:00")
        #expect(r.status != 0)
        #expect(r.stderr.contains("[append-only]") && r.stderr.contains("\(signed.prefix(12)) (sign-off of 2026-Q4, \"ops(compliance): Q4 2026 SOC-2 attestation sign-off\")"), "\(r)")
        #expect(w.serverMain == signed)
        #expect(w.serverMain != remade)
    }

    @Test func deletingABranchThatAloneHoldsASignoffIsRefused() {
        let w = PushWorld(.server)
        w.client.git(["checkout", "-q", "-b", "attestation"])
        let signed = SignoffFixture.commit(in: w.client, quarter: "2026-Q4", date: Self.inWindow)
        #expect(Self.push(w, ["origin", "attestation"]).status == 0)
        let r = Self.push(w, ["origin", "--delete", "attestation"])
        #expect(r.status != 0)
        #expect(r.stderr.contains("refs/heads/attestation: [append-only] this push deletes refs/heads/attestation (at \(signed.prefix(12))) and drops 1 commit of the record"), "\(r)")
        #expect(r.stderr.contains("to fix: merge the branch into one the server keeps before deleting it"), "\(r)")
        #expect(Self.server(w, ["rev-parse", "attestation"]).stdout.hasPrefix(signed))
        // Once main holds the sign-off, the branch may go.
        w.client.git(["checkout", "-q", "main"])
        w.client.git(["merge", "-q", "--ff-only", "attestation"])
        #expect(Self.push(w, ["origin", "main"]).status == 0)
        let gone = Self.push(w, ["origin", "--delete", "attestation"])
        #expect(gone.status == 0, "\(gone)")
    }

    @Test func forcePushDroppingOnlyOrdinaryCommitsIsNotTheHooksBusiness() {
        let w = PushWorld(.server)
        w.client.write("src/a.txt", "a\n")
        w.client.commitAll("work in progress", date: "2026-10-02T09:00:00Z")
        #expect(w.push(at: Self.pushTime).status == 0)
        w.client.git(["reset", "-q", "--hard", "HEAD~1"])
        let r = Self.push(w, ["origin", "+main"])
        #expect(r.status == 0, "\(r)")
    }

    @Test func installOnABareServerKeepsAReflog() {
        let w = PushWorld(.server)
        #expect(Self.server(w, ["config", "core.logAllRefUpdates"]).stdout == "always\n")
        let again = attest(["hook", "install"], cwd: w.server, home: w.client.home)
        #expect(again.status == 0, "\(again)")
        #expect(again.stdout.contains("git --git-dir=\(w.server) config gc.reflogExpire never && git --git-dir=\(w.server) config gc.reflogExpireUnreachable never"), "\(again)")
        #expect(again.stdout.contains("receive.denyNonFastForwards true") && again.stdout.contains("receive.fsckObjects true"), "\(again)")
        let fresh = Scratch("bare-reflog")
        run("git", ["init", "-q", "--bare", fresh.path + "/s.git"], environment: w.client.environment)
        let first = attest(["hook", "install"], cwd: fresh.path + "/s.git", home: w.client.home)
        #expect(first.stdout.contains("set core.logAllRefUpdates = always in \(fresh.path)/s.git/config"), "\(first)")
        // Every accepted update is in the server's reflog, as git itself reads it.
        SignoffFixture.commit(in: w.client, quarter: "2026-Q4", date: Self.inWindow)
        #expect(w.push(at: Self.pushTime).status == 0)
        let log = Self.server(w, ["reflog", "show", "--format=%H", "refs/heads/main"]).stdout
        #expect(log.split(separator: "\n").first.map(String.init) == w.serverMain, "\(log)")
    }

    // MARK: 2. policy by history, not by dates

    @Test func backdatedWeakeningIsRefusedAndTheHonestOneAccepted() {
        let w = PushWorld(.server)
        w.client.write(".attestconfig", "[window]\n\tcloseDaysAfter = 5\n")
        w.client.commitAll("policy", date: "2026-09-02T10:00:00Z")
        #expect(w.push(at: "2026-09-02 10:05:00").status == 0)
        // Dated a year before its parent, to look as if it was always the rule.
        w.client.write(".attestconfig", "[window]\n\tcloseDaysAfter = 31\n")
        let back = w.client.commitAll("policy: a longer window", date: "2025-06-01T10:00:00Z")
        let r = w.push(at: "2026-09-03 10:00:00")
        #expect(r.status != 0)
        #expect(r.stderr.contains("commit \(back.prefix(12)) .attestconfig: [policy-weakened] this commit weakens the policy (window.closeDaysAfter 5 → 31) without an Attest-Policy-Change trailer naming it"), "\(r)")
        #expect(r.stderr.contains("commit \(back.prefix(12)) .attestconfig: [committer-order] the committer date 2025-06-01 10:00:00 UTC is"), "\(r)")
        // Honest: the real date and a trailer naming the change.
        w.client.git(["commit", "-q", "--amend", "-m", "policy: a longer window\n\nAttest-Policy-Change: window.closeDaysAfter: the DBA team is on call a month"],
                     env: ["GIT_COMMITTER_DATE": "2026-09-03T10:00:00Z", "GIT_AUTHOR_DATE": "2026-09-03T10:00:00Z"])
        let ok = w.push(at: "2026-09-03 10:05:00")
        #expect(ok.status == 0, "\(ok)")
        // It is reported by audit, with its trailer.
        let a = w.client.attest(["audit", "--from", "2026-07-01", "--to", "2026-12-31", "--json"], at: "2027-01-05 10:00:00")
        let q4 = try! #require(AuditCLITests.quarters(try! AuditCLITests.json(a))["2026-Q4"])
        let details = (q4["flagDetails"] as? [[String: Any]] ?? []).compactMap { $0["detail"] as? String }
        #expect(details.contains { $0.contains("changed the policy: window.closeDaysAfter 5 → 31 (it weakens a rule); Attest-Policy-Change: window.closeDaysAfter: the DBA team") }, "\(details)")
    }

    @Test func aBackdatedWeakeningIsPlacedByHistoryInTheAudit() throws {
        // The case 1, on the client's own history (the hooks refuse it): a Q3 sign-off,
        // then a window widened by a commit dated 2025-06-01, then a Q4 sign-off 14 days after
        // the real hard close.
        let repo = AuditCLITests.baseRepository()
        SignoffFixture.commit(in: repo, quarter: "2026-Q3", date: "2026-07-02T10:00:00Z",
                              text: SignoffFixture.document(quarter: try Quarter(parsing: "2026-Q3")))
        repo.write(".attestconfig", "[window]\n\tcloseDaysAfter = 31\n")
        let back = repo.commitAll("policy: a longer window", date: "2025-06-01T10:00:00Z")
        let wide = Schedule(openDaysBefore: 5, closeDaysAfter: 31, targetHour: 10)
        SignoffFixture.commit(in: repo, quarter: "2026-Q4", date: "2026-10-20T10:00:00Z",
                              text: SignoffFixture.document(quarter: try Quarter(parsing: "2026-Q4"), schedule: wide))
        let r = repo.attest(["audit", "--from", "2026-07-01", "--to", "2026-12-31", "--json"], at: "2027-01-05 10:00:00")
        #expect(r.status == 1, "\(r)")
        let doc = try AuditCLITests.json(r)
        #expect(doc["pass"] as? Bool == false)
        let qs = AuditCLITests.quarters(doc)
        let flagged = qs.values.flatMap { ($0["flagDetails"] as? [[String: Any]]) ?? [] }
        let mine = flagged.filter { $0["commit"] as? String == back }.compactMap { $0["detail"] as? String }
        #expect(mine.contains { $0.contains("changed the policy: window.closeDaysAfter 5 → 31 (it weakens a rule); no Attest-Policy-Change trailer names it") && $0.contains("entered history after 2026-07-02 10:00:00 UTC") }, "\(mine)")
        #expect(mine.contains { $0.contains("[committer-order] the committer date 2025-06-01 10:00:00 UTC is") }, "\(mine)")
        let flags = qs.values.flatMap { ($0["flags"] as? [String]) ?? [] }
        #expect(flags.contains("policy-changed") && flags.contains("date-anomaly"), "\(qs)")
    }

    @Test func aWeakeningMadeInsideTheWindowDoesNotHelpThatQuarter() throws {
        let w = PushWorld(.server)
        // Honest date, inside the Q4 window (it opened 2026-09-26), with its trailer: accepted,
        // but it applies from 2027-Q1 on.
        w.client.write(".attestconfig", "[window]\n\tcloseDaysAfter = 31\n")
        w.client.commitAll("policy: a longer window\n\nAttest-Policy-Change: window.closeDaysAfter: longer reviews", date: "2026-10-03T10:00:00Z")
        #expect(w.push(at: "2026-10-03 10:05:00").status == 0)
        let wide = Schedule(openDaysBefore: 5, closeDaysAfter: 31, targetHour: 10)
        let late = SignoffFixture.commit(in: w.client, quarter: "2026-Q4", date: "2026-10-20T10:00:00Z",
                                         text: SignoffFixture.document(quarter: try Quarter(parsing: "2026-Q4"), schedule: wide))
        let r = w.push(at: "2026-10-20 10:05:00")
        #expect(r.status != 0)
        #expect(r.stderr.contains("commit \(late.prefix(12)) \(Self.q4): [window-committer] the committer date 2026-10-20 10:00:00 UTC is after the 2026-Q4 hard close (2026-10-06 23:59:59 UTC)"), "\(r)")
        let a = w.client.attest(["audit", "--from", "2026-10-01", "--to", "2026-12-31", "--json"], at: "2027-01-05 10:00:00")
        let q = try #require(AuditCLITests.quarters(try AuditCLITests.json(a))["2026-Q4"])
        #expect(q["verdict"] as? String == "late", "\(q)")
        #expect((q["window"] as? [String: String])?["closes"] == "2026-10-06T23:59:59Z", "\(q)")
    }

    @Test func aNewSignerNeedsItsTrailerAndControlFilesAreScope() {
        let w = PushWorld(.server)
        let a = SignoffFixture.sshKey(in: w.client, name: "a"), b = SignoffFixture.sshKey(in: w.client, name: "b")
        w.client.write(".attest/allowed_signers", SignoffFixture.allowedSignersLine(key: a) + "\n")
        w.client.write("controls/cc6.1-access.md", "access review\n")
        w.client.write("controls/cc7.2-monitoring.md", "monitoring\n")
        w.client.commitAll("signers and controls", date: "2026-09-02T10:00:00Z")
        #expect(w.push(at: "2026-09-02 10:05:00").status == 0)

        w.client.write(".attest/allowed_signers", SignoffFixture.allowedSignersLine(key: a) + "\n" + SignoffFixture.allowedSignersLine(key: b, principal: "mallory@example.com") + "\n")
        let add = w.client.commitAll("one more signer", date: "2026-09-03T10:00:00Z")
        let r = w.push(at: "2026-09-03 10:05:00")
        #expect(r.status != 0)
        #expect(r.stderr.contains("commit \(add.prefix(12)) .attest/allowed_signers: [policy-weakened] this commit weakens the policy (signing.allowedSigners 1 grant → adds 1 signer key (mallory@example.com))"), "\(r)")
        w.client.git(["reset", "-q", "--hard", "HEAD~1"])

        w.client.git(["rm", "-q", "controls/cc7.2-monitoring.md"])
        let drop = w.client.commitAll("fewer controls", date: "2026-09-03T10:00:00Z")
        let d = w.push(at: "2026-09-03 10:05:00")
        #expect(d.status != 0)
        #expect(d.stderr.contains("commit \(drop.prefix(12)) controls: [policy-weakened] this commit weakens the policy (controls.folder 2 control files → removes cc7.2-monitoring.md)"), "\(d)")
        w.client.git(["commit", "-q", "--amend", "-m", "fewer controls\n\nAttest-Policy-Change: controls.folder: monitoring moved to the vendor's SOC-2"],
                     env: ["GIT_COMMITTER_DATE": "2026-09-03T10:00:00Z"])
        #expect(w.push(at: "2026-09-03 10:05:00").status == 0)
        w.client.write("controls/cc8.1-change.md", "change management\n")
        let more = w.client.commitAll("one more control", date: "2026-09-04T10:00:00Z")
        #expect(w.push(at: "2026-09-04 10:05:00").status == 0)
        // Audit reports both as scope changes of the policy.
        let a2 = w.client.attest(["audit", "--from", "2026-07-01", "--to", "2026-12-31", "--json"], at: "2027-01-05 10:00:00")
        let changes = (try! AuditCLITests.json(a2))["policyChanges"] as? [[String: Any]] ?? []
        let keys = changes.flatMap { ($0["changes"] as? [[String: String]]) ?? [] }
        #expect(keys.contains { $0["key"] == "controls.folder" && $0["new"] == "removes cc7.2-monitoring.md" }, "\(changes)")
        #expect(keys.contains { $0["key"] == "controls.folder" && $0["new"] == "adds cc8.1-change.md" }, "\(changes)")
        #expect(changes.contains { $0["commit"] as? String == more })
    }

    // MARK: 3. merges judged by the line that carries the sign-off

    @Test func aMergeThatSwapsTheSignedFileIsRefusedAndFlagged() throws {
        let w = PushWorld(.server)
        let fork = w.client.revParse("HEAD")
        let signed = SignoffFixture.commit(in: w.client, quarter: "2026-Q4", date: Self.inWindow)
        #expect(w.push(at: Self.pushTime).status == 0)
        w.client.git(["checkout", "-q", "-b", "side", fork])
        w.client.write(Self.q4, "anything at all\n")
        w.client.commitAll("side", date: "2026-10-03T09:00:00Z")
        w.client.git(["checkout", "-q", "main"])
        w.client.git(["merge", "-q", "--no-edit", "-X", "theirs", "side"], env: ["GIT_AUTHOR_DATE": "2026-10-03T10:00:00Z", "GIT_COMMITTER_DATE": "2026-10-03T10:00:00Z"])
        let merge = w.client.revParse("HEAD")
        #expect(w.client.git(["show", "HEAD:" + Self.q4]).stdout == "anything at all\n")
        let r = w.push(at: "2026-10-03 10:05:00")
        #expect(r.status != 0)
        #expect(r.stderr.contains("commit \(merge.prefix(12)) \(Self.q4): [signed-file-changed] \(Self.q4) was signed (\(signed.prefix(12))) and this commit changes it without an Attest-Amends trailer"), "\(r)")
        #expect(w.serverMain == signed)
        // Audit says the same of the merge.
        let a = w.client.attest(["audit", "--from", "2026-10-01", "--to", "2026-12-31", "--json"], at: "2027-01-05 10:00:00")
        let q = try #require(AuditCLITests.quarters(try AuditCLITests.json(a))["2026-Q4"])
        let details = (q["flagDetails"] as? [[String: Any]] ?? []).filter { $0["commit"] as? String == merge }.compactMap { $0["detail"] as? String }
        #expect(details.contains { $0.contains("changed 2026-Q4.md after its sign-off \(signed.prefix(12)), without an Attest-Amends trailer") }, "\(q)")
    }

    @Test func honestMergesPass() {
        let w = PushWorld(.server)
        let signed = SignoffFixture.commit(in: w.client, quarter: "2026-Q4", date: Self.inWindow)
        #expect(w.push(at: Self.pushTime).status == 0)
        // A side branch forked after the sign-off carries an amendment; another carries code.
        w.client.git(["checkout", "-q", "-b", "amend", signed])
        SignoffFixture.commit(in: w.client, quarter: "2026-Q4", date: "2026-10-03T09:00:00Z", text: Self.document("\nlinked\n"), amends: signed)
        w.client.git(["checkout", "-q", "-b", "code", signed])
        w.client.write("src/x.txt", "x\n")
        w.client.commitAll("code", date: "2026-10-03T09:10:00Z")
        w.client.git(["checkout", "-q", "main"])
        w.client.git(["merge", "-q", "--no-edit", "--no-ff", "code"], env: ["GIT_AUTHOR_DATE": "2026-10-03T10:00:00Z", "GIT_COMMITTER_DATE": "2026-10-03T10:00:00Z"])
        w.client.git(["merge", "-q", "--no-edit", "--no-ff", "amend"], env: ["GIT_AUTHOR_DATE": "2026-10-03T10:01:00Z", "GIT_COMMITTER_DATE": "2026-10-03T10:01:00Z"])
        let r = w.push(at: "2026-10-03 10:05:00")
        #expect(r.status == 0, "\(r)")
    }

    // MARK: 4. the server never falls back to defaults

    @Test func aServerWhoseHeadNamesNoBranchRefusesAndSaysHow() {
        let w = PushWorld(.server)
        w.client.write(".attestconfig", "[signing]\n\trequired = true\n")
        w.client.commitAll("policy: signatures required", date: "2026-09-02T10:00:00Z")
        #expect(w.push(at: "2026-09-02 10:05:00").status == 0)
        // As `git init --bare` leaves it when the team pushes main.
        #expect(Self.server(w, ["symbolic-ref", "HEAD", "refs/heads/master"]).status == 0)
        let unsigned = SignoffFixture.commit(in: w.client, quarter: "2026-Q4", date: Self.inWindow)
        // main is judged by main as it stood before the push.
        let r = w.push(at: Self.pushTime)
        #expect(r.status != 0)
        #expect(r.stderr.contains("commit \(unsigned.prefix(12)) \(Self.q4): [signature] the commit is not signed and signing.required is true"), "\(r)")
        // A new branch: no policy to read, refused with the way out.
        let n = Self.push(w, ["origin", "HEAD:refs/heads/q4"])
        #expect(n.status != 0)
        #expect(n.stderr.contains("refs/heads/q4 is new and the server's HEAD names refs/heads/master, which does not exist: there is no .attestconfig to judge the push by, and the built-in defaults are never used (push refused)"), "\(n)")
        #expect(n.stderr.contains("symbolic-ref HEAD refs/heads/main") && n.stderr.contains("config hook.policyRef refs/heads/main"), "\(n)")
        // With the policy ref named, the new branch is judged by main's policy.
        #expect(Self.server(w, ["config", "hook.policyRef", "refs/heads/main"]).status == 0)
        let p = Self.push(w, ["origin", "HEAD:refs/heads/q4"])
        #expect(p.status != 0)
        #expect(p.stderr.contains("[signature] the commit is not signed and signing.required is true"), "\(p)")
        // Honest: a branch of ordinary work goes through under that policy.
        w.client.git(["checkout", "-q", "-b", "work", "HEAD~1"])
        w.client.write("src/y.txt", "y\n")
        w.client.commitAll("work", date: "2026-10-02T10:00:00Z")
        let ok = Self.push(w, ["origin", "work"])
        #expect(ok.status == 0, "\(ok)")
    }

    @Test func theFirstPushToAnEmptyServerIsJudgedByThePolicyItBrings() {
        let client = ScratchRepository("empty-server")
        let server = client.scratch.path + "/server.git"
        // HEAD names master, as plain `git init --bare` leaves it; the team pushes main.
        run("git", ["init", "-q", "--bare", "-b", "master", server], environment: client.environment)
        #expect(attest(["hook", "install"], cwd: server, home: client.home).status == 0)
        client.git(["remote", "add", "origin", server])
        client.write(".attestconfig", "[signing]\n\trequired = true\n")
        client.commitAll("policy", date: "2026-09-01T10:00:00Z")
        let unsigned = SignoffFixture.commit(in: client, quarter: "2026-Q4", date: Self.inWindow)
        let r = run("faketime", ["-f", "@\(Self.pushTime)", "git", "push", "origin", "main"], cwd: client.path, environment: client.environment)
        #expect(r.status != 0)
        #expect(r.stderr.contains("commit \(unsigned.prefix(12)) \(Self.q4): [signature] the commit is not signed and signing.required is true"), "\(r)")
        client.git(["reset", "-q", "--hard", "HEAD~1"])
        let ok = run("faketime", ["-f", "@\(Self.pushTime)", "git", "push", "origin", "main"], cwd: client.path, environment: client.environment)
        #expect(ok.status == 0, "\(ok)")
    }

    // MARK: 5. amendments judged like sign-offs

    @Test func amendmentsAreJudgedLikeSignoffs() throws {
        let w = PushWorld(.server)
        let a = SignoffFixture.sshKey(in: w.client, name: "a"), b = SignoffFixture.sshKey(in: w.client, name: "b")
        w.client.write(".attestconfig", "[signing]\n\trequired = true\n")
        w.client.write(".attest/allowed_signers", SignoffFixture.allowedSignersLine(key: a) + "\n")
        w.client.commitAll("signing policy", date: "2026-09-02T10:00:00Z")
        #expect(w.push(at: "2026-09-02 10:05:00").status == 0)
        let signed = SignoffFixture.commit(in: w.client, quarter: "2026-Q4", date: Self.inWindow, signingKey: a)
        #expect(w.push(at: Self.pushTime).status == 0)

        // Hand-made, Attest-Amends only, unsigned.
        w.client.write(Self.q4, Self.document("\ntypo\n"))
        let bare = w.client.commitAll("fix a typo\n\nAttest-Amends: \(signed)", date: "2026-10-03T11:00:00Z")
        let r1 = w.push(at: "2026-10-03 11:05:00")
        #expect(r1.status != 0)
        #expect(r1.stderr.contains("commit \(bare.prefix(12)): [message] the amendment has Attest-Amends but no Attest-Quarter trailer"), "\(r1)")
        #expect(r1.stderr.contains("commit \(bare.prefix(12)): [signature] the commit is not signed and signing.required is true"), "\(r1)")
        // Audit sees the trailer, and the missing signature.
        let au = w.client.attest(["audit", "--from", "2026-10-01", "--to", "2026-12-31", "--json"], at: "2027-01-05 10:00:00")
        let q = try #require(AuditCLITests.quarters(try AuditCLITests.json(au))["2026-Q4"])
        let details = (q["flagDetails"] as? [[String: Any]] ?? []).filter { $0["commit"] as? String == bare }
        #expect(details.contains { $0["flag"] as? String == "amended" && ($0["detail"] as? String)?.contains("with Attest-Amends: \(signed)") == true }, "\(details)")
        #expect(details.contains { $0["flag"] as? String == "unsigned" }, "\(details)")
        #expect(details.contains { $0["flag"] as? String == "incomplete-document" && ($0["detail"] as? String)?.contains("no Attest-Quarter trailer") == true }, "\(details)")
        w.client.git(["reset", "-q", "--hard", "HEAD~1"])

        // Every trailer, but signed by a key the server does not list.
        let stranger = SignoffFixture.commit(in: w.client, quarter: "2026-Q4", date: "2026-10-03T11:00:00Z", text: Self.document("\ntypo\n"), amends: signed, signingKey: b)
        let r2 = w.push(at: "2026-10-03 11:05:00")
        #expect(r2.status != 0)
        #expect(r2.stderr.contains("commit \(stranger.prefix(12)) \(Self.q4): [signature] the signature does not hold: the key ssh-ed25519"), "\(r2)")
        w.client.git(["reset", "-q", "--hard", "HEAD~1"])

        // Honest: every trailer, signed by a listed key.
        let good = SignoffFixture.commit(in: w.client, quarter: "2026-Q4", date: "2026-10-03T11:00:00Z", text: Self.document("\ntypo\n"), amends: signed, signingKey: a)
        let ok = w.push(at: "2026-10-03 11:05:00")
        #expect(ok.status == 0, "\(ok)")
        #expect(w.serverMain == good)
    }

    @Test func twoQuarterTrailersAreRefusedEverywhere() throws {
        let w = PushWorld(.server)
        let q = try Quarter(parsing: "2026-Q4")
        let body = Self.document()
        w.client.write(Self.q4, body)
        let t = SignoffTrailers(quarter: q, result: .clean, documentPath: Self.q4, documentSHA256: SignoffFixture.sha256(Data(body.utf8)),
                                evidenceSHA256: String(repeating: "0f", count: 32))
        let message = t.message.replacingOccurrences(of: "Attest-Quarter: 2026-Q4\n", with: "Attest-Quarter: 2026-Q4\nAttest-Quarter: 2025-Q1\n")
        w.client.git(["add", "-A"])
        w.client.git(["commit", "-q", "-F", "-"], env: ["GIT_AUTHOR_DATE": Self.inWindow, "GIT_COMMITTER_DATE": Self.inWindow], stdin: Data(message.utf8))
        let id = w.client.revParse("HEAD")
        // git itself sees both.
        let parsed = w.client.git(["interpret-trailers", "--parse"], stdin: Data(message.utf8)).stdout
        #expect(parsed.contains("Attest-Quarter: 2026-Q4\nAttest-Quarter: 2025-Q1\n"), "\(parsed)")
        let v = w.client.attest(["verify", id], at: Self.pushTime)
        #expect(v.status == 1, "\(v)")
        #expect(v.stdout.contains("[message] the sign-off trailers are malformed: trailer Attest-Quarter appears 2 times (2026-Q4, 2025-Q1)"), "\(v)")
        let r = w.push(at: Self.pushTime)
        #expect(r.status != 0)
        #expect(r.stderr.contains("commit \(id.prefix(12)): [message] the sign-off trailers are malformed: trailer Attest-Quarter appears 2 times"), "\(r)")
        let a = w.client.attest(["audit", "--from", "2026-10-01", "--to", "2026-12-31", "--json"], at: "2027-01-05 10:00:00")
        let q4 = try #require(AuditCLITests.quarters(try AuditCLITests.json(a))["2026-Q4"])
        #expect((q4["flags"] as? [String])?.contains("incomplete-document") == true, "\(q4)")
        #expect(((q4["flagDetails"] as? [[String: Any]]) ?? []).contains { ($0["detail"] as? String)?.contains("trailer Attest-Quarter appears 2 times") == true }, "\(q4)")
    }
}
