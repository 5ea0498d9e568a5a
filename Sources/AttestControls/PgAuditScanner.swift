import Foundation
import AttestCrypto

/// Streams pg_audit log exports and counts WRITE-class events on the audited table per UTC
/// day, in bounded memory: a 256 KiB read buffer (small enough that the kernel's copy and the
/// scan both stay in the CPU cache), one counter per day, and one bit per second
/// of the span for finding gaps (about 1 MiB for 90 days).
///
/// The hot path never builds a `String` per line: it searches each buffer for `AUDIT: ` with
/// `memmem`, walks back to the line's start and forward to its end, and parses the bytes in
/// place. Lines without `AUDIT: ` are never looked at.
public struct PgAuditScanner {
    /// The first instant counted (00:00 UTC of the first day) and the last (as-of), epoch seconds.
    public let spanStart: Int64
    public let spanEnd: Int64
    let table: AuditedTable

    /// Events per UTC day; index 0 is the day of `spanStart`.
    public private(set) var perDay: [Int]
    /// One bit per second of [spanStart, spanEnd]: set when an event happened in that second.
    private var seconds: [UInt64]

    public private(set) var auditLines = 0
    public private(set) var events = 0
    public private(set) var otherAudit = 0
    public private(set) var outsideSpan = 0
    public private(set) var unparseable = 0
    public private(set) var bytesRead: UInt64 = 0
    /// Up to ten unparseable lines with file and reason, for the evidence file.
    public private(set) var unparseableSamples: [String] = []
    /// The first counted line of each day (raw, truncated), for the evidence file.
    public private(set) var daySamples: [Int: String] = [:]

    static let bufferSize = 256 << 10
    /// Where `AUDIT: ` was on the last pgaudit line.
    private var hint = 0
    private var dateCache = PgAuditLine.DateCache()
    static let maxSample = 2000

    public init(spanStart: Int64, spanEnd: Int64, table: String) {
        self.spanStart = spanStart
        self.spanEnd = max(spanStart, spanEnd)
        self.table = AuditedTable(table)
        let days = Int((self.spanEnd - spanStart) / 86400) + 1
        perDay = [Int](repeating: 0, count: days)
        seconds = [UInt64](repeating: 0, count: Int((self.spanEnd - spanStart) / 64) + 1)
    }

    /// Scans one export (plain or gzip). Throws only when the file cannot be read to its end
    /// (missing, unreadable, truncated or corrupt gzip); bad lines are counted, never thrown.
    public mutating func scan(path: String) throws(GzipError) {
        let reader = try GzipReader(path: path)
        let size = PgAuditScanner.bufferSize
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 16)
        defer { buffer.deallocate() }
        let base = buffer.baseAddress!.assumingMemoryBound(to: UInt8.self)
        var filled = 0
        var skippingLongLine = false
        while true {
            let n = try reader.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[filled...]))
            bytesRead += UInt64(n)
            let eof = n == 0
            filled += n
            if filled == 0 { break }
            // Process up to the last newline; at EOF, everything.
            var end = filled
            if !eof {
                var k = filled - 1
                while k >= 0 && base[k] != 0x0a { k -= 1 }
                if k < 0 {
                    if filled < size { continue }
                    // One line longer than the buffer: read what is here, then skip to its end.
                    if !skippingLongLine { process(base, filled, path: path, truncated: true) }
                    skippingLongLine = true
                    filled = 0
                    continue
                }
                end = k + 1
            }
            var from = 0
            if skippingLongLine {
                // Drop the rest of the over-long line.
                if let nl = ByteSearch.find(0x0a, base, end) { from = nl - UnsafePointer(base) + 1 } else { from = end }
                skippingLongLine = false
            }
            if end > from { process(base + from, end - from, path: path, truncated: false) }
            let rest = filled - end
            if rest > 0 { memmove(base, base + end, rest) }
            filled = rest
            if eof { break }
        }
    }

    private static let needle: StaticString = "AUDIT: "

    /// Every `AUDIT: ` line in `[p, p + count)`, which starts at a line start.
    private mutating func process(_ p: UnsafeMutablePointer<UInt8>, _ count: Int, path: String, truncated: Bool) {
        let start = UnsafePointer(p)
        let end = start + count
        var pos = start
        let needle = PgAuditScanner.needle
        while pos < end {
            // Line by line with memchr (vectorised). Most lines of an export share one prefix
            // layout, so `AUDIT: ` is first looked for where it was on the previous line, and
            // searched for only when it is not there.
            let lineEnd = ByteSearch.find(0x0a, pos, end - pos) ?? end
            let lineStart = pos
            pos = lineEnd < end ? lineEnd + 1 : end
            let n = lineEnd - lineStart
            let m: UnsafePointer<UInt8>
            if hint + 7 <= n && ByteSearch.isAudit(lineStart + hint) {
                m = lineStart + hint
            } else if let found = ByteSearch.find(lineStart, n, needle.utf8Start, needle.utf8CodeUnitCount) {
                m = found
                hint = found - lineStart
            } else {
                continue
            }
            var contentEnd = lineEnd
            if contentEnd > lineStart && contentEnd[-1] == 0x0d { contentEnd -= 1 }
            auditLines += 1
            switch PgAuditLine.parse(line: lineStart, audit: m + needle.utf8CodeUnitCount, end: contentEnd, table: table, cache: &dateCache) {
            case .event(let second):
                if second < spanStart || second > spanEnd {
                    outsideSpan += 1
                } else {
                    let off = Int(second - spanStart)
                    let day = off / 86400
                    if perDay[day] == 0 { daySamples[day] = PgAuditScanner.sample(lineStart, contentEnd) }
                    perDay[day] += 1
                    seconds[off >> 6] |= 1 << UInt64(off & 63)
                    events += 1
                }
            case .other:
                otherAudit += 1
            case .unparseable(let why):
                unparseable += 1
                if unparseableSamples.count < 10 {
                    let file = (path as NSString).lastPathComponent
                    unparseableSamples.append("\(file): \(truncated ? "over-long line, " : "")\(why): \(PgAuditScanner.sample(lineStart, contentEnd))")
                }
            }
        }
    }

    static func sample(_ a: UnsafePointer<UInt8>, _ b: UnsafePointer<UInt8>) -> String {
        let n = min(b - a, maxSample)
        let s = String(decoding: UnsafeBufferPointer(start: a, count: n), as: UTF8.self)
        return n < b - a ? s + " …" : s
    }

    /// Stretches longer than `limit` seconds with no counted event, from `spanStart` to the
    /// first event, between events, and from the last event to `spanEnd`. Whole seconds.
    public func gaps(longerThan limit: Int64) -> [(from: Int64, to: Int64)] {
        var out: [(Int64, Int64)] = []
        var last: Int64 = spanStart
        let total = spanEnd - spanStart
        for (w, word) in seconds.enumerated() where word != 0 {
            var bits = word
            while bits != 0 {
                let b = Int64(bits.trailingZeroBitCount)
                bits &= bits - 1
                let off = Int64(w) * 64 + b
                guard off <= total else { break }
                let t = spanStart + off
                if t - last > limit { out.append((last, t)) }
                last = t
            }
        }
        if spanEnd - last > limit { out.append((last, spanEnd)) }
        return out
    }
}
