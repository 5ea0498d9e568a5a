import Foundation
import AttestCore

/// `attest audit` for the terminal: one row per quarter, then every verdict and flag in words.
enum TextReport {
    static func render(_ r: AuditReport, _ x: ReportContext) -> String {
        var s = ReportParts.title(r) + "\n"
        s += "Revision \(r.revision) (\(r.revisionID.prefix(12))), folder \(r.folder); "
        s += "\(r.commitsWalked) commits read, \(r.commitsTouchingFolder) touched the folder\n"
        s += "Generated \(UTC.iso(x.generatedAt)) by attest \(AttestVersion.current)\n"
        let bases = Set(r.quarters.map(\.timeBasis.detail))
        if bases.count == 1, let b = bases.first { s += "Time basis: \(b)\n" }
        if r.shallow { s += "Warning: \(ReportParts.shallowNote)\n" }
        s += "\n"
        let facts = r.quarters.map { QuarterFacts($0, context: x) }
        let rows = facts.map { f in
            let q = f.quarter
            return [q.quarter.description, q.verdict.rawValue, f.result,
                    q.signoff.map { UTC.human($0.committer.time) } ?? "-",
                    q.signoff?.shortID ?? "-",
                    f.signature.map { s in if case .verified(let v) = s { return v.principal } else { return s.state } } ?? "-",
                    "\(UTC.day(q.window.opens)) .. \(UTC.day(q.window.closes))",
                    ReportParts.flagsText(q)]
        }
        s += TextTable.render(header: ["Quarter", "Verdict", "Result", "Signed off (committer)", "Commit", "Verified signer", "Window (UTC)", "Flags"], rows: rows)
        s += "\nQuarters:\n"
        for f in facts {
            let q = f.quarter
            s += "  \(q.quarter) \(q.verdict.rawValue): \(q.verdictDetail)\n"
            s += "    result: \(f.verdictLine)\n"
            if q.signoff != nil {
                s += "    signature: \(f.signerText)\n"
                s += "    git identity: \(f.claimedText)\n"
            }
            s += "    time basis: \(q.timeBasis.detail)\n"
            s += "    policy: \(f.policyText)\n"
            s += "    evidence: \(f.evidenceText)\n"
        }
        let flagged = r.quarters.filter { !$0.flags.isEmpty }
        if !flagged.isEmpty {
            s += "\nFlags:\n"
            for q in flagged {
                for f in q.flags { s += "  \(q.quarter) \(f.flag.rawValue): \(f.detail)\n" }
            }
        }
        if r.evidenceChecked { s += "\nEvidence folders were checked against the committed digests.\n" }
        s += "\n" + ReportParts.summary(r, x) + "\n"
        return terminalSafe(s)
    }

    /// Commit subjects and names are hostile input: no control character (an escape sequence
    /// that would rewrite the terminal) reaches it; line breaks stay.
    static func terminalSafe(_ s: String) -> String {
        var out = String.UnicodeScalarView()
        for c in s.unicodeScalars {
            out.append(c == "\n" || !(c.value < 0x20 || (0x7F...0x9F).contains(c.value)) ? c : " ")
        }
        return String(out)
    }
}
