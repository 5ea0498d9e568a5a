import Foundation
import AttestCore
import AttestPostgres

/// Runbook Step 4 — Archiver manifest completeness (A1.2 / SC-A13).
///
/// Rule: every run started in the 90 days has `status = 'complete'` (a `failed` row, or any
/// other status, is a finding), and every calendar month that overlaps the 90 days, except
/// the month of `as_of`, has a `complete` run started in it.
///
/// The runbook's query, column for column; its `NOW() - INTERVAL '90 days'` becomes bound
/// instants, starting at the first day of the first month of the span so the month rule sees
/// whole months (rows before the span count only for the month rule).
public enum Step4ArchiverManifest {
    public static let control = Controls.all[3]

    static let sql = """
    SELECT run_id, started_at, completed_at, rows_archived, destination,
           retention_policy_label, status
    FROM audit_archival_runs
    WHERE started_at >= $1::timestamptz
      AND started_at <= $2::timestamptz
    ORDER BY started_at DESC;
    """

    public static func run(_ inputs: CollectInputs, session: StepSession) throws(PostgresError) -> StepOutcome {
        let params = [inputs.firstMonthStart.sqlParameter, inputs.asOf.sqlParameter]
        return try session.step(4, sql: sql, parameters: params) {
            let rows = try session.rows(sql, params)
            return try evaluate(inputs, rows: rows, parameters: params)
        }
    }

    static func evaluate(_ inputs: CollectInputs, rows: Rows, parameters: [String]) throws -> StepOutcome {
        var findings: [String] = []
        var started: [(Date, Row)] = []
        for r in rows.all { started.append((try r.requiredInstant("started_at", step: 4), r)) }
        for (s, r) in started.reversed() where s > inputs.spanStart {
            let status = r.text("status") ?? "NULL"
            if status != "complete" {
                findings.append("archival run \(r.text("run_id") ?? "?") started \(UTC.human(s)) has status '\(status)'\(status == "failed" ? "" : ", not 'complete'")")
            }
        }
        for m in inputs.completedMonths {
            if !started.contains(where: { $0.0 >= m.start && $0.0 < m.end && $0.1.text("status") == "complete" }) {
                findings.append("no complete archival run started in \(UTC.day(m.start).prefix(7))")
            }
        }
        let csv = CSV.header(rows.columns) + CSV.table(rows)
        return .judged(findings: findings,
                       pass: "\(English.count(rows.count, "run")), all complete; a complete run in each of \(English.count(inputs.completedMonths.count, "month"))",
                       sql: sql, parameters: parameters, rowCount: rows.count, evidence: csv)
    }
}
