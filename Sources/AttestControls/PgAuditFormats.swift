import Foundation

/// The log formats step 6 reads, each by what it is (docs/collect.md, "Step 6").
enum LogFormat: Int, CaseIterable, Sendable {
    case stderr, stderrEpoch, csvlog, jsonlog, syslog3339, rfc5424, heroku, unknown

    var name: String {
        switch self {
        case .stderr: return "stderr (%m/%t prefix)"
        case .stderrEpoch: return "stderr (%n epoch prefix)"
        case .csvlog: return "csvlog (RFC 4180)"
        case .jsonlog: return "jsonlog (JSON)"
        case .syslog3339: return "syslog (RFC 3339 time first)"
        case .rfc5424: return "RFC 5424 syslog"
        case .heroku: return "Heroku drain (octet-counted RFC 5424)"
        case .unknown: return "no known format"
        }
    }

    /// The formats tried, as an error message lists them.
    static let tried = "PostgreSQL stderr (log_line_prefix with %m, %t or %n), csvlog, jsonlog, syslog with an RFC 3339 time, RFC 5424 syslog, Heroku drain lines"
}

/// Why a line that carries `AUDIT: ` could not be read.
enum Unreadable: Int, CaseIterable, Sendable {
    case noTimestamp, unknownZone, noYear, badJSON, jsonNoTime, badCSV, fewFields, auditType, overLong, binary, impossibleTime

    var text: String {
        switch self {
        case .noTimestamp: return "no timestamp in any known form"
        case .unknownZone: return "time zone abbreviation not known (set log_timezone = 'UTC' or use a numeric offset)"
        case .noYear: return "BSD syslog time without a year (RFC 3164)"
        case .badJSON: return "not valid JSON"
        case .jsonNoTime: return "JSON record without a readable timestamp"
        case .badCSV: return "CSV record without a readable AUDIT message field"
        case .fewFields: return "fewer than eight comma-separated pgaudit fields after 'AUDIT: '"
        case .auditType: return "pgaudit audit type is neither SESSION nor OBJECT"
        case .overLong: return "line longer than 256 KiB"
        case .binary: return "binary data (NUL bytes)"
        case .impossibleTime: return "a date, time or offset that does not exist (such as 2026-09-31, 24:00 or +99:99; offsets are within ±15:59)"
        }
    }
}

/// What one line turned out to be.
struct LineResult {
    enum Kind { case notAudit, event, other, otherWrite, unreadable }
    var kind: Kind = .notAudit
    var format: LogFormat = .unknown
    var second: Int64 = 0
    var reason: Unreadable = .noTimestamp
    /// The pgaudit message from `AUDIT: ` on (decoded), for de-duplication and object names.
    var payload: UnsafePointer<UInt8>? = nil
    var payloadCount = 0
    /// A csvlog record whose quoted field is still open at the end of this physical line.
    var opensRecord = false
}

/// Reads one physical line in whichever format it is in. Holds the scratch space that JSON
/// unescaping and CSV unquoting write into (no allocation per line).
struct LineReader {
    let table: AuditedTable
    var cache = PgAuditLine.DateCache()
    /// Two scratch areas: a JSON message that is itself a log line is read from the first
    /// while the second takes that line's own decoding.
    let scratch: UnsafeMutablePointer<UInt8>
    let scratch2: UnsafeMutablePointer<UInt8>
    let scratchSize: Int

    init(table: AuditedTable, maxLine: Int) {
        self.table = table
        scratchSize = 2 * maxLine + 64
        scratch = .allocate(capacity: scratchSize)
        scratch2 = .allocate(capacity: scratchSize)
    }

    func deallocate() { scratch.deallocate(); scratch2.deallocate() }

    static let needle: StaticString = "AUDIT: "

    /// `line ..< end` is one physical line without its newline; `audit` is where `AUDIT: ` is in it.
    mutating func read(_ line: UnsafePointer<UInt8>, _ end: UnsafePointer<UInt8>, audit: UnsafePointer<UInt8>) -> LineResult {
        read(line, end, audit: audit, scratch: scratch, fallback: nil)
    }

    private mutating func read(_ line: UnsafePointer<UInt8>, _ end: UnsafePointer<UInt8>, audit: UnsafePointer<UInt8>,
                               scratch: UnsafeMutablePointer<UInt8>, fallback: Int64?) -> LineResult {
        let count = end - line
        var r = LineResult()
        guard count > 0 else { return r }
        let c = line[0]
        // PostgreSQL's stderr log writes a message's further lines after a tab: not a record.
        if c == 0x09 { return r }
        if c == 0x7b { // {
            return readJSON(line, end, scratch: scratch)
        }
        if c == 0x3c { // <PRI>
            return syslog5424(line, end, audit: audit, format: .rfc5424)
        }
        if PgAuditLine.digit(c) != nil {
            if count > 10 && line[4] == 0x2d {
                var used = 0
                switch PgAuditLine.timestamp(line, count, cache: &cache, used: &used) {
                case .success(let t):
                    if used < count && line[used] == 0x2c { return readCSV(line, end, from: line + used, second: t, scratch: scratch) }
                    r.format = line[10] == 0x20 ? .stderr : .syslog3339
                    return message(&r, second: t, audit: audit, end: end)
                case .failure(let f):
                    r.format = line[10] == 0x20 ? .stderr : .syslog3339
                    return unreadable(&r, f.reason)
                }
            }
            // Heroku's HTTPS drain frames each RFC 5424 message with its length: `83 <40>1 …`.
            var i = 0
            while i < count && i < 7, PgAuditLine.digit(line[i]) != nil { i += 1 }
            if i < count - 2 && line[i] == 0x20 && line[i + 1] == 0x3c {
                return syslog5424(line + i + 1, end, audit: audit, format: .heroku)
            }
            var used = 0
            if let t = PgAuditLine.epochTimestamp(line, count, used: &used) {
                r.format = .stderrEpoch
                return message(&r, second: t, audit: audit, end: end)
            }
        }
        if c == 0x22, count > 12, PgAuditLine.digit(line[1]) != nil, line[5] == 0x2d { // a csv export that quotes every field
            var used = 0
            if case .success(let t) = PgAuditLine.timestamp(line + 1, count - 1, cache: &cache, used: &used),
               used + 2 < count, line[1 + used] == 0x22, line[2 + used] == 0x2c {
                return readCSV(line, end, from: line + used + 2, second: t, scratch: scratch)
            }
        }
        if let f = fallback {
            // A message inside a JSON record that is a log line without a time of its own.
            r.format = .jsonlog
            return message(&r, second: f, audit: audit, end: end)
        }
        // A prefix that does not start with the time (`[%p] %m …`): the first timestamp before `AUDIT: `.
        var p = line
        while p + 19 <= audit {
            if PgAuditLine.digit(p[0]) != nil, p[4] == 0x2d, p == line || !(PgAuditLine.digit(p[-1]) != nil) {
                var used = 0
                if case .success(let t) = PgAuditLine.timestamp(p, audit - p, cache: &cache, used: &used) {
                    r.format = .stderr
                    return message(&r, second: t, audit: audit, end: end)
                }
            }
            p += 1
        }
        if count > 15 && isMonth(line) { r.format = .unknown; return unreadable(&r, .noYear) }
        r.format = .unknown
        return unreadable(&r, .noTimestamp)
    }

    private func isMonth(_ p: UnsafePointer<UInt8>) -> Bool {
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        let head = String(decoding: UnsafeBufferPointer(start: p, count: 3), as: UTF8.self)
        return months.contains(head) && p[3] == 0x20
    }

    private func unreadable(_ r: inout LineResult, _ why: Unreadable) -> LineResult {
        r.kind = .unreadable
        r.reason = why
        return r
    }

    /// The pgaudit message at `audit` (just at `AUDIT: `), up to `end`.
    private func message(_ r: inout LineResult, second: Int64, audit: UnsafePointer<UInt8>, end: UnsafePointer<UInt8>) -> LineResult {
        if r.format == .syslog3339 || r.format == .rfc5424 || r.format == .heroku, PgAuditLine.isSyslogContinuation(audit) {
            r.kind = .notAudit
            return r
        }
        r.second = second
        r.payload = audit
        r.payloadCount = end - audit
        switch PgAuditLine.fields(audit: audit + 7, end: end, table: table) {
        case .event: r.kind = .event
        case .other(let write): r.kind = write ? .otherWrite : .other
        case .unparseable(let why): r.kind = .unreadable; r.reason = why
        }
        return r
    }

    /// `<PRI>VERSION SP TIMESTAMP SP …`; `<PRI>Mmm dd hh:mm:ss` (RFC 3164) has no year.
    private mutating func syslog5424(_ line: UnsafePointer<UInt8>, _ end: UnsafePointer<UInt8>, audit: UnsafePointer<UInt8>,
                                     format: LogFormat) -> LineResult {
        var r = LineResult()
        r.format = format
        let count = end - line
        var i = 1
        while i < count && i < 5 && PgAuditLine.digit(line[i]) != nil { i += 1 }
        guard i < count, line[i] == 0x3e else { return unreadable(&r, .noTimestamp) }
        i += 1
        if count - i > 15 && isMonth(line + i) { return unreadable(&r, .noYear) }
        while i < count && PgAuditLine.digit(line[i]) != nil { i += 1 }
        guard i < count, line[i] == 0x20 else { return unreadable(&r, .noTimestamp) }
        i += 1
        switch PgAuditLine.timestamp(line + i, count - i, cache: &cache) {
        case .success(let t): return message(&r, second: t, audit: audit, end: end)
        case .failure(let f): return unreadable(&r, f.reason)
        }
    }

    // MARK: csvlog

    /// A csvlog record (RFC 4180): fields after the time, quoted ones with `""` for a quote and
    /// possibly line breaks. The first field whose text starts with `AUDIT: ` is the message
    /// (csvlog's `message`, the 14th); it is unquoted into scratch and read there.
    private func readCSV(_ line: UnsafePointer<UInt8>, _ end: UnsafePointer<UInt8>, from: UnsafePointer<UInt8>, second: Int64,
                         scratch: UnsafeMutablePointer<UInt8>) -> LineResult {
        var r = LineResult()
        r.format = .csvlog
        var p = from
        var field = 0
        while p < end && field < 40 {
            guard p.pointee == 0x2c else { return unreadable(&r, .badCSV) }
            p += 1
            field += 1
            if p < end && p.pointee == 0x22 {
                // Quoted: find the closing quote, skipping doubled ones.
                let start = p + 1
                var q = start
                var closed = false
                while q < end {
                    guard let hit = ByteSearch.find(0x22, q, end - q) else { q = end; break }
                    if hit + 1 < end && hit[1] == 0x22 { q = hit + 2; continue }
                    q = hit; closed = true; break
                }
                if end - start >= 7 && ByteSearch.isAudit(start) {
                    // Unquote from the message on.
                    var o = 0
                    var s = start
                    while s < q {
                        let b = s.pointee
                        scratch[o] = b; o += 1
                        s += (b == 0x22 && s + 1 < q && s[1] == 0x22) ? 2 : 1
                    }
                    r.opensRecord = !closed
                    return message(&r, second: second, audit: UnsafePointer(scratch), end: UnsafePointer(scratch + o))
                }
                if !closed { r.opensRecord = true; return r } // a record whose open field is not the message
                p = q + 1
            } else {
                let start = p
                let next = ByteSearch.find(0x2c, p, end - p) ?? end
                if next - start >= 7 && ByteSearch.isAudit(start) {
                    return message(&r, second: second, audit: start, end: next)
                }
                p = next
            }
        }
        // AUDIT: appears in the record, but in no field of its own (a detail or a statement).
        r.kind = .notAudit
        return r
    }

    // MARK: jsonlog

    static let messageKeys: [[UInt8]] = ["message", "msg", "log", "MESSAGE", "line", "textPayload"].map { Array($0.utf8) }
    static let timeKeys: [[UInt8]] = ["timestamp", "@timestamp", "time", "ts", "log_time", "date", "datetime", "_time"].map { Array($0.utf8) }

    /// A JSON record, any whitespace, key order, escapes and extra keys; the message may sit in
    /// a nested object, or be itself a log line or a JSON record (a drain that wraps jsonlog).
    private mutating func readJSON(_ line: UnsafePointer<UInt8>, _ end: UnsafePointer<UInt8>, scratch: UnsafeMutablePointer<UInt8>) -> LineResult {
        var r = LineResult()
        r.format = .jsonlog
        var json = JSONRecord(p: line, end: end, out: scratch)
        guard json.parse() else { return unreadable(&r, .badJSON) }
        guard let m = json.message else { r.kind = .notAudit; return r }
        let msg = UnsafePointer(scratch + m.offset), msgEnd = msg + m.count
        var second: Int64?
        if let t = json.time {
            if t.offset < 0 { second = t.epoch } else {
                let ts = UnsafePointer(scratch + t.offset)
                var used = 0
                switch PgAuditLine.timestamp(ts, t.count, cache: &cache, used: &used) {
                case .success(let v): second = v
                case .failure(let f): if f != .noTimestamp { return unreadable(&r, f.reason) }
                    if let v = PgAuditLine.epochTimestamp(ts, t.count, used: &used) { second = v }
                }
            }
        }
        if m.count >= 7 && ByteSearch.isAudit(msg) {
            guard let second else { return unreadable(&r, .jsonNoTime) }
            return message(&r, second: second, audit: msg, end: msgEnd)
        }
        // The message is a log line of its own (a drain that wrapped a stderr line or a jsonlog record).
        let needle = LineReader.needle
        guard scratch == self.scratch, let a = ByteSearch.find(msg, m.count, needle.utf8Start, needle.utf8CodeUnitCount) else {
            r.kind = .notAudit; return r
        }
        let lineEnd = ByteSearch.find(0x0a, a, msgEnd - a) ?? msgEnd
        var inner = read(msg, lineEnd, audit: a, scratch: scratch2, fallback: second)
        if inner.format == .unknown && inner.kind == .unreadable && inner.reason == .noTimestamp && second == nil { inner.reason = .jsonNoTime }
        if inner.format != .jsonlog && inner.format != .unknown { inner.format = .jsonlog }
        if inner.format == .unknown { inner.format = .jsonlog }
        return inner
    }
}

/// One JSON value on one line, validated, with only what step 6 needs decoded: the first
/// message string holding `AUDIT: ` and the time key of the object it sits in (or of the
/// nearest enclosing object that has one). Strings are unescaped into `out`.
struct JSONRecord {
    var p: UnsafePointer<UInt8>
    let end: UnsafePointer<UInt8>
    let out: UnsafeMutablePointer<UInt8>
    var used = 0
    /// Offsets into `out`; a time with `offset < 0` is a number of epoch seconds in `epoch`.
    var message: (offset: Int, count: Int)?
    var time: (offset: Int, count: Int, epoch: Int64)?
    var depth = 0

    mutating func parse() -> Bool {
        skipSpace()
        guard p < end, p.pointee == 0x7b else { return false }
        var t: (Int, Int, Int64)?
        guard object(&t) else { return false }
        skipSpace()
        return p == end
    }

    private mutating func skipSpace() {
        while p < end, p.pointee == 0x20 || p.pointee == 0x09 || p.pointee == 0x0d || p.pointee == 0x0a { p += 1 }
    }

    /// Parses an object; `ownTime` is set to this object's time key. Binds the message found
    /// inside it (at any depth) to the nearest time.
    private mutating func object(_ ownTime: inout (Int, Int, Int64)?) -> Bool {
        depth += 1
        guard depth < 64 else { return false }
        defer { depth -= 1 }
        p += 1
        skipSpace()
        let hadMessage = message != nil
        var foundHere = false
        if p < end && p.pointee == 0x7d { p += 1; return true }
        while true {
            skipSpace()
            guard p < end, p.pointee == 0x22 else { return false }
            // The key, compared raw when it has no escapes.
            let keyStart = p + 1
            guard let keyEnd = skipString() else { return false }
            let key = UnsafeBufferPointer(start: keyStart, count: keyEnd - keyStart)
            skipSpace()
            guard p < end, p.pointee == 0x3a else { return false }
            p += 1
            skipSpace()
            guard p < end else { return false }
            let isMessage = message == nil && LineReader.messageKeys.contains { $0.elementsEqual(key) }
            let isTime = ownTime == nil && LineReader.timeKeys.contains { $0.elementsEqual(key) }
            let c = p.pointee
            if c == 0x22 && (isMessage || isTime) {
                let start = used
                guard let n = decodeString() else { return false }
                if isMessage {
                    let a = UnsafeRawPointer(out + start)
                    if n >= 7 && (ByteSearch.find(out + start, n, LineReader.needle.utf8Start, 7) != nil || a.load(as: UInt8.self) == 0x7b) {
                        message = (start, n); foundHere = true
                    }
                } else {
                    ownTime = (start, n, 0)
                }
            } else if c == 0x7b {
                var inner: (Int, Int, Int64)?
                let before = message != nil
                guard object(&inner) else { return false }
                if !before && message != nil { foundHere = true }
            } else if isTime && (c == 0x2d || PgAuditLine.digit(c) != nil) {
                let s = p
                guard skipValue() else { return false }
                if let e = epoch(s, p) { ownTime = (-1, 0, e) }
            } else {
                guard skipValue() else { return false }
            }
            skipSpace()
            guard p < end else { return false }
            if p.pointee == 0x2c { p += 1; continue }
            if p.pointee == 0x7d { p += 1; break }
            return false
        }
        if !hadMessage && foundHere && time == nil, let t = ownTime { time = (t.0, t.1, t.2) }
        // A message that is itself JSON: parse it in place (its own time wins).
        if !hadMessage, foundHere, depth == 1, let m = message, out[m.offset] == 0x7b {
            var inner = JSONRecord(p: UnsafePointer(out + m.offset), end: UnsafePointer(out + m.offset + m.count), out: out)
            inner.used = used
            if inner.parse(), let im = inner.message {
                message = im
                if let it = inner.time { time = it }
                used = inner.used
            }
        }
        return true
    }

    /// Epoch seconds from a JSON number (seconds, milliseconds, microseconds or nanoseconds).
    private func epoch(_ a: UnsafePointer<UInt8>, _ b: UnsafePointer<UInt8>) -> Int64? {
        var v: Int64 = 0, digits = 0, q = a
        while q < b, let d = PgAuditLine.digit(q.pointee) { if digits < 19 { v = v * 10 + Int64(d) }; digits += 1; q += 1 }
        guard digits >= 9 else { return nil }
        switch digits {
        case ...11: return v
        case 12...14: return v / 1000
        case 15...17: return v / 1_000_000
        default: return v / 1_000_000_000
        }
    }

    /// Skips a string at `p` (on its opening quote); returns where its closing quote is.
    private mutating func skipString() -> UnsafePointer<UInt8>? {
        var q = p + 1
        while q < end {
            guard let hit = memchr2(q, end) else { return nil }
            if hit.pointee == 0x5c { q = hit + 2; continue }
            p = hit + 1
            return hit
        }
        return nil
    }

    /// The next `"` or `\` in `[q, end)`.
    private func memchr2(_ q: UnsafePointer<UInt8>, _ end: UnsafePointer<UInt8>) -> UnsafePointer<UInt8>? {
        var r = q
        while r < end { let b = r.pointee; if b == 0x22 || b == 0x5c { return r }; r += 1 }
        return nil
    }

    /// Decodes the string at `p` into `out[used...]`; returns its byte length.
    private mutating func decodeString() -> Int? {
        var q = p + 1
        let start = used
        while q < end {
            let b = q.pointee
            if b == 0x22 { p = q + 1; return used - start }
            if b != 0x5c { out[used] = b; used += 1; q += 1; continue }
            guard q + 1 < end else { return nil }
            let e = q[1]
            q += 2
            switch e {
            case 0x22, 0x5c, 0x2f: out[used] = e; used += 1
            case 0x62: out[used] = 0x08; used += 1
            case 0x66: out[used] = 0x0c; used += 1
            case 0x6e: out[used] = 0x0a; used += 1
            case 0x72: out[used] = 0x0d; used += 1
            case 0x74: out[used] = 0x09; used += 1
            case 0x75:
                guard var u = hex4(q, end) else { return nil }
                q += 4
                if u >= 0xD800 && u < 0xDC00, q + 6 <= end, q[0] == 0x5c, q[1] == 0x75, let lo = hex4(q + 2, end), lo >= 0xDC00 && lo < 0xE000 {
                    u = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00)
                    q += 6
                }
                let scalar = Unicode.Scalar(u) ?? "\u{FFFD}"
                for byte in String(scalar).utf8 { out[used] = byte; used += 1 }
            default: return nil
            }
        }
        return nil
    }

    private func hex4(_ q: UnsafePointer<UInt8>, _ end: UnsafePointer<UInt8>) -> UInt32? {
        guard end - q >= 4 else { return nil }
        var v: UInt32 = 0
        for i in 0..<4 {
            let b = q[i] | 0x20
            if b >= 0x30 && b <= 0x39 { v = v << 4 | UInt32(b - 0x30) } else if b >= 0x61 && b <= 0x66 { v = v << 4 | UInt32(b - 0x57) } else { return nil }
        }
        return v
    }

    /// Skips any JSON value at `p`, validating its shape.
    private mutating func skipValue() -> Bool {
        guard p < end else { return false }
        switch p.pointee {
        case 0x22: return skipString() != nil
        case 0x7b:
            var t: (Int, Int, Int64)?
            return object(&t)
        case 0x5b:
            depth += 1
            defer { depth -= 1 }
            guard depth < 64 else { return false }
            p += 1
            skipSpace()
            if p < end && p.pointee == 0x5d { p += 1; return true }
            while true {
                skipSpace()
                guard skipValue() else { return false }
                skipSpace()
                guard p < end else { return false }
                if p.pointee == 0x2c { p += 1; continue }
                if p.pointee == 0x5d { p += 1; return true }
                return false
            }
        default:
            let s = p
            while p < end {
                let b = p.pointee
                if b == 0x2c || b == 0x7d || b == 0x5d || b == 0x20 || b == 0x09 || b == 0x0d || b == 0x0a { break }
                p += 1
            }
            let n = p - s
            guard n > 0 else { return false }
            let c = s.pointee
            if c == 0x74 || c == 0x66 || c == 0x6e { // true, false, null
                let w = UnsafeBufferPointer(start: s, count: n)
                return w.elementsEqual("true".utf8) || w.elementsEqual("false".utf8) || w.elementsEqual("null".utf8)
            }
            for i in 0..<n {
                let b = s[i]
                guard PgAuditLine.digit(b) != nil || b == 0x2d || b == 0x2b || b == 0x2e || b == 0x65 || b == 0x45 else { return false }
            }
            return true
        }
    }
}
