import Foundation
import Testing
@testable import AttestPostgres
import AttestTestSupport

@Suite struct ConnectionTests {
    @Test func wrongPasswordShowsReasonNotPassword() throws {
        let db = try TestDatabase.shared()
        let secret = "Wr0ng-Pa55word-42"
        do {
            _ = try Connection(conninfo: "host=\(db.host) dbname=postgres user=attest_pw password=\(secret)")
            Issue.record("expected a connection error")
        } catch {
            #expect(error.kind == .connection)
            #expect(error.description.contains("password authentication failed"), "\(error)")
            #expect(!error.description.contains(secret))
            #expect(!"\(error)".contains(secret))
        }
    }

    @Test func uriPasswordNeverShown() {
        let secret = "UriSecret-77"
        do {
            _ = try Connection(conninfo: "postgresql://bob:\(secret)@/nodb?host=/nonexistent-socket-dir")
            Issue.record("expected a connection error")
        } catch {
            #expect(!error.description.contains(secret), "\(error)")
            // Issue #15: no value of the connection string is echoed; the host is named by its keyword.
            #expect(error.description.contains("<host>/.s.PGSQL"), "\(error)")
        }
    }

    @Test func malformedConninfoNeverEchoesPassword() {
        let secret = "Echo-Me-Not-9"
        do {
            _ = try Connection(conninfo: "host=/tmp password=\(secret) bogus_option=1")
            Issue.record("expected an error")
        } catch {
            #expect(!error.description.contains(secret), "\(error)")
        }
    }

    @Test func redactsCommonShapes() {
        #expect(Connection.redact("x password=abc y", secrets: [], conninfo: "") == "x password=*** y")
        #expect(Connection.redact("postgres://u:pw@h/db", secrets: [], conninfo: "") == "postgres://u:***@h/db")
        #expect(Connection.redact("said hunter2", secrets: ["hunter2"], conninfo: "") == "said ***")
    }

    @Test func parameterisedQueryIsAuditedByPgaudit() throws {
        let db = try TestDatabase.shared()
        let name = try db.createDatabase("pq")
        try db.psql("CREATE TABLE customer_audit_events (id bigserial primary key, occurred_at timestamptz not null, note text)", database: name)
        let conn = try Connection(conninfo: db.conninfo(database: name))
        try conn.execute("SET pgaudit.log = 'write'")
        let marker = "marker-\(UUID().uuidString)"
        try conn.query("INSERT INTO customer_audit_events (occurred_at, note) VALUES ($1::timestamptz, $2)", ["2026-01-01T00:00:00Z", marker])
        let rows = try conn.query("SELECT note, occurred_at, $1::int + 1 AS n FROM customer_audit_events WHERE note = $2", ["41", marker])
        #expect(rows.count == 1)
        #expect(rows[0].text("note") == marker)
        #expect(rows[0].int("n") == 42)
        #expect(rows[0].instant("occurred_at") == Date(timeIntervalSince1970: 1767225600))
        // The server's own log carries pgaudit's line for the insert.
        var found = false
        for _ in 0..<50 {
            let log = (try? String(contentsOfFile: db.logPath, encoding: .utf8)) ?? ""
            if log.split(separator: "\n").contains(where: { $0.contains("AUDIT: SESSION,") && $0.contains("WRITE,INSERT") && $0.contains("customer_audit_events") && $0.contains(name) }) {
                found = true; break
            }
            Thread.sleep(forTimeInterval: 0.1)
        }
        #expect(found, "no pgaudit AUDIT line for the insert in \(db.logPath)")
    }

    @Test func queryErrorCarriesSQLSTATE() throws {
        let db = try TestDatabase.shared()
        let conn = try Connection(conninfo: db.conninfo())
        do {
            try conn.query("SELECT * FROM no_such_table_here WHERE x = $1", ["1"])
            Issue.record("expected an error")
        } catch {
            #expect(error.sqlstate == "42P01" && error.isUndefinedTable)
            #expect(error.message.contains("no_such_table_here"))
        }
    }

    @Test func readOnlyTransactionRefusesWrites() throws {
        let db = try TestDatabase.shared()
        let conn = try Connection(conninfo: db.conninfo())
        try conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        #expect(throws: PostgresError.self) { try conn.query("CREATE TABLE should_not_exist (x int)") }
        try conn.execute("ROLLBACK")
    }
}

@Suite struct TimestampParsingTests {
    /// The server is the oracle: for instants across centuries, with and without fractions, in
    /// several session zones, the parsed text equals the epoch PostgreSQL computes itself.
    @Test func parsedTextEqualsTheServersEpoch() throws {
        let db = try TestDatabase.shared()
        let conn = try Connection(conninfo: db.conninfo())
        for zone in ["UTC", "Asia/Kolkata", "America/St_Johns"] {
            try conn.execute("SET TimeZone = '\(zone)'")
            let rows = try conn.query("""
                SELECT t::text AS text, extract(epoch FROM t)::text AS epoch
                FROM (SELECT timestamptz '1901-02-28 23:59:59.5+00' + (n * interval '3 days 7 hours 13 minutes 17.123456 seconds') AS t
                      FROM generate_series(0, 400) AS n
                      UNION ALL SELECT timestamptz '2024-02-29 12:00:00+00'
                      UNION ALL SELECT timestamptz '1969-12-31 23:59:59.999999+00') AS s
                """)
            #expect(rows.count == 403)
            for r in rows.all {
                let text = try #require(r.text("text")), epoch = try #require(r.text("epoch").flatMap(Double.init))
                let parsed = try #require(Row.parseTimestamp(text), "\(text) did not parse")
                #expect(abs(parsed.timeIntervalSince1970 - epoch) < 0.000_01, "\(text): \(parsed.timeIntervalSince1970) vs \(epoch)")
            }
        }
    }

    @Test(arguments: ["2026-01-01 10:00:00+00", "2026-01-01T10:00:00Z", "2026-01-01 11:30:00+01:30", "2026-01-01 11:30:00+0130", "2026-01-01 10:00:00"])
    func acceptedForms(_ text: String) throws {
        #expect(try #require(Row.parseTimestamp(text)).timeIntervalSince1970 == 1_767_261_600)
    }

    @Test(arguments: ["", "2026-01-01", "2026-13-01 10:00:00", "2026-01-01 10:00:00 junk", "2026-01-01 10:00:00.", "infinity", "2026-01-01 10:00:00+1"])
    func refusedForms(_ text: String) { #expect(Row.parseTimestamp(text) == nil) }
}
