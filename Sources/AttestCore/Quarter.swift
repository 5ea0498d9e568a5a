import Foundation

/// A calendar quarter, named `YYYY-QN` as in the runbook's §2 table.
///
/// Parsing is strict: four digits, `-Q`, one digit from 1 to 4, nothing else.
/// `2026-Q4` parses; `2026-q4`, `2026Q4`, ` 2026-Q4` and `2026-Q5` do not.
public struct Quarter: Hashable, Comparable, Sendable, CustomStringConvertible, Codable {
    public let year: Int
    public let number: Int

    public init(year: Int, number: Int) throws(AttestError) {
        guard (1...9999).contains(year) else {
            throw .usage("year \(year) is out of range; use a four-digit year such as 2026")
        }
        guard (1...4).contains(number) else {
            throw .usage("quarter number \(number) is out of range; use Q1, Q2, Q3 or Q4")
        }
        self.year = year
        self.number = number
    }

    /// Parses `YYYY-QN`.
    public init(parsing text: String) throws(AttestError) {
        let bytes = Array(text.utf8)
        let digit: (UInt8) -> Bool = { $0 >= 0x30 && $0 <= 0x39 }
        guard bytes.count == 7, bytes[0..<4].allSatisfy(digit), bytes[4] == UInt8(ascii: "-"),
              bytes[5] == UInt8(ascii: "Q"), (UInt8(ascii: "1")...UInt8(ascii: "4")).contains(bytes[6])
        else {
            throw .usage("'\(text)' is not a quarter; write it as YYYY-QN, for example 2026-Q4")
        }
        try self.init(year: Int(String(decoding: bytes[0..<4], as: UTF8.self))!, number: Int(bytes[6] - 0x30))
    }

    /// The quarter containing a calendar month (1...12) of a year.
    public init(year: Int, month: Int) throws(AttestError) {
        try self.init(year: year, number: (month - 1) / 3 + 1)
    }

    public var description: String { String(format: "%04d-Q%d", year, number) }

    /// `Q4 2026`, the spelling of the runbook's commit message.
    public var spoken: String { "Q\(number) \(year)" }

    /// The first month of the quarter (1, 4, 7 or 10).
    public var firstMonth: Int { (number - 1) * 3 + 1 }

    public var next: Quarter { number == 4 ? try! Quarter(year: year + 1, number: 1) : try! Quarter(year: year, number: number + 1) }
    public var previous: Quarter { number == 1 ? try! Quarter(year: year - 1, number: 4) : try! Quarter(year: year, number: number - 1) }

    public static func < (a: Quarter, b: Quarter) -> Bool { (a.year, a.number) < (b.year, b.number) }

    public init(from decoder: Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        do { try self.init(parsing: text) } catch {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: error.description))
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(description)
    }
}
