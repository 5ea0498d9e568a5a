import Foundation
import Testing
import AttestCore
@testable import AttestControls
import AttestTestSupport

/// Synthetic pg_audit exports in every supported line shape.
enum LogShape: String, CaseIterable, Sendable {
    case stderrMillis, stderrSeconds, csvlog, jsonlog, syslog3339, rfc5424

    func line(_ t: Date, command: String = "INSERT", object: String = "public.customer_audit_events", cls: String = "WRITE") -> String {
        let p = UTC.components(t)
        let day = String(format: "%04d-%02d-%02d", p.year, p.month, p.day)
        let time = String(format: "%02d:%02d:%02d", p.hour, p.minute, p.second)
        let stmt = "\(command) INTO customer_audit_events (actor) VALUES ($1)"
        let audit = "AUDIT: SESSION,7,1,\(cls),\(command),TABLE,\(object),"
        switch self {
        case .stderrMillis: return "\(day) \(time).123 UTC [4242] app@raxx LOG:  \(audit)\"\(stmt)\",<not logged>"
        case .stderrSeconds: return "\(day) \(time) UTC [4242] app@raxx LOG:  \(audit)\"\(stmt)\",<not logged>"
        case .csvlog:
            return "\(day) \(time).123 UTC,\"app\",\"raxx\",4242,\"[local]\",65f1.1092,3,\"\(command)\",\(day) 00:00:00 UTC,3/77,0,LOG,00000,\"\(audit)\"\"\(stmt)\"\",<not logged>\",,,,,,,,,\"psql\",\"client backend\",,0"
        case .jsonlog:
            return "{\"timestamp\":\"\(day) \(time).123 UTC\",\"user\":\"app\",\"dbname\":\"raxx\",\"pid\":4242,\"error_severity\":\"LOG\",\"message\":\"\(audit)\\\"\(stmt)\\\",<not logged>\",\"backend_type\":\"client backend\"}"
        case .syslog3339: return "\(day)T\(time).123456+00:00 db-1 postgres[4242]: [9-1] LOG:  \(audit)\"\(stmt)\",<not logged>"
        case .rfc5424: return "<134>1 \(day)T\(time)Z db-1 postgres 4242 - - [9-1] sql_error_code = 00000 LOG:  \(audit)\"\(stmt)\",<not logged>"
        }
    }
}

@Suite struct Step6PgAuditSinkTests {
    let asOf = "2026-04-03T12:00:00Z"
    let start = UTC.parseInstant("2026-01-03T00:00:00Z")!

    /// Hourly events from 2026-01-02 (outside the span) to as-of, minus `skip`.
    func hourly(_ shape: LogShape, skip: (Date) -> Bool = { _ in false }) -> String {
        var s = "2026-01-02 23:59:00 UTC [1] app@raxx LOG:  connection authorized: user=app\n"
        var t = UTC.parseInstant("2026-01-02T00:00:00Z")!
        let end = UTC.parseInstant(asOf)!
        while t <= end {
            if !skip(t) { s += shape.line(t) + "\n" }
            t = t.addingTimeInterval(3600)
        }
        return s
    }

    func run(_ f: Scratch, _ logs: [String], maintenance: String? = nil) throws -> StepOutcome {
        if let maintenance { f.write("docs/ops/maintenance-windows.md", maintenance) }
        var p = Policy()
        p.lookbackDays = 90
        let q = try Quarter(parsing: "2026-Q2")
        let inputs = CollectInputs(quarter: q, window: Schedule().window(for: q), asOf: UTC.parseInstant(asOf)!, policy: p,
                                   documentRoot: f.path, pgauditLogs: logs)
        return Step6PgAuditSink.run(inputs)
    }

    @Test(arguments: LogShape.allCases)
    func everyShapeCountsEveryHour(_ shape: LogShape) throws {
        let f = Scratch("s6")
        let log = f.write("export.log", hourly(shape))
        let o = try run(f, [log])
        #expect(o.status == .pass, "\(o.summary)")
        // 90 whole days × 24 plus 13 events on the as-of day (00:00 … 12:00).
        #expect(o.rowCount == 90 * 24 + 13)
        let text = String(decoding: o.evidence, as: UTF8.self)
        #expect(text.contains("2026-01-03\t24\n"))
        #expect(text.contains("2026-04-03\t13\t(as-of day, partial)\n"))
        #expect(text.contains("outside the range 24, unparseable 0"), "\(text.prefix(600))")
        #expect(text.contains("# date range: 2026-01-03T00:00:00Z .. 2026-04-03T12:00:00Z"))
    }

    @Test func gapOf25HoursIsAFinding() throws {
        let f = Scratch("s6")
        let from = UTC.parseInstant("2026-02-10T22:00:00Z")!, to = UTC.parseInstant("2026-02-11T23:00:00Z")!
        let log = f.write("export.log", hourly(.stderrMillis) { $0 > from && $0 < to })
        let o = try run(f, [log], maintenance: "| id | start | end | reason |\n|---|---|---|---|\n| MW-1 | 2026-03-01T00:00:00Z | 2026-03-01T06:00:00Z | minor upgrade |\n")
        #expect(o.status == .finding)
        #expect(o.findings == ["gap of 1 day, 1 hour with no DML event on customer_audit_events: 2026-02-10T22:00:00Z .. 2026-02-11T23:00:00Z, longer than 24 h and not covered by a maintenance window in docs/ops/maintenance-windows.md"])
    }

    @Test func sameGapInsideAMaintenanceWindowIsExplained() throws {
        let f = Scratch("s6")
        let from = UTC.parseInstant("2026-02-10T22:00:00Z")!, to = UTC.parseInstant("2026-02-11T23:00:00Z")!
        let log = f.write("export.log", hourly(.jsonlog) { $0 > from && $0 < to })
        let o = try run(f, [log], maintenance: """
        # Maintenance windows

        | id | start | end | reason |
        |----|-------|-----|--------|
        | MW-2026-02 | 2026-02-10T21:00:00Z | 2026-02-12T00:00:00Z | PostgreSQL 15 major upgrade |
        """)
        #expect(o.status == .pass, "\(o.findings)")
        #expect(String(decoding: o.evidence, as: UTF8.self).contains("# gap 2026-02-10T22:00:00Z .. 2026-02-11T23:00:00Z (1 day, 1 hour): explained by maintenance window MW-2026-02 (PostgreSQL 15 major upgrade)"))
    }

    @Test func aDayWithoutDMLIsAFinding() throws {
        let f = Scratch("s6")
        let log = f.write("export.log", hourly(.csvlog) { UTC.day($0) == "2026-02-20" })
        let o = try run(f, [log], maintenance: "| id | start | end | reason |\n|---|---|---|---|\n")
        #expect(o.status == .finding)
        #expect(o.findings.contains("no DML event on customer_audit_events on 2026-02-20"))
        #expect(o.findings.count == 2) // and the 25-hour gap around it
    }

    @Test func gapWithoutAMaintenanceFileIsAnErrorNamingTheFormat() throws {
        let f = Scratch("s6")
        let log = f.write("export.log", hourly(.syslog3339) { UTC.day($0) == "2026-02-20" })
        let o = try run(f, [log])
        #expect(o.status == .error)
        #expect(o.summary.contains("docs/ops/maintenance-windows.md is missing; expected a markdown table with columns | id | start | end | reason |"), "\(o.summary)")
    }

    @Test func otherTablesClassesAndJunkAreNotCounted() throws {
        let f = Scratch("s6")
        var text = hourly(.stderrMillis)
        let t = UTC.parseInstant("2026-03-01T10:30:00Z")!
        text += LogShape.stderrMillis.line(t, object: "public.customer_audit_events_archive") + "\n"
        text += LogShape.stderrMillis.line(t, command: "SELECT", cls: "READ") + "\n"
        text += LogShape.stderrMillis.line(t, object: "") + "\n"                         // no object: statement decides (counted)
        text += "Mar  1 10:30:00 db-1 postgres[1]: LOG:  AUDIT: SESSION,1,1,WRITE,INSERT,TABLE,x,y,z\n" // BSD syslog: no year
        text += "2026-03-01 10:30:00 CET [1] LOG:  AUDIT: SESSION,1,1,WRITE,INSERT,TABLE,public.customer_audit_events,x,z\n"
        text += "2026-03-01 10:30:00 UTC [1] LOG:  AUDIT: SESSION,1\n"
        text += "\u{00}\u{FF}\u{FE} garbage AUDIT: \n"
        let log = f.write("export.log", text)
        let o = try run(f, [log])
        #expect(o.status == .pass)
        #expect(o.rowCount == 90 * 24 + 13 + 1)
        let ev = String(decoding: o.evidence, as: UTF8.self)
        #expect(ev.contains("other pgaudit lines 2, outside the range 24, unparseable 4"), "\(ev.prefix(800))")
        #expect(o.summary.hasSuffix("; 4 unparseable lines"))
    }

    @Test func gzipAndSeveralExportsAreReadTogether() throws {
        let f = Scratch("s6")
        let mid = UTC.parseInstant("2026-02-15T00:00:00Z")!
        let a = f.write("a.log", hourly(.stderrMillis) { $0 >= mid })
        let b = f.write("b.log", hourly(.rfc5424) { $0 < mid })
        #expect(AttestTestSupport.run("gzip", ["-9", b]).status == 0)
        let o = try run(f, [a, b + ".gz"])
        #expect(o.status == .pass, "\(o.summary)")
        #expect(o.rowCount == 90 * 24 + 13)
    }

    @Test func truncatedGzipIsAClearError() throws {
        let f = Scratch("s6")
        let b = f.write("b.log", hourly(.stderrMillis))
        #expect(AttestTestSupport.run("gzip", ["-9", b]).status == 0)
        let data = try Data(contentsOf: URL(fileURLWithPath: b + ".gz"))
        try data.prefix(data.count / 2).write(to: URL(fileURLWithPath: b + ".gz"))
        let o = try run(f, [b + ".gz"])
        #expect(o.status == .error)
        #expect(o.summary.contains("b.log.gz: truncated gzip data"), "\(o.summary)")
    }

    @Test func noExportGivenIsAnError() throws {
        let o = try run(Scratch("s6"), [])
        #expect(o.status == .error)
        #expect(o.summary.hasPrefix("error: no pg_audit export given"))
    }

    @Test func overLongLinesAndMissingTrailingNewlineAreHandled() throws {
        let f = Scratch("s6")
        var text = hourly(.stderrMillis)
        text += "2026-03-01 10:30:00 UTC [1] LOG:  AUDIT: SESSION,1,1,WRITE,INSERT,TABLE,public.other,\"" + String(repeating: "x", count: 9 << 20) + "\"\n"
        text += LogShape.stderrMillis.line(UTC.parseInstant("2026-04-03T12:00:00Z")!) // no newline at the end: same second as an hourly line
        let log = f.write("export.log", text)
        let o = try run(f, [log])
        #expect(o.rowCount == 90 * 24 + 13 + 1)
        #expect(String(decoding: o.evidence, as: UTF8.self).contains("other pgaudit lines 1, outside the range 24, unparseable 0"))
    }
}

/// pgaudit in the throwaway server writes the lines; step 6 reads the real log.
@Suite struct Step6RealPgAuditTests {
    @Test func realServerLogGivesTheRightPerDayCount() throws {
        let f = try RaptorFixture("pga")
        try f.sql("CREATE TABLE other_table (x int)")
        let c = try f.connection()
        try c.execute("SET pgaudit.log = 'write'")
        for i in 0..<5 {
            try c.query("INSERT INTO customer_audit_events (occurred_at, customer_id, actor, action) VALUES ($1::timestamptz, $2::bigint, 'svc', 'login')",
                        ["2026-03-01T00:00:00Z", "\(i)"])
        }
        try c.execute("UPDATE customer_audit_events SET action = 'logout' WHERE customer_id = 1")
        try c.execute("DELETE FROM customer_audit_events WHERE customer_id = 2")
        try c.execute("INSERT INTO other_table VALUES (1)")
        try c.execute("SELECT * FROM customer_audit_events")
        let scratch = Scratch("pga")
        var ours: [Substring] = []
        for _ in 0..<50 {
            let log = (try? String(contentsOfFile: f.db.logPath, encoding: .utf8)) ?? ""
            ours = log.split(separator: "\n").filter { $0.contains("@\(f.name) ") && $0.contains("AUDIT: ") }
            if ours.count >= 8 { break }
            Thread.sleep(forTimeInterval: 0.1)
        }
        let path = scratch.write("server-\(f.name).log", ours.joined(separator: "\n") + "\n")
        // Only today has events, so yesterday is a day without DML: an empty maintenance table
        // lets the step evaluate it (as a finding) rather than fail for lack of the file.
        scratch.write("docs/ops/maintenance-windows.md", "| id | start | end | reason |\n|---|---|---|---|\n")
        var p = Policy()
        p.lookbackDays = 1
        let now = Date()
        let q = try Quarter(parsing: "2026-Q2")
        let o = Step6PgAuditSink.run(CollectInputs(quarter: q, window: Schedule().window(for: q), asOf: now, policy: p,
                                                    documentRoot: scratch.path, pgauditLogs: [path]))
        let ev = String(decoding: o.evidence, as: UTF8.self)
        #expect(o.rowCount == 7, "\(ev)")
        #expect(o.status == .finding)
        #expect(ev.contains("\(UTC.day(now))\t7\t(as-of day, partial)"), "\(ev)")
        #expect(ev.contains("audit lines 8, counted events 7, other pgaudit lines 1"), "\(ev)")
    }
}
