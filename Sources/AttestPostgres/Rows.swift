import Foundation
internal import CLibPQ

/// The rows of a result, copied out of the `PGresult` before it is cleared. Values are
/// libpq's text form; typed accessors decode them and name the column on failure.
public struct Rows: Sendable {
    public let columns: [String]
    public let values: [[String?]]

    init(result: OpaquePointer) {
        let n = Int(attest_PQntuples(result)), m = Int(attest_PQnfields(result))
        columns = (0..<m).map { String(cString: attest_PQfname(result, Int32($0))) }
        var rows: [[String?]] = []
        rows.reserveCapacity(n)
        for r in 0..<n {
            rows.append((0..<m).map { c in
                attest_PQgetisnull(result, Int32(r), Int32(c)) == 1 ? nil : String(cString: attest_PQgetvalue(result, Int32(r), Int32(c)))
            })
        }
        values = rows
    }

    public init(columns: [String], values: [[String?]]) { self.columns = columns; self.values = values }

    public var count: Int { values.count }
    public var isEmpty: Bool { values.isEmpty }

    public subscript(row: Int) -> Row { Row(columns: columns, values: values[row]) }
    public var all: [Row] { values.map { Row(columns: columns, values: $0) } }
}

/// One row. `row.string("email")`, `row.int("errors")`, `row.instant("granted_at")`.
public struct Row: Sendable {
    public let columns: [String]
    public let values: [String?]

    public func text(_ column: String) -> String? {
        guard let i = columns.firstIndex(of: column) else { return nil }
        return values[i]
    }

    public func int(_ column: String) -> Int? { text(column).flatMap { Int($0) } }

    /// A `timestamptz` in the session's ISO style (`2026-01-01 10:00:00.123+00`).
    public func instant(_ column: String) -> Date? { text(column).flatMap(Row.parseTimestamp) }

    /// Parses PostgreSQL's ISO output of `timestamptz` / `timestamp` (a timestamp without a
    /// zone is taken as UTC): `2026-01-01 10:00:00`, optional `.ffffff`, optional zone `Z`,
    /// `±HH`, `±HH:MM`, `±HH:MM:SS` or `±HHMM`; `T` is accepted for the space. Byte-level, no formatter:
    /// collect calls it for every row it judges.
    public static func parseTimestamp(_ s: String) -> Date? {
        var copy = s
        return copy.withUTF8 { b -> Date? in
            func num(_ at: Int, _ n: Int) -> Int? {
                guard at + n <= b.count else { return nil }
                var v = 0
                for i in at..<(at + n) {
                    let c = b[i]
                    guard c >= 0x30 && c <= 0x39 else { return nil }
                    v = v * 10 + Int(c - 0x30)
                }
                return v
            }
            guard b.count >= 19, let y = num(0, 4), b[4] == 0x2D, let mo = num(5, 2), b[7] == 0x2D, let d = num(8, 2),
                  b[10] == 0x20 || b[10] == 0x54, let h = num(11, 2), b[13] == 0x3A, let mi = num(14, 2), b[16] == 0x3A,
                  let se = num(17, 2), (1...12).contains(mo), (1...31).contains(d), h < 24, mi < 60, se < 61
            else { return nil }
            var i = 19
            var frac = 0.0
            if i < b.count, b[i] == 0x2E {
                var scale = 0.1
                i += 1
                let first = i
                while i < b.count, b[i] >= 0x30, b[i] <= 0x39 { frac += Double(b[i] - 0x30) * scale; scale /= 10; i += 1 }
                guard i > first else { return nil }
            }
            var offset = 0
            if i < b.count {
                if b[i] == 0x5A { i += 1 } else {
                    guard b[i] == 0x2B || b[i] == 0x2D, let oh = num(i + 1, 2) else { return nil }
                    let sign = b[i] == 0x2B ? 1 : -1
                    i += 3
                    var om = 0
                    var os = 0
                    if i < b.count, b[i] == 0x3A {
                        guard let m = num(i + 1, 2) else { return nil }
                        om = m; i += 3
                        // Historical local-mean-time offsets carry seconds: +05:21:10.
                        if i < b.count, b[i] == 0x3A { guard let sec = num(i + 1, 2) else { return nil }; os = sec; i += 3 }
                    } else if let m = num(i, 2) { om = m; i += 2 }
                    offset = sign * (oh * 3600 + om * 60 + os)
                }
            }
            guard i == b.count else { return nil }
            // Days from 1970-01-01 in the proleptic Gregorian calendar (Howard Hinnant's algorithm).
            let yy = mo <= 2 ? y - 1 : y
            let era = (yy >= 0 ? yy : yy - 399) / 400
            let yoe = yy - era * 400
            let doy = (153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1
            let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
            let days = era * 146097 + doe - 719468
            let seconds = days * 86400 + h * 3600 + mi * 60 + se - offset
            return Date(timeIntervalSince1970: Double(seconds) + frac)
        }
    }
}
