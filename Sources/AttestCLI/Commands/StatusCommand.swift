import Foundation
import AttestCore

/// `attest status`: what is open now, what is due, what closed last.
struct StatusCommand: Command {
    static let name = "status"
    static let summary = "say which window is open now, or when the next one opens"
    static let usage = "status [--json]"
    static let help = """
    Reads the system clock (UTC) and says whether a quarter's attestation window is open:
    the quarter and the time left to its hard close; otherwise the next window (days until it
    opens) and the last one that closed. Inside a repository, also whether each of those
    quarters has a sign-off commit on HEAD.

    Options:
      --json   {now, open, next, last}: each window as {quarter, target, opens, closes}

    Exit codes: 0 printed; 2 bad policy value.

    Example:
      attest status
    """
    static let spec = ArgumentSpec(options: [.init("json")])

    let json: Bool

    init(arguments: ParsedArguments, context: Context) throws(AttestError) {
        json = arguments.flag("json")
    }

    func run(_ context: Context) throws(AttestError) -> Int32 {
        let now = context.now
        let schedule = Schedule(policy: try context.policy())
        let open = schedule.openWindow(at: now)
        let next = schedule.nextWindow(after: now)
        let last = schedule.previousWindow(before: now)
        let signoffs = SignoffLookup(context: context)

        if json {
            func obj(_ w: Window) -> String {
                var s = "{\"quarter\": \"\(w.quarter)\", \"target\": \"\(UTC.iso(w.target))\", \"opens\": \"\(UTC.iso(w.opens))\", \"closes\": \"\(UTC.iso(w.closes))\""
                if let state = signoffs.state(of: w.quarter) { s += ", \"signoff\": \(state.json)" }
                return s + "}"
            }
            context.out.line("{\"now\": \"\(UTC.iso(now))\", \"open\": \(open.map(obj) ?? "null"), \"next\": \(obj(next)), \"last\": \(obj(last))}")
            return 0
        }

        let out = context.out
        out.line("Now: \(UTC.human(now))")
        if let w = open {
            out.line(out.styled("\(w.quarter) window is OPEN", .green) + ": \(UTC.human(w.opens)) .. \(UTC.human(w.closes))")
            out.line("  hard close \(UTC.human(w.closes)), in \(UTC.span(w.closes.timeIntervalSince(now)))")
            if let s = signoffs.state(of: w.quarter) { out.line("  \(s.text)") }
        } else {
            out.line("No attestation window is open.")
            out.line("  next: \(next.quarter) opens \(UTC.human(next.opens)), in \(UTC.span(next.opens.timeIntervalSince(now))); hard close \(UTC.human(next.closes))")
            out.line("  last: \(last.quarter) closed \(UTC.human(last.closes)), \(UTC.span(now.timeIntervalSince(last.closes))) ago")
            if let s = signoffs.state(of: last.quarter) { out.line("  \(last.quarter): \(s.text)") }
        }
        return 0
    }
}
