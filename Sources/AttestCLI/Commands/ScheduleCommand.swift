import Foundation
import AttestCore

/// `attest schedule`: the runbook's §2 table for a year.
struct ScheduleCommand: Command {
    static let name = "schedule"
    static let summary = "print the quarter windows of a year (runbook §2)"
    static let help = """
    Prints the runbook §2 table for a year: each quarter, its target instant, the day its
    window opens (00:00:00 UTC) and its hard close (23:59:59 UTC). Offsets and target hour come
    from .attestconfig (window.openDaysBefore, window.closeDaysAfter, window.targetHour).
    """
    static let helpFooter = """
    Exit codes: 0 printed; 2 usage error or bad policy value.

    Example:
      attest schedule --year 2026
    """
    static let year = Option("year", value: "YYYY", help: "the year (default: the current UTC year)")
    static let json = Flag("json", help: "an array of {quarter, target, opens, closes}, ISO-8601 UTC instants")
    static let spec = ArgumentSpec(options: [year, json])

    let year: Int?
    let json: Bool

    init(arguments: ParsedArguments, context: Context) throws(AttestError) {
        if let y = arguments[Self.year] {
            guard y.utf8.count == 4, y.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let n = Int(y), n >= 1 else {
                throw .usage("--year '\(y)' is not a year; write four digits, for example 2026")
            }
            year = n
        } else { year = nil }
        json = arguments[Self.json]
    }

    func run(_ context: Context) throws(AttestError) -> Int32 {
        let schedule = Schedule(policy: try context.policy())
        let windows = try schedule.windows(year: year ?? UTC.components(context.now).year)
        if json {
            let rows = windows.map { w in
                "  {\"quarter\": \"\(w.quarter)\", \"target\": \"\(UTC.iso(w.target))\", \"opens\": \"\(UTC.iso(w.opens))\", \"closes\": \"\(UTC.iso(w.closes))\"}"
            }
            context.out.line("[\n" + rows.joined(separator: ",\n") + "\n]")
            return 0
        }
        let header = ["Quarter", "Target (UTC)", "Window opens", "Hard close"]
        let rows = windows.map { w in
            [w.quarter.description, "\(UTC.day(w.target)) \(String(format: "%02d:00", schedule.targetHour)) UTC",
             "\(UTC.day(w.opens)) 00:00:00 UTC", "\(UTC.day(w.closes)) 23:59:59 UTC"]
        }
        context.out.write(TextTable.render(header: header, rows: rows))
        return 0
    }
}
