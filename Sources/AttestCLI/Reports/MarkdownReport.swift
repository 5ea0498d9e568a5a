import Foundation
import AttestCore

/// `attest audit --format markdown`: the auditor's packet page. Everything in it can be
/// re-checked with plain git; the last section says how.
enum MarkdownReport {
    static func render(_ r: AuditReport, _ x: ReportContext) -> String {
        let facts = r.quarters.map { QuarterFacts($0, context: x) }
        var s = "# \(ReportParts.title(r))\n\n"
        s += "**\(ReportParts.passes(r, x) ? "PASS" : "FAIL")**: \(text(ReportParts.summaryText(r, x)))\n\n"
        s += "| | |\n|---|---|\n"
        s += "| Period | \(UTC.day(r.from)) to \(UTC.day(r.to)), UTC, both days included |\n"
        s += "| Required quarters | \(r.quarters.map { $0.quarter.description }.joined(separator: ", ")) (target date inside the period) |\n"
        s += "| Revision audited | \(text(r.revision)) = `\(r.revisionID)` |\n"
        s += "| Attestation folder | \(text(r.folder)) |\n"
        s += "| History read | \(r.commitsWalked) commits, \(r.commitsTouchingFolder) of them touched the folder |\n"
        let bases = Array(Set(r.quarters.map(\.timeBasis.detail))).sorted()
        s += "| Time basis | \(text(bases.isEmpty ? TimeBasis.gitDates.detail : bases.joined(separator: "; "))) |\n"
        s += "| Evidence | \(r.evidenceChecked ? "evidence folders checked against the committed digests" : "not checked (run with --evidence-root DIR)") |\n"
        if r.shallow { s += "| **Warning** | \(text(ReportParts.shallowNote)) |\n" }
        s += "| Produced by | attest \(text(AttestVersion.current)) |\n"
        s += "| Generated | \(UTC.iso(x.generatedAt)) |\n\n"

        s += "## Quarters\n\n"
        s += "| Quarter | Window (UTC) | Verdict | Result | Sign-off commit | Signed (committer) | Verified signer | Git identity (claimed) | Flags |\n"
        s += "|---|---|---|---|---|---|---|---|---|\n"
        for f in facts {
            let q = f.quarter, so = q.signoff
            s += "| \(q.quarter) | \(UTC.human(q.window.opens)) to \(UTC.human(q.window.closes)) | **\(q.verdict.rawValue)** | **\(f.result)** | "
            s += "\(so.map { "`\($0.shortID)`" } ?? "-") | \(so.map { UTC.human($0.committer.time) } ?? "-") | "
            s += "\(text(f.signerText)) | \(so.map { text("\($0.author.name) <\($0.author.email)>") + " (claimed)" } ?? "-") | \(text(ReportParts.flagsText(q))) |\n"
        }
        s += "\nA quarter passes only when it is **on-time** with no flags; the period passes only when every quarter does.\n"

        for f in facts {
            let q = f.quarter
            s += "\n## \(q.quarter): \(text(f.verdictLine))\n\n"
            s += "- File: \(text(q.path))\n"
            s += "- Window: \(UTC.human(q.window.opens)) to \(UTC.human(q.window.closes)) (target \(UTC.human(q.window.target)))\n"
            s += "- Result: **\(f.result)**\n"
            s += "- Verdict: \(text(q.verdictDetail))\n"
            if let so = q.signoff {
                s += "- Sign-off: `\(so.id)`, \(text("\"\(so.subject)\""))\n"
                s += "- Signature: \(text(f.signerText))\n"
                s += "- Git identity: \(text(f.claimedText))\n"
            }
            s += "- Time basis: \(text(q.timeBasis.detail))\n"
            s += "- Policy: \(text(f.policyText))\n"
            s += "- Evidence: \(text(f.evidenceText))\n"
            if !q.flags.isEmpty {
                s += "\n**Flags**\n\n"
                for fl in q.flags { s += "- **\(fl.flag.rawValue)**: \(text(fl.detail))\n" }
            }
            if !q.commits.isEmpty {
                s += "\n**Every commit that touched \(text(q.path))**\n\n"
                s += "| Commit | Role | Change | Author date | Committer date | Author | Subject |\n|---|---|---|---|---|---|---|\n"
                for c in q.commits {
                    s += "| `\(c.shortID)` | \(ReportParts.role(of: c, in: q)) | \(c.change.rawValue) | \(UTC.human(c.author.time)) | \(UTC.human(c.committer.time)) | \(text(c.author.name)) | \(text(c.subject)) |\n"
                }
            }
        }

        if !r.policyChanges.isEmpty {
            s += "\n## Window policy changes in history\n\n| Commit | Committed | Author | Change |\n|---|---|---|---|\n"
            for c in r.policyChanges {
                s += "| `\(c.commit.prefix(12))` | \(UTC.human(c.committer.time)) | \(text(c.author.name)) | \(text(c.changes.map { "\($0.key) \($0.old) → \($0.new)" }.joined(separator: ", "))) |\n"
            }
        }

        s += "\n## How to re-check with git alone\n\n```\n"
        s += "git log --full-history --format='%H %aI %cI %an %s' \(r.revisionID) -- \(ReportParts.shellQuoted(r.folder + "/"))\n"
        s += "git show --stat <commit>            # what a sign-off or amendment changed\n"
        s += "git interpret-trailers --parse < <(git log -1 --format=%B <commit>)   # its Attest-* trailers\n"
        s += "```\n"
        return s
    }

    /// What can open or close inline markdown: emphasis, code, links, images, table cells,
    /// strikethrough, footnotes, math, headings (`-`, `=`, `.` only start a block at the start
    /// of a line, where escaped text never stands: it follows a label or a `|`).
    static let syntax: Set<Unicode.Scalar> = Set("\\`*_{}[]()#+!|~^$".unicodeScalars)

    /// Text that came from a commit, a policy file or the user, as inert markdown: every ASCII
    /// punctuation character in `syntax` is backslash-escaped, `<`, `>`, `&`
    /// and `"` become entities (no raw HTML survives), and line breaks become spaces (one
    /// table cell, one line); `://` and `www.` lose their autolink. E-mail addresses stay
    /// GFM autolinks (no escape stops them): the text shown is still the address. Never put such text in a code span: escapes do not work there.
    static func text(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count + 8)
        let scalars = Array(s.unicodeScalars)
        for (i, ch) in scalars.enumerated() {
            switch ch {
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "&": out += "&amp;"
            case "\"": out += "&quot;"
            case "\n", "\r", "\t", "\u{2028}", "\u{2029}": out += " "
            // GFM's autolinks: "scheme://" and "www." are links even without brackets.
            case ":" where i + 2 < scalars.count && scalars[i + 1] == "/" && scalars[i + 2] == "/": out += "\\:"
            case "." where i >= 3 && String(String.UnicodeScalarView(scalars[(i - 3)..<i])).lowercased() == "www": out += "\\."
            default:
                if ch.value < 0x20 || ch.value == 0x7F { out += " " }
                else if syntax.contains(ch) { out += "\\"; out.unicodeScalars.append(ch) }
                else { out.unicodeScalars.append(ch) }
            }
        }
        return out
    }
}
