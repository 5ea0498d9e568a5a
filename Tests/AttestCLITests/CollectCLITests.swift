import Foundation
import Testing
import AttestCore
import AttestControls
import AttestTestSupport

/// `attest collect`, the built binary against the throwaway server.
@Suite struct CollectCLITests {
    /// A database where every step passes for as-of 2026-04-03T12:00:00Z (quarter 2026-Q2).
    static func passingDatabase(_ db: TestDatabase) throws -> String {
        let name = try db.createDatabase("collect")
        try db.psqlFile(packageRoot + "/schema/raptor.sql", database: name)
        try db.psql("""
        INSERT INTO users (email) VALUES ('ops@raxx.example'), ('dana@raxx.example');
        INSERT INTO rbac_roles (name) VALUES ('raptor-audit-compliance'), ('raptor-audit-admin');
        INSERT INTO rbac_groups (name) VALUES ('raxx-compliance-auditors');
        INSERT INTO rbac_grants (user_id, group_id, role_id, granted_at, granted_by)
            SELECT NULL, g.id, r.id, '2025-06-01T00:00:00Z', 'ops@raxx.example' FROM rbac_groups g, rbac_roles r WHERE r.name = 'raptor-audit-compliance';
        INSERT INTO rbac_grants_audit (user_id, role_id, granted_at, granted_by, change_window_id)
            SELECT u.id, r.id, '2026-02-10T19:00:00Z', 'ops@raxx.example', 'CW-2026-07' FROM users u, rbac_roles r
            WHERE u.email = 'dana@raxx.example' AND r.name = 'raptor-audit-admin';
        INSERT INTO audit_integrity_log (mode, started_at, completed_at, result, rows_verified, errors)
            SELECT 'monthly', d, d + interval '30 minutes', 'pass', 1000, 0
            FROM generate_series('2026-01-01T02:00:00Z'::timestamptz, '2026-04-01T02:00:00Z', interval '1 month') d;
        INSERT INTO audit_archival_runs (started_at, completed_at, rows_archived, destination, retention_policy_label, status)
            SELECT d, d + interval '40 minutes', 5000, 's3://raxx-audit-archive/' || to_char(d, 'YYYY-MM'), 'hot-90d', 'complete'
            FROM generate_series('2026-01-05T03:00:00Z'::timestamptz, '2026-03-05T03:00:00Z', interval '1 month') d;
        INSERT INTO audit_archival_runs (started_at, completed_at, rows_archived, destination, retention_policy_label, status)
            VALUES ('2026-03-06T03:00:00Z', '2026-03-06T05:00:00Z', 90000, 's3://raxx-audit-glacier/2026-03', 'cold-7y', 'complete');
        INSERT INTO customer_audit_events (occurred_at, customer_id, actor, action)
            SELECT d, 1, 'svc', 'login' FROM generate_series('2025-01-01T00:00:00Z'::timestamptz, '2026-04-03T00:00:00Z', interval '1 day') d;
        """, database: name)
        return name
    }

    static func writeRepoDocs(_ repo: ScratchRepository) {
        repo.write("docs/ops/runbooks/deploy-freeze.md", "| id | start | end |\n|---|---|---|\n| CW-2026-07 | 2026-02-10T18:00:00Z | 2026-02-10T22:00:00Z |\n")
        repo.write("docs/ops/maintenance-windows.md", "| id | start | end | reason |\n|---|---|---|---|\n")
    }

    /// Hourly pgaudit stderr lines from 2026-01-02 to 2026-04-03 12:00 UTC.
    static func writeLog(_ repo: ScratchRepository) -> String {
        var s = ""
        var t = UTC.parseInstant("2026-01-02T00:00:00Z")!
        let end = UTC.parseInstant("2026-04-03T12:00:00Z")!
        while t <= end {
            let p = UTC.components(t)
            s += String(format: "%04d-%02d-%02d %02d:00:00.000 UTC [42] app@raxx LOG:  AUDIT: SESSION,1,1,WRITE,INSERT,,,INSERT INTO customer_audit_events (actor) VALUES ($1),<not logged>\n",
                        p.year, p.month, p.day, p.hour)
            t = t.addingTimeInterval(3600)
        }
        return repo.write("exports/pgaudit.log", s)
    }

    @Test func collectsAPassingQuarterIntoAFolderThatProvesItself() throws {
        let db = try TestDatabase.shared()
        let name = try Self.passingDatabase(db)
        let repo = ScratchRepository("collect")
        Self.writeRepoDocs(repo)
        _ = Self.writeLog(repo)
        // Inside Q2's window, with no --quarter and no --as-of: both come from the (faked) clock.
        let r = repo.attest(["collect", "--db", db.conninfo(database: name), "--pgaudit-log", "exports/pgaudit.log"], at: "2026-04-03 12:00:00")
        #expect(r.status == 0, "\(r)")
        for step in 1...7 { #expect(r.stdout.contains("Step \(step)  "), "\(r.stdout)") }
        #expect(r.stdout.contains("evidence: \(repo.path)/evidence/2026-Q2"))
        #expect(r.stdout.contains("\n2026-Q2: 7 passed\nevidence: "), "\(r.stdout)")
        let folder = repo.path + "/evidence/2026-Q2"
        let check = run("sha256sum", ["-c", "SHA256SUMS"], cwd: folder)
        #expect(check.status == 0, "\(check)")
        #expect(check.stdout.split(separator: "\n").count == 8)
        let attrs = try FileManager.default.attributesOfItem(atPath: folder)
        #expect((attrs[.posixPermissions] as? Int) == 0o700)
        for file in try FileManager.default.contentsOfDirectory(atPath: folder) {
            let a = try FileManager.default.attributesOfItem(atPath: folder + "/" + file)
            #expect((a[.posixPermissions] as? Int) == 0o600, "\(file)")
        }
        let results = try EvidenceResults.load(from: URL(fileURLWithPath: folder + "/results.json"))
        #expect(results.quarter.description == "2026-Q2")
        #expect(results.asOf == "2026-04-03T12:00:00Z")
        #expect(results.database.database == name)
        #expect(!results.snapshotId.isEmpty)
        #expect(results.steps.map(\.status) == Array(repeating: .pass, count: 7), "\(results.steps.map(\.summary))")
        #expect(results.steps[6].parameters == ["raptor-audit-compliance", "raptor-audit-admin", "2026-01-03T12:00:00Z", "2026-04-03T12:00:00Z"])
        #expect(!results.steps[0].sql.contains("NOW()"))
        // The evidence folder is kept out of git.
        #expect(repo.git(["check-ignore", "evidence/2026-Q2/results.json"], check: false).status == 0)
    }

    @Test func jsonPrintsResultsAndAFindingExitsOne() throws {
        let db = try TestDatabase.shared()
        let name = try Self.passingDatabase(db)
        try db.psql("UPDATE audit_integrity_log SET chain_error = 'kms key rotated mid-chain' WHERE started_at = '2026-04-01T02:00:00Z'", database: name)
        let repo = ScratchRepository("collect")
        Self.writeRepoDocs(repo)
        let log = Self.writeLog(repo)
        let r = repo.attest(["collect", "--quarter", "2026-Q2", "--as-of", "2026-04-03T12:00:00Z", "--db", db.conninfo(database: name),
                             "--pgaudit-log", log, "--json", "--out", "ev"])
        #expect(r.status == 1, "\(r)")
        let obj = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        #expect(obj["schemaVersion"] as? Int == 1)
        let steps = try #require(obj["steps"] as? [[String: Any]])
        #expect(steps[2]["status"] as? String == "finding")
        #expect((steps[2]["findings"] as? [[String: String]])?.first?["detail"]?.contains("chain_error set ('kms key rotated mid-chain')") == true)
        #expect(FileManager.default.fileExists(atPath: repo.path + "/ev/results.json"))
    }

    /// Each finding is printed once, as a bullet under its step; the step line and the closing
    /// sentence only count them, in English.
    @Test func findingsArePrintedOnceAndCountedInEnglish() throws {
        let db = try TestDatabase.shared()
        let name = try Self.passingDatabase(db)
        try db.psql("UPDATE audit_integrity_log SET chain_error = 'kms key rotated mid-chain' WHERE started_at = '2026-04-01T02:00:00Z'", database: name)
        let repo = ScratchRepository("collect")
        Self.writeRepoDocs(repo)
        let log = Self.writeLog(repo)
        let args = ["collect", "--quarter", "2026-Q2", "--as-of", "2026-04-03T12:00:00Z", "--db", db.conninfo(database: name),
                    "--pgaudit-log", log, "--force"]
        let latest = "latest monthly run"
        let one = repo.attest(args)
        #expect(one.status == 1, "\(one)")
        var lines = one.stdout.split(separator: "\n").map(String.init)
        #expect(lines[2] == "Step 3  CC8.1  finding  1 finding", "\(one.stdout)")
        #expect(lines[3].hasPrefix("        - \(latest) ") && lines[3].contains("kms key rotated mid-chain"), "\(one.stdout)")
        #expect(one.stdout.components(separatedBy: "kms key rotated mid-chain").count == 2, "\(one.stdout)")
        #expect(lines.contains("2026-Q2: 6 passed, 1 with a finding"), "\(one.stdout)")

        try db.psql("UPDATE audit_integrity_log SET result = 'fail', errors = 3 WHERE started_at = '2026-02-01T02:00:00Z'", database: name)
        let two = repo.attest(args)
        #expect(two.status == 1, "\(two)")
        lines = two.stdout.split(separator: "\n").map(String.init)
        #expect(lines[2] == "Step 3  CC8.1  finding  2 findings", "\(two.stdout)")
        #expect(lines[3].hasPrefix("        - ") && lines[4].hasPrefix("        - "), "\(two.stdout)")
        #expect(two.stdout.components(separatedBy: "kms key rotated mid-chain").count == 2, "\(two.stdout)")
        #expect(two.stdout.components(separatedBy: "no passing monthly run in 2026-02").count == 2, "\(two.stdout)")
        #expect(lines.contains("2026-Q2: 6 passed, 1 with findings (2 findings)"), "\(two.stdout)")
        #expect(!two.stdout.contains("0 error") && !two.stdout.contains("0 finding"), "\(two.stdout)")
        #expect(!two.stdout.contains("(s)"), "\(two.stdout)")
        let results = try EvidenceResults.load(from: URL(fileURLWithPath: repo.path + "/evidence/2026-Q2/results.json"))
        #expect(results.steps[2].summary == "2 findings")
        #expect(results.steps[2].findings.count == 2)
    }

    @Test(arguments: ["unreachable", "wrong-password"])
    func databaseFailureExitsThreeAndWritesNothing(_ kind: String) throws {
        let db = try TestDatabase.shared()
        let secret = "N0t-The-Password-\(kind.count)"
        let conninfo = kind == "unreachable" ? "host=/nonexistent-attest-socket dbname=raxx user=app"
                                             : "host=\(db.host) dbname=postgres user=attest_pw password=\(secret)"
        let repo = ScratchRepository("collect")
        let r = repo.attest(["collect", "--quarter", "2026-Q2", "--as-of", "2026-04-03T12:00:00Z", "--db", conninfo])
        #expect(r.status == 3, "\(r)")
        #expect(r.stderr.hasPrefix("error: cannot collect from the database: "))
        // Issue #15: no value of --db is echoed (the socket folder is named by its keyword, <host>).
        #expect(r.stderr.contains(kind == "unreachable" ? "socket \"<host>/" : "password authentication failed"), "\(r.stderr)")
        #expect(!r.stderr.contains(secret) && !r.stdout.contains(secret))
        #expect(!FileManager.default.fileExists(atPath: repo.path + "/evidence"))
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: repo.path).filter { $0.hasPrefix(".") && $0 != ".git" }
        #expect(leftovers.isEmpty)
    }

    @Test func existingFolderIsUntouchedWithoutForceAndReplacedWithIt() throws {
        let db = try TestDatabase.shared()
        let name = try Self.passingDatabase(db)
        let repo = ScratchRepository("collect")
        Self.writeRepoDocs(repo)
        let log = Self.writeLog(repo)
        repo.write("evidence/2026-Q2/keep.txt", "earlier evidence\n")
        let args = ["collect", "--quarter", "2026-Q2", "--as-of", "2026-04-03T12:00:00Z", "--db", db.conninfo(database: name), "--pgaudit-log", log]
        let r = repo.attest(args)
        #expect(r.status == 2, "\(r)")
        #expect(r.stderr.contains("evidence folder \(repo.path)/evidence/2026-Q2 already exists; pass --force"))
        #expect(try String(contentsOfFile: repo.path + "/evidence/2026-Q2/keep.txt", encoding: .utf8) == "earlier evidence\n")
        #expect(try FileManager.default.contentsOfDirectory(atPath: repo.path + "/evidence/2026-Q2") == ["keep.txt"])

        let forced = repo.attest(args + ["--force"])
        #expect(forced.status == 0, "\(forced)")
        let files = Set(try FileManager.default.contentsOfDirectory(atPath: repo.path + "/evidence/2026-Q2"))
        #expect(!files.contains("keep.txt"))
        #expect(files.count == 9)
        #expect(try FileManager.default.contentsOfDirectory(atPath: repo.path + "/evidence") == ["2026-Q2"])
        #expect(run("sha256sum", ["-c", "SHA256SUMS"], cwd: repo.path + "/evidence/2026-Q2").status == 0)
    }

    @Test func missingTableMakesThatStepAnErrorAndTheOthersStillRun() throws {
        let db = try TestDatabase.shared()
        let name = try Self.passingDatabase(db)
        try db.psql("DROP TABLE audit_archival_runs", database: name)
        let repo = ScratchRepository("collect")
        Self.writeRepoDocs(repo)
        let log = Self.writeLog(repo)
        let r = repo.attest(["collect", "--quarter", "2026-Q2", "--as-of", "2026-04-03T12:00:00Z", "--db", db.conninfo(database: name), "--pgaudit-log", log])
        #expect(r.status == 1, "\(r)")
        let lines = r.stdout.split(separator: "\n").map(String.init)
        #expect(lines[3].hasPrefix("Step 4  A1.2   error    error: query failed: relation \"audit_archival_runs\" does not exist"), "\(r.stdout)")
        #expect(lines[4].hasPrefix("Step 5  A1.2   error"))
        for i in [0, 1, 2, 5, 6] { #expect(lines[i].contains("  pass  "), "\(lines[i])") }
        #expect(lines[7] == "2026-Q2: 5 passed, 2 errors", "\(r.stdout)")
        #expect(run("sha256sum", ["-c", "SHA256SUMS"], cwd: repo.path + "/evidence/2026-Q2").status == 0)
    }

    @Test func noOpenWindowNamesTheNearestQuarters() {
        let repo = ScratchRepository("collect")
        let r = repo.attest(["collect", "--db", "host=/nonexistent"], at: "2026-05-20 12:00:00")
        #expect(r.status == 2)
        #expect(r.stderr.contains("no attestation window is open at 2026-05-20 12:00:00 UTC: 2026-Q2 closed 2026-04-06 23:59:59 UTC, 2026-Q3 opens 2026-06-26 00:00:00 UTC; pass --quarter YYYY-QN"), "\(r.stderr)")
    }

    @Test(arguments: [
        (["collect", "--as-of", "yesterday"], "--as-of 'yesterday' is not a UTC instant"),
        (["collect", "--quarter", "2026-Q5"], "'2026-Q5' is not a quarter"),
        (["collect", "--pgaudit-log", "/nonexistent/x.log"], "--pgaudit-log '/nonexistent/x.log': no such file"),
        (["collect", "--bogus"], "unknown option '--bogus'"),
    ])
    func usageErrors(args: [String], message: String) {
        let repo = ScratchRepository("collect")
        let r = repo.attest(args)
        #expect(r.status == 2)
        #expect(r.stderr.hasPrefix("error: \(message)"), "\(r.stderr)")
        #expect(r.stderr.contains("usage: attest collect"))
    }
}
