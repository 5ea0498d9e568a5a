import Foundation
import AttestCore
import AttestPostgres

/// CC6.3, step 8 (built in, issue #20): every departure on the departures list whose notice is
/// older than `controls.deprovisioningHours` holds no role grant (`rbac_grants`) and no group
/// membership (`rbac_group_members`) as of `as_of`; where the removal time is known
/// (`controls.removalQuery`), access was removed within the deadline. The evidence file lists
/// the whole population (every departure noticed by `as_of`) with each one's outcome, in
/// Powerpipe's `status, reason, resource` form.
public enum Step8Deprovisioning {
    public static let control = Catalogue.deprovisioning

    static let accessSQL = """
    SELECT d.email, u.id IS NOT NULL AS has_account,
           (SELECT count(*) FROM rbac_grants g WHERE g.user_id = u.id) AS grants,
           (SELECT count(*) FROM rbac_group_members m WHERE m.user_id = u.id) AS memberships
    FROM unnest($1::text[]) AS d(email)
    LEFT JOIN users u ON lower(u.email) = lower(d.email)
    """

    /// A text array literal (`{"a@x","b@y"}`) for one bound parameter.
    static func arrayLiteral(_ items: [String]) -> String {
        "{" + items.map { "\"" + $0.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\"" }.joined(separator: ",") + "}"
    }

    static func run(_ inputs: CollectInputs, departures: [Departure], session: StepSession) throws(PostgresError) -> StepOutcome {
        let population = departures.filter { $0.notice <= inputs.asOf }
        let emails = arrayLiteral(population.map { $0.email.lowercased() })
        var sql = accessSQL
        var params = [emails]
        var removal: ControlFile?
        let query = inputs.policy.removalQuery.trimmingCharacters(in: .whitespaces)
        if !query.isEmpty {
            let header = "-- control: CC6.3\n-- criterion: CC6.3\n-- title: removal\n-- evidence: removal.csv\n-- on-finding: issue\n"
            removal = try? ControlFile.parse(Data((header + query).utf8), path: "controls.removalQuery", known: ControlParameters.names, sha256: "")
        }
        let values = ControlParameters.values(inputs)
        let removalParams = removal?.parameterNames.map { values[$0] ?? "" } ?? []
        if let removal { sql = SQLText.joined([accessSQL, removal.sql]); params += removalParams }
        let recorded = params
        return try session.step(control.step, sql: sql, parameters: recorded) {
            if !query.isEmpty && removal == nil {
                throw StepQueryError(message: "controls.removalQuery is not a usable query (an unknown :parameter or an unclosed literal); fix it or set it empty")
            }
            let access = try session.connection.query(accessSQL, [emails])
            var removed: [String: Date] = [:]
            if let removal {
                for r in try session.connection.query(removal.sql, removalParams).all {
                    guard let email = r.text("email") else { throw StepQueryError(message: "controls.removalQuery returned no email column") }
                    guard let t = r.text("removed_at") else { continue }
                    guard let d = PgTime.parse(t) else { throw StepQueryError(message: "controls.removalQuery: removed_at '\(t)' is not a timestamp") }
                    removed[email.lowercased()] = d
                }
            }
            return evaluate(inputs, population: population, access: access, removed: removed, known: removal != nil, sql: sql, parameters: recorded)
        }
    }

    static func evaluate(_ inputs: CollectInputs, population: [Departure], access: Rows, removed: [String: Date], known: Bool,
                         sql: String, parameters: [String]) -> StepOutcome {
        let hours = inputs.policy.deprovisioningHours
        let limit = Double(hours) * 3600
        var held: [String: (account: Bool, grants: Int, memberships: Int)] = [:]
        for r in access.all {
            held[(r.text("email") ?? "").lowercased()] = (r.text("has_account") == "t", r.int("grants") ?? 0, r.int("memberships") ?? 0)
        }
        var csv = CSV.header(["status", "reason", "resource", "email", "notice", "ticket", "deadline", "grants", "memberships", "removed_at"])
        var findings: [String] = []
        var counts: [String: Int] = [:]
        func span(_ t: TimeInterval) -> String { String(format: "%.1f h", t / 3600) }
        for d in population {
            let deadline = d.notice.addingTimeInterval(limit)
            let h = held[d.email.lowercased()] ?? (false, 0, 0)
            let at = removed[d.email.lowercased()]
            let status: String, reason: String
            if !h.account {
                status = "info"; reason = "no user account with this email in users"
            } else if h.grants + h.memberships > 0 {
                let what = "still holds \(English.count(h.grants, "role grant")) and \(English.count(h.memberships, "group membership")) at as-of"
                if inputs.asOf < deadline {
                    status = "info"; reason = "not due yet: \(what); the deadline is \(UTC.iso(deadline)) (\(hours) h after notice)"
                } else {
                    status = "alarm"; reason = "\(what), \(span(inputs.asOf.timeIntervalSince(d.notice))) after notice \(UTC.iso(d.notice)) (deadline \(hours) h, ticket \(d.ticket))"
                }
            } else if let at {
                let took = at.timeIntervalSince(d.notice)
                if took > limit && d.notice >= inputs.spanStart {
                    status = "alarm"; reason = "access removed at \(UTC.iso(at)), \(span(took)) after notice \(UTC.iso(d.notice)) (deadline \(hours) h, ticket \(d.ticket))"
                } else {
                    status = "ok"; reason = took <= 0 ? "access removed at \(UTC.iso(at)), before the notice" : "access removed at \(UTC.iso(at)), \(span(took)) after notice (deadline \(hours) h)"
                }
            } else {
                status = "ok"; reason = known ? "holds no access at as-of; no removal recorded" : "holds no access at as-of; removal times are not known (controls.removalQuery is empty)"
            }
            counts[status, default: 0] += 1
            if status == "alarm" { findings.append("\(d.email): \(reason)") }
            csv += Data(CSV.line([status, reason, d.email, d.email, UTC.iso(d.notice), d.ticket, UTC.iso(deadline), String(h.grants),
                                  String(h.memberships), at.map(UTC.iso)]).utf8)
        }
        let tally = ["ok", "alarm", "info"].compactMap { s in counts[s].map { "\($0) \(s)" } }.joined(separator: ", ")
        let pass = population.isEmpty ? "no departures noticed by as-of" : "\(English.count(population.count, "departure")): \(tally)"
        return StepOutcome.judged(Catalogue.deprovisioningStep, findings: findings, pass: pass, sql: sql, parameters: parameters, rowCount: population.count, evidence: csv)
    }
}
