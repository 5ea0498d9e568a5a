import Foundation
import Testing
import AttestCore
import AttestPostgres
@testable import AttestControls
import AttestTestSupport

/// Steps read typed rows (issue #14): a column a step reads that its SQL does not return, or a
/// column the SQL names that the database does not have, makes that step `error` naming the
/// step and the column; nothing is written into the evidence as a guess.
@Suite struct TypedRowsTests {
    /// A grant and a group member, so steps 1, 2 and 7 have rows to read.
    func fixture() throws -> RaptorFixture {
        let f = try RaptorFixture("typed")
        try f.user("mallory@raxx.example")
        try f.user("alice@auditfirm.example")
        try f.sql("""
        \(personalDataFindingRows)
        INSERT INTO audit_archival_runs (started_at, completed_at, rows_archived, destination, retention_policy_label, status)
        VALUES ('2026-03-06T03:00:00Z', '2026-03-06T05:00:00Z', 90000, 's3://raxx-audit-glacier/2026-03', 'cold-7y', 'complete');
        """)
        return f
    }

    /// Runs `body` in the read-only transaction collect uses.
    func inTransaction(_ f: RaptorFixture, _ body: (StepSession) throws -> StepOutcome) throws -> StepOutcome {
        let c = try f.connection()
        try c.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        defer { try? c.execute("ROLLBACK") }
        return try body(StepSession(connection: c))
    }

    /// `text` with `old` replaced once; the replacement must happen, or the test would prove nothing.
    func misspelt(_ text: String, _ old: String, _ new: String) -> String {
        #expect(text.contains(old), "the step's SQL no longer contains \(old)")
        return text.replacingOccurrences(of: old, with: new)
    }

    func evidence(_ o: StepOutcome) -> String { String(decoding: o.evidence, as: UTF8.self) }

    @Test func aMisspeltColumnAliasInEachStepsSQLIsThatStepsErrorNamingTheColumn() throws {
        let f = try fixture()
        let inputs = try f.inputs()
        // Each step's real SQL with the name of one column it reads misspelt: PostgreSQL runs the
        // statement (the alias is legal SQL), and only the step's reading of the rows can object.
        let cases: [(step: Int, column: String, query: String, run: (StepSession) throws -> StepOutcome)] = [
            (1, "email", "group_members", { s in try Step1RoleAssignment.run(inputs, session: s,
                groupMembers: self.misspelt(Step1RoleAssignment.groupMembersSQL, "SELECT u.email,", "SELECT u.email AS emial,"),
                directGrants: Step1RoleAssignment.directGrantsSQL) }),
            (1, "granted_by", "direct_grants", { s in try Step1RoleAssignment.run(inputs, session: s,
                groupMembers: Step1RoleAssignment.groupMembersSQL,
                directGrants: self.misspelt(Step1RoleAssignment.directGrantsSQL, "rg.granted_by", "rg.granted_by AS grantedby")) }),
            (2, "email", "group_members", { s in try Step2GroupReview.run(inputs, session: s,
                sql: self.misspelt(Step1RoleAssignment.groupMembersSQL, "SELECT u.email,", "SELECT u.email AS e_mail,")) }),
            (3, "chain_error", "latest_3", { s in try Step3HMACChain.run(inputs, session: s,
                latest: self.misspelt(Step3HMACChain.latestSQL, "chain_error,", "chain_error AS chain_eror,"), months: Step3HMACChain.monthsSQL) }),
            (4, "status", "archival_runs", { s in try Step4ArchiverManifest.run(inputs, session: s,
                sql: self.misspelt(Step4ArchiverManifest.sql, "retention_policy_label, status", "retention_policy_label, status AS stauts")) }),
            (5, "oldest_hot_row", "oldest_hot_row", { s in try Step5RetentionBounds.run(inputs, session: s,
                oldest: self.misspelt(Step5RetentionBounds.oldestSQL(table: "customer_audit_events"), "AS oldest_hot_row", "AS oldest_how_row"),
                glacier: Step5RetentionBounds.glacierSQL) }),
            (7, "role", "grants_audit", { s in try Step7GrantReview.run(inputs, session: s,
                sql: self.misspelt(Step7GrantReview.sql, "r.name AS role", "r.name AS rol")) }),
        ]
        for c in cases {
            let o = try inTransaction(f, c.run)
            #expect(o.step == c.step)
            #expect(o.status == .error, "step \(c.step): \(o.status) \(o.summary)")
            #expect(o.summary.hasPrefix("error: step \(c.step) reads column \(c.column), which the \(c.query) query does not return (it returns "),
                    "\(o.summary)")
            #expect(o.findings.isEmpty)
            let text = evidence(o)
            #expect(text.hasPrefix("# Step \(c.step): not evaluated\n# error: step \(c.step) reads column \(c.column), "), "\(text)")
            // Nothing from the rows reaches the evidence as a finding or a placeholder.
            #expect(!text.contains("mallory@raxx.example") && !text.contains("?"), "\(text)")
        }
        // The real SQL, in the same database, reads every column it needs.
        for o in [try inTransaction(f) { try Step1RoleAssignment.run(inputs, session: $0) },
                  try inTransaction(f) { try Step7GrantReview.run(inputs, session: $0) }] {
            #expect(o.status == .finding, "\(o.summary)")
        }
    }

    @Test func aMisspeltColumnInTheSQLItselfIsTheServersErrorNamingIt() throws {
        let f = try fixture()
        let inputs = try f.inputs()
        let o = try inTransaction(f) { s in
            try Step1RoleAssignment.run(inputs, session: s,
                                        groupMembers: self.misspelt(Step1RoleAssignment.groupMembersSQL, "SELECT u.email,", "SELECT u.emial,"),
                                        directGrants: Step1RoleAssignment.directGrantsSQL)
        }
        #expect(o.step == 1 && o.status == .error)
        #expect(o.summary.contains("column u.emial does not exist"), "\(o.summary)")
    }

    /// The honest end-to-end form: the database's table has the column under another name (a view
    /// in its place), the step's real SQL meets it, and collect's run carries on with the others.
    @Test func aRenamedColumnInTheDatabaseMakesOnlyThatStepAnErrorInACollectRun() throws {
        let f = try fixture()
        try f.sql("""
        ALTER TABLE audit_archival_runs RENAME TO audit_archival_runs_data;
        CREATE VIEW audit_archival_runs AS
            SELECT run_id, started_at, completed_at, rows_archived, destination, retention_policy_label, status AS state
            FROM audit_archival_runs_data;
        """)
        let c = try f.connection()
        let collected = try Collector.run(try f.inputs(), connection: c)
        #expect(collected.outcomes.map(\.step) == [1, 2, 3, 4, 5, 6, 7])
        let four = collected.outcomes[3]
        #expect(four.step == 4 && four.status == .error)
        #expect(four.summary.contains("column \"status\" does not exist"), "\(four.summary)")
        // Step 5 reads the same view through other columns and is still judged.
        #expect(collected.outcomes[4].status != .error, "\(collected.outcomes[4].summary)")
        #expect(collected.outcomes[0].status == .finding, "\(collected.outcomes[0].summary)")
    }

    @Test func findingsAboutPeopleNameTheirEvidenceRowNotThePerson() throws {
        let f = try fixture()
        let inputs = try f.inputs()
        let o = try inTransaction(f) { try Step1RoleAssignment.run(inputs, session: $0) }
        let text = evidence(o)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(o.details.count == 2)
        for d in o.details {
            // The full finding keeps the person (it stays in results.json, in the evidence).
            #expect(d.detail.contains("@"), "\(d.detail)")
            let withheld = try #require(d.withheld)
            #expect(PersonalData.emails(in: withheld).isEmpty, "\(withheld)")
            // The line named holds the row, and the digest is that line's (with its line end),
            // as `sed -n Np FILE | sha256sum` computes it.
            let line = try #require(d.evidenceLine)
            let row = String(lines[line - 1]) + "\n"
            #expect(d.detail.contains(row.split(separator: ",")[1]), "\(row) \(d.detail)")
            let digest = run("sha256sum", [], stdin: Data(row.utf8)).stdout.prefix(64)
            #expect(d.evidenceLineSHA256 == String(digest))
            let committed = d.committedText(evidenceFile: "CC6.1-role-assignment.csv")
            #expect(committed == withheld + " (evidence CC6.1-role-assignment.csv line \(line), sha256 \(digest.prefix(16)))")
        }
        #expect(o.details.compactMap(\.evidenceLine) == [3, 2], "\(text)")
    }
}
