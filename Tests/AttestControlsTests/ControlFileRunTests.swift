import Foundation
import Testing
import AttestCore
import AttestPostgres
@testable import AttestControls
import AttestTestSupport

/// Control files and CC6.3 on the throwaway PostgreSQL (issue #20).
@Suite struct ControlFileRunTests {
    static let asOf = "2026-04-03T12:00:00Z"

    static func file(_ id: String, _ body: String, onFinding: String = "issue", empty: String? = nil) -> String {
        "-- control: \(id)\n-- criterion: CC6.1\n-- title: \(id) check\n-- evidence: \(id)-rows.csv\n-- on-finding: \(onFinding)\n"
            + (empty.map { "-- empty: \($0)\n" } ?? "") + "\n" + body
    }

    func extras(_ fx: RaptorFixture, _ files: [(String, String)], departures: String? = nil) throws -> ExtraControls {
        for (name, text) in files { fx.docs.write("controls/" + name, text) }
        if let departures { fx.docs.write("docs/ops/departures.md", departures) }
        return try ExtraControls.load(root: fx.docs.path, policy: Policy())
    }

    func collect(_ fx: RaptorFixture, _ extras: ExtraControls) throws -> Collector.Collected {
        let c = try fx.connection()
        _ = try ControlFileRunner.validate(extras.files, connection: c)
        return try Collector.run(try fx.inputs(asOf: Self.asOf), connection: c, extras: extras)
    }

    @Test func passingAndAlarmRowsFollowPowerpipesConvention() throws {
        let fx = try RaptorFixture("ctlrun")
        try fx.user("ops@raxx.example"); try fx.user("svc-old@raxx.example")
        let pass = Self.file("X1.1", "SELECT 'ok' AS status, 'created before as-of' AS reason, email AS resource, created_at FROM users WHERE created_at < :as_of ORDER BY email")
        let alarm = Self.file("X2.1", "SELECT CASE WHEN email LIKE 'svc-%' THEN 'alarm' ELSE 'info' END AS status,\n 'service account ' || email AS reason, email AS resource\nFROM users WHERE created_at >= :lookback_start::timestamptz - interval '10 years' ORDER BY email")
        let x = try extras(fx, [("a-pass.sql", pass), ("b-alarm.sql", alarm)])
        #expect(x.catalogue.controls.map(\.step) == [9, 10])
        let got = try collect(fx, x)
        #expect(got.outcomes.count == 7)
        #expect(got.extras.map(\.control.id) == ["X1.1", "X2.1"])
        let p = got.extras[0].outcome, a = got.extras[1].outcome
        #expect(p.status == .pass && p.summary == "2 rows: 2 ok", "\(p.summary)")
        #expect(p.parameters == [Self.asOf], "\(p.parameters)")
        #expect(a.status == .finding)
        #expect(a.findings == ["svc-old@raxx.example: service account svc-old@raxx.example"], "\(a.findings)")
        let csv = String(decoding: p.evidence, as: UTF8.self)
        #expect(csv.hasPrefix("status,reason,resource,created_at\nok,created before as-of,ops@raxx.example,2025-01-01 00:00:00+00\n"), "\(csv)")
        #expect(got.extras[0].sqlCopy?.name == "a-pass.sql")
        #expect(got.extras[0].sqlCopy?.bytes == Data(pass.utf8))
    }

    @Test func noRowsIsAnErrorUnlessTheHeaderSaysEmptyPasses() throws {
        let fx = try RaptorFixture("ctlempty")
        let none = "SELECT 'ok' AS status, 'x' AS reason, email AS resource FROM users WHERE false"
        let x = try extras(fx, [("a.sql", Self.file("E1", none)), ("b.sql", Self.file("E2", none, empty: "pass")),
                                ("c.sql", Self.file("E3", "SELECT 'error' AS status, 'cannot tell' AS reason, 'db' AS resource")),
                                ("d.sql", Self.file("E4", "SELECT 'maybe' AS status, 'x' AS reason, 'db' AS resource"))])
        let got = try collect(fx, x).extras.map(\.outcome)
        #expect(got.map(\.status) == [.error, .pass, .error, .error], "\(got.map(\.summary))")
        #expect(got[0].summary.contains("returned no rows"))
        #expect(got[2].summary == "error: 1 error row: db: cannot tell", "\(got[2].summary)")
        #expect(got[3].summary.contains("status 'maybe' is not ok, alarm, info, skip or error"), "\(got[3].summary)")
    }

    @Test func aControlThatWritesIsAnErrorAndTheDatabaseIsUnchanged() throws {
        let fx = try RaptorFixture("ctlwrite")
        try fx.user("ops@raxx.example")
        let update = Self.file("W1", "UPDATE users SET email = 'pwned@example.com' RETURNING 'ok' AS status, 'x' AS reason, email AS resource")
        let create = Self.file("W2", "CREATE TEMP TABLE attest_scratch AS SELECT 'ok' AS status, 'x' AS reason, email AS resource FROM users")
        let after = Self.file("W3", "SELECT 'ok' AS status, 'still here' AS reason, email AS resource FROM users")
        let got = try collect(fx, try extras(fx, [("a.sql", update), ("b.sql", create), ("c.sql", after)]))
        let o = got.extras.map(\.outcome)
        #expect(o[0].status == .error && o[0].summary.contains("read-only transaction") && o[0].summary.contains("25006"), "\(o[0].summary)")
        #expect(o[1].status == .error && o[1].summary.contains("read-only transaction"), "\(o[1].summary)")
        // The savepoint rolled back: the next control still runs in the same snapshot.
        #expect(o[2].status == .pass && String(decoding: o[2].evidence, as: UTF8.self).contains("ops@raxx.example"))
        #expect(try fx.sql("SELECT string_agg(email, ',') FROM users").trimmingCharacters(in: .whitespacesAndNewlines) == "ops@raxx.example")
        #expect(try fx.sql("SELECT count(*) FROM pg_class WHERE relname = 'attest_scratch'").trimmingCharacters(in: .whitespacesAndNewlines) == "0")
    }

    @Test func aSyntaxErrorOrAnUnknownColumnIsRefusedNamingTheFileAndLineBeforeAnyQueryRuns() throws {
        let fx = try RaptorFixture("ctlsyntax")
        try fx.user("ops@raxx.example")
        let good = Self.file("S1", "SELECT 'ok' AS status, 'x' AS reason, email AS resource FROM users")
        let bad = Self.file("S2", "SELECT 'ok' AS status,\n       'x' AS reason,\n       email AS resource\nFROM users WHER email = :as_of")
        for (name, text) in [("a.sql", good), ("b.sql", bad)] { fx.docs.write("controls/" + name, text) }
        let x = try ExtraControls.load(root: fx.docs.path, policy: Policy())
        let c = try fx.connection()
        var refused: ControlFileError?
        do { _ = try ControlFileRunner.validate(x.files, connection: c) } catch { refused = error }
        #expect(refused?.path == "controls/b.sql")
        #expect(refused?.line == 10, "\(String(describing: refused))")
        #expect(refused?.message.contains("syntax error") == true && refused?.message.contains("42601") == true, "\(String(describing: refused))")
        // The session is usable afterwards, and nothing was left open.
        #expect(try c.query("SELECT 1 AS one")[0].text("one") == "1")

        let column = Self.file("S3", "SELECT 'ok' AS status, 'x' AS reason,\n  nosuch AS resource FROM users")
        fx.docs.write("controls/b.sql", column)
        let y = try ExtraControls.load(root: fx.docs.path, policy: Policy())
        refused = nil
        do { _ = try ControlFileRunner.validate(y.files, connection: c) } catch { refused = error }
        #expect(refused?.line == 8 && refused?.message.contains("nosuch") == true, "\(String(describing: refused))")

        let noStatus = Self.file("S4", "SELECT 'x' AS reason, email AS resource FROM users")
        fx.docs.write("controls/b.sql", noStatus)
        refused = nil
        let z = try ExtraControls.load(root: fx.docs.path, policy: Policy())
        do { _ = try ControlFileRunner.validate(z.files, connection: c) } catch { refused = error }
        #expect(refused?.message.contains("no status column") == true, "\(String(describing: refused))")
    }

    /// The four CC6.3 cases of the issue, as of 2026-04-03T12:00:00Z with a 24 h deadline.
    @Test func deprovisioningFindsGrantsStillHeldAndLateRemovalsAndPassesTheRest() throws {
        let fx = try RaptorFixture("cc63")
        for u in ["kept@raxx.example", "quick@raxx.example", "slow@raxx.example", "recent@raxx.example", "stays@raxx.example"] { try fx.user(u) }
        try fx.sql("""
        INSERT INTO rbac_grants (user_id, role_id, granted_at, granted_by)
            SELECT u.id, r.id, '2025-06-01T00:00:00Z', 'ops' FROM users u, rbac_roles r WHERE u.email = 'kept@raxx.example' AND r.name = 'raptor-api';
        INSERT INTO rbac_group_members (group_id, user_id, granted_at, granted_by)
            SELECT g.id, u.id, '2025-06-01T00:00:00Z', 'ops' FROM users u, rbac_groups g WHERE u.email IN ('recent@raxx.example', 'stays@raxx.example') AND g.name = 'raxx-engineering';
        INSERT INTO rbac_revocations (user_id, role_id, revoked_at, revoked_by)
            SELECT u.id, r.id, t::timestamptz, 'ops' FROM (VALUES ('quick@raxx.example', '2026-03-20T15:00:00Z'), ('slow@raxx.example', '2026-03-11T15:00:00Z')) v(email, t)
            JOIN users u ON u.email = v.email, rbac_roles r WHERE r.name = 'raptor-api';
        """)
        let departures = """
        | email | notice | ticket |
        |---|---|---|
        | kept@raxx.example | 2026-03-30T09:00:00Z | HR-101 |
        | quick@raxx.example | 2026-03-20T09:00:00Z | HR-102 |
        | slow@raxx.example | 2026-03-10T09:00:00Z | HR-103 |
        | recent@raxx.example | 2026-04-03T02:00:00Z | HR-104 |
        | later@raxx.example | 2026-04-05T09:00:00Z | HR-105 |

        """
        let x = try extras(fx, [], departures: departures)
        #expect(x.catalogue.controls == [Catalogue.deprovisioning])
        let o = try #require(try collect(fx, x).extras.first?.outcome)
        #expect(o.status == .finding, "\(o.summary)")
        #expect(o.findings.count == 2, "\(o.findings)")
        #expect(o.findings[0].hasPrefix("kept@raxx.example: still holds 1 role grant and 0 group memberships at as-of, 99.0 h after notice"), "\(o.findings)")
        #expect(o.findings[1].hasPrefix("slow@raxx.example: access removed at 2026-03-11T15:00:00Z, 30.0 h after notice"), "\(o.findings)")
        #expect(o.summary == "2 findings")
        #expect(o.rowCount == 4)
        let rows = String(decoding: o.evidence, as: UTF8.self).split(separator: "\n").map(String.init)
        #expect(rows[0] == "status,reason,resource,email,notice,ticket,deadline,grants,memberships,removed_at")
        #expect(rows.count == 5, "\(rows)")
        #expect(rows[1].hasPrefix("alarm,") && rows[1].contains("HR-101"))
        #expect(rows[2].hasPrefix("ok,\"access removed at 2026-03-20T15:00:00Z, 6.0 h after notice (deadline 24 h)\",quick@raxx.example"), "\(rows[2])")
        #expect(rows[3].hasPrefix("alarm,") && rows[3].hasSuffix(",0,0,2026-03-11T15:00:00Z"), "\(rows[3])")
        #expect(rows[4].hasPrefix("info,not due yet: still holds 0 role grants and 1 group membership at as-of; the deadline is 2026-04-04T02:00:00Z"), "\(rows[4])")
        #expect(!rows.contains { $0.contains("later@") }, "a notice after as-of is not in the population")
    }

    @Test func withoutRemovalTimesOnlyCurrentAccessIsChecked() throws {
        let fx = try RaptorFixture("cc63q")
        try fx.user("slow@raxx.example")
        try fx.sql("INSERT INTO rbac_revocations (user_id, revoked_at, revoked_by) SELECT id, '2026-03-12T15:00:00Z', 'ops' FROM users")
        fx.docs.write("docs/ops/departures.md", "| email | notice | ticket |\n|---|---|---|\n| slow@raxx.example | 2026-03-10T09:00:00Z | HR-1 |\n")
        var p = Policy()
        p.removalQuery = ""
        let x = try ExtraControls.load(root: fx.docs.path, policy: p)
        let c = try fx.connection()
        let inputs = try fx.inputs(asOf: Self.asOf) { $0.removalQuery = "" }
        let o = try #require(try Collector.run(inputs, connection: c, extras: x).extras.first?.outcome)
        #expect(o.status == .pass, "\(o.summary)")
        #expect(String(decoding: o.evidence, as: UTF8.self).contains("removal times are not known (controls.removalQuery is empty)"))
    }
}
