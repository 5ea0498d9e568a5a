import Foundation
import AttestCore

/// `attest audit` for the terminal: one row per quarter, then every verdict and flag in words.
enum TextReport {
    static func render(_ r: AuditReport) -> String {
        var s = ReportParts.title(r) + "\n"
        s += "Revision \(r.revision) (\(r.revisionID.prefix(12))), folder \(r.folder); "
        s += "\(r.commitsWalked) commits read, \(r.commitsTouchingFolder) touched the folder\n"
        let bases = Set(r.quarters.map(\.timeBasis.detail))
        if bases.count == 1, let b = bases.first { s += "Time basis: \(b)\n" }
        if r.shallow { s += "Warning: \(ReportParts.shallowNote)\n" }
        s += "\n"
        let rows = r.quarters.map { q in
            [q.quarter.description, q.verdict.rawValue,
             q.signoff.map { UTC.human($0.committer.time) } ?? "-",
             q.signoff?.shortID ?? "-",
             "\(UTC.day(q.window.opens)) .. \(UTC.day(q.window.closes))",
             ReportParts.flagsText(q)]
        }
        s += TextTable.render(header: ["Quarter", "Verdict", "Signed off (committer)", "Commit", "Window (UTC)", "Flags"], rows: rows)
        s += "\nVerdicts:\n"
        for q in r.quarters {
            s += "  \(q.quarter) \(q.verdict.rawValue): \(q.verdictDetail)\n"
            if bases.count > 1 { s += "    time basis: \(q.timeBasis.detail)\n" }
        }
        let flagged = r.quarters.filter { !$0.flags.isEmpty }
        if !flagged.isEmpty {
            s += "\nFlags:\n"
            for q in flagged {
                for f in q.flags { s += "  \(q.quarter) \(f.flag.rawValue): \(f.detail)\n" }
            }
        }
        if r.evidenceChecked { s += "\nEvidence folders were checked against the committed digests.\n" }
        s += "\n" + ReportParts.summary(r) + "\n"
        return s
    }
}
