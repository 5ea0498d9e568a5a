import Foundation

/// The attestation window of one quarter (runbook §2, DESIGN.md §4.1).
///
/// Both ends are inclusive: a commit at exactly `opens` or exactly `closes` is on time.
public struct Window: Hashable, Sendable {
    public let quarter: Quarter
    /// The target instant: the quarter's first day at the policy hour (10:00 UTC).
    public let target: Date
    /// 00:00:00 UTC on the target date minus the open offset.
    public let opens: Date
    /// 23:59:59 UTC on the target date plus the close offset: the hard close.
    public let closes: Date

    public func contains(_ instant: Date) -> Bool { instant >= opens && instant <= closes }

    /// Where an instant falls relative to the window.
    public func position(of instant: Date) -> WindowPosition {
        if instant < opens { return .early }
        if instant > closes { return .late }
        return .inside
    }
}

public enum WindowPosition: String, Sendable { case early, inside, late }

/// Computes windows under a policy. All arithmetic is in UTC on the proleptic Gregorian calendar.
public struct Schedule: Sendable {
    public let openDaysBefore: Int
    public let closeDaysAfter: Int
    public let targetHour: Int

    public init(openDaysBefore: Int = 5, closeDaysAfter: Int = 5, targetHour: Int = 10) {
        self.openDaysBefore = openDaysBefore
        self.closeDaysAfter = closeDaysAfter
        self.targetHour = targetHour
    }

    public init(policy: Policy) {
        self.init(openDaysBefore: policy.windowOpenDaysBefore, closeDaysAfter: policy.windowCloseDaysAfter,
                  targetHour: policy.windowTargetHour)
    }

    public func window(for quarter: Quarter) -> Window {
        let day = UTC.date(year: quarter.year, month: quarter.firstMonth, day: 1)
        let target = day.addingTimeInterval(Double(targetHour) * 3600)
        let opens = day.addingTimeInterval(-Double(openDaysBefore) * 86400)
        let closes = day.addingTimeInterval(Double(closeDaysAfter + 1) * 86400 - 1)
        return Window(quarter: quarter, target: target, opens: opens, closes: closes)
    }

    /// The four windows of a year, Q1 to Q4.
    public func windows(year: Int) throws(AttestError) -> [Window] {
        try (1...4).map { n throws(AttestError) in window(for: try Quarter(year: year, number: n)) }
    }

    /// The quarter whose window contains the instant, if any.
    public func openWindow(at instant: Date) -> Window? {
        let c = UTC.components(instant)
        guard let here = try? Quarter(year: c.year, month: c.month) else { return nil }
        // A window reaches at most a few days across a quarter boundary, so only the
        // quarter of the instant and the next one can contain it.
        for q in [here.previous, here, here.next] where window(for: q).contains(instant) {
            return window(for: q)
        }
        return nil
    }

    /// The first window that opens strictly after the instant.
    public func nextWindow(after instant: Date) -> Window {
        let c = UTC.components(instant)
        var q = (try? Quarter(year: c.year, month: c.month))?.previous ?? (try! Quarter(year: 1, number: 1))
        while window(for: q).opens <= instant { q = q.next }
        return window(for: q)
    }

    /// The last window whose hard close is strictly before the instant.
    public func previousWindow(before instant: Date) -> Window {
        let c = UTC.components(instant)
        var q = (try? Quarter(year: c.year, month: c.month))?.next ?? (try! Quarter(year: 1, number: 1))
        while window(for: q).closes >= instant { q = q.previous }
        return window(for: q)
    }

    /// The quarters whose target instant's date lies in [from, to] (both dates, inclusive),
    /// the quarters a Type II period requires (DESIGN.md §4.1).
    public func requiredQuarters(from: Date, to: Date) -> [Quarter] {
        let start = UTC.components(from), end = UTC.components(to)
        var result: [Quarter] = []
        var q = try! Quarter(year: max(1, start.year), number: 1)
        let last = try! Quarter(year: min(9999, end.year), number: 4)
        let toDay = UTC.startOfDay(to)
        let fromDay = UTC.startOfDay(from)
        while q <= last {
            let targetDay = UTC.startOfDay(window(for: q).target)
            if targetDay >= fromDay && targetDay <= toDay { result.append(q) }
            if q == last { break }
            q = q.next
        }
        return result
    }
}
