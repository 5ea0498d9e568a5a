import Foundation
import AttestCore
import AttestPostgres
import AttestCrypto

/// Runbook Step 2 — Auditor group membership review (CC6.2 / RV-13).
///
/// Rule: the auditors' group is empty, or every member's email is in the most recent auditor
/// authorization memo (`<controls.auditorMemoFolder>/auditor-authorization-YYYY-MM-DD.md`, the
/// latest date in the name not after `as_of`). An empty group needs no memo and none is read.
///
/// The SQL is Step 1's group-member query ("same psql query as Step 1").
public enum Step2GroupReview {
    public static let control = Controls.all[1]

    public static func run(_ inputs: CollectInputs, session: StepSession) throws(PostgresError) -> StepOutcome {
        let sql = Step1RoleAssignment.groupMembersSQL
        let params = Step1RoleAssignment.parameters(inputs)
        return try session.step(2, sql: sql, parameters: params) {
            let members = try session.rows(sql, params)
            return try evaluate(inputs, members: members, sql: sql, parameters: params)
        }
    }

    static func evaluate(_ inputs: CollectInputs, members: Rows, sql: String, parameters: [String]) throws -> StepOutcome {
        let p = inputs.policy
        var text = "# \(control.control) \(control.title): members of \(p.auditorGroup) as of \(UTC.iso(inputs.asOf))\n"
        if members.isEmpty {
            text += "# group is empty; no authorization memo needed\n"
            return .judged(findings: [], pass: "\(p.auditorGroup) is empty", sql: sql, parameters: parameters,
                           rowCount: 0, evidence: Data(text.utf8))
        }
        let memo: AuditorMemo
        do { memo = try AuditorMemo.latest(folder: p.auditorMemoFolder, root: inputs.documentRoot, notAfter: inputs.asOf) } catch {
            throw StepQueryError(message: "\(p.auditorGroup) has \(English.count(members.count, "member")) to check, but \(error.message)")
        }
        let memoDigest = (try? AttestCrypto.SHA256.hex(ofFile: inputs.path(memo.path))) ?? "unreadable"
        text += "# authorization memo: \(memo.path) (dated \(memo.date), sha256 \(memoDigest))\n"
        text += "# email\tgranted_at\tgranted_by\tauthorized\n"
        var findings: [String] = []
        for r in members.all {
            let email = r.text("email") ?? ""
            let ok = memo.emails.contains(email.lowercased())
            text += "\(email)\t\(r.text("granted_at") ?? "")\t\(r.text("granted_by") ?? "")\t\(ok ? "yes" : "NO")\n"
            if !ok {
                findings.append("\(email) is a member of \(p.auditorGroup) but is not in the latest authorization memo \(memo.path)")
            }
        }
        return .judged(findings: findings,
                       pass: members.count == 1 ? "the 1 member of \(p.auditorGroup) is in \(memo.path)" : "all \(members.count) members of \(p.auditorGroup) are in \(memo.path)",
                       sql: sql, parameters: parameters, rowCount: members.count, evidence: Data(text.utf8))
    }
}
