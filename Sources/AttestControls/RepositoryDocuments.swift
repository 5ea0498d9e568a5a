import Foundation
import AttestCore

/// A repository document a rule needs is missing or malformed: the step is `error` with the
/// path, the line when there is one, and the expected format.
public struct DocumentError: Error, Sendable, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}

/// The most recent auditor authorization memo (Step 2): the file
/// `<memo folder>/auditor-authorization-YYYY-MM-DD.md` with the latest date in its name that is
/// not after `as_of`. Every email address written in it is authorized.
public struct AuditorMemo: Sendable {
    /// Path relative to the repository root.
    public let path: String
    public let date: String
    /// Lower-cased addresses.
    public let emails: Set<String>
    public let sha256: String?

    public static let expected = "a markdown file named auditor-authorization-YYYY-MM-DD.md listing each authorized auditor's email address"

    public static func latest(folder: String, root: String, notAfter asOf: Date) throws(DocumentError) -> AuditorMemo {
        let dir = root + "/" + folder
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: dir) else {
            throw DocumentError(message: "no auditor authorization memo: folder \(folder) does not exist; expected \(expected) in \(folder)/")
        }
        let asOfDay = UTC.day(asOf)
        var best: (date: String, name: String)?
        for name in names where name.hasPrefix("auditor-authorization-") && name.hasSuffix(".md") {
            let date = String(name.dropFirst("auditor-authorization-".count).dropLast(3))
            guard date.count == 10, let d = UTC.parseInstant(date), UTC.day(d) == date, date <= asOfDay else { continue }
            if best == nil || date > best!.date { best = (date, name) }
        }
        guard let best else {
            throw DocumentError(message: "no auditor authorization memo dated on or before \(asOfDay) in \(folder)/; expected \(expected)")
        }
        let rel = folder + "/" + best.name
        guard let data = FileManager.default.contents(atPath: root + "/" + rel), let text = String(data: data, encoding: .utf8) else {
            throw DocumentError(message: "\(rel): cannot be read as UTF-8 text; expected \(expected)")
        }
        let emails = Set(AuditorMemo.emails(in: text))
        guard !emails.isEmpty else {
            throw DocumentError(message: "\(rel): holds no email address; expected \(expected)")
        }
        return AuditorMemo(path: rel, date: best.date, emails: emails, sha256: nil)
    }

    /// Email addresses in a text, lower-cased, in order of appearance.
    public static func emails(in text: String) -> [String] {
        let re = try! NSRegularExpression(pattern: #"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}"#)
        return re.matches(in: text, range: NSRange(text.startIndex..., in: text)).compactMap {
            Range($0.range, in: text).map { text[$0].lowercased() }
        }
    }
}

/// One row of a change-window or maintenance-window table.
public struct TimeWindow: Sendable, Equatable {
    public let id: String
    public let start: Date
    public let end: Date
    public let reason: String?
    /// The line of the table row, for messages.
    public let line: Int

    public func contains(_ d: Date) -> Bool { d >= start && d <= end }
}

/// A markdown table of windows: a header row with at least `id`, `start` and `end` (and
/// `reason` when required), a `|---|` separator, then one row per window with UTC instants
/// (`2026-03-28T22:00:00Z`, `2026-03-28 22:00Z`, or a date alone for 00:00 UTC).
///
/// The first table in the file whose header has those columns is read; other text and tables
/// are ignored. Every row of that table must parse, or the whole file is refused, naming the line.
public enum WindowTable {
    public static func expected(requireReason: Bool) -> String {
        "a markdown table with columns | id | start | end |\(requireReason ? " reason |" : "") and UTC instants such as 2026-03-28T22:00:00Z"
    }

    public static func load(_ relative: String, root: String, requireReason: Bool) throws(DocumentError) -> [TimeWindow] {
        guard let data = FileManager.default.contents(atPath: root + "/" + relative) else {
            throw DocumentError(message: "\(relative) is missing; expected \(expected(requireReason: requireReason))")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw DocumentError(message: "\(relative) is not UTF-8 text; expected \(expected(requireReason: requireReason))")
        }
        return try parse(text, path: relative, requireReason: requireReason)
    }

    static func cells(_ line: Substring) -> [String]? {
        var t = line.trimmingCharacters(in: .whitespaces)
        guard t.hasPrefix("|") else { return nil }
        t.removeFirst()
        if t.hasSuffix("|") { t.removeLast() }
        return t.split(separator: "|", omittingEmptySubsequences: false).map {
            $0.trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "`*"))
        }
    }

    public static func parse(_ text: String, path: String, requireReason: Bool) throws(DocumentError) -> [TimeWindow] {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { $0.hasSuffix("\r") ? $0.dropLast() : $0 }
        var i = 0
        while i < lines.count {
            defer { i += 1 }
            guard let header = cells(lines[i]) else { continue }
            let names = header.map { $0.lowercased() }
            guard let idCol = names.firstIndex(of: "id"), let startCol = names.firstIndex(of: "start"),
                  let endCol = names.firstIndex(of: "end") else { continue }
            let reasonCol = names.firstIndex(of: "reason")
            if requireReason && reasonCol == nil {
                throw DocumentError(message: "\(path):\(i + 1): the table has no reason column; expected \(expected(requireReason: true))")
            }
            guard i + 1 < lines.count, let sep = cells(lines[i + 1]),
                  sep.allSatisfy({ !$0.isEmpty && $0.allSatisfy { $0 == "-" || $0 == ":" } }) else {
                throw DocumentError(message: "\(path):\(i + 2): expected the |---|---|---| separator row under the header; expected \(expected(requireReason: requireReason))")
            }
            var out: [TimeWindow] = []
            var seen: Set<String> = []
            var j = i + 2
            while j < lines.count, let row = cells(lines[j]) {
                let n = j + 1
                func cell(_ c: Int) -> String { c < row.count ? row[c] : "" }
                let id = cell(idCol)
                guard !id.isEmpty else { throw DocumentError(message: "\(path):\(n): empty id; expected \(expected(requireReason: requireReason))") }
                guard !seen.contains(id) else { throw DocumentError(message: "\(path):\(n): id '\(id)' is listed twice") }
                guard let start = UTC.parseInstant(cell(startCol)) else {
                    throw DocumentError(message: "\(path):\(n): start '\(cell(startCol))' is not a UTC instant; expected \(expected(requireReason: requireReason))")
                }
                guard let end = UTC.parseInstant(cell(endCol)) else {
                    throw DocumentError(message: "\(path):\(n): end '\(cell(endCol))' is not a UTC instant; expected \(expected(requireReason: requireReason))")
                }
                guard end >= start else { throw DocumentError(message: "\(path):\(n): window '\(id)' ends before it starts") }
                let reason = reasonCol.map(cell)
                if requireReason && (reason ?? "").isEmpty {
                    throw DocumentError(message: "\(path):\(n): window '\(id)' has no reason; every maintenance window needs one")
                }
                seen.insert(id)
                out.append(TimeWindow(id: id, start: start, end: end, reason: reason, line: n))
                j += 1
            }
            return out
        }
        throw DocumentError(message: "\(path): no table with columns id, start and end; expected \(expected(requireReason: requireReason))")
    }

    /// Whether `[from, to]` lies wholly inside the union of the windows.
    public static func covers(_ windows: [TimeWindow], from: Date, to: Date) -> [TimeWindow]? {
        var t = from
        var used: [TimeWindow] = []
        let sorted = windows.sorted { $0.start < $1.start }
        var progressed = true
        while t < to && progressed {
            progressed = false
            // The window that starts at or before t and reaches furthest.
            if let w = sorted.filter({ $0.start <= t && $0.end > t }).max(by: { $0.end < $1.end }) {
                used.append(w); t = w.end; progressed = true
            }
        }
        return t >= to ? used : nil
    }
}
