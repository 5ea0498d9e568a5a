import Foundation
import AttestCore

/// One departing employee from the departures list (`controls.departures`): who, when HR gave
/// notice (a UTC instant), and the ticket of the deprovisioning runbook run.
public struct Departure: Sendable, Equatable {
    public let email: String
    public let notice: Date
    public let ticket: String
    public let line: Int
}

/// The departures list: a markdown table `| email | notice | ticket |` (like the change log)
/// or, for a `.csv` file, a CSV export with the header `email,notice,ticket`.
public enum DeparturesList {
    static let expected = "a markdown table | email | notice | ticket | (or a CSV file with the header email,notice,ticket) with UTC instants such as 2026-09-01T09:00:00Z"

    public static func load(_ relative: String, root: String) throws(DocumentError) -> [Departure] {
        guard let data = FileManager.default.contents(atPath: root + "/" + relative) else {
            throw DocumentError(message: "\(relative) is missing; expected \(expected)")
        }
        return try parse(data, path: relative)
    }

    public static func parse(_ data: Data, path: String) throws(DocumentError) -> [Departure] {
        guard let text = String(data: data, encoding: .utf8) else { throw DocumentError(message: "\(path) is not UTF-8 text; expected \(expected)") }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { $0.hasSuffix("\r") ? $0.dropLast() : $0 }
        let csv = path.lowercased().hasSuffix(".csv")
        func cells(_ line: Substring) -> [String]? {
            if csv { return line.isEmpty ? nil : line.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: CharacterSet(charactersIn: " \"")) } }
            return WindowTable.cells(line)
        }
        var i = 0
        while i < lines.count {
            defer { i += 1 }
            guard let header = cells(lines[i]) else { continue }
            let names = header.map { $0.lowercased() }
            guard let e = names.firstIndex(of: "email"), let n = names.firstIndex(of: "notice"), let t = names.firstIndex(of: "ticket") else {
                if csv { throw DocumentError(message: "\(path):\(i + 1): the header is not email,notice,ticket; expected \(expected)") }
                continue
            }
            var j = i + 1
            if !csv {
                guard j < lines.count, let sep = cells(lines[j]), sep.allSatisfy({ !$0.isEmpty && $0.allSatisfy { $0 == "-" || $0 == ":" } }) else {
                    throw DocumentError(message: "\(path):\(j + 1): expected the |---|---|---| separator row under the header; expected \(expected)")
                }
                j += 1
            }
            var out: [Departure] = []
            var seen: [String: Int] = [:]
            while j < lines.count, let row = cells(lines[j]) {
                let ln = j + 1
                func cell(_ c: Int) -> String { c < row.count ? row[c] : "" }
                let email = cell(e)
                guard email.contains("@"), !email.contains(" ") else { throw DocumentError(message: "\(path):\(ln): '\(email)' is not an email address; expected \(expected)") }
                if let earlier = seen[email.lowercased()] { throw DocumentError(message: "\(path):\(ln): \(email) is listed twice (also line \(earlier))") }
                guard cell(n).count > 10, let notice = UTC.parseInstant(cell(n)) else {
                    throw DocumentError(message: "\(path):\(ln): notice '\(cell(n))' is not a UTC instant such as 2026-09-01T09:00:00Z")
                }
                guard !cell(t).isEmpty else { throw DocumentError(message: "\(path):\(ln): \(email) has no ticket; every departure names its deprovisioning ticket") }
                seen[email.lowercased()] = ln
                out.append(Departure(email: email, notice: notice, ticket: cell(t), line: ln))
                j += 1
            }
            return out
        }
        throw DocumentError(message: "\(path): no table with columns email, notice and ticket; expected \(expected)")
    }
}
