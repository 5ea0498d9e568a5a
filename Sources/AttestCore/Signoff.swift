import Foundation

/// The trailers of a sign-off commit (DESIGN.md §4.5), in the order they are written.
///
/// ```
/// ops(compliance): Q4 2026 SOC-2 attestation sign-off
///
/// Attest-Quarter: 2026-Q4
/// Attest-Result: qualified
/// Attest-Document: docs/attestation-log/2026-Q4.md 3f7a…(64 hex)
/// Attest-Evidence: 9c21…(64 hex, SHA-256 of SHA256SUMS)
/// Attest-Late: the DBA on call was out sick        (only for a late sign-off)
/// Attest-Amends: 1a2b3c…(40 hex)                    (only for an amendment)
/// Attest-Timestamp: MIIG…(base64 DER)               (only with a TSA)
/// ```
public struct SignoffTrailers: Sendable, Equatable {
    public var quarter: Quarter
    public var result: OverallResult
    public var documentPath: String
    public var documentSHA256: String
    public var evidenceSHA256: String
    public var late: String?
    public var amends: String?
    public var timestamp: String?

    public init(quarter: Quarter, result: OverallResult, documentPath: String, documentSHA256: String,
                evidenceSHA256: String, late: String? = nil, amends: String? = nil, timestamp: String? = nil) {
        self.quarter = quarter; self.result = result; self.documentPath = documentPath
        self.documentSHA256 = documentSHA256; self.evidenceSHA256 = evidenceSHA256
        self.late = late; self.amends = amends; self.timestamp = timestamp
    }

    public static func subject(for quarter: Quarter) -> String {
        "ops(compliance): \(quarter.spoken) SOC-2 attestation sign-off"
    }

    /// The whole commit message.
    public var message: String {
        var lines = [
            SignoffTrailers.subject(for: quarter), "",
            "Attest-Quarter: \(quarter)",
            "Attest-Result: \(result.rawValue)",
            "Attest-Document: \(documentPath) \(documentSHA256)",
            "Attest-Evidence: \(evidenceSHA256)",
        ]
        if let late { lines.append("Attest-Late: \(Trailers.oneLine(late))") }
        if let amends { lines.append("Attest-Amends: \(Trailers.oneLine(amends))") }
        if let timestamp { lines.append("Attest-Timestamp: \(timestamp)") }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Reads the trailers of a sign-off message. Returns nil when the message carries no
    /// `Attest-Quarter` trailer (not a sign-off); throws when it is a sign-off that is malformed.
    public static func parse(message: String) throws(AttestError) -> SignoffTrailers? {
        let t = Trailers.parse(message)
        let quarters = t.filter { $0.key == "Attest-Quarter" }.map(\.value)
        guard let q = quarters.first else { return nil }
        // Exactly one of each: two quarters in one commit would sign whichever a reader takes.
        guard quarters.count == 1 else { throw .failed("trailer Attest-Quarter appears \(quarters.count) times (\(quarters.joined(separator: ", "))); a sign-off attests one quarter") }
        func one(_ key: String) throws(AttestError) -> String {
            let values = t.filter { $0.key == key }.map(\.value)
            guard values.count == 1, let v = values.first, !v.isEmpty else {
                throw .failed(values.isEmpty ? "trailer \(key) is missing" : "trailer \(key) appears \(values.count) times")
            }
            return v
        }
        func optional(_ key: String) throws(AttestError) -> String? {
            let values = t.filter { $0.key == key }.map(\.value)
            guard values.count <= 1 else { throw .failed("trailer \(key) appears \(values.count) times") }
            return values.first
        }
        let quarter: Quarter
        do { quarter = try Quarter(parsing: q) } catch { throw .failed("trailer Attest-Quarter: \(error.description)") }
        let resultText = try one("Attest-Result")
        guard let result = OverallResult(rawValue: resultText) else {
            throw .failed("trailer Attest-Result is '\(resultText)'; expected clean, qualified or blocked")
        }
        let doc = try one("Attest-Document")
        guard let space = doc.lastIndex(of: " ") else {
            throw .failed("trailer Attest-Document is '\(doc)'; expected '<path> <sha256>'")
        }
        let path = String(doc[..<space]), digest = String(doc[doc.index(after: space)...])
        guard Hex.isSHA256(digest), !path.isEmpty else {
            throw .failed("trailer Attest-Document is '\(doc)'; expected '<path> <sha256>'")
        }
        let evidence = try one("Attest-Evidence")
        guard Hex.isSHA256(evidence) else { throw .failed("trailer Attest-Evidence is '\(evidence)'; expected a SHA-256 in hex") }
        return SignoffTrailers(quarter: quarter, result: result, documentPath: path, documentSHA256: digest,
                               evidenceSHA256: evidence, late: try optional("Attest-Late"),
                               amends: try optional("Attest-Amends"), timestamp: try optional("Attest-Timestamp"))
    }
}

/// git's trailer block: the last paragraph of a message, when every line in it is
/// `Key: value` (or a continuation line starting with white space). Same rule as
/// `git interpret-trailers --parse` for the trailers attest writes.
public enum Trailers {
    public struct Trailer: Sendable, Equatable { public let key: String; public let value: String }

    public static func parse(_ message: String) -> [Trailer] {
        var lines = message.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        while let last = lines.last, last.trimmingCharacters(in: .whitespaces).isEmpty { lines.removeLast() }
        var start = lines.count
        while start > 0, !lines[start - 1].trimmingCharacters(in: .whitespaces).isEmpty { start -= 1 }
        // The subject line is never a trailer block.
        guard start > 0 else { return [] }
        var out: [Trailer] = []
        for line in lines[start...] {
            if let first = line.first, first == " " || first == "\t", let prev = out.popLast() {
                out.append(Trailer(key: prev.key, value: prev.value + " " + line.trimmingCharacters(in: .whitespaces)))
                continue
            }
            guard let colon = line.firstIndex(of: ":") else { return [] }
            let key = String(line[..<colon])
            guard !key.isEmpty, key.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" }) else { return [] }
            out.append(Trailer(key: key, value: line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)))
        }
        return out
    }

    /// A trailer value on one line: newlines and control characters become spaces.
    public static func oneLine(_ s: String) -> String {
        String(s.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7F ? " " : Character($0) })
            .trimmingCharacters(in: .whitespaces)
    }
}

public enum Hex {
    public static func isSHA256(_ s: String) -> Bool { s.utf8.count == 64 && s.utf8.allSatisfy(isLowerHex) }
    public static func isObjectID(_ s: String) -> Bool { s.utf8.count == 40 && s.utf8.allSatisfy(isLowerHex) }
    static func isLowerHex(_ c: UInt8) -> Bool { (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66) }

    public static func encode<S: Sequence>(_ bytes: S) -> String where S.Element == UInt8 {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        for b in bytes { out.append(digits[Int(b >> 4)]); out.append(digits[Int(b & 15)]) }
        return String(decoding: out, as: UTF8.self)
    }
}

public enum AttestVersion {
    public static let current = "0.1.0"
}
