import Foundation
import AttestCrypto
import AttestCore
import AttestSystem

/// What one export held: lines read, per format, per reason unreadable, and enough to name
/// the first unreadable line. Step 6 judges each export on these (an unreadable export is an
/// error, never a finding).
public struct ExportStats: Sendable {
    public var name: String
    public var bytes: UInt64 = 0
    public var lines = 0
    public var auditLines = 0
    /// WRITE events on the audited table at any time (inside the span or not).
    public var tableEvents = 0
    public var otherAudit = 0
    public var unreadable = 0
    var perFormat = [Int](repeating: 0, count: LogFormat.allCases.count)
    var perReason = [Int](repeating: 0, count: Unreadable.allCases.count)
    public var firstUnreadable: (line: Int, reason: String, sample: String)?
    public var binary = false
    /// Up to five object names of WRITE lines on other tables.
    public var otherTables: [String] = []

    init(name: String) { self.name = name }

    mutating func merge(_ o: ExportStats) {
        if firstUnreadable == nil, let f = o.firstUnreadable { firstUnreadable = (f.line + lines, f.reason, f.sample) }
        binary = binary || o.binary
        bytes += o.bytes; lines += o.lines; auditLines += o.auditLines; tableEvents += o.tableEvents
        otherAudit += o.otherAudit; unreadable += o.unreadable
        for i in perFormat.indices { perFormat[i] += o.perFormat[i] }
        for i in perReason.indices { perReason[i] += o.perReason[i] }
        for t in o.otherTables where otherTables.count < 5 && !otherTables.contains(t) { otherTables.append(t) }
    }

    /// `stderr (%m/%t prefix) 4320, csvlog 12`: the formats seen among AUDIT lines.
    public var formats: String {
        let seen = LogFormat.allCases.filter { perFormat[$0.rawValue] > 0 }.map { "\($0.name) \(perFormat[$0.rawValue])" }
        return seen.isEmpty ? "none" : seen.joined(separator: ", ")
    }

    public var reasons: String {
        let seen = Unreadable.allCases.filter { perReason[$0.rawValue] > 0 }.map { "\($0.text): \(perReason[$0.rawValue])" }
        return seen.isEmpty ? "none" : seen.joined(separator: "; ")
    }

    /// AUDIT lines in a known format.
    var knownFormatLines: Int { auditLines - perFormat[LogFormat.unknown.rawValue] }
}

/// An export that cannot be read to its end: the file and why.
public struct ExportError: Error, Sendable, CustomStringConvertible {
    public let path: String
    public let message: String
    public var description: String { "\(path): \(message)" }
}

/// Streams pg_audit log exports and counts WRITE-class events on the audited table per UTC
/// day, in bounded memory: a 256 KiB read buffer, one counter per day, and one bit per second
/// of the span for finding gaps (about 1 MiB for 90 days). A large plain export is read by
/// two threads, each over half of the file, and their counts merged.
///
/// The hot path never builds a `String` per line: it searches each buffer for `AUDIT: ` with
/// `memmem`, walks back to the line's start and forward to its end, and parses the bytes in
/// place. Lines without `AUDIT: ` are never looked at (except inside an open csvlog record).
public struct PgAuditScanner {
    /// The first instant counted (00:00 UTC of the first day) and the last (as-of), epoch seconds.
    public let spanStart: Int64
    public let spanEnd: Int64
    let table: AuditedTable
    let tableName: String

    /// Events per UTC day; index 0 is the day of `spanStart`.
    public private(set) var perDay: [Int]
    /// One bit per second of [spanStart, spanEnd]: set when an event happened in that second.
    private var seconds: [UInt64]

    public private(set) var auditLines = 0
    public private(set) var events = 0
    public private(set) var otherAudit = 0
    public private(set) var outsideSpan = 0
    public private(set) var unparseable = 0
    /// Events already counted from an earlier export (overlapping exports).
    public private(set) var duplicates = 0
    public private(set) var bytesRead: UInt64 = 0
    /// Up to ten unparseable lines with file and reason, for the evidence file.
    public private(set) var unparseableSamples: [String] = []
    /// The first counted line of each day (raw, truncated), for the evidence file.
    public private(set) var daySamples: [Int: String] = [:]
    public private(set) var exports: [ExportStats] = []

    /// Hashes of the events of earlier exports, kept only when several exports are read.
    var seen: Set<UInt64>?
    private var newHashes: [UInt64] = []

    static let bufferSize = 256 << 10
    /// Exports at least this large (plain files) are read by two threads.
    static let parallelThreshold: UInt64 = 32 << 20
    private var hint = 0
    static let maxSample = 2000
    var showProgress = false

    public init(spanStart: Int64, spanEnd: Int64, table: String, deduplicate: Bool = false) {
        self.spanStart = spanStart
        self.spanEnd = max(spanStart, spanEnd)
        self.table = AuditedTable(table)
        self.tableName = table
        let days = Int((self.spanEnd - spanStart) / 86400) + 1
        perDay = [Int](repeating: 0, count: days)
        seconds = [UInt64](repeating: 0, count: Int((self.spanEnd - spanStart) / 64) + 1)
        if deduplicate { seen = [] }
    }

    /// A scanner over the same span for one part of a file, sharing the earlier exports' hashes.
    private func part() -> PgAuditScanner {
        var s = PgAuditScanner(spanStart: spanStart, spanEnd: spanEnd, table: tableName)
        s.seen = seen
        return s
    }

    /// Scans one export (plain or gzip; `-` is standard input). Throws only when the file
    /// cannot be read to its end (missing, unreadable, truncated or corrupt gzip); bad lines
    /// are counted per reason, never thrown.
    public mutating func scan(path: String) throws(ExportError) {
        let name = path == "-" ? "standard input" : path
        if path != "-" {
            // A FIFO or a device (/dev/zero) would be read without end: refused, saying what it is.
            do throws(RegularFileError) { if let (fd, _) = try RegularFile.open(path, what: "--pgaudit-log") { close(fd) } } catch {
                throw ExportError(path: name, message: error.description + " (or '-' to read the log from standard input)")
            }
        }
        let reader: GzipReader
        do { reader = try GzipReader(path: path == "-" ? "/dev/stdin" : path) } catch { throw ExportError(path: name, message: error.message) }
        var stats = ExportStats(name: name)
        var st = stat()
        let size: UInt64 = (path != "-" && stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFREG) ? UInt64(st.st_size) : 0
        if !reader.isCompressed && size >= PgAuditScanner.parallelThreshold && ProcessInfo.processInfo.activeProcessorCount > 1 {
            try scanParallel(path: path, size: size, stats: &stats)
        } else {
            var source = Source.reader(reader)
            try scan(&source, name: name, total: size, stats: &stats)
        }
        finishExport(stats)
    }

    private mutating func finishExport(_ stats: ExportStats) {
        exports.append(stats)
        if seen != nil { for h in newHashes { seen!.insert(h) } }
        newHashes = []
        if showProgress { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
    }

    enum Source {
        case reader(GzipReader)
        /// `[offset, end)` of a plain file, read with pread.
        case range(fd: Int32, offset: UInt64, end: UInt64)

        mutating func read(_ into: UnsafeMutableRawBufferPointer, path: String) throws(ExportError) -> Int {
            switch self {
            case .reader(let r): do { return try r.read(into: into) } catch { throw ExportError(path: path, message: error.message) }
            case .range(let fd, let offset, let end):
                let want = Int(min(UInt64(into.count), end - offset))
                if want == 0 { return 0 }
                while true {
                    let n = pread(fd, into.baseAddress, want, off_t(offset))
                    if n < 0 { if errno == EINTR { continue }; throw ExportError(path: path, message: "read failed: \(String(cString: strerror(errno)))") }
                    self = .range(fd: fd, offset: offset + UInt64(n), end: end)
                    return n
                }
            }
        }
    }

    /// Two halves of a plain file, split at a line that starts a record (not inside a csvlog
    /// field), each read by its own thread into its own counters, then merged.
    private mutating func scanParallel(path: String, size: UInt64, stats: inout ExportStats) throws(ExportError) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw ExportError(path: path, message: "cannot open: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        let mid = PgAuditScanner.splitPoint(fd: fd, size: size)
        var parts = [part(), part()]
        var partStats = [ExportStats(name: stats.name), ExportStats(name: stats.name)]
        var errors: [ExportError?] = [nil, nil]
        let ranges = [(UInt64(0), mid), (mid, size)]
        let progress = showProgress
        let name = stats.name
        parts.withUnsafeMutableBufferPointer { ps in
            partStats.withUnsafeMutableBufferPointer { ss in
                errors.withUnsafeMutableBufferPointer { es in
                    nonisolated(unsafe) let ps = ps, ss = ss, es = es
                    DispatchQueue.concurrentPerform(iterations: 2) { i in
                        var source = Source.range(fd: fd, offset: ranges[i].0, end: ranges[i].1)
                        ps[i].showProgress = progress && i == 0
                        do throws(ExportError) {
                            // Only the file's first 64 KiB decide whether it is binary.
                            try ps[i].scan(&source, name: name, total: ranges[i].1 - ranges[i].0, checkBinary: i == 0, stats: &ss[i])
                        } catch { es[i] = error }
                    }
                }
            }
        }
        if let e = errors[0] ?? errors[1] { throw e }
        stats.merge(partStats[0])
        stats.merge(partStats[1])
        for p in parts { absorb(p) }
    }

    /// A newline near the middle after which a line starts with a digit, `{` or `<` (a record's
    /// start in every format): never inside a multi-line csvlog field.
    static func splitPoint(fd: Int32, size: UInt64) -> UInt64 {
        var buf = [UInt8](repeating: 0, count: 1 << 20)
        var at = size / 2
        while at < size {
            let n = buf.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, off_t(at)) }
            if n <= 0 { return size }
            var i = 0
            while i + 1 < n {
                if buf[i] == 0x0a {
                    let b = buf[i + 1]
                    if (b >= 0x30 && b <= 0x39) || b == 0x7b || b == 0x3c { return at + UInt64(i + 1) }
                }
                i += 1
            }
            at += UInt64(max(n - 1, 1))
        }
        return size
    }

    /// Adds a part's counts to these.
    private mutating func absorb(_ p: PgAuditScanner) {
        for i in perDay.indices {
            if perDay[i] == 0, p.perDay[i] > 0, let s = p.daySamples[i] { daySamples[i] = s }
            perDay[i] += p.perDay[i]
        }
        for i in seconds.indices { seconds[i] |= p.seconds[i] }
        auditLines += p.auditLines; events += p.events; otherAudit += p.otherAudit; outsideSpan += p.outsideSpan
        unparseable += p.unparseable; duplicates += p.duplicates; bytesRead += p.bytesRead
        for s in p.unparseableSamples where unparseableSamples.count < 10 { unparseableSamples.append(s) }
        newHashes += p.newHashes
    }

    private mutating func scan(_ source: inout Source, name: String, total: UInt64, checkBinary: Bool = true,
                               stats: inout ExportStats) throws(ExportError) {
        let size = PgAuditScanner.bufferSize
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 16)
        defer { buffer.deallocate() }
        var reader = LineReader(table: table, maxLine: size)
        defer { reader.deallocate() }
        let base = buffer.baseAddress!.assumingMemoryBound(to: UInt8.self)
        var filled = 0
        var skippingLongLine = false
        var state = ScanState()
        var first = checkBinary
        let started = Date()
        var nextProgress: UInt64 = 64 << 20
        var readSoFar: UInt64 = 0
        while true {
            let n = try source.read(UnsafeMutableRawBufferPointer(rebasing: buffer[filled...]), path: name)
            bytesRead += UInt64(n)
            readSoFar += UInt64(n)
            stats.bytes += UInt64(n)
            let eof = n == 0
            filled += n
            if first {
                // Look at the first 64 KiB before any line is read.
                if filled < 65536 && !eof && filled < size { continue }
                first = false
                if memchr(base, 0, min(filled, 65536)) != nil {
                    // A binary file: not an export at all. Nothing of it is counted.
                    stats.binary = true
                    stats.firstUnreadable = (1, Unreadable.binary.text, PgAuditScanner.printable(base, min(filled, 80)))
                    return
                }
            }
            if showProgress && readSoFar >= nextProgress {
                nextProgress += 64 << 20
                let secs = Date().timeIntervalSince(started)
                if secs > 2 {
                    let of = total > 0 ? String(format: " of %.0f MiB (%.0f %%)", Double(total) / 1048576, Double(readSoFar) * 100 / Double(total)) : ""
                    FileHandle.standardError.write(Data(String(format: "\r\u{1B}[Kstep 6: %@ %.0f MiB%@", (name as NSString).lastPathComponent, Double(readSoFar) / 1048576, of).utf8))
                }
            }
            if filled == 0 { break }
            var end = filled
            if !eof {
                guard let nl = PgAuditScanner.lastNewline(base, filled) else {
                    if filled < size { continue }
                    // One line longer than the buffer: note it, then skip to its end.
                    if !skippingLongLine { overLong(base, filled, stats: &stats, state: &state) }
                    skippingLongLine = true
                    filled = 0
                    continue
                }
                end = nl + 1
            }
            var from = 0
            if skippingLongLine {
                if let nl = ByteSearch.find(0x0a, base, end) { from = nl - UnsafePointer(base) + 1 } else { from = end }
                state.line += 1
                skippingLongLine = false
            }
            if end > from { process(base + from, end - from, reader: &reader, stats: &stats, state: &state) }
            let rest = filled - end
            if rest > 0 { memmove(base, base + end, rest) }
            filled = rest
            if eof { break }
        }
        stats.lines = state.line
    }

    static func lastNewline(_ base: UnsafeMutablePointer<UInt8>, _ n: Int) -> Int? {
        var k = n - 1
        while k >= 0 && base[k] != 0x0a { k -= 1 }
        return k >= 0 ? k : nil
    }

    struct ScanState {
        /// Physical lines seen so far in this export (part).
        var line = 0
        /// Inside a csvlog record whose quoted field spans lines.
        var csvOpen = false
    }

    private mutating func overLong(_ p: UnsafeMutablePointer<UInt8>, _ n: Int, stats: inout ExportStats, state: inout ScanState) {
        let needle = LineReader.needle
        guard ByteSearch.find(p, n, needle.utf8Start, needle.utf8CodeUnitCount) != nil else { return }
        var r = LineResult()
        r.kind = .unreadable
        r.reason = .overLong
        r.format = .unknown
        // Read what is here: a pgaudit line over 256 KiB still has its time and fields first.
        if let m = ByteSearch.find(p, n, needle.utf8Start, needle.utf8CodeUnitCount) {
            var reader = LineReader(table: table, maxLine: n)
            defer { reader.deallocate() }
            let got = reader.read(p, p + n, audit: m)
            if got.kind != .unreadable { r = got }
        }
        record(r, p, p + n, stats: &stats, line: state.line + 1)
    }

    /// Every line in `[p, p + count)`, which starts at a line start.
    private mutating func process(_ p: UnsafeMutablePointer<UInt8>, _ count: Int, reader: inout LineReader, stats: inout ExportStats,
                                  state: inout ScanState) {
        let start = UnsafePointer(p)
        let end = start + count
        var pos = start
        let needle = LineReader.needle
        while pos < end {
            // Line by line with memchr (vectorised). Most lines of an export share one prefix
            // layout, so `AUDIT: ` is first looked for where it was on the previous line, and
            // searched for only when it is not there.
            let lineEnd = ByteSearch.find(0x0a, pos, end - pos) ?? end
            let lineStart = pos
            pos = lineEnd < end ? lineEnd + 1 : end
            state.line += 1
            let n = lineEnd - lineStart
            if state.csvOpen {
                // The rest of a csvlog record: an odd number of quotes closes its open field.
                var quotes = 0, q = lineStart
                while let hit = ByteSearch.find(0x22, q, lineEnd - q) { quotes += 1; q = hit + 1 }
                if quotes & 1 == 1 { state.csvOpen = false }
                continue
            }
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
            let r = reader.read(lineStart, contentEnd, audit: m)
            if r.opensRecord { state.csvOpen = true }
            record(r, lineStart, contentEnd, stats: &stats, line: state.line)
        }
    }

    private mutating func record(_ r: LineResult, _ lineStart: UnsafePointer<UInt8>, _ contentEnd: UnsafePointer<UInt8>,
                                 stats: inout ExportStats, line: Int) {
        switch r.kind {
        case .notAudit: return
        case .event:
            auditLines += 1
            stats.auditLines += 1
            stats.perFormat[r.format.rawValue] += 1
            stats.tableEvents += 1
            let second = r.second
            if second < spanStart || second > spanEnd {
                outsideSpan += 1
                return
            }
            if seen != nil, let payload = r.payload {
                let h = PgAuditScanner.hash(second, payload, r.payloadCount)
                if seen!.contains(h) { duplicates += 1; return }
                newHashes.append(h)
            }
            let off = Int(second - spanStart)
            let day = off / 86400
            if perDay[day] == 0 { daySamples[day] = PgAuditScanner.sample(lineStart, contentEnd) }
            perDay[day] += 1
            seconds[off >> 6] |= 1 << UInt64(off & 63)
            events += 1
        case .other, .otherWrite:
            auditLines += 1
            stats.auditLines += 1
            stats.perFormat[r.format.rawValue] += 1
            otherAudit += 1
            stats.otherAudit += 1
            if r.kind == .otherWrite, stats.otherTables.count < 5, let payload = r.payload,
               let name = PgAuditLine.objectName(audit: payload + 7, end: payload + r.payloadCount), !stats.otherTables.contains(name) {
                stats.otherTables.append(name)
            }
        case .unreadable:
            auditLines += 1
            stats.auditLines += 1
            stats.perFormat[r.format.rawValue] += 1
            unparseable += 1
            stats.unreadable += 1
            stats.perReason[r.reason.rawValue] += 1
            let sample = PgAuditScanner.sample(lineStart, contentEnd)
            if stats.firstUnreadable == nil { stats.firstUnreadable = (line, r.reason.text, sample) }
            if unparseableSamples.count < 10 {
                let file = (stats.name as NSString).lastPathComponent
                unparseableSamples.append("\(file):\(line): \(r.reason.text): \(sample)")
            }
        }
    }

    /// FNV-1a over the second and the message's first line: the same event read from two
    /// exports (in any format) has the same message text once unescaped.
    static func hash(_ second: Int64, _ p: UnsafePointer<UInt8>, _ n: Int) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325 ^ UInt64(bitPattern: second)
        h = h &* 0x100_0000_01b3
        for i in 0..<n {
            let b = p[i]
            if b == 0x0a || b == 0x0d { break }
            h = (h ^ UInt64(b)) &* 0x100_0000_01b3
        }
        return h
    }

    static func sample(_ a: UnsafePointer<UInt8>, _ b: UnsafePointer<UInt8>) -> String {
        let n = min(b - a, maxSample)
        let s = String(decoding: UnsafeBufferPointer(start: a, count: n), as: UTF8.self)
        return n < b - a ? s + " …" : s
    }

    /// Bytes as text with anything unprintable as `\xNN` (for a binary file's sample).
    static func printable(_ p: UnsafePointer<UInt8>, _ n: Int) -> String {
        var s = ""
        for i in 0..<n {
            let b = p[i]
            if b >= 0x20 && b < 0x7f { s.unicodeScalars.append(Unicode.Scalar(b)) } else { s += String(format: "\\x%02x", b) }
        }
        return s
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
