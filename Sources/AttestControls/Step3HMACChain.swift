import Foundation
import AttestCore
import AttestPostgres

/// Runbook Step 3 — HMAC chain monthly verification (CC8.1 / SC-A11).
///
/// Rule: the latest `mode = 'monthly'` run (started by `as_of`) has `result = 'pass'`,
/// `errors = 0`, no `chain_error` and no `kms_error`, and completed inside the quarter's window;
/// and every calendar month that overlaps the 90 days, except the month of `as_of`, has a
/// passing monthly run started in it ("no gaps in audit_integrity_log").
///
/// The first statement is the runbook's query (with `chain_error` and `kms_error`, which the
/// runbook says to confirm unset, added at the end); the second lists the monthly runs since
/// the first day of the first month of the span, for the month rule.
public enum Step3HMACChain {
    public static let control = Controls.all[2]

    static let latestSQL = """
    SELECT run_id, mode, started_at, completed_at, result, rows_verified, errors,
           chain_error, kms_error
    FROM audit_integrity_log
    WHERE mode = 'monthly'
      AND started_at <= $2::timestamptz
    ORDER BY started_at DESC
    LIMIT 3;
    """

    static let monthsSQL = """
    SELECT run_id, mode, started_at, completed_at, result, rows_verified, errors,
           chain_error, kms_error
    FROM audit_integrity_log
    WHERE mode = 'monthly'
      AND started_at >= $1::timestamptz
      AND started_at <= $2::timestamptz
    ORDER BY started_at DESC;
    """

    static let columns = ["run_id", "mode", "started_at", "completed_at", "result", "rows_verified", "errors", "chain_error", "kms_error"]

    /// One row of `audit_integrity_log`, as the step reads it.
    struct Run {
        let id: String
        let startedAt: Date
        let completedAt: Date?
        let result: String?
        let errors: String?
        let chainError: String?
        let kmsError: String?

        init(_ c: StepRows.Cells) throws(StepQueryError) {
            id = c.text("run_id") ?? "NULL"
            startedAt = try c.instant("started_at"); completedAt = try c.optionalInstant("completed_at")
            result = c.text("result"); errors = c.text("errors")
            chainError = c.text("chain_error"); kmsError = c.text("kms_error")
        }

        /// Why the run is not a clean pass, or nil when it is.
        var problem: String? {
            var why: [String] = []
            if (result ?? "").lowercased() != "pass" { why.append("result = '\(result ?? "NULL")'") }
            if let e = errors, Int(e) == 0 {} else { why.append("errors = \(errors ?? "NULL")") }
            if let c = chainError, !c.isEmpty { why.append("chain_error set ('\(c)')") }
            if let k = kmsError, !k.isEmpty { why.append("kms_error set ('\(k)')") }
            return why.isEmpty ? nil : why.joined(separator: ", ")
        }
    }

    public static func run(_ inputs: CollectInputs, session: StepSession) throws(PostgresError) -> StepOutcome {
        try run(inputs, session: session, latest: latestSQL, months: monthsSQL)
    }

    /// The step with its statements given (`run` passes the runbook's; a test a misspelt one).
    static func run(_ inputs: CollectInputs, session: StepSession, latest latestText: String, months monthsText: String) throws(PostgresError) -> StepOutcome {
        let sql = SQLText.joined([latestText, monthsText])
        let params = [inputs.firstMonthStart.sqlParameter, inputs.asOf.sqlParameter]
        return try session.step(3, sql: sql, parameters: params) {
            let latest = try StepRows(step: 3, query: "latest_3", rows: try session.rows(latestText, params), columns: columns)
            let months = try StepRows(step: 3, query: "months_in_span", rows: try session.rows(monthsText, params), columns: columns)
            return try evaluate(inputs, latest: latest, months: months, sql: sql, parameters: params)
        }
    }

    static func evaluate(_ inputs: CollectInputs, latest latestRows: StepRows, months monthRows: StepRows, sql: String, parameters: [String]) throws -> StepOutcome {
        let latest = try latestRows.decode(Run.init), months = try monthRows.decode(Run.init)
        var findings: [String] = []
        let w = inputs.window
        if let r = latest.first {
            if let why = r.problem { findings.append("latest monthly run \(r.id) did not pass: \(why)") }
            if let done = r.completedAt, done <= inputs.asOf {
                if !w.contains(done) {
                    findings.append("latest monthly run \(r.id) completed \(UTC.human(done)), outside the \(inputs.quarter) window \(UTC.human(w.opens)) .. \(UTC.human(w.closes))")
                }
            } else {
                findings.append("latest monthly run \(r.id) had not completed by \(UTC.human(inputs.asOf))")
            }
        } else {
            findings.append("no monthly run in audit_integrity_log started by \(UTC.human(inputs.asOf))")
        }
        for m in inputs.completedMonths {
            let inMonth = months.filter { $0.startedAt >= m.start && $0.startedAt < m.end }
            if !inMonth.contains(where: { $0.problem == nil }) {
                let label = String(UTC.day(m.start).prefix(7))
                findings.append(inMonth.isEmpty ? "no monthly run in \(label)" : "no passing monthly run in \(label) (\(English.count(inMonth.count, "run")), none clean)")
            }
        }
        var csv = CSV.header(columns, source: true)
        csv += CSV.table(latestRows.rows, source: "latest_3")
        csv += CSV.table(monthRows.rows, source: "months_in_span")
        let pass = "latest monthly run \(latest.first?.id ?? "") passed inside the window; a passing run in each of \(English.count(inputs.completedMonths.count, "month"))"
        return .judged(3, findings: findings, pass: pass, sql: sql, parameters: parameters,
                       rowCount: latest.count + months.count, evidence: csv)
    }
}
