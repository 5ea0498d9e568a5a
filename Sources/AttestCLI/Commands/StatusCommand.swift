import Foundation
import AttestCore
import AttestGit
import AttestVerification

/// `attest status`: what to do today, quarter by quarter.
struct StatusCommand: Command {
    static let name = "status"
    static let summary = "say where this quarter and the last one stand, and what to run next"
    static let help = """
    Reads the system clock (UTC) and says whether a quarter's attestation window is open (the
    quarter and the time left to its hard close; otherwise the next window and the last one that
    closed), then the state of the previous and the current quarter with the next command to run:

      not-due      the window has not opened
      open         the window is open, no sign-off yet
      due-soon     the window is open, no sign-off, at most status.warnDays (default 3) to close
      signed       signed off on time on HEAD, not yet on the upstream: git push
      pushed       signed off on time and on the upstream: nothing to do
      late-signed  signed off after the hard close (Attest-Late)
      overdue      the hard close passed with no sign-off: attest sign --late --reason TEXT

    A sign-off is judged as verify judges it; one that breaks a rule is said so, with the way to
    see why (attest verify).

    A stale lock (.git/index.lock, .git/refs/heads/BRANCH.lock) or a signed file whose index
    entry is behind HEAD (a crash mid-sign) comes first, as 'interrupted: ...' with the one
    command that mends it; it needs action (--check exits 1; --json 'interrupted').
    """
    static let helpFooter = """
    Exit codes: 0 printed (with --check: nothing needs action); 1 with --check, a quarter needs
    action; 2 bad policy value.

    Example:
      attest status
      attest status --check || echo "attestation needs action"
    """
    static let json = Flag("json", help: """
        {schemaVersion, now, warnDays, open, next, last, quarters: [{quarter, state, opens, closes, \
        secondsToHardClose, signoff: {commit, time, result, late, onUpstream, upstream, holds, violations} \
        or null, next}], check, interrupted: {locks, behind, message, command} or null} (docs/status.md)
        """)
    static let check = Flag("check", help: """
        for cron and CI: print only the quarters that need action (due-soon, overdue, or a sign-off \
        that breaks a rule) and exit 1 when there is one
        """)
    static let spec = ArgumentSpec(options: [json, check])

    let json: Bool
    let check: Bool

    init(arguments: ParsedArguments, context: Context) throws(AttestError) {
        json = arguments[Self.json]
        check = arguments[Self.check]
    }

    /// One quarter's line of the report.
    struct Row {
        let window: Window
        let state: QuarterState
        let found: SignoffLookup.Found?
        let next: String
        var needsAction: Bool { state.needsAction || found?.sighting.holds == false }
    }

    func run(_ context: Context) throws(AttestError) -> Int32 {
        // Whole seconds, as sign judges the clock: 23:59:59.4 is still inside the window.
        let now = Date(timeIntervalSince1970: context.now.timeIntervalSince1970.rounded(.down))
        let policy = try context.policy()
        let schedule = Schedule(policy: policy)
        let open = schedule.openWindow(at: now)
        let next = schedule.nextWindow(after: now)
        let last = schedule.previousWindow(before: now)
        let lookup = SignoffLookup(repository: try? context.repository(), overrides: context.overrides, now: context.now)
        let root = (try? context.repository())?.workdir
        let rows = QuarterStatus.quarters(schedule, at: now).map { w -> Row in
            let found = lookup.find(w.quarter)
            let state = QuarterStatus.state(window: w, now: now, warnDays: policy.statusWarnDays, signoff: found?.sighting)
            return Row(window: w, state: state, found: found,
                       next: Self.nextCommand(w, state, found, now: now, policy: policy, root: root, branch: lookup.branch))
        }
        // A crash mid-sign (or a killed git command): stale locks, a signed file whose index
        // entry is behind HEAD (docs/status.md, "After a crash").
        let interrupted = (try? context.repository())?
            .interruptedState(watching: rows.map { "\(policy.attestationFolder)/\($0.window.quarter).md" })
            .flatMap { $0.isEmpty ? nil : $0 }
        let needsAction = rows.contains(where: \.needsAction) || interrupted != nil

        if json {
            func obj(_ w: Window) -> [String: Any] {
                var o: [String: Any] = ["quarter": w.quarter.description, "target": UTC.iso(w.target), "opens": UTC.iso(w.opens), "closes": UTC.iso(w.closes)]
                if root != nil { o["signoff"] = rows.first { $0.window.quarter == w.quarter }?.found.map(Self.signoffJSON) ?? lookup.find(w.quarter).map(Self.signoffJSON) ?? ["signed": false] }
                return o
            }
            let quarters: [[String: Any]] = rows.map { r in
                ["quarter": r.window.quarter.description, "state": r.state.rawValue, "opens": UTC.iso(r.window.opens),
                 "closes": UTC.iso(r.window.closes), "secondsToHardClose": Int(r.window.closes.timeIntervalSince(now).rounded(.down)),
                 "signoff": r.found.map(Self.signoffJSON) ?? NSNull(), "next": r.next]
            }
            context.out.line(JSONText.encode([
                "schemaVersion": 1, "now": UTC.iso(now), "warnDays": policy.statusWarnDays,
                "open": open.map(obj) ?? NSNull(), "next": obj(next), "last": obj(last),
                "quarters": quarters, "check": needsAction,
                "interrupted": interrupted.map { ["locks": $0.locks, "behind": $0.behind, "message": $0.message(), "command": $0.command()] as Any } ?? NSNull(),
            ]))
            return check && needsAction ? 1 : 0
        }

        let out = context.out
        if let interrupted { out.line(out.styled("interrupted", .red) + ": \(interrupted.message())") }
        if check {
            for r in rows where r.needsAction { out.line("\(r.window.quarter) \(r.state.rawValue): \(Self.describe(r, now: now)); next: \(r.next)") }
            return needsAction ? 1 : 0
        }
        out.line("Now: \(UTC.human(now))")
        if let w = open {
            out.line(out.styled("\(w.quarter) window is OPEN", .green) + ": \(UTC.human(w.opens)) .. \(UTC.human(w.closes))")
            out.line("  hard close \(UTC.human(w.closes)), in \(UTC.span(w.closes.timeIntervalSince(now)))")
            if let s = rows.first(where: { $0.window.quarter == w.quarter })?.found { out.line("  \(s.text)") }
        } else {
            out.line("No attestation window is open.")
            out.line("  next: \(next.quarter) opens \(UTC.human(next.opens)), in \(UTC.span(next.opens.timeIntervalSince(now))); hard close \(UTC.human(next.closes))")
            out.line("  last: \(last.quarter) closed \(UTC.human(last.closes)), \(UTC.span(now.timeIntervalSince(last.closes))) ago")
            if let s = rows.first(where: { $0.window.quarter == last.quarter })?.found { out.line("  \(last.quarter): \(s.text)") }
        }
        out.line("")
        out.line("Quarters (status.warnDays = \(policy.statusWarnDays)):")
        for r in rows {
            let state = r.state.rawValue.padding(toLength: 11, withPad: " ", startingAt: 0)
            let styled = r.needsAction ? out.styled(state, .red) : (r.state == .pushed ? out.styled(state, .green) : state)
            out.line("  \(r.window.quarter)  \(styled)  \(Self.describe(r, now: now))")
            out.line("           next: \(r.next)")
        }
        return 0
    }

    /// What the row's state rests on, in one sentence.
    static func describe(_ r: Row, now: Date) -> String {
        let w = r.window
        var text: String
        switch r.state {
        case .notDue: text = "window opens \(UTC.human(w.opens)), in \(UTC.span(w.opens.timeIntervalSince(now)))"
        case .open, .dueSoon: text = "hard close \(UTC.human(w.closes)), in \(UTC.span(w.closes.timeIntervalSince(now))); no sign-off on HEAD"
        case .overdue: text = "hard close was \(UTC.human(w.closes)), \(UTC.span(now.timeIntervalSince(w.closes))) ago; no sign-off on HEAD"
        case .signed, .pushed, .lateSigned:
            guard let f = r.found else { return "" }
            text = f.text + (f.sighting.onUpstream ? "; on \(f.upstream ?? "a remote-tracking branch")" : "; not on \(f.upstream ?? "any remote (no upstream)")")
        }
        if let f = r.found, !f.sighting.holds { text += "; it breaks \(f.sighting.violations.map { "[\($0)]" }.joined(separator: " "))" }
        return text
    }

    /// The one command to run next for a quarter.
    static func nextCommand(_ w: Window, _ state: QuarterState, _ found: SignoffLookup.Found?, now: Date, policy: Policy,
                            root: String?, branch: String?) -> String {
        let q = w.quarter
        if let f = found, !f.sighting.holds {
            return "attest verify \(f.id.short) (it names each broken rule and its fix); an unpushed sign-off can be replaced: attest sign --quarter \(q) --replace-unpushed"
        }
        func prepare(_ sign: String) -> String {
            guard let root else { return "attest collect --quarter \(q), attest render --quarter \(q), then \(sign)" }
            if FileManager.default.fileExists(atPath: root + "/\(policy.attestationFolder)/\(q).md") { return sign }
            if FileManager.default.fileExists(atPath: root + "/\(policy.evidenceRoot)/\(q)/results.json") { return "attest render --quarter \(q), then \(sign)" }
            return "attest collect --quarter \(q), attest render --quarter \(q), then \(sign)"
        }
        switch state {
        case .notDue: return "nothing until the window opens (\(UTC.human(w.opens))); then attest collect, render and sign --quarter \(q)"
        case .open, .dueSoon: return prepare("attest sign --quarter \(q)")
        case .overdue: return prepare("attest sign --quarter \(q) --late --reason \"why it is late\"") + " (recorded as late, never as on time)"
        case .signed, .pushed, .lateSigned:
            guard let f = found, !f.sighting.onUpstream else { return "nothing: the sign-off is on \(found?.upstream ?? "the remote")" }
            if f.upstream == nil, let b = branch { return "git push -u origin \(b.hasPrefix("refs/heads/") ? String(b.dropFirst(11)) : b) (the branch has no upstream; the pre-push hook checks the sign-off)" }
            return "git push (the pre-push hook checks the sign-off)"
        }
    }

    static func signoffJSON(_ f: SignoffLookup.Found) -> [String: Any] {
        let s = f.sighting
        return ["signed": true, "commit": s.commit, "time": UTC.iso(s.committerDate), "result": s.result, "late": s.late,
                "onUpstream": s.onUpstream, "upstream": f.upstream as Any? ?? NSNull(), "holds": s.holds, "violations": s.violations]
    }
}

/// How status prints a sign-off it found.
extension SignoffLookup.Found {
    /// The old one-line summary: `signed off on HEAD in 1a2b3c4d5e6f at …, clean, on time`.
    var text: String {
        "signed off on HEAD in \(id.short) at \(UTC.human(sighting.committerDate)), \(sighting.result)\(sighting.late ? ", LATE" : ", on time")"
    }
}
