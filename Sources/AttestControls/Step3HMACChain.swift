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

    public static func run(_ inputs: CollectInputs, session: StepSession) throws(PostgresError) -> StepOutcome {
        let sql = SQLText.joined([latestSQL, monthsSQL])
        let params = [inputs.firstMonthStart.sqlParameter, inputs.asOf.sqlParameter]
        return try session.step(3, sql: sql, parameters: params) {
            let latest = try session.rows(latestSQL, params)
            let months = try session.rows(monthsSQL, params)
            return try evaluate(inputs, latest: latest, months: months, sql: sql, parameters: params)
        }
    }

    /// Why a monthly run is not a clean pass, or nil when it is.
    static func problem(_ r: Row) -> String? {
        var why: [String] = []
        if (r.text("result") ?? "").lowercased() != "pass" { why.append("result = '\(r.text("result") ?? "NULL")'") }
        if let e = r.text("errors"), Int(e) == 0 {} else { why.append("errors = \(r.text("errors") ?? "NULL")") }
        if let c = r.text("chain_error"), !c.isEmpty { why.append("chain_error set ('\(c)')") }
        if let k = r.text("kms_error"), !k.isEmpty { why.append("kms_error set ('\(k)')") }
        return why.isEmpty ? nil : why.joined(separator: ", ")
    }

    static func evaluate(_ inputs: CollectInputs, latest: Rows, months: Rows, sql: String, parameters: [String]) throws -> StepOutcome {
        var findings: [String] = []
        let w = inputs.window
        if latest.isEmpty {
            findings.append("no monthly run in audit_integrity_log started by \(UTC.human(inputs.asOf))")
        } else {
            let r = latest[0]
            let id = r.text("run_id") ?? "?"
            if let why = problem(r) { findings.append("latest monthly run \(id) did not pass: \(why)") }
            if let done = r.pgInstant("completed_at"), done <= inputs.asOf {
                if !w.contains(done) {
                    findings.append("latest monthly run \(id) completed \(UTC.human(done)), outside the \(inputs.quarter) window \(UTC.human(w.opens)) .. \(UTC.human(w.closes))")
                }
            } else {
                findings.append("latest monthly run \(id) had not completed by \(UTC.human(inputs.asOf))")
            }
        }
        for m in inputs.completedMonths {
            let inMonth = try months.all.filter { r in
                let s = try r.requiredInstant("started_at", step: 3)
                return s >= m.start && s < m.end
            }
            if !inMonth.contains(where: { problem($0) == nil }) {
                let label = String(UTC.day(m.start).prefix(7))
                findings.append(inMonth.isEmpty ? "no monthly run in \(label)" : "no passing monthly run in \(label) (\(English.count(inMonth.count, "run")), none clean)")
            }
        }
        var csv = CSV.header(columns, source: true)
        csv += CSV.table(latest, source: "latest_3")
        csv += CSV.table(months, source: "months_in_span")
        let pass = "latest monthly run \(latest.isEmpty ? "" : latest[0].text("run_id") ?? "") passed inside the window; a passing run in each of \(English.count(inputs.completedMonths.count, "month"))"
        return .judged(findings: findings, pass: pass, sql: sql, parameters: parameters,
                       rowCount: latest.count + months.count, evidence: csv)
    }
}
