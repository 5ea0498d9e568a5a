import Foundation
import AttestCore

/// What every report format says the same way: the role of a commit in its quarter, the
/// period's title, counts.
enum ReportParts {
    /// A commit's part in its quarter's story, for the commit lists.
    static func role(of c: AuditCommit, in q: QuarterReport) -> String {
        if c.id == q.signoff?.id { return "sign-off" }
        let mine = Set(q.flags.filter { $0.commit == c.id }.map(\.flag))
        if mine.contains(.duplicateSignoff) { return "duplicate sign-off" }
        if mine.contains(.deleted) { return "deletion" }
        if mine.contains(.amended) { return "amendment" }
        if c.change == .merged { return "merge" }
        if let s = q.signoff, !c.descendsFrom.contains(s.id) { return "before sign-off" }
        return "change"
    }

    static func title(_ r: AuditReport) -> String {
        "SOC-2 Type II attestation audit, \(UTC.day(r.from)) to \(UTC.day(r.to))"
    }

    static func summary(_ r: AuditReport, _ x: ReportContext) -> String {
        let failing = r.quarters.filter { !$0.passes }.count
        if r.quarters.isEmpty { return "FAIL: no quarter's target date lies in the period" }
        if r.pass, !x.renewalsLost.isEmpty {
            return "FAIL: the trusted time of \(x.renewalsLost.map(\.description).joined(separator: ", ")) is no longer proven by a token or a renewal covering it (timestamp renewals)"
        }
        return r.pass ? "PASS: all \(r.quarters.count) quarters signed off on time, no flags"
            : "FAIL: \(failing) of \(r.quarters.count) quarters not on time or flagged"
    }

    /// The period passes: every quarter does, and no quarter's trusted time lost its renewal cover.
    static func passes(_ r: AuditReport, _ x: ReportContext) -> Bool { r.pass && x.renewalsLost.isEmpty }

    /// The summary without its "PASS: " / "FAIL: " word, for formats that print the word themselves.
    static func summaryText(_ r: AuditReport, _ x: ReportContext) -> String {
        summary(r, x).split(separator: ":", maxSplits: 1).last.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
    }

    static let shallowNote = "this is a shallow clone: commits before its cut-off are not in the repository, so a sign-off or change made there cannot be seen; audit a full clone ('git fetch --unshallow')"

    static func flagsText(_ q: QuarterReport) -> String {
        q.flagNames.isEmpty ? "-" : q.flagNames.map(\.rawValue).joined(separator: ", ")
    }

    static func signer(_ c: AuditCommit) -> String? {
        if case .good(let s) = c.signature { return s }
        return nil
    }
}

extension ReportParts {
    /// A word for a POSIX shell: as is when it is plain, else in single quotes.
    static func shellQuoted(_ s: String) -> String {
        let plain = !s.isEmpty && s.unicodeScalars.allSatisfy { c in
            c.isASCII && (CharacterSet.alphanumerics.contains(c) || "-_./=:@%+,".unicodeScalars.contains(c))
        }
        return plain ? s : "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
