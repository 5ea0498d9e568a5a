import Foundation
/// Timestamps and pgaudit's own fields, on raw bytes (no `String` per line). Which bytes of a
/// line are the time and which the message is decided per format (PgAuditFormats.swift).
///
/// Timestamps: `YYYY-MM-DD[ T]HH:MM:SS[.frac]` followed by `Z`, a numeric offset (`+01`,
/// `+0100`, `+01:00`) or, after a space, a zone abbreviation from PostgreSQL's Default set
/// (`UTC`, `CET`, `CEST`, `EDT`, … ) or a numeric one (`+03`); `%n` epoch seconds.
enum PgAuditLine {
    enum Parsed {
        /// A WRITE-class event on the audited table.
        case event
        /// A well-formed pgaudit message that is not a WRITE on the audited table.
        case other(write: Bool)
        /// The message follows `AUDIT: ` but its fields cannot be read.
        case unparseable(Unreadable)
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

    /// Why a timestamp could not be read.
    enum TimeFailure: Error {
        case noTimestamp, unknownZone
        /// The shape of a timestamp with a date, time or offset that does not exist: 2026-09-31,
        /// 24:00:00, +99:99 (offsets are within ±15:59). Never read as another day.
        case impossible

        var reason: Unreadable {
            switch self {
            case .noTimestamp: return .noTimestamp
            case .unknownZone: return .unknownZone
            case .impossible: return .impossibleTime
            }
        }
    }

    /// Days in a month of the proleptic Gregorian calendar.
    @inline(__always)
    static func daysInMonth(_ y: Int, _ m: Int) -> Int {
        switch m {
        case 2: return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Parses `YYYY-MM-DD[T ]HH:MM:SS[.frac](zone)` at `p` (at most `count` bytes); epoch seconds.
    static func timestamp(_ p: UnsafePointer<UInt8>, _ count: Int) -> Int64? {
        var cache = DateCache()
        return try? timestamp(p, count, cache: &cache).get()
    }

    /// The same, and how many bytes the timestamp took (zone included).
    static func timestamp(_ p: UnsafePointer<UInt8>, _ count: Int, cache: inout DateCache) -> Result<Int64, TimeFailure> {
        var used = 0
        return timestamp(p, count, cache: &cache, used: &used)
    }

    static func timestamp(_ p: UnsafePointer<UInt8>, _ count: Int, cache: inout DateCache, used: inout Int) -> Result<Int64, TimeFailure> {
        guard count >= 19 else { return .failure(.noTimestamp) }
        let raw = UnsafeRawPointer(p)
        let head = raw.loadUnaligned(as: UInt64.self), tail = raw.loadUnaligned(fromByteOffset: 8, as: UInt16.self)
        let days: Int
        if cache.days != 0 && head == cache.head && tail == cache.tail {
            days = cache.days
        } else {
            guard let y = num(p, 4), p[4] == 0x2d, let mo = num(p + 5, 2), p[7] == 0x2d, let d = num(p + 8, 2) else { return .failure(.noTimestamp) }
            guard (1...12).contains(mo), d >= 1, d <= daysInMonth(y, mo) else { return .failure(.impossible) }
            days = daysFromCivil(y, mo, d)
            cache = DateCache(head: head, tail: tail, days: days)
        }
        guard p[10] == 0x20 || p[10] == 0x54 || p[10] == 0x74, let h = num(p + 11, 2), p[13] == 0x3a, let mi = num(p + 14, 2), p[16] == 0x3a,
              let s = num(p + 17, 2) else { return .failure(.noTimestamp) }
        guard h < 24, mi < 60, s < 61 else { return .failure(.impossible) }
        var i = 19
        if i < count && (p[i] == 0x2e || p[i] == 0x2c) { i += 1; while i < count, digit(p[i]) != nil { i += 1 } }
        var offset = 0
        guard i < count else { return .failure(.noTimestamp) }
        var c = p[i]
        if c == 0x20 { // " UTC", " CEST", " +01"
            i += 1
            guard i < count else { return .failure(.noTimestamp) }
            c = p[i]
            if c == 0x2b || c == 0x2d {
                guard let o = zoneOffset(p + i, count - i, used: &i) else { return .failure(offsetFailure(p + i, count - i)) }
                offset = o
            } else {
                var j = i
                while j < count && j - i < 7 && isLetter(p[j]) { j += 1 }
                guard j > i, j == count || !isLetter(p[j]) else { return .failure(.unknownZone) }
                guard let o = zoneAbbreviation(p + i, j - i) else { return .failure(.unknownZone) }
                offset = o
                i = j
                // `UTC+01`-style suffixes are not something PostgreSQL writes; refuse them.
                if i < count && (p[i] == 0x2b || p[i] == 0x2d) && i + 1 < count && digit(p[i + 1]) != nil { return .failure(.unknownZone) }
            }
        } else if c == 0x5a || c == 0x7a {
            offset = 0
            i += 1
        } else if c == 0x2b || c == 0x2d {
            guard let o = zoneOffset(p + i, count - i, used: &i) else { return .failure(offsetFailure(p + i, count - i)) }
            offset = o
        } else {
            return .failure(.noTimestamp)
        }
        used = i
        return .success(Int64(days) * 86400 + Int64(h * 3600 + mi * 60 + s) - Int64(offset))
    }

    @inline(__always)
    static func isLetter(_ b: UInt8) -> Bool { let l = b | 0x20; return l >= 0x61 && l <= 0x7a }

    /// `+HH`, `+HHMM`, `+HH:MM` → seconds east of UTC; `used` is advanced past it.
    static func zoneOffset(_ p: UnsafePointer<UInt8>, _ count: Int, used: inout Int) -> Int? {
        guard count >= 3, let hh = num(p + 1, 2), hh <= 15 else { return nil }
        var mm = 0, n = 3
        if count >= 6, p[3] == 0x3a, let m = num(p + 4, 2) { mm = m; n = 6 } else if count >= 5, let m = num(p + 3, 2) { mm = m; n = 5 }
        guard mm < 60 else { return nil }
        used += n
        let v = hh * 3600 + mm * 60
        return p[0] == 0x2d ? -v : v
    }

    /// Why `zoneOffset` gave nil: digits that are an offset beyond ±15:59 (`+99:99`), or no offset.
    static func offsetFailure(_ p: UnsafePointer<UInt8>, _ count: Int) -> TimeFailure {
        count >= 3 && num(p + 1, 2) != nil ? .impossible : .noTimestamp
    }

    static func zoneOffset(_ p: UnsafePointer<UInt8>, _ count: Int) -> Int? {
        var used = 0
        return zoneOffset(p, count, used: &used)
    }

    /// A zone abbreviation as PostgreSQL writes it for `%m`/`%t` (`UTC`, `CET`, `CEST`, `EDT`, …):
    /// PostgreSQL's own `Default` abbreviation set (share/timezonesets/Default), which is how
    /// PostgreSQL itself reads these abbreviations back, plus a few modern ones it lacks.
    /// Abbreviations the set does not hold are refused (the line is unreadable).
    static func zoneAbbreviation(_ p: UnsafePointer<UInt8>, _ n: Int) -> Int? {
        guard n <= 7 else { return nil }
        if n == 3 { // UTC and GMT without building a String: nearly every line of a UTC export
            let a = p[0] & 0xdf, b = p[1] & 0xdf, c = p[2] & 0xdf
            if (a == 0x55 && b == 0x54 && c == 0x43) || (a == 0x47 && b == 0x4d && c == 0x54) { return 0 }
        }
        var key = ""
        for i in 0..<n { key.unicodeScalars.append(Unicode.Scalar(p[i] & 0xdf)) }
        if key == "UTC" || key == "GMT" { return 0 }
        return zoneTable[key]
    }

    static let zoneTable: [String: Int] = {
        var t: [String: Int] = [:]
        for (k, v) in defaultSet { t[k] = v }
        // Current tzdata abbreviations that PostgreSQL's Default set lacks (unambiguous ones).
        for (k, v) in [("WEST", 3600), ("CAT", 7200), ("MSK", 10800), ("WIB", 25200), ("WITA", 28800), ("WIT", 32400), ("SGT", 28800), ("CHST", 36000), ("SST", -39600)] { t[k] = v }
        return t
    }()

    private static let defaultSet: [(String, Int)] = [
        ("EAT", 10800), ("SAST", 7200), ("WAT", 3600), ("ACT", -18000), ("AKDT", -28800), ("AKST", -32400), ("BOT", -14400), 
        ("BRA", -10800), ("BRST", -7200), ("BRT", -10800), ("COT", -18000), ("CDT", -18000), ("CLST", -10800), ("CST", -21600), 
        ("EDT", -14400), ("EGST", 0), ("EGT", -3600), ("EST", -18000), ("FNT", -7200), ("FNST", -3600), ("GFT", -10800), 
        ("MDT", -21600), ("MST", -25200), ("NDT", -9000), ("NFT", -12600), ("NST", -12600), ("PET", -18000), ("PDT", -25200), 
        ("PMDT", -7200), ("PMST", -10800), ("PST", -28800), ("PYST", -10800), ("UYST", -7200), ("UYT", -10800), ("WGST", 
        -7200), ("WGT", -10800), ("DDUT", 36000), ("AFT", 16200), ("ALMT", 21600), ("ALMST", 25200), ("AMT", -14400), ("BDT", 
        21600), ("BNT", 28800), ("BORT", 28800), ("BTT", 21600), ("CCT", 28800), ("HKT", 28800), ("ICT", 25200), ("IDT", 
        10800), ("IRT", 12600), ("IST", 7200), ("JAYT", 32400), ("JST", 32400), ("KDT", 36000), ("KGST", 21600), ("KST", 
        32400), ("MMT", 23400), ("MYT", 28800), ("NPT", 20700), ("PHT", 28800), ("PKT", 18000), ("PKST", 21600), ("TJT", 
        18000), ("ULAST", 32400), ("UZST", 21600), ("UZT", 18000), ("XJT", 21600), ("YEKST", 21600), ("ADT", -10800), ("AST", 
        -14400), ("AZOST", 0), ("AZOT", -3600), ("ACSST", 37800), ("ACDT", 37800), ("ACST", 34200), ("ACWST", 31500), ("AESST", 
        39600), ("AEDT", 39600), ("AEST", 36000), ("AWSST", 32400), ("AWST", 28800), ("CADT", 37800), ("CAST", 34200), ("LHST", 
        37800), ("LIGT", 36000), ("NZT", 43200), ("SADT", 37800), ("WADT", 28800), ("WAST", 25200), ("WDT", 32400), ("GMT", 0), 
        ("UCT", 0), ("UT", 0), ("UTC", 0), ("Z", 0), ("ZULU", 0), ("BST", 3600), ("BDST", 7200), ("CEST", 7200), ("CET", 3600), 
        ("CETDST", 7200), ("EEST", 10800), ("EET", 7200), ("EETDST", 10800), ("FET", 10800), ("MEST", 7200), ("MESZ", 7200), 
        ("MET", 3600), ("METDST", 7200), ("MEZ", 3600), ("MSD", 14400), ("WET", 0), ("WETDST", 3600), ("CXT", 25200), ("MUT", 
        14400), ("MUST", 18000), ("MVT", 18000), ("RET", 14400), ("SCT", 14400), ("TFT", 18000), ("CHADT", 49500), ("CHAST", 
        45900), ("CHUT", 36000), ("FJST", 46800), ("FJT", 43200), ("GALT", -21600), ("GAMT", -32400), ("GILT", 43200), ("HST", 
        -36000), ("MART", -34200), ("MHT", 43200), ("MPT", 36000), ("NZDT", 46800), ("NZST", 43200), ("PGT", 36000), ("PONT", 
        39600), ("PWT", 32400), ("TAHT", -36000), ("TOT", 46800), ("TRUT", 36000), ("TVT", 43200), ("VUT", 39600), ("WAKT", 
        43200), ("WFT", 43200), ("YAPT", 36000)
    ]

    /// PostgreSQL's syslog output splits a long or multi-line message into chunks numbered
    /// `[line-chunk] `; a chunk other than the first continues a message, it is not one. Looks
    /// back from `AUDIT: ` for `-N] ` with N > 1 (the caller's line holds at least the header).
    static func isSyslogContinuation(_ audit: UnsafePointer<UInt8>) -> Bool {
        guard audit[-1] == 0x20, audit[-2] == 0x5d else { return false }
        var q = audit - 3, n = 0, mult = 1
        while let d = digit(q.pointee), mult < 1_000_000 { n += d * mult; mult *= 10; q -= 1 }
        return mult > 1 && q.pointee == 0x2d && n > 1
    }

    /// `%n`: seconds since the epoch with milliseconds (`1767607200.123`) at `p`.
    static func epochTimestamp(_ p: UnsafePointer<UInt8>, _ count: Int, used: inout Int) -> Int64? {
        var i = 0, v: Int64 = 0
        while i < count, i < 12, let d = digit(p[i]) { v = v * 10 + Int64(d); i += 1 }
        guard i >= 9, i < count, p[i] == 0x2e else { return nil }
        i += 1
        let f = i
        while i < count, digit(p[i]) != nil { i += 1 }
        guard i > f, i == count || p[i] == 0x20 else { return nil }
        used = i
        return v
    }

    /// Reads pgaudit's fields. `audit` points just after `AUDIT: `; `end` is the message's end.
    static func fields(audit: UnsafePointer<UInt8>, end: UnsafePointer<UInt8>, table: AuditedTable) -> Parsed {
        // AUDIT_TYPE,STATEMENT_ID,SUBSTATEMENT_ID,CLASS,COMMAND,OBJECT_TYPE,OBJECT_NAME,STATEMENT,PARAMETER
        // Seven commas end the fields before the statement; no allocation on this path.
        var p = audit
        var typeEnd = p, classStart = p, classEnd = p, objectStart = p, objectEnd = p
        var k = 0
        while k < 7 {
            guard p < end else { return .unparseable(.fewFields) }
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
        guard session || object else { return .unparseable(.auditType) }
        guard classEnd - classStart == 5, UnsafeRawPointer(classStart).loadUnaligned(as: UInt32.self) == 0x5449_5257,
              classStart[4] == 0x45 else { return .other(write: false) }
        if objectEnd > objectStart {
            return table.matchesObject(objectStart, objectEnd - objectStart) ? .event : .other(write: true)
        }
        // pgaudit logged no object name: the statement text decides.
        return ByteSearch.containsIdentifier(p, end - p, lowerNeedle: table.lowerName) ? .event : .other(write: true)
    }

    /// The object name field of a pgaudit message (for naming the tables an export holds).
    static func objectName(audit: UnsafePointer<UInt8>, end: UnsafePointer<UInt8>) -> String? {
        var p = audit, k = 0, start = p
        while p < end {
            if p.pointee == 0x2c {
                k += 1
                if k == 6 { start = p + 1 } else if k == 7 {
                    return p > start ? String(decoding: UnsafeBufferPointer(start: start, count: p - start), as: UTF8.self) : nil
                }
            }
            p += 1
        }
        return nil
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
