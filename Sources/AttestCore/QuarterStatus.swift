import Foundation

/// Where a quarter stands today, for `attest status` (docs/status.md). Pure: the caller finds
/// the sign-off (the one definition, `SignoffClaim`) and has the judge rule on it.
public enum QuarterState: String, Sendable, CaseIterable {
    /// The window has not opened yet.
    case notDue = "not-due"
    /// The window is open, no sign-off, more than `status.warnDays` to the hard close.
    case open
    /// The window is open, no sign-off, at most `status.warnDays` to the hard close.
    case dueSoon = "due-soon"
    /// Signed off on time on HEAD, not yet on the upstream.
    case signed
    /// Signed off on time and on the upstream: nothing to do.
    case pushed
    /// Signed off after the hard close (declared with `Attest-Late` or not).
    case lateSigned = "late-signed"
    /// The hard close has passed with no sign-off.
    case overdue

    /// The states `attest status --check` fails on.
    public var needsAction: Bool { self == .dueSoon || self == .overdue }
}

/// A sign-off of the quarter on HEAD, as status reports it.
public struct SignoffSighting: Sendable {
    public var commit: String
    public var committerDate: Date
    public var result: String
    /// The judge put it after the hard close.
    public var late: Bool
    /// The upstream (or, without one, a remote-tracking branch) holds it.
    public var onUpstream: Bool
    /// The rules it breaks (`SignoffRules.check`, the policy in force when it was signed).
    public var violations: [String]
    public var holds: Bool { violations.isEmpty }

    public init(commit: String, committerDate: Date, result: String, late: Bool, onUpstream: Bool, violations: [String]) {
        self.commit = commit; self.committerDate = committerDate; self.result = result; self.late = late
        self.onUpstream = onUpstream; self.violations = violations
    }
}

public enum QuarterStatus {
    public static func state(window w: Window, now: Date, warnDays: Int, signoff: SignoffSighting?) -> QuarterState {
        if let s = signoff { return s.late ? .lateSigned : (s.onUpstream ? .pushed : .signed) }
        if now < w.opens { return .notDue }
        if now > w.closes { return .overdue }
        return w.closes.timeIntervalSince(now) <= Double(warnDays) * 86400 ? .dueSoon : .open
    }

    /// The quarters `status` reports: the previous window (the last one closed) and the current
    /// one (the open window, else the next to open), oldest first.
    public static func quarters(_ schedule: Schedule, at now: Date) -> [Window] {
        [schedule.previousWindow(before: now), schedule.openWindow(at: now) ?? schedule.nextWindow(after: now)]
    }
}
