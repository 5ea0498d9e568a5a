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
        try run(inputs, session: session, sql: Step1RoleAssignment.groupMembersSQL)
    }

    /// The step with its statement given (`run` passes the runbook's; a test a misspelt one).
    static func run(_ inputs: CollectInputs, session: StepSession, sql: String) throws(PostgresError) -> StepOutcome {
        let params = Step1RoleAssignment.parameters(inputs)
        return try session.step(2, sql: sql, parameters: params) {
            let members = try Step1RoleAssignment.grants(2, "group_members", try session.rows(sql, params))
            return try evaluate(inputs, members: members, sql: sql, parameters: params)
        }
    }

    static func evaluate(_ inputs: CollectInputs, members: [Step1RoleAssignment.Grant], sql: String, parameters: [String]) throws -> StepOutcome {
        let p = inputs.policy
        var text = EvidenceBuilder()
        text.append("# \(control.criterion) \(control.title): members of \(p.auditorGroup) as of \(UTC.iso(inputs.asOf))\n")
        if members.isEmpty {
            text.append("# group is empty; no authorization memo needed\n")
            return .judged(2, findings: [], pass: "\(p.auditorGroup) is empty", sql: sql, parameters: parameters,
                           rowCount: 0, evidence: text.data)
        }
        let memo: AuditorMemo
        do { memo = try AuditorMemo.latest(folder: p.auditorMemoFolder, root: inputs.documentRoot, notAfter: inputs.asOf) } catch {
            throw StepQueryError(message: "\(p.auditorGroup) has \(English.count(members.count, "member")) to check, but \(error.message)")
        }
        let memoDigest = (try? AttestCrypto.SHA256.hex(ofFile: inputs.path(memo.path))) ?? "unreadable"
        text.append("# authorization memo: \(memo.path) (dated \(memo.date), sha256 \(memoDigest))\n")
        text.append("# email\tgranted_at\tgranted_by\tauthorized\n")
        var findings: [StepFinding] = []
        for m in members {
            // A NULL email cannot be in any memo.
            let ok = m.email.map { memo.emails.contains($0.lowercased()) } ?? false
            let row = try text.row(Data("\(m.email ?? "")\t\(m.grantedAt)\t\(m.grantedBy ?? "")\t\(ok ? "yes" : "NO")\n".utf8))
            if !ok {
                findings.append(StepFinding(
                    detail: "\(m.who) is a member of \(p.auditorGroup) but is not in the latest authorization memo \(memo.path)",
                    withheld: "a member of \(p.auditorGroup) (granted \(m.grantedAt)) is not in the latest authorization memo \(memo.path)",
                    row: row))
            }
        }
        return .judged(2, details: findings,
                       pass: members.count == 1 ? "the 1 member of \(p.auditorGroup) is in \(memo.path)" : "all \(members.count) members of \(p.auditorGroup) are in \(memo.path)",
                       sql: sql, parameters: parameters, rowCount: members.count, evidence: text.data)
    }
}
