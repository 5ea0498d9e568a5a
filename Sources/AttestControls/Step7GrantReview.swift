import Foundation
import AttestCore
import AttestPostgres

/// Runbook Step 7 — Out-of-window RBAC grant review (CC6.7).
///
/// Rule: every grant of the compliance or admin role in the 90 days has a `change_window_id`
/// that is an `id` in the change-management log (`controls.changeWindows`, a markdown table
/// `| id | start | end |`) and a `granted_at` inside that window's [start, end]. A null or
/// unknown id, or a grant outside its window, is a finding that blocks signing. The log is
/// read only when some grant names a window.
public enum Step7GrantReview {
    public static let control = Controls.all[6]

    static let sql = """
    SELECT u.email, r.name AS role, rg.granted_at, rg.granted_by,
           rg.change_window_id
    FROM rbac_grants_audit rg
    JOIN users u ON u.id = rg.user_id
    JOIN rbac_roles r ON r.id = rg.role_id
    WHERE r.name IN ($1, $2)
      AND rg.granted_at > $3::timestamptz
      AND rg.granted_at <= $4::timestamptz
    ORDER BY rg.granted_at;
    """

    public static func run(_ inputs: CollectInputs, session: StepSession) throws(PostgresError) -> StepOutcome {
        let p = inputs.policy
        let params = [p.complianceRole, p.adminRole, inputs.spanStart.sqlParameter, inputs.asOf.sqlParameter]
        return try session.step(7, sql: sql, parameters: params) {
            let rows = try session.rows(sql, params)
            return try evaluate(inputs, rows: rows, parameters: params)
        }
    }

    static func evaluate(_ inputs: CollectInputs, rows: Rows, parameters: [String]) throws -> StepOutcome {
        let p = inputs.policy
        var windows: [String: TimeWindow] = [:]
        if rows.all.contains(where: { ($0.text("change_window_id") ?? "").isEmpty == false }) {
            do {
                for w in try WindowTable.load(p.changeWindowsFile, root: inputs.documentRoot, requireReason: false) { windows[w.id] = w }
            } catch {
                throw StepQueryError(message: error.message)
            }
        }
        var findings: [String] = []
        for r in rows.all {
            var who: String { "grant of \(r.text("role") ?? "?") to \(r.text("email") ?? "?") at \(r.text("granted_at") ?? "?") by \(r.text("granted_by") ?? "?")" }
            let id = trimmedBlanks(r.text("change_window_id") ?? "")
            if id.isEmpty { findings.append("\(who) has no change_window_id"); continue }
            guard let w = windows[id] else {
                findings.append("\(who) names change window '\(id)', which is not listed in \(p.changeWindowsFile)")
                continue
            }
            let at = try r.requiredInstant("granted_at", step: 7)
            if !w.contains(at) {
                findings.append("\(who) is outside its change window '\(id)' (\(UTC.iso(w.start)) .. \(UTC.iso(w.end)), \(p.changeWindowsFile):\(w.line))")
            }
        }
        let csv = CSV.header(rows.columns) + CSV.table(rows)
        return .judged(findings: findings,
                       pass: rows.isEmpty ? "no grant of \(p.complianceRole) or \(p.adminRole) in \(p.lookbackDays) days"
                                          : (rows.count == 1 ? "the 1 grant is" : "all \(rows.count) grants") + " inside a listed change window",
                       sql: sql, parameters: parameters, rowCount: rows.count, evidence: csv)
    }
}
