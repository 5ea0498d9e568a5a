import Foundation
import Testing
import AttestCore
@testable import AttestControls
import AttestTestSupport

/// Timestamps in pg_audit logs are validated (issue #15): a date that is not on the calendar or
/// an offset beyond ±15:59 makes the line unreadable (counted, named), never an event on another day.
@Suite struct PgAuditTimeTests {
    static let audit = "AUDIT: SESSION,1,1,WRITE,INSERT,TABLE,public.customer_audit_events,\"INSERT INTO customer_audit_events VALUES (1)\",<not logged>"

    func scan(_ lines: [String]) throws -> ExportStats {
        let s = Scratch("pgaudit-time")
        let path = s.write("audit.log", lines.map { $0 + "\n" }.joined())
        var scanner = PgAuditScanner(spanStart: Int64(UTC.parseInstant("2026-07-01T00:00:00Z")!.timeIntervalSince1970),
                                     spanEnd: Int64(UTC.parseInstant("2026-10-01T00:00:00Z")!.timeIntervalSince1970),
                                     table: "customer_audit_events")
        try scanner.scan(path: path)
        return try #require(scanner.exports.first)
    }

    @Test(arguments: [
        "2026-09-31 10:00:00.123 UTC [1] LOG:  ",     // September has 30 days
        "2026-02-29 10:00:00 UTC [1] LOG:  ",          // 2026 is not a leap year
        "2026-09-30 24:00:00 UTC [1] LOG:  ",
        "2026-09-30 10:61:00 UTC [1] LOG:  ",
        "2026-09-30T10:00:00+99:99 host postgres[1]: [1-1] LOG:  ",
        "2026-09-30T10:00:00+16:00 host postgres[1]: [1-1] LOG:  ",
        "2026-09-30 10:00:00 -1600 [1] LOG:  ",
    ])
    func impossibleTimesAreUnreadable(_ prefix: String) throws {
        let stats = try scan([prefix + Self.audit])
        #expect(stats.unreadable == 1 && stats.tableEvents == 0, "\(stats)")
        #expect(stats.firstUnreadable?.reason.contains("does not exist") == true, "\(String(describing: stats.firstUnreadable))")
    }

    @Test(arguments: [
        "2028-02-29 10:00:00 UTC [1] LOG:  ",
        "2026-09-30 23:59:60 UTC [1] LOG:  ",           // a leap second
        "2026-09-30T10:00:00+15:59 host postgres[1]: [1-1] LOG:  ",
        "2026-09-30T10:00:00-15:59 host postgres[1]: [1-1] LOG:  ",
    ])
    func possibleTimesAreRead(_ prefix: String) throws {
        let stats = try scan([prefix.replacingOccurrences(of: "2028-02-29", with: "2026-09-29") + Self.audit, prefix + Self.audit])
        #expect(stats.unreadable == 0, "\(stats)")
        #expect(stats.auditLines == 2, "\(stats)")
    }
}
