import Foundation
import Testing
import AttestCore
import AttestTestSupport

/// `attest audit` end to end: scenario repositories made with real git at chosen dates, the
/// built binary, and `git log` as the oracle for what touched the folder.
@Suite struct AuditCLITests {
    /// A repository with some ordinary history before 2026.
    static func baseRepository() -> ScratchRepository {
        let repo = ScratchRepository("audit")
        repo.write("README.md", "compliance repository\n")
        repo.write("docs/attestation-log/README.md", "the attestation log\n")
        repo.commitAll("initial", date: "2025-11-20T09:00:00Z")
        return repo
    }

    static func filler(_ repo: ScratchRepository, _ date: String, _ n: Int) {
        repo.write("src/file\(n % 3).txt", "change \(n)\n")
        repo.commitAll("ordinary change \(n)", date: date)
    }

    static func json(_ r: RunResult) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any], "\(r)")
    }

    static func quarters(_ doc: [String: Any]) -> [String: [String: Any]] {
        var out: [String: [String: Any]] = [:]
        for q in doc["quarters"] as? [[String: Any]] ?? [] { out[q["quarter"] as! String] = q }
        return out
    }

    /// 2026 signed on time, quarter by quarter, among ordinary commits.
    static func clean2026() -> ScratchRepository {
        let repo = baseRepository()
        filler(repo, "2025-12-10T12:00:00Z", 1)
        SignoffFixture.commit(in: repo, quarter: "2026-Q1", date: "2026-01-02T10:00:00Z")
        filler(repo, "2026-02-03T12:00:00Z", 2)
        SignoffFixture.commit(in: repo, quarter: "2026-Q2", date: "2026-04-01T15:00:00Z")
        filler(repo, "2026-05-03T12:00:00Z", 3)
        SignoffFixture.commit(in: repo, quarter: "2026-Q3", date: "2026-06-29T08:00:00Z")
        filler(repo, "2026-08-03T12:00:00Z", 4)
        SignoffFixture.commit(in: repo, quarter: "2026-Q4", date: "2026-10-05T23:00:00Z")
        filler(repo, "2026-11-03T12:00:00Z", 5)
        return repo
    }

    /// Q1 on time; Q2 signed late with Attest-Late; Q3 signed by a commit backdated into the
    /// window after later commits; Q4 missing; Q1 edited later without Attest-Amends.
    static func troubled2026() -> (ScratchRepository, q1: String, q3: String, edit: String) {
        let repo = baseRepository()
        let q1 = SignoffFixture.commit(in: repo, quarter: "2026-Q1", date: "2026-01-03T11:00:00Z")
        filler(repo, "2026-02-10T12:00:00Z", 1)
        SignoffFixture.commit(in: repo, quarter: "2026-Q2", date: "2026-04-10T09:30:00Z", late: "the operator was on leave")
        filler(repo, "2026-05-10T12:00:00Z", 2)
        filler(repo, "2026-07-12T12:00:00Z", 3)   // after the Q3 hard close (2026-07-06)
        let q3 = SignoffFixture.commit(in: repo, quarter: "2026-Q3", date: "2026-07-03T10:00:00Z")  // made after it, dated back
        filler(repo, "2026-08-10T12:00:00Z", 4)
        repo.write("docs/attestation-log/2026-Q1.md", SignoffFixture.document(quarter: try! Quarter(parsing: "2026-Q1")) + "\nA later note.\n")
        let edit = repo.commitAll("docs: tidy the Q1 attestation", date: "2026-11-02T16:00:00Z")
        return (repo, q1, q3, edit)
    }

    @Test func clean2026Passes() throws {
        let repo = Self.clean2026()
        let text = repo.attest(["audit", "--from", "2026-01-01", "--to", "2026-12-31"])
        #expect(text.status == 0, "\(text)")
        for q in 1...4 { #expect(text.stdout.contains("2026-Q\(q)  on-time"), "\(text.stdout)") }
        #expect(text.stdout.contains("PASS: all 4 quarters signed off on time, no flags"))
        let r = repo.attest(["audit", "--from", "2026-01-01", "--to", "2026-12-31", "--format", "json"])
        #expect(r.status == 0)
        let doc = try Self.json(r)
        #expect(doc["pass"] as? Bool == true)
        #expect(doc["schemaVersion"] as? Int == 1)
        let qs = Self.quarters(doc)
        #expect(qs.keys.sorted() == ["2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4"])
        for (_, q) in qs {
            #expect(q["verdict"] as? String == "on-time")
            #expect((q["flags"] as? [String]) == [])
            let signoff = try #require(q["signoff"] as? [String: Any])
            #expect((signoff["commit"] as? String)?.count == 40)
        }
        #expect((qs["2026-Q4"]?["signoff"] as? [String: Any])?["committer"] as? [String: String] ==
                ["name": "Olive Operator", "email": "olive@example.com", "instant": "2026-10-05T23:00:00Z"])
    }

    @Test func troubledYearGivesExactlyTheseVerdictsAndFlags() throws {
        let (repo, q1, q3, edit) = Self.troubled2026()
        let r = repo.attest(["audit", "--from", "2026-01-01", "--to", "2026-12-31", "--json"])
        #expect(r.status == 1, "\(r)")
        let doc = try Self.json(r)
        #expect(doc["pass"] as? Bool == false)
        let qs = Self.quarters(doc)
        let got = qs.mapValues { "\($0["verdict"] as! String) \(($0["flags"] as! [String]).joined(separator: ","))" }
        #expect(got == ["2026-Q1": "on-time amended", "2026-Q2": "late ", "2026-Q3": "on-time date-anomaly", "2026-Q4": "missing "])
        #expect(qs["2026-Q2"]?["lateReason"] as? String == "the operator was on leave")
        #expect(qs["2026-Q4"]?["signoff"] is NSNull)
        let q1Details = try #require(qs["2026-Q1"]?["flagDetails"] as? [[String: Any]])
        #expect(q1Details.count == 1 && q1Details[0]["commit"] as? String == edit)
        #expect((q1Details[0]["detail"] as? String)?.contains("without an Attest-Amends trailer") == true)
        #expect(((qs["2026-Q1"]?["signoff"] as? [String: Any])?["commit"] as? String) == q1)
        let q3Details = try #require(qs["2026-Q3"]?["flagDetails"] as? [[String: Any]])
        #expect(q3Details.map { $0["commit"] as? String } == [q3])
        // Every commit that touched Q1's file, oldest first, with its role.
        let q1Commits = try #require(qs["2026-Q1"]?["commits"] as? [[String: Any]])
        #expect(q1Commits.map { $0["commit"] as? String } == [q1, edit])
        #expect(q1Commits.map { $0["role"] as? String } == ["sign-off", "amendment"])

        let text = repo.attest(["audit", "--from", "2026-01-01", "--to", "2026-12-31"])
        #expect(text.status == 1)
        let lines = text.stdout.split(separator: "\n").map(String.init)
        func row(_ q: String) -> String { lines.first { $0.hasPrefix(q + "  ") } ?? "" }
        #expect(row("2026-Q1").contains("on-time") && row("2026-Q1").hasSuffix("amended"), "\(text.stdout)")
        #expect(row("2026-Q2").contains("late") && row("2026-Q2").hasSuffix("-"))
        #expect(row("2026-Q3").contains("on-time") && row("2026-Q3").hasSuffix("date-anomaly"))
        #expect(row("2026-Q4").contains("missing") && row("2026-Q4").hasSuffix("-"))
        #expect(text.stdout.contains("2026-Q2 late: committed 2026-04-10 09:30:00 UTC"))
        #expect(text.stdout.contains("declared late: the operator was on leave"))
        #expect(text.stdout.contains("2026-Q3 date-anomaly: \(q3.prefix(12)): [committer-order] the committer date 2026-07-03 10:00:00 UTC"))
        #expect(text.stdout.contains("2026-Q1 amended: \(edit.prefix(12))"))
        #expect(text.stdout.contains("FAIL: 4 of 4 quarters not on time or flagged"))
    }

    /// The non-merge commits audit says touched the folder are exactly git's own answer,
    /// across branches and merges.
    @Test func touchingCommitsMatchGitLog() throws {
        let repo = Self.baseRepository()
        SignoffFixture.commit(in: repo, quarter: "2026-Q1", date: "2026-01-02T10:00:00Z")
        repo.git(["checkout", "-q", "-b", "side"])
        Self.filler(repo, "2026-03-01T10:00:00Z", 1)
        SignoffFixture.commit(in: repo, quarter: "2026-Q2", date: "2026-04-02T10:00:00Z")
        repo.write("docs/attestation-log/notes/extra.md", "a nested file\n")
        repo.commitAll("nested note", date: "2026-04-03T10:00:00Z")
        repo.git(["checkout", "-q", "main"])
        Self.filler(repo, "2026-03-15T10:00:00Z", 2)
        repo.write("docs/attestation-log/README.md", "the attestation log, revised\n")
        repo.commitAll("readme", date: "2026-03-20T10:00:00Z")
        repo.git(["merge", "-q", "--no-ff", "-m", "merge side", "side"], env: ["GIT_AUTHOR_DATE": "2026-04-04T10:00:00Z", "GIT_COMMITTER_DATE": "2026-04-04T10:00:00Z"])
        Self.filler(repo, "2026-05-01T10:00:00Z", 3)
        repo.git(["rm", "-q", "docs/attestation-log/notes/extra.md"])
        repo.commitAll("drop the note", date: "2026-05-02T10:00:00Z")

        let r = repo.attest(["audit", "--from", "2026-01-01", "--to", "2026-06-30", "--json"])
        let doc = try Self.json(r)
        let folderCommits = try #require(doc["folderCommits"] as? [[String: Any]])
        let audit = Set(folderCommits.filter { $0["merge"] as? Bool == false }.compactMap { $0["commit"] as? String })
        let git = Set(repo.git(["log", "--no-merges", "--full-history", "--format=%H", "HEAD", "--", "docs/attestation-log/"])
            .stdout.split(separator: "\n").map(String.init))
        #expect(audit == git)
        #expect(audit.count == 6)
        // The merge counts too: its folder differs from its first parent's.
        #expect(folderCommits.contains { $0["merge"] as? Bool == true })
        #expect(doc["commitsWalked"] as? Int == Int(repo.git(["rev-list", "--count", "HEAD"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)))
        let qs = Self.quarters(doc)
        #expect(qs["2026-Q2"]?["verdict"] as? String == "on-time")
        #expect((qs["2026-Q2"]?["flags"] as? [String]) == [])
    }

    @Test func anyFolderOfAnyRepositoryWithDashC() throws {
        let repo = ScratchRepository("audit-c")
        repo.write("compliance/log/README.md", "x\n")
        repo.commitAll("initial", date: "2025-12-01T10:00:00Z")
        let r = repo.attest(["-c", "attest.folder=compliance/log", "audit", "--from", "2026-01-01", "--to", "2026-03-31", "--json"])
        #expect(r.status == 1)
        let doc = try Self.json(r)
        #expect(doc["folder"] as? String == "compliance/log")
        #expect(Self.quarters(doc)["2026-Q1"]?["verdict"] as? String == "missing")
        #expect((doc["folderCommits"] as? [Any])?.count == 1)
    }

    /// A shallow clone is audited as far as it goes, and says so.
    @Test func shallowCloneIsWalkedToItsCut() throws {
        let full = Self.clean2026()
        let clone = ScratchRepository("audit-shallow")
        clone.git(["clone", "-q", "--depth", "4", "file://\(full.path)", "c"])
        let dir = clone.path + "/c"
        let r = attest(["audit", "--from", "2026-01-01", "--to", "2026-12-31", "--json"], cwd: dir, home: clone.home)
        #expect(r.status == 1, "\(r)")
        let doc = try Self.json(r)
        #expect(doc["shallow"] as? Bool == true)
        #expect(doc["commitsWalked"] as? Int == 4)
        let git = Set(run("git", ["log", "--no-merges", "--full-history", "--format=%H", "HEAD", "--", "docs/attestation-log/"], cwd: dir,
                          environment: testEnvironment(home: clone.home)).stdout.split(separator: "\n").map(String.init))
        let audit = Set((doc["folderCommits"] as? [[String: Any]] ?? []).compactMap { $0["commit"] as? String })
        #expect(audit == git)
        let text = attest(["audit", "--from", "2026-01-01", "--to", "2026-12-31"], cwd: dir, home: clone.home)
        #expect(text.stdout.contains("Warning: this is a shallow clone"))
    }

    @Test(arguments: [
        (["audit", "--to", "2026-12-31"], "--from DATE is required"),
        (["audit", "--from", "2026-13-01", "--to", "2026-12-31"], "--from '2026-13-01' is not a date"),
        (["audit", "--from", "2026-12-31", "--to", "2026-01-01"], "--from 2026-12-31 is after --to 2026-01-01"),
        (["audit", "--from", "2026-01-01", "--to", "2026-12-31", "--format", "pdf"], "--format 'pdf' is not known"),
    ])
    func usageErrors(args: [String], message: String) {
        let s = Scratch("audit-usage")
        let r = attest(args, cwd: s.path, home: s.path)
        #expect(r.status == 2)
        #expect(r.stderr.hasPrefix("error: \(message)"), "\(r.stderr)")
        #expect(r.stderr.contains("See 'attest audit --help'."))
    }

    @Test func badRevisionAndNoRepository() {
        let repo = Self.baseRepository()
        let r = repo.attest(["audit", "--from", "2026-01-01", "--to", "2026-12-31", "--rev", "nosuch"])
        #expect(r.status == 2 && r.stderr.contains("cannot resolve --rev 'nosuch'"), "\(r)")
        let s = Scratch("audit-norepo")
        let n = attest(["audit", "--from", "2026-01-01", "--to", "2026-12-31"], cwd: s.path, home: s.path)
        #expect(n.status == 3 && n.stderr.contains("not in a git repository"))
    }

    /// `--out` writes the report and still prints the one-line verdict (issue #19).
    @Test func outWritesTheFileAndTheVerdictLineOnStdout() throws {
        let repo = Self.clean2026()
        let r = repo.attest(["audit", "--from", "2026-01-01", "--to", "2026-12-31", "--format", "markdown", "--out", "packet.md"])
        #expect(r.status == 0 && r.stdout.split(separator: "\n").count == 1, "\(r)")
        #expect(r.stdout.contains("PASS: all 4 quarters signed off on time, no flags") && r.stdout.contains("packet.md"), "\(r)")
        let md = try #require(try? String(contentsOfFile: repo.path + "/packet.md", encoding: .utf8))
        #expect(md.hasPrefix("# SOC-2 Type II attestation audit, 2026-01-01 to 2026-12-31\n"))
        #expect(md.contains("| 2026-Q3 | 2026-06-26 00:00:00 UTC to 2026-07-06 23:59:59 UTC | **on-time** |"))
        #expect(md.contains("**PASS**"))
    }

    /// Progress goes to stderr only when it is a terminal: none in a pipe, a counter on a pty
    /// (`script` gives the binary one).
    @Test func progressOnlyOnATerminal() throws {
        let repo = Self.clean2026()
        let piped = repo.attest(["audit", "--from", "2026-01-01", "--to", "2026-12-31"])
        #expect(piped.status == 0 && piped.stderr.isEmpty, "\(piped)")
        let cmd = "'\(attestBinary)' audit --from 2026-01-01 --to 2026-12-31 --json > out.json"
        let tty = run("script", ["-qec", cmd, "/dev/null"], cwd: repo.path, environment: testEnvironment(home: repo.home))
        #expect(tty.status == 0, "\(tty)")
        #expect(tty.stdout.contains("audit: read 10 commits"), "\(tty.stdout.debugDescription)")
        let doc = try JSONSerialization.jsonObject(with: try Data(contentsOf: URL(fileURLWithPath: repo.path + "/out.json"))) as? [String: Any]
        #expect(doc?["pass"] as? Bool == true)
    }

    @Test func evidenceRootChecksDigests() throws {
        let repo = Self.baseRepository()
        let root = repo.scratch.path + "/evidence"
        let good = SignoffFixture.evidence(at: root + "/2026-Q1", quarter: "2026-Q1")
        SignoffFixture.commit(in: repo, quarter: "2026-Q1", date: "2026-01-02T10:00:00Z", manifest: good.manifest, steps: good.steps)
        let ok = repo.attest(["audit", "--from", "2026-01-01", "--to", "2026-01-31", "--evidence-root", root, "--json"])
        #expect(ok.status == 0, "\(ok)")
        #expect(try Self.json(ok)["evidenceChecked"] as? Bool == true)
        // Someone changes an evidence file afterwards.
        try Data("tampered\n".utf8).write(to: URL(fileURLWithPath: root + "/2026-Q1/CC6.7-rbac-grants-audit.csv"))
        let bad = repo.attest(["audit", "--from", "2026-01-01", "--to", "2026-01-31", "--evidence-root", root, "--json"])
        #expect(bad.status == 1)
        let q = try #require(Self.quarters(try Self.json(bad))["2026-Q1"])
        #expect(q["flags"] as? [String] == ["evidence-mismatch"])
        let details = (q["flagDetails"] as? [[String: Any]])?.compactMap { $0["detail"] as? String } ?? []
        #expect(details.contains { $0.contains("step 7 (CC6.7)") && $0.contains("CC6.7-rbac-grants-audit.csv has SHA-256") }, "\(details)")
    }
}
