import Foundation
internal import CLibPQ

/// The rows of a result, copied out of the `PGresult` before it is cleared. Values are
/// libpq's text form; typed accessors decode them and name the column on failure.
public struct Rows: Sendable {
    public let columns: [String]
    public let values: [[String?]]

    init(result: OpaquePointer) {
        let n = Int(PQntuples(result)), m = Int(PQnfields(result))
        columns = (0..<m).map { String(cString: PQfname(result, Int32($0))) }
        var rows: [[String?]] = []
        rows.reserveCapacity(n)
        for r in 0..<n {
            rows.append((0..<m).map { c in
                PQgetisnull(result, Int32(r), Int32(c)) == 1 ? nil : String(cString: PQgetvalue(result, Int32(r), Int32(c)))
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

    /// Parses PostgreSQL's ISO output of `timestamptz` / `timestamp` (taken as UTC).
    public static func parseTimestamp(_ s: String) -> Date? {
        var t = s.replacingOccurrences(of: " ", with: "T")
        if let plus = t.lastIndex(where: { $0 == "+" || $0 == "-" }), plus > t.index(t.startIndex, offsetBy: 10) {
            let zone = t[plus...]
            if zone.count == 3 { t += ":00" }
        } else {
            t += "Z"
        }
        return ISOInstant.parse(t)
    }
}

/// A local copy of the ISO-8601 instant parser (AttestPostgres does not depend on AttestCore).
enum ISOInstant {
    static func parse(_ s: String) -> Date? {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let d = f.date(from: s) { return d }
        f.formatOptions = [.withInternetDateTime]
        return f.date(from: s)
    }
}
