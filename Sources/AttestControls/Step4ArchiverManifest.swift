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

    /// One row of `audit_archival_runs`, as the step reads it.
    struct Run {
        static let columns = ["run_id", "started_at", "status"]
        let id: String
        let startedAt: Date
        let status: String?

        init(_ c: StepRows.Cells) throws(StepQueryError) {
            id = c.text("run_id") ?? "NULL"; startedAt = try c.instant("started_at"); status = c.text("status")
        }
    }

    public static func run(_ inputs: CollectInputs, session: StepSession) throws(PostgresError) -> StepOutcome {
        try run(inputs, session: session, sql: sql)
    }

    /// The step with its statement given (`run` passes the runbook's; a test a misspelt one).
    static func run(_ inputs: CollectInputs, session: StepSession, sql: String) throws(PostgresError) -> StepOutcome {
        let params = [inputs.firstMonthStart.sqlParameter, inputs.asOf.sqlParameter]
        return try session.step(4, sql: sql, parameters: params) {
            let rows = try StepRows(step: 4, query: "archival_runs", rows: try session.rows(sql, params), columns: Run.columns)
            return try evaluate(inputs, rows: rows, sql: sql, parameters: params)
        }
    }

    static func evaluate(_ inputs: CollectInputs, rows: StepRows, sql: String, parameters: [String]) throws -> StepOutcome {
        var findings: [String] = []
        let runs = try rows.decode(Run.init)
        for r in runs.reversed() where r.startedAt > inputs.spanStart {
            let status = r.status ?? "NULL"
            if status != "complete" {
                findings.append("archival run \(r.id) started \(UTC.human(r.startedAt)) has status '\(status)'\(status == "failed" ? "" : ", not 'complete'")")
            }
        }
        for m in inputs.completedMonths {
            if !runs.contains(where: { $0.startedAt >= m.start && $0.startedAt < m.end && $0.status == "complete" }) {
                findings.append("no complete archival run started in \(UTC.day(m.start).prefix(7))")
            }
        }
        let csv = CSV.header(rows.rows.columns) + CSV.table(rows.rows)
        return .judged(4, findings: findings,
                       pass: "\(English.count(rows.count, "run")), all complete; a complete run in each of \(English.count(inputs.completedMonths.count, "month"))",
                       sql: sql, parameters: parameters, rowCount: rows.count, evidence: csv)
    }
}
