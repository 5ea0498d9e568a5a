import Foundation

/// UTC calendar helpers and the ISO-8601 forms attest reads and writes.
public enum UTC {
    public static let calendar: Calendar = {
        var c = Calendar(identifier: .gregorian)
        c.timeZone = TimeZone(identifier: "UTC")!
        return c
    }()

    public static func date(year: Int, month: Int, day: Int, hour: Int = 0, minute: Int = 0, second: Int = 0) -> Date {
        calendar.date(from: DateComponents(year: year, month: month, day: day, hour: hour, minute: minute, second: second))!
    }

    public struct Parts: Sendable { public let year, month, day, hour, minute, second: Int }

    public static func components(_ d: Date) -> Parts {
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: d)
        return Parts(year: c.year!, month: c.month!, day: c.day!, hour: c.hour!, minute: c.minute!, second: c.second!)
    }

    public static func startOfDay(_ d: Date) -> Date { calendar.startOfDay(for: d) }

    /// `2026-01-01T10:00:00Z`
    public static func iso(_ d: Date) -> String {
        let p = components(d)
        return String(format: "%04d-%02d-%02dT%02d:%02d:%02dZ", p.year, p.month, p.day, p.hour, p.minute, p.second)
    }

    /// `2026-01-01`
    public static func day(_ d: Date) -> String {
        let p = components(d)
        return String(format: "%04d-%02d-%02d", p.year, p.month, p.day)
    }

    /// `2026-01-06 23:59:59 UTC`, the form messages use.
    public static func human(_ d: Date) -> String {
        let p = components(d)
        return String(format: "%04d-%02d-%02d %02d:%02d:%02d UTC", p.year, p.month, p.day, p.hour, p.minute, p.second)
    }

    /// Parses an instant: `YYYY-MM-DD`, `YYYY-MM-DDTHH:MM[:SS][.fff](Z|±HH:MM)` or with a space
    /// for `T`. A date alone means 00:00:00 UTC. A time without a zone is refused: an audit
    /// record must not depend on the reader's time zone.
    public static func parseInstant(_ text: String) -> Date? {
        let s = text.trimmingCharacters(in: .whitespaces)
        let b = Array(s.utf8)
        func num(_ r: Range<Int>) -> Int? {
            guard r.upperBound <= b.count, r.allSatisfy({ b[$0] >= 0x30 && b[$0] <= 0x39 }) else { return nil }
            return Int(String(decoding: b[r], as: UTF8.self))
        }
        guard b.count >= 10, let y = num(0..<4), b[4] == 0x2D, let mo = num(5..<7), b[7] == 0x2D, let d = num(8..<10),
              (1...12).contains(mo), (1...31).contains(d) else { return nil }
        func valid(_ date: Date) -> Date? {
            let p = components(date)
            return (p.year == y && p.month == mo && p.day == d) ? date : nil
        }
        if b.count == 10 { return valid(date(year: y, month: mo, day: d)) }
        guard b[10] == UInt8(ascii: "T") || b[10] == UInt8(ascii: " "), let h = num(11..<13), b.count > 13, b[13] == 0x3A,
              let mi = num(14..<16), h < 24, mi < 60 else { return nil }
        var i = 16
        var sec = 0
        var frac = 0.0
        if i < b.count, b[i] == 0x3A {
            guard let s2 = num(17..<19), s2 < 61 else { return nil }
            sec = s2; i = 19
            if i < b.count, b[i] == UInt8(ascii: ".") {
                var j = i + 1
                while j < b.count, b[j] >= 0x30, b[j] <= 0x39 { j += 1 }
                guard j > i + 1 else { return nil }
                frac = Double("0" + String(decoding: b[i..<j], as: UTF8.self)) ?? 0
                i = j
            }
        }
        var offset = 0
        guard i < b.count else { return nil }
        if b[i] == UInt8(ascii: "Z") || b[i] == UInt8(ascii: "z") {
            i += 1
        } else if b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") {
            let sign = b[i] == UInt8(ascii: "+") ? 1 : -1
            guard let oh = num((i + 1)..<(i + 3)) else { return nil }
            var om = 0
            if i + 3 < b.count, b[i + 3] == 0x3A { guard let m = num((i + 4)..<(i + 6)) else { return nil }; om = m; i += 6 }
            else if let m = num((i + 3)..<(i + 5)) { om = m; i += 5 }
            else { i += 3 }
            offset = sign * (oh * 3600 + om * 60)
        } else { return nil }
        guard i == b.count, let base = valid(date(year: y, month: mo, day: d)) else { return nil }
        return base.addingTimeInterval(Double(h * 3600 + mi * 60 + sec) + frac - Double(offset))
    }

    /// "2 days, 11 hours", "3 hours, 5 minutes", "40 seconds": a span for people.
    public static func span(_ seconds: TimeInterval) -> String {
        let s = Int(abs(seconds))
        let d = s / 86400, h = (s % 86400) / 3600, m = (s % 3600) / 60
        func unit(_ n: Int, _ w: String) -> String { "\(n) \(w)\(n == 1 ? "" : "s")" }
        if d > 0 { return h > 0 ? "\(unit(d, "day")), \(unit(h, "hour"))" : unit(d, "day") }
        if h > 0 { return m > 0 ? "\(unit(h, "hour")), \(unit(m, "minute"))" : unit(h, "hour") }
        if m > 0 { return unit(m, "minute") }
        return unit(s, "second")
    }
}
