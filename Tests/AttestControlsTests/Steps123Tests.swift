import Foundation
import Testing
import AttestCore
@testable import AttestControls
import AttestTestSupport

@Suite struct Step1RoleAssignmentTests {
    @Test func passesWithEmptyGroupAndOnlyGroupGrants() throws {
        let f = try RaptorFixture("s1")
        try f.user("eng@raxx.example")
        try f.sql("""
        INSERT INTO rbac_grants (user_id, group_id, role_id, granted_at, granted_by)
        SELECT NULL, g.id, r.id, '2026-01-10T10:00:00Z', 'ops@raxx.example' FROM rbac_groups g, rbac_roles r
        WHERE g.name = 'raxx-compliance-auditors' AND r.name = 'raptor-audit-compliance';
        INSERT INTO rbac_grants (user_id, group_id, role_id, granted_at, granted_by)
        SELECT u.id, NULL, r.id, '2026-01-10T10:00:00Z', 'ops@raxx.example' FROM users u, rbac_roles r WHERE r.name = 'raptor-api';
        """)
        let o = try f.run(Step1RoleAssignment.run, try f.inputs())
        #expect(o.status == .pass, "\(o.summary)")
        #expect(o.summary == "no direct grant of raptor-audit-compliance; raxx-compliance-auditors is empty")
        #expect(String(decoding: o.evidence, as: UTF8.self) == "query,email,granted_at,granted_by\n")
    }

    @Test func directUserGrantIsAFinding() throws {
        let f = try RaptorFixture("s1")
        try f.user("mallory@raxx.example")
        try f.sql("""
        INSERT INTO rbac_grants (user_id, group_id, role_id, granted_at, granted_by)
        SELECT u.id, NULL, r.id, '2026-02-01T09:00:00Z', 'root@raxx.example' FROM users u, rbac_roles r
        WHERE u.email = 'mallory@raxx.example' AND r.name = 'raptor-audit-compliance';
        """)
        let o = try f.run(Step1RoleAssignment.run, try f.inputs())
        #expect(o.status == .finding)
        #expect(o.findings == ["direct user grant of raptor-audit-compliance to mallory@raxx.example (granted 2026-02-01 09:00:00+00 by root@raxx.example); the role must reach users only through raxx-compliance-auditors"])
        #expect(String(decoding: o.evidence, as: UTF8.self).contains("direct_grants,mallory@raxx.example,2026-02-01 09:00:00+00,root@raxx.example\n"))
        #expect(o.rowCount == 1)
    }

    @Test func grantAfterAsOfIsOutsideTheSpan() throws {
        let f = try RaptorFixture("s1")
        try f.user("late@raxx.example")
        try f.sql("""
        INSERT INTO rbac_grants (user_id, group_id, role_id, granted_at, granted_by)
        SELECT u.id, NULL, r.id, '2026-05-01T09:00:00Z', 'root@raxx.example' FROM users u, rbac_roles r WHERE r.name = 'raptor-audit-compliance';
        """)
        #expect(try f.run(Step1RoleAssignment.run, try f.inputs(asOf: "2026-04-03T12:00:00Z")).status == .pass)
        #expect(try f.run(Step1RoleAssignment.run, try f.inputs(asOf: "2026-05-02T12:00:00Z")).status == .finding)
    }

    @Test func groupMemberWhileNoAuditorEngagedIsAFinding() throws {
        let f = try RaptorFixture("s1")
        try f.user("alice@auditfirm.example")
        try f.sql("""
        INSERT INTO rbac_group_members (group_id, user_id, granted_at, granted_by)
        SELECT g.id, u.id, '2026-03-01T12:00:00Z', 'ops@raxx.example' FROM rbac_groups g, users u WHERE g.name = 'raxx-compliance-auditors';
        """)
        let o = try f.run(Step1RoleAssignment.run, try f.inputs())
        #expect(o.status == .finding)
        #expect(o.findings == ["raxx-compliance-auditors has member alice@auditfirm.example (granted 2026-03-01 12:00:00+00 by ops@raxx.example) while no auditor is engaged (controls.auditorEngaged = false)"])
        let engaged = try f.run(Step1RoleAssignment.run, try f.inputs { $0.auditorEngaged = true })
        #expect(engaged.status == .pass)
    }

    @Test func worksWithUUIDAndTextIds() throws {
        let f = try RaptorFixture("s1uuid", schema: false)
        try f.sql("""
        CREATE TABLE users (id uuid PRIMARY KEY, email text);
        CREATE TABLE rbac_roles (id text PRIMARY KEY, name text);
        CREATE TABLE rbac_groups (id text PRIMARY KEY, name text);
        CREATE TABLE rbac_group_members (group_id text, user_id uuid, granted_at timestamptz, granted_by text);
        CREATE TABLE rbac_grants (user_id uuid, group_id text, role_id text, granted_at timestamptz, granted_by text);
        INSERT INTO users VALUES ('0b7c1a9e-7a5e-4a57-9f00-8c2f4d1e2a01', 'uuid@raxx.example');
        INSERT INTO rbac_roles VALUES ('role-compliance', 'raptor-audit-compliance');
        INSERT INTO rbac_groups VALUES ('grp-auditors', 'raxx-compliance-auditors');
        INSERT INTO rbac_grants VALUES ('0b7c1a9e-7a5e-4a57-9f00-8c2f4d1e2a01', NULL, 'role-compliance', '2026-02-01T00:00:00Z', 'x');
        """)
        let o = try f.run(Step1RoleAssignment.run, try f.inputs())
        #expect(o.status == .finding)
        #expect(o.findings.first?.contains("uuid@raxx.example") == true)
    }
}

@Suite struct Step2GroupReviewTests {
    func memberFixture(_ emails: [String]) throws -> RaptorFixture {
        let f = try RaptorFixture("s2")
        for e in emails {
            try f.user(e)
            try f.sql("""
            INSERT INTO rbac_group_members (group_id, user_id, granted_at, granted_by)
            SELECT g.id, u.id, '2026-03-01T12:00:00Z', 'ops@raxx.example' FROM rbac_groups g, users u
            WHERE g.name = 'raxx-compliance-auditors' AND u.email = '\(e)';
            """)
        }
        return f
    }

    @Test func emptyGroupPassesWithoutAMemo() throws {
        let f = try memberFixture([])
        let o = try f.run(Step2GroupReview.run, try f.inputs())
        #expect(o.status == .pass)
        #expect(o.summary == "raxx-compliance-auditors is empty")
    }

    @Test func everyMemberInTheLatestMemoPasses() throws {
        let f = try memberFixture(["alice@auditfirm.example"])
        f.docs.write("docs/attestation-log/auditor-authorization-2026-03-01.md", "# Authorization\n\n- Alice <Alice@AuditFirm.example>\n")
        let o = try f.run(Step2GroupReview.run, try f.inputs())
        #expect(o.status == .pass, "\(o.summary)")
        #expect(String(decoding: o.evidence, as: UTF8.self).contains("alice@auditfirm.example\t2026-03-01 12:00:00+00\tops@raxx.example\tyes"))
    }

    @Test func memberMissingFromLatestMemoIsAFindingEvenIfAnOlderMemoListedThem() throws {
        let f = try memberFixture(["alice@auditfirm.example", "bob@auditfirm.example"])
        f.docs.write("docs/attestation-log/auditor-authorization-2026-01-15.md", "alice@auditfirm.example\nbob@auditfirm.example\n")
        f.docs.write("docs/attestation-log/auditor-authorization-2026-03-20.md", "Authorized: alice@auditfirm.example\n")
        // A memo dated after as-of does not count.
        f.docs.write("docs/attestation-log/auditor-authorization-2026-05-01.md", "bob@auditfirm.example alice@auditfirm.example\n")
        let o = try f.run(Step2GroupReview.run, try f.inputs())
        #expect(o.status == .finding)
        #expect(o.findings == ["bob@auditfirm.example is a member of raxx-compliance-auditors but is not in the latest authorization memo docs/attestation-log/auditor-authorization-2026-03-20.md"])
    }

    @Test func membersWithoutAnyMemoIsAnErrorNamingTheExpectedFile() throws {
        let f = try memberFixture(["alice@auditfirm.example"])
        let o = try f.run(Step2GroupReview.run, try f.inputs())
        #expect(o.status == .error)
        #expect(o.summary.contains("folder docs/attestation-log does not exist"), "\(o.summary)")
        #expect(o.summary.contains("auditor-authorization-YYYY-MM-DD.md"))
    }
}

@Suite struct Step3HMACChainTests {
    /// Monthly passing runs on the 1st of each month Jan..Apr 2026 at 02:00, done by 02:30.
    func fixture() throws -> RaptorFixture {
        let f = try RaptorFixture("s3")
        for m in 1...4 {
            try f.sql("""
            INSERT INTO audit_integrity_log (mode, started_at, completed_at, result, rows_verified, errors)
            VALUES ('monthly', '2026-0\(m)-01T02:00:00Z', '2026-0\(m)-01T02:30:00Z', 'pass', 1000, 0),
                   ('nightly', '2026-0\(m)-02T02:00:00Z', '2026-0\(m)-02T02:10:00Z', 'fail', 10, 3);
            """)
        }
        return f
    }

    @Test func cleanMonthlyRunsPass() throws {
        let f = try fixture()
        let o = try f.run(Step3HMACChain.run, try f.inputs())
        #expect(o.status == .pass, "\(o.findings)")
        #expect(o.parameters == ["2026-01-01T00:00:00Z", "2026-04-03T12:00:00Z"])
        let csv = String(decoding: o.evidence, as: UTF8.self)
        #expect(csv.hasPrefix("query,run_id,mode,started_at,completed_at,result,rows_verified,errors,chain_error,kms_error\n"))
        #expect(csv.contains("latest_3,7,monthly,2026-04-01 02:00:00+00,2026-04-01 02:30:00+00,pass,1000,0,,\n"))
    }

    @Test func latestRunFailed() throws {
        let f = try fixture()
        try f.sql("UPDATE audit_integrity_log SET result = 'fail', errors = 2 WHERE mode = 'monthly' AND started_at = '2026-04-01T02:00:00Z'")
        let o = try f.run(Step3HMACChain.run, try f.inputs())
        #expect(o.status == .finding)
        #expect(o.findings == ["latest monthly run 7 did not pass: result = 'fail', errors = 2"])
    }

    @Test func chainErrorSet() throws {
        let f = try fixture()
        try f.sql("UPDATE audit_integrity_log SET chain_error = 'row 811 hmac mismatch' WHERE run_id = 7")
        let o = try f.run(Step3HMACChain.run, try f.inputs())
        #expect(o.findings == ["latest monthly run 7 did not pass: chain_error set ('row 811 hmac mismatch')"])
    }

    @Test func completedOutsideTheWindow() throws {
        let f = try fixture()
        // Without the April run the latest is March's, which completed before Q2's window opened.
        try f.sql("DELETE FROM audit_integrity_log WHERE run_id = 7")
        let o = try f.run(Step3HMACChain.run, try f.inputs())
        #expect(o.status == .finding)
        #expect(o.findings == ["latest monthly run 5 completed 2026-03-01 02:30:00 UTC, outside the 2026-Q2 window 2026-03-27 00:00:00 UTC .. 2026-04-06 23:59:59 UTC"])
    }

    @Test func aMonthWithoutAMonthlyRun() throws {
        let f = try fixture()
        try f.sql("DELETE FROM audit_integrity_log WHERE mode = 'monthly' AND started_at = '2026-02-01T02:00:00Z'")
        let o = try f.run(Step3HMACChain.run, try f.inputs())
        #expect(o.status == .finding)
        #expect(o.findings == ["no monthly run in 2026-02"])
    }

    @Test func missingTableIsAnErrorNamingIt() throws {
        let f = try fixture()
        try f.sql("DROP TABLE audit_integrity_log")
        let o = try f.run(Step3HMACChain.run, try f.inputs())
        #expect(o.status == .error)
        #expect(o.summary.contains("relation \"audit_integrity_log\" does not exist"), "\(o.summary)")
    }
}
