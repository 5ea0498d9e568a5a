import Foundation
import Testing
import AttestMarkdown
import AttestCore
import AttestTestSupport

/// Controls beyond the runbook's seven (issue #20), end to end: the built binary, the throwaway
/// PostgreSQL, real git, and `sha256sum -c` as the oracle of the evidence folder.
@Suite struct ControlsCLITests {
    init() { CommonMark.install() }
    static let passing = """
    -- control: X9.1
    -- criterion: CC6.1
    -- title: Every account predates as-of
    -- evidence: X9.1-accounts.csv
    -- on-finding: issue

    SELECT 'ok' AS status, 'account created ' || created_at::date AS reason, email AS resource
    FROM users WHERE created_at <= :as_of ORDER BY email

    """
    static let alarm = """
    -- control: X9.2
    -- criterion: CC6.1
    -- title: No role granted to a person directly
    -- evidence: X9.2-direct-grants.csv
    -- on-finding: issue

    SELECT CASE WHEN g.user_id IS NOT NULL THEN 'alarm' ELSE 'ok' END AS status,
           CASE WHEN g.user_id IS NOT NULL THEN 'direct grant of ' || r.name ELSE 'granted through a group' END AS reason,
           coalesce(u.email, 'group ' || g.group_id) AS resource
    FROM rbac_grants g JOIN rbac_roles r ON r.id = g.role_id LEFT JOIN users u ON u.id = g.user_id
    WHERE g.granted_at <= :as_of
    ORDER BY resource

    """
    static let departures = """
    # Departures

    | email | notice | ticket |
    |---|---|---|
    | gone@raxx.example | 2026-03-25T09:00:00Z | HR-7 |
    | left@raxx.example | 2026-03-20T09:00:00Z | HR-8 |

    """

    /// The passing database of CollectCLITests, plus two departed users: one still holding a
    /// direct role grant, one removed 3 h after notice.
    static func database(_ db: TestDatabase) throws -> String {
        let name = try CollectCLITests.passingDatabase(db)
        try db.psql("""
        INSERT INTO users (email) VALUES ('gone@raxx.example'), ('left@raxx.example');
        INSERT INTO rbac_roles (name) VALUES ('raptor-api');
        INSERT INTO rbac_grants (user_id, role_id, granted_at, granted_by)
            SELECT u.id, r.id, '2025-06-01T00:00:00Z', 'ops@raxx.example' FROM users u, rbac_roles r WHERE u.email = 'gone@raxx.example' AND r.name = 'raptor-api';
        INSERT INTO rbac_revocations (user_id, revoked_at, revoked_by)
            SELECT id, '2026-03-20T12:00:00Z', 'ops@raxx.example' FROM users WHERE email = 'left@raxx.example';
        """, database: name)
        return name
    }

    static func repository(_ label: String, controls: [(String, String)], departures: String? = ControlsCLITests.departures) -> ScratchRepository {
        let repo = ScratchRepository(label)
        #expect(repo.attest(["init"]).status == 0)
        CollectCLITests.writeRepoDocs(repo)
        for (name, text) in controls { repo.write("controls/" + name, text) }
        if let departures { repo.write("docs/ops/departures.md", departures) }
        repo.commitAll("attest init", date: "2026-03-01T10:00:00Z")
        return repo
    }

    func sha256sum(_ repo: ScratchRepository, _ file: String) -> String {
        String(run("sha256sum", [file], cwd: repo.path).stdout.prefix(64))
    }

    @Test func nineControlsEndToEnd() throws {
        let db = try TestDatabase.shared()
        let name = try Self.database(db)
        let repo = Self.repository("ctl9", controls: [("a-accounts.sql", Self.passing), ("b-direct-grants.sql", Self.alarm)])
        let log = CollectCLITests.writeLog(repo)
        let shaA = sha256sum(repo, "controls/a-accounts.sql"), shaB = sha256sum(repo, "controls/b-direct-grants.sql")

        let list = repo.attest(["controls", "list", "--json"])
        #expect(list.status == 0, "\(list)")
        let listed = try #require(try JSONSerialization.jsonObject(with: Data(list.stdout.utf8)) as? [[String: Any]])
        #expect(listed.map { $0["step"] as? Int } == Array(1...10))
        #expect(listed[7]["id"] as? String == "CC6.3" && listed[7]["source"] as? String == "built-in")
        #expect(listed[8]["sqlSHA256"] as? String == shaA && listed[9]["sqlSHA256"] as? String == shaB)

        let c = repo.attest(["collect", "--db", db.conninfo(database: name), "--pgaudit-log", log], at: "2026-04-03 12:00:00", env: ["NO_COLOR": "1"])
        #expect(c.status == 1, "\(c)")
        let lines = c.stdout.split(separator: "\n").map(String.init)
        #expect(lines.contains("Step 8  CC6.3  finding  1 finding"), "\(c.stdout)")
        #expect(lines.contains("Step 9  CC6.1  pass     4 rows: 4 ok"), "\(c.stdout)")
        #expect(lines.contains("Step 10 CC6.1  finding  1 finding (1 ok, 1 alarm)"), "\(c.stdout)")
        #expect(lines.contains("        - gone@raxx.example: direct grant of raptor-api"), "\(c.stdout)")
        #expect(c.stdout.contains("        - gone@raxx.example: still holds 1 role grant and 0 group memberships at as-of"), "\(c.stdout)")
        #expect(lines.contains("2026-Q2: 8 passed, 2 with findings (2 findings)"), "\(c.stdout)")

        let folder = repo.path + "/evidence/2026-Q2"
        let check = run("sha256sum", ["-c", "SHA256SUMS"], cwd: folder)
        #expect(check.status == 0, "\(check)")
        // 7 step files, CC6.3, two control evidence files, two SQL copies, results.json.
        #expect(check.stdout.split(separator: "\n").count == 13, "\(check.stdout)")
        #expect(run("cmp", ["controls/a-accounts.sql", folder + "/a-accounts.sql"], cwd: repo.path).status == 0)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: folder + "/results.json"))) as? [String: Any])
        #expect(json["schemaVersion"] as? Int == 2)
        let steps = try #require(json["steps"] as? [[String: Any]])
        #expect(steps.map { $0["step"] as? Int } == Array(1...10))
        #expect(steps[8]["sqlSHA256"] as? String == shaA && steps[9]["sqlSHA256"] as? String == shaB)
        #expect(steps[9]["source"] as? String == "controls/b-direct-grants.sql" && steps[9]["controlId"] as? String == "X9.2")
        let cc63 = try String(contentsOfFile: folder + "/CC6.3-deprovisioning.csv", encoding: .utf8)
        #expect(cc63.contains("gone@raxx.example") && cc63.contains("left@raxx.example"), "\(cc63)")

        let r = repo.attest(["render", "--quarter", "2026-Q2", "--issue", "8=#41", "--issue", "10=#42"], at: "2026-04-03 12:30:00", env: ["NO_COLOR": "1"])
        #expect(r.status == 0, "\(r)")
        #expect(r.stdout.contains("2026-Q2 qualified"), "\(r.stdout)")
        let doc = try String(contentsOfFile: repo.path + "/docs/attestation-log/2026-Q2.md", encoding: .utf8)
        #expect(doc.contains("| Step | Control id | Source | On finding | SQL SHA-256 |"), "\(doc)")
        #expect(doc.contains("| 8 | CC6.3 | built-in | issue |  |"), "\(doc)")
        #expect(doc.contains("| 9 | X9.1 | controls/a-accounts.sql | issue | \(shaA) |"), "\(doc)")
        #expect(doc.contains("| 10 | X9.2 | controls/b-direct-grants.sql | issue | \(shaB) |"), "\(doc)")
        #expect(doc.contains("| 10 | No role granted to a person directly | CC6.1 | finding |"), "\(doc)")
        // The committed document names no colleague (issue #15): the address stays in the evidence.
        #expect(doc.contains("| 10 | (email address withheld; see the evidence file): direct grant of raptor-api | #42 | no |"), "\(doc)")
        #expect(!doc.contains("gone@raxx.example"), "\(doc)")

        let sign = repo.attest(["sign", "--quarter", "2026-Q2"], at: "2026-04-03 12:40:00", env: ["NO_COLOR": "1"])
        #expect(sign.status == 0, "\(sign)")
        let v = repo.attest(["verify", "--evidence", "evidence/2026-Q2"], at: "2026-04-03 12:45:00")
        #expect(v.status == 0, "\(v)")
        // The pre-push hook judges the same sign-off against the same catalogue.
        let zero = String(repeating: "0", count: 40)
        let hook = repo.attest(["hook", "pre-push", "origin", "url"], at: "2026-04-03 12:46:00",
                               stdin: Data("refs/heads/main \(repo.revParse("HEAD")) refs/heads/main \(zero)\n".utf8))
        #expect(hook.status == 0, "\(hook)")
        let a = repo.attest(["audit", "--from", "2026-04-01", "--to", "2026-06-30", "--json"], at: "2026-04-03 12:50:00")
        #expect(a.status == 0, "\(a)")
        #expect(a.stdout.contains("\"2026-Q2\""), "\(a.stdout)")

        // The judge sees a control missing from the document: drop step 10's row from the
        // controls table in a copy of the document and check it in memory, as verify does.
        let doctored = doc.replacingOccurrences(of: "| 10 | X9.2 | controls/b-direct-grants.sql | issue | \(shaB) |\n", with: "")
        #expect(doctored != doc)
        let parsed = try AttestationDocument.parse(doctored, path: "docs/attestation-log/2026-Q2.md")
        let missing = Catalogue(controls: [Catalogue.deprovisioning,
            CatalogueControl(step: 9, id: "X9.1", criterion: "CC6.1", title: "t", evidenceFile: "X9.1-accounts.csv", onFinding: .issue, source: "controls/a-accounts.sql", sqlSHA256: shaA),
            CatalogueControl(step: 10, id: "X9.2", criterion: "CC6.1", title: "t", evidenceFile: "X9.2-direct-grants.csv", onFinding: .issue, source: "controls/b-direct-grants.sql", sqlSHA256: shaB)])
            .problems(of: parsed, at: "HEAD")
        #expect(missing == ["control X9.2 (controls/b-direct-grants.sql, step 10) is in the catalogue at HEAD but missing from the document"], "\(missing)")
    }

    @Test func editingAControlFileAfterCollectingMakesSignRefuse() throws {
        let db = try TestDatabase.shared()
        let name = try Self.database(db)
        let repo = Self.repository("ctledit", controls: [("a-accounts.sql", Self.passing)], departures: nil)
        let log = CollectCLITests.writeLog(repo)
        let c = repo.attest(["collect", "--db", db.conninfo(database: name), "--pgaudit-log", log], at: "2026-04-03 12:00:00")
        #expect(c.status == 0, "\(c)")
        #expect(repo.attest(["render", "--quarter", "2026-Q2"], at: "2026-04-03 12:30:00").status == 0)
        let before = sha256sum(repo, "controls/a-accounts.sql")
        repo.write("controls/a-accounts.sql", Self.passing.replacingOccurrences(of: "ORDER BY email", with: "ORDER BY email DESC"))
        let after = sha256sum(repo, "controls/a-accounts.sql")
        #expect(before != after)

        // Not committed: sign refuses, the working tree differs from what the document ran.
        let uncommitted = repo.attest(["sign", "--quarter", "2026-Q2"], at: "2026-04-03 12:40:00")
        #expect(uncommitted.status != 0, "\(uncommitted)")
        #expect(uncommitted.stderr.contains("the control files of the working tree differ"), "\(uncommitted.stderr)")
        #expect(uncommitted.stderr.contains("controls/a-accounts.sql at the working tree has SHA-256 \(after)"), "\(uncommitted.stderr)")

        // Committed: the judge refuses, the committed file is not the SQL that ran.
        repo.git(["add", "controls/a-accounts.sql"])
        repo.git(["commit", "-q", "-m", "tune the accounts control"], env: ["GIT_AUTHOR_DATE": "2026-04-03T12:35:00Z", "GIT_COMMITTER_DATE": "2026-04-03T12:35:00Z"])
        let committed = repo.attest(["sign", "--quarter", "2026-Q2"], at: "2026-04-03 12:40:00")
        #expect(committed.status == 1, "\(committed)")
        #expect(committed.stderr.contains("[catalogue]"), "\(committed.stderr)")
        #expect(committed.stderr.contains("step 9 (X9.1) ran SQL with SHA-256 \(before), but controls/a-accounts.sql at"), "\(committed.stderr)")
        #expect(committed.stderr.contains("has SHA-256 \(after): the control was run from SQL other than the committed file"), "\(committed.stderr)")
        #expect(repo.git(["log", "--format=%s", "-1"]).stdout.hasPrefix("tune the accounts control"), "nothing was signed")
    }

    /// A quarter signed before any control file existed keeps schema 1 and its seven steps, and
    /// still verifies and audits after the catalogue grows for the next quarter.
    @Test func aSchemaOneQuarterStillVerifiesAndAuditsAfterTheCatalogueGrows() throws {
        let db = try TestDatabase.shared()
        let name = try Self.database(db)
        let repo = Self.repository("ctlold", controls: [], departures: nil)
        let log = CollectCLITests.writeLog(repo)
        let dbArgs = ["--db", db.conninfo(database: name), "--pgaudit-log", log]
        #expect(repo.attest(["collect"] + dbArgs, at: "2026-04-03 12:00:00").status == 0)
        let old = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: repo.path + "/evidence/2026-Q2/results.json"))) as? [String: Any])
        #expect(old["schemaVersion"] as? Int == 1)
        #expect((old["steps"] as? [Any])?.count == 7)
        #expect(repo.attest(["render", "--quarter", "2026-Q2"], at: "2026-04-03 12:30:00").status == 0)
        let q2doc = try String(contentsOfFile: repo.path + "/docs/attestation-log/2026-Q2.md", encoding: .utf8)
        #expect(!q2doc.contains("Control id"), "a seven-step document has no controls table")
        let s2 = repo.attest(["sign", "--quarter", "2026-Q2"], at: "2026-04-03 12:40:00")
        #expect(s2.status == 0, "\(s2)")
        let q2 = repo.revParse("HEAD")

        repo.write("controls/a-accounts.sql", Self.passing)
        repo.write("docs/ops/departures.md", "| email | notice | ticket |\n|---|---|---|\n| left@raxx.example | 2026-03-20T09:00:00Z | HR-8 |\n")
        repo.commitAll("controls: accounts and CC6.3", date: "2026-05-01T10:00:00Z")
        let c3 = repo.attest(["collect", "--quarter", "2026-Q3", "--as-of", "2026-04-03T12:00:00Z"] + dbArgs, at: "2026-07-03 12:00:00")
        // The data is April's: step 3's latest monthly run is outside Q3's window, one finding.
        #expect(c3.status == 1 && c3.stdout.contains("2026-Q3: 8 passed, 1 with a finding"), "\(c3.stdout)")
        #expect(c3.stdout.contains("Step 8  CC6.3  pass     1 departure: 1 ok") && c3.stdout.contains("Step 9  CC6.1  pass"), "\(c3.stdout)")
        #expect(repo.attest(["render", "--quarter", "2026-Q3", "--issue", "3=#77"], at: "2026-07-03 12:30:00").status == 0)
        let s3 = repo.attest(["sign", "--quarter", "2026-Q3"], at: "2026-07-03 12:40:00")
        #expect(s3.status == 0, "\(s3)")

        let v2 = repo.attest(["verify", q2, "--evidence", "evidence/2026-Q2"], at: "2026-07-03 13:00:00")
        #expect(v2.status == 0, "\(v2)")
        let v3 = repo.attest(["verify", "HEAD", "--evidence", "evidence/2026-Q3"], at: "2026-07-03 13:00:00")
        #expect(v3.status == 0, "\(v3)")
        let a = repo.attest(["audit", "--from", "2026-04-01", "--to", "2026-09-30", "--evidence-root", "evidence"], at: "2026-07-03 13:00:00")
        // The schema 1 quarter audits as it did; adding control files is a change of scope, which
        // audit reports as a policy change on the next quarter (issue #15, docs/controls.md).
        #expect(a.stdout.contains("2026-Q2  on-time  PASS"), "\(a)")
        #expect(a.stdout.contains("policy-changed: ") && a.stdout.contains("controls.folder 0 control files → adds a-accounts.sql"), "\(a)")
        let unchanged = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: repo.path + "/evidence/2026-Q2/results.json"))) as? [String: Any])
        #expect(unchanged["schemaVersion"] as? Int == 1)
    }

    @Test func aBadControlFileIsRefusedBeforeAnythingRunsOrIsWritten() throws {
        let db = try TestDatabase.shared()
        let name = try Self.database(db)
        let syntax = Self.passing.replacingOccurrences(of: "FROM users WHERE", with: "FROM users WHER")
        let repo = Self.repository("ctlbad", controls: [("a-accounts.sql", syntax)], departures: nil)
        let log = CollectCLITests.writeLog(repo)
        let dbArgs = ["--db", db.conninfo(database: name), "--pgaudit-log", log]
        // pgaudit logs every statement that runs in this database (a Parse alone logs nothing):
        // the oracle that no query ran.
        try db.psql("ALTER DATABASE \(name) SET pgaudit.log = 'read'")
        func auditedLines() -> [Substring] {
            let text = (try? String(contentsOfFile: db.logPath, encoding: .utf8)) ?? ""
            return text.split(separator: "\n").filter { $0.contains("@\(name) ") && $0.contains("AUDIT: SESSION") }
        }
        func audited() -> Int { auditedLines().count }
        let r = repo.attest(["collect"] + dbArgs, at: "2026-04-03 12:00:00")
        #expect(r.status == 2, "\(r)")
        #expect(audited() == 0, "a query ran before the control file was refused")
        #expect(r.stderr.contains("control file controls/a-accounts.sql:8: the server refuses the statement: syntax error"), "\(r.stderr)")
        #expect(r.stderr.contains("nothing was run, nothing was written"), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: repo.path + "/evidence/2026-Q2"))

        let check = repo.attest(["controls", "check", "--db", db.conninfo(database: name)], at: "2026-04-03 12:00:00")
        #expect(check.status == 2 && check.stderr.contains("controls/a-accounts.sql:8:"), "\(check)")

        repo.write("controls/a-accounts.sql", Self.passing.replacingOccurrences(of: ":as_of", with: ":as_off"))
        let unknown = repo.attest(["collect"] + dbArgs, at: "2026-04-03 12:00:00")
        #expect(unknown.status == 2, "\(unknown)")
        #expect(unknown.stderr.contains("control file controls/a-accounts.sql:8: unknown parameter ':as_off'"), "\(unknown.stderr)")
        #expect(!FileManager.default.fileExists(atPath: repo.path + "/evidence/2026-Q2"))

        repo.write("controls/a-accounts.sql", Self.passing)
        let ok = repo.attest(["controls", "check", "--db", db.conninfo(database: name)], at: "2026-04-03 12:00:00")
        #expect(ok.status == 0, "\(ok)")
        #expect(ok.stdout.contains("controls/a-accounts.sql (X9.1): valid; parameters :as_of"), "\(ok.stdout)")
        #expect(ok.stdout.contains("Seq Scan on users") || ok.stdout.contains("Sort"), "\(ok.stdout)")
        #expect(ok.stdout.contains("1 control file valid; nothing was run"), "\(ok.stdout)")
        // pgaudit logs the EXPLAIN itself (a plan, nothing executed), and nothing else.
        #expect(audited() == 1 && auditedLines().allSatisfy { $0.contains(",READ,SELECT,,,\"EXPLAIN ") }, "controls check ran a query: \(auditedLines())")
        // The oracle sees queries when they do run.
        #expect(repo.attest(["collect"] + dbArgs, at: "2026-04-03 12:00:00").status == 0)
        var seen = 0
        for _ in 0..<20 where seen == 0 { seen = audited(); if seen == 0 { usleep(100_000) } }
        #expect(seen > 0)
    }
}
