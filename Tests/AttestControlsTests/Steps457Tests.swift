import Foundation
import Testing
import AttestCore
@testable import AttestControls
import AttestTestSupport

@Suite struct Step4ArchiverManifestTests {
    /// Complete monthly runs on the 5th of Jan..Apr 2026.
    func fixture() throws -> RaptorFixture {
        let f = try RaptorFixture("s4")
        for m in 1...4 {
            try f.sql("""
            INSERT INTO audit_archival_runs (started_at, completed_at, rows_archived, destination, retention_policy_label, status)
            VALUES ('2026-0\(m)-05T03:00:00Z', '2026-0\(m)-05T03:40:00Z', 5000, 's3://raxx-audit-archive/2026-0\(m)', 'hot-90d', 'complete');
            """)
        }
        return f
    }

    @Test func completeRunEveryMonthPasses() throws {
        let f = try fixture()
        let o = try f.run(Step4ArchiverManifest.run, try f.inputs(asOf: "2026-04-06T12:00:00Z"))
        #expect(o.status == .pass, "\(o.findings)")
        #expect(o.rowCount == 4)
        let csv = String(decoding: o.evidence, as: UTF8.self)
        #expect(csv.hasPrefix("run_id,started_at,completed_at,rows_archived,destination,retention_policy_label,status\n4,2026-04-05 03:00:00+00,"))
    }

    @Test func aFailedRunIsAFinding() throws {
        let f = try fixture()
        try f.sql("""
        INSERT INTO audit_archival_runs (run_id, started_at, completed_at, rows_archived, destination, retention_policy_label, status)
        VALUES (99, '2026-02-20T03:00:00Z', NULL, 0, 's3://raxx-audit-archive/x', 'hot-90d', 'failed');
        """)
        let o = try f.run(Step4ArchiverManifest.run, try f.inputs(asOf: "2026-04-06T12:00:00Z"))
        #expect(o.status == .finding)
        #expect(o.findings == ["archival run 99 started 2026-02-20 03:00:00 UTC has status 'failed'"])
    }

    @Test func aMonthWithoutACompleteRunIsAFinding() throws {
        let f = try fixture()
        try f.sql("UPDATE audit_archival_runs SET status = 'running', completed_at = NULL WHERE started_at = '2026-03-05T03:00:00Z'")
        try f.sql("DELETE FROM audit_archival_runs WHERE started_at = '2026-02-05T03:00:00Z'")
        let o = try f.run(Step4ArchiverManifest.run, try f.inputs(asOf: "2026-04-06T12:00:00Z"))
        #expect(o.findings == ["archival run 3 started 2026-03-05 03:00:00 UTC has status 'running', not 'complete'",
                               "no complete archival run started in 2026-02",
                               "no complete archival run started in 2026-03"])
    }
}

@Suite struct Step5RetentionBoundsTests {
    func fixture(oldest: String, glacier: String) throws -> RaptorFixture {
        let f = try RaptorFixture("s5")
        try f.sql("""
        INSERT INTO customer_audit_events (occurred_at, customer_id, actor, action)
        VALUES ('\(oldest)', 1, 'svc', 'login'), ('2026-03-01T00:00:00Z', 2, 'svc', 'login'), ('2026-05-01T00:00:00Z', 3, 'svc', 'future');
        INSERT INTO audit_archival_runs (started_at, completed_at, rows_archived, destination, retention_policy_label, status)
        VALUES ('\(glacier)', '\(glacier)', 100, 's3://raxx-audit-glacier/2026', 'cold-7y', 'complete'),
               ('2026-04-01T00:00:00Z', '2026-04-01T01:00:00Z', 100, 's3://raxx-audit-archive/2026', 'hot-90d', 'complete'),
               ('2026-04-01T00:00:00Z', '2026-04-01T01:00:00Z', 100, 's3://raxx-audit-glacierXfake', 'x', 'complete');
        """)
        return f
    }

    @Test func withinBoundsPasses() throws {
        let f = try fixture(oldest: "2019-04-04T12:00:00Z", glacier: "2026-01-10T00:00:00Z")
        let o = try f.run(Step5RetentionBounds.run, try f.inputs(asOf: "2026-04-03T12:00:00Z") { $0.glacierPrefix = "s3://raxx-audit-glacier/" })
        #expect(o.status == .pass, "\(o.findings)")
        #expect(o.parameters == ["s3://raxx-audit-glacier/%", "2026-04-03T12:00:00Z"])
    }

    @Test func oldestRowOlderThanSevenYearsByADay() throws {
        let f = try fixture(oldest: "2019-04-02T12:00:00Z", glacier: "2026-01-10T00:00:00Z")
        let o = try f.run(Step5RetentionBounds.run, try f.inputs(asOf: "2026-04-03T12:00:00Z"))
        #expect(o.status == .finding)
        #expect(o.findings == ["oldest row of customer_audit_events is from 2019-04-02 12:00:00 UTC, older than the 7-year bound 2019-04-03 12:00:00 UTC"])
    }

    @Test func glacierRun91DaysOld() throws {
        let f = try fixture(oldest: "2025-01-01T00:00:00Z", glacier: "2026-01-02T12:00:00Z")
        let o = try f.run(Step5RetentionBounds.run, try f.inputs(asOf: "2026-04-03T12:00:00Z") { $0.glacierPrefix = "s3://raxx-audit-glacier/" })
        #expect(o.status == .finding)
        #expect(o.findings == ["latest glacier run completed 2026-01-02 12:00:00 UTC, 91 days before as-of; it must be within 90 days"])
    }

    @Test func likeWildcardsInThePrefixAreLiteral() throws {
        #expect(SQLText.likePrefix("s3://a_b%c\\") == "s3://a\\_b\\%c\\\\%")
    }

    @Test func missingAuditedTableIsAnErrorWhileOtherStepsStillRun() throws {
        let f = try fixture(oldest: "2025-01-01T00:00:00Z", glacier: "2026-03-02T12:00:00Z")
        try f.sql("DROP TABLE customer_audit_events")
        let inputs = try f.inputs()
        let c = try f.connection()
        try c.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        let session = StepSession(connection: c)
        let five = try Step5RetentionBounds.run(inputs, session: session)
        let one = try Step1RoleAssignment.run(inputs, session: session)
        #expect(five.status == .error)
        #expect(five.summary.contains("relation \"customer_audit_events\" does not exist"), "\(five.summary)")
        #expect(one.status == .pass, "\(one.summary)")
    }
}

@Suite struct Step7GrantReviewTests {
    let windows = """
    # Deploy freeze and change windows

    | id | start | end | notes |
    |----|-------|-----|-------|
    | CW-2026-07 | 2026-02-10T18:00:00Z | 2026-02-10T22:00:00Z | quarterly access change |
    | CW-2026-09 | 2026-03-15T18:00:00Z | 2026-03-15T20:00:00Z | auditor onboarding |
    """

    func fixture(_ grants: [(String, String, String?)]) throws -> RaptorFixture {
        let f = try RaptorFixture("s7")
        try f.user("dana@raxx.example")
        for (role, at, cw) in grants {
            try f.sql("""
            INSERT INTO rbac_grants_audit (user_id, role_id, granted_at, granted_by, change_window_id)
            SELECT u.id, r.id, '\(at)', 'ops@raxx.example', \(cw.map { "'\($0)'" } ?? "NULL") FROM users u, rbac_roles r WHERE r.name = '\(role)';
            """)
        }
        f.docs.write("docs/ops/runbooks/deploy-freeze.md", windows)
        return f
    }

    @Test func grantsInsideTheirWindowsPass() throws {
        let f = try fixture([("raptor-audit-admin", "2026-02-10T19:00:00Z", "CW-2026-07"), ("raptor-api", "2026-02-11T19:00:00Z", nil)])
        let o = try f.run(Step7GrantReview.run, try f.inputs())
        #expect(o.status == .pass, "\(o.findings)")
        #expect(o.summary == "the 1 grant is inside a listed change window")
    }

    @Test func nullChangeWindowId() throws {
        let f = try fixture([("raptor-audit-compliance", "2026-03-01T10:00:00Z", nil)])
        let o = try f.run(Step7GrantReview.run, try f.inputs())
        #expect(o.findings == ["grant of raptor-audit-compliance to dana@raxx.example at 2026-03-01 10:00:00+00 by ops@raxx.example has no change_window_id"])
    }

    @Test func unknownChangeWindowId() throws {
        let f = try fixture([("raptor-audit-admin", "2026-03-01T10:00:00Z", "CW-1999-01")])
        let o = try f.run(Step7GrantReview.run, try f.inputs())
        #expect(o.findings == ["grant of raptor-audit-admin to dana@raxx.example at 2026-03-01 10:00:00+00 by ops@raxx.example names change window 'CW-1999-01', which is not listed in docs/ops/runbooks/deploy-freeze.md"])
    }

    @Test func grantOutsideItsWindow() throws {
        let f = try fixture([("raptor-audit-admin", "2026-03-15T21:00:00Z", "CW-2026-09")])
        let o = try f.run(Step7GrantReview.run, try f.inputs())
        #expect(o.findings == ["grant of raptor-audit-admin to dana@raxx.example at 2026-03-15 21:00:00+00 by ops@raxx.example is outside its change window 'CW-2026-09' (2026-03-15T18:00:00Z .. 2026-03-15T20:00:00Z, docs/ops/runbooks/deploy-freeze.md:6)"])
        #expect(o.status == .finding)
    }

    @Test func malformedChangeLogIsAnErrorWithLineAndFormat() throws {
        let f = try fixture([("raptor-audit-admin", "2026-03-15T19:00:00Z", "CW-2026-09")])
        f.docs.write("docs/ops/runbooks/deploy-freeze.md", "| id | start | end |\n|---|---|---|\n| CW-1 | next tuesday | 2026-03-15T20:00:00Z |\n")
        let o = try f.run(Step7GrantReview.run, try f.inputs())
        #expect(o.status == .error)
        #expect(o.summary.contains("docs/ops/runbooks/deploy-freeze.md:3: start 'next tuesday' is not a UTC instant"), "\(o.summary)")
    }

    @Test func grantsOlderThanTheSpanAreNotReviewed() throws {
        let f = try fixture([("raptor-audit-admin", "2025-12-01T10:00:00Z", nil)])
        let o = try f.run(Step7GrantReview.run, try f.inputs())
        #expect(o.status == .pass)
        #expect(o.rowCount == 0)
    }
}
