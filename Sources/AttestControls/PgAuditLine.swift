import Foundation
/// Parsing of one pg_audit log line, on raw bytes (no `String` per line).
///
/// Supported line shapes (the first timestamp of the line is the event's time):
/// - PostgreSQL stderr with `log_line_prefix` starting `%m` or `%t`:
///   `2026-01-05 10:00:00.123 UTC [42] app@db LOG:  AUDIT: SESSION,1,1,WRITE,INSERT,TABLE,public.customer_audit_events,…`
/// - `csvlog`: `2026-01-05 10:00:00.123 UTC,"app","db",42,…,"AUDIT: SESSION,…,""INSERT …"",<not logged>",…`
/// - `jsonlog`: `{"timestamp":"2026-01-05 10:00:00.123 UTC",…,"message":"AUDIT: SESSION,…"}`
/// - syslog / log drains: an RFC 3339 timestamp first (`2026-01-05T10:00:00.123456+00:00 host …`),
///   or RFC 5424 (`<134>1 2026-01-05T10:00:00Z host app proc - - … AUDIT: …`).
///
/// Zones: `Z`, `UTC`, `GMT`, `+HH`, `+HHMM`, `+HH:MM` (and `-`). A named zone other than
/// UTC/GMT cannot be converted without a zone database and makes the line unparseable (set
/// `log_timezone = 'UTC'`).
enum PgAuditLine {
    enum Parsed {
        /// A WRITE-class event on the audited table, at epoch second `second`.
        case event(second: Int64)
        /// A well-formed pgaudit line that is not a WRITE on the audited table.
        case other
        /// The line carries `AUDIT: ` but its time or fields cannot be read.
        case unparseable(String)
    }

    /// Days from 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's algorithm).
    @inline(__always)
    static func daysFromCivil(_ y0: Int, _ m: Int, _ d: Int) -> Int {
        let y = m <= 2 ? y0 - 1 : y0
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (m + 9) % 12
        let doy = (153 * mp + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146097 + doe - 719468
    }

    @inline(__always)
    static func digit(_ b: UInt8) -> Int? { b >= 0x30 && b <= 0x39 ? Int(b &- 0x30) : nil }

    @inline(__always)
    static func num(_ p: UnsafePointer<UInt8>, _ n: Int) -> Int? {
        var v = 0
        for i in 0..<n { guard let d = digit(p[i]) else { return nil }; v = v * 10 + d }
        return v
    }

    /// The date of the last line: consecutive lines of an export share it, so its ten bytes
    /// are compared instead of parsed again.
    struct DateCache {
        var head: UInt64 = 0
        var tail: UInt16 = 0
        var days = 0
    }

    /// Parses `YYYY-MM-DD[T ]HH:MM:SS[.frac](zone)` at `p` (at most `count` bytes); epoch seconds.
    static func timestamp(_ p: UnsafePointer<UInt8>, _ count: Int) -> Int64? {
        var cache = DateCache()
        return timestamp(p, count, cache: &cache)
    }

    static func timestamp(_ p: UnsafePointer<UInt8>, _ count: Int, cache: inout DateCache) -> Int64? {
        guard count >= 19 else { return nil }
        let raw = UnsafeRawPointer(p)
        let head = raw.loadUnaligned(as: UInt64.self), tail = raw.loadUnaligned(fromByteOffset: 8, as: UInt16.self)
        let days: Int
        if cache.days != 0 && head == cache.head && tail == cache.tail {
            days = cache.days
        } else {
            guard let y = num(p, 4), p[4] == 0x2d, let mo = num(p + 5, 2), p[7] == 0x2d, let d = num(p + 8, 2),
                  (1...12).contains(mo), (1...31).contains(d) else { return nil }
            days = daysFromCivil(y, mo, d)
            cache = DateCache(head: head, tail: tail, days: days)
        }
        guard p[10] == 0x20 || p[10] == 0x54, let h = num(p + 11, 2), p[13] == 0x3a, let mi = num(p + 14, 2), p[16] == 0x3a,
              let s = num(p + 17, 2), h < 24, mi < 60, s < 61 else { return nil }
        var i = 19
        if i < count && p[i] == 0x2e { i += 1; while i < count, digit(p[i]) != nil { i += 1 } }
        var offset = 0
        guard i < count else { return nil }
        var c = p[i]
        if c == 0x20 { // " UTC", " GMT", " +01"
            i += 1
            guard i < count else { return nil }
            c = p[i]
            if c == 0x2b || c == 0x2d {
                guard let o = zoneOffset(p + i, count - i) else { return nil }
                offset = o
            } else {
                guard count - i >= 3 else { return nil }
                let a = p[i] | 0x20, b = p[i + 1] | 0x20, e = p[i + 2] | 0x20
                let utc = a == 0x75 && b == 0x74 && e == 0x63, gmt = a == 0x67 && b == 0x6d && e == 0x74
                guard utc || gmt else { return nil }
                if count - i > 3 { let n = p[i + 3]; guard !((n | 0x20) >= 0x61 && (n | 0x20) <= 0x7a) else { return nil } }
            }
        } else if c == 0x5a || c == 0x7a {
            offset = 0
        } else if c == 0x2b || c == 0x2d {
            guard let o = zoneOffset(p + i, count - i) else { return nil }
            offset = o
        } else {
            return nil
        }
        return Int64(days) * 86400 + Int64(h * 3600 + mi * 60 + s) - Int64(offset)
    }

    /// `+HH`, `+HHMM`, `+HH:MM` → seconds east of UTC.
    static func zoneOffset(_ p: UnsafePointer<UInt8>, _ count: Int) -> Int? {
        guard count >= 3, let hh = num(p + 1, 2) else { return nil }
        var mm = 0
        if count >= 6, p[3] == 0x3a, let m = num(p + 4, 2) { mm = m } else if count >= 5, let m = num(p + 3, 2) { mm = m }
        let v = hh * 3600 + mm * 60
        return p[0] == 0x2d ? -v : v
    }

    /// The event time of a line: after `{"timestamp":"` for jsonlog, after `<PRI>VERSION ` for
    /// RFC 5424, else at the start of the line.
    static func lineTime(_ line: UnsafePointer<UInt8>, _ count: Int, cache: inout DateCache) -> Int64? {
        guard count > 0 else { return nil }
        if line[0] == 0x7b { // {
            let key: StaticString = "\"timestamp\":\""
            guard let k = ByteSearch.find(line, count, key.utf8Start, key.utf8CodeUnitCount) else { return nil }
            let start = k + key.utf8CodeUnitCount
            return timestamp(start, count - (start - line), cache: &cache)
        }
        if line[0] == 0x3c { // <PRI>VERSION SP TIMESTAMP
            var i = 1
            while i < count && i < 5 && digit(line[i]) != nil { i += 1 }
            guard i < count, line[i] == 0x3e else { return nil }
            i += 1
            while i < count && digit(line[i]) != nil { i += 1 }
            guard i < count, line[i] == 0x20 else { return nil }
            i += 1
            return timestamp(line + i, count - i, cache: &cache)
        }
        return timestamp(line, count, cache: &cache)
    }

    /// Reads one line. `audit` points just after `AUDIT: `; `end` is the line's end.
    static func parse(line: UnsafePointer<UInt8>, audit: UnsafePointer<UInt8>, end: UnsafePointer<UInt8>, table: AuditedTable,
                      cache: inout DateCache) -> Parsed {
        guard let second = lineTime(line, audit - line, cache: &cache) else {
            return .unparseable("no readable UTC timestamp at the start of the line")
        }
        // AUDIT_TYPE,STATEMENT_ID,SUBSTATEMENT_ID,CLASS,COMMAND,OBJECT_TYPE,OBJECT_NAME,STATEMENT,PARAMETER
        // Seven commas end the fields before the statement; no allocation on this path.
        var p = audit
        var typeEnd = p, classStart = p, classEnd = p, objectStart = p, objectEnd = p
        var k = 0
        while k < 7 {
            guard p < end else { return .unparseable("fewer than eight comma-separated pgaudit fields after 'AUDIT: '") }
            if p.pointee == 0x2c {
                switch k {
                case 0: typeEnd = p
                case 2: classStart = p + 1
                case 3: classEnd = p
                case 5: objectStart = p + 1
                case 6: objectEnd = p
                default: break
                }
                k += 1
            }
            p += 1
        }
        let typeLen = typeEnd - audit
        // Fixed words compared with unaligned loads rather than calls: SESSION, OBJECT, WRITE.
        let a = UnsafeRawPointer(audit)
        let session = typeLen == 7 && a.loadUnaligned(as: UInt32.self) == 0x5353_4553 && a.loadUnaligned(fromByteOffset: 3, as: UInt32.self) == 0x4E4F_4953
        let object = typeLen == 6 && a.loadUnaligned(as: UInt32.self) == 0x454A_424F && a.loadUnaligned(fromByteOffset: 2, as: UInt32.self) == 0x5443_454A
        guard session || object else {
            return .unparseable("pgaudit audit type is neither SESSION nor OBJECT")
        }
        guard classEnd - classStart == 5, UnsafeRawPointer(classStart).loadUnaligned(as: UInt32.self) == 0x5449_5257,
              classStart[4] == 0x45 else { return .other }
        if objectEnd > objectStart {
            return table.matchesObject(objectStart, objectEnd - objectStart) ? .event(second: second) : .other
        }
        // pgaudit logged no object name: the statement text decides.
        return ByteSearch.containsIdentifier(p, end - p, lowerNeedle: table.lowerName) ? .event(second: second) : .other
    }
}

/// The audited table as pgaudit names it: `customer_audit_events` matches the object names
/// `customer_audit_events` and `<schema>.customer_audit_events`; `audit.events` matches only
/// `audit.events`. Comparison ignores ASCII case; quotes around parts are ignored.
struct AuditedTable: Sendable {
    let lowerName: [UInt8]
    let qualified: Bool

    init(_ name: String) {
        lowerName = Array(name.lowercased().replacingOccurrences(of: "\"", with: "").utf8)
        qualified = name.contains(".")
    }

    /// Compares from the end, folding ASCII case and skipping quotes, without allocating.
    func matchesObject(_ p: UnsafePointer<UInt8>, _ n: Int) -> Bool {
        let l = lowerName.count
        // Fast path: `name` or `schema.name` in lower case, without quotes.
        if n >= l, lowerName.withUnsafeBufferPointer({ memcmp(p + (n - l), $0.baseAddress!, l) }) == 0 {
            if n == l { return true }
            if p[n - l - 1] == 0x2e { return !qualified }
        }
        var i = n - 1
        var j = lowerName.count - 1
        while j >= 0 {
            while i >= 0 && (p[i] == 0x22 || p[i] == 0x5c) { i -= 1 }
            guard i >= 0 else { return false }
            var b = p[i]
            if b >= 0x41 && b <= 0x5a { b |= 0x20 }
            guard b == lowerName[j] else { return false }
            i -= 1; j -= 1
        }
        while i >= 0 && (p[i] == 0x22 || p[i] == 0x5c) { i -= 1 }
        if i < 0 { return true }
        // Something precedes the name: only `<schema>.` is allowed, and only for an unqualified policy name.
        return !qualified && p[i] == 0x2e
    }
}
