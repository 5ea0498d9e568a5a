import Foundation
import AttestCore

/// `attest audit --format markdown`: the auditor's packet page. Everything in it can be
/// re-checked with plain git; the last section says how.
enum MarkdownReport {
    static func render(_ r: AuditReport) -> String {
        var s = "# \(ReportParts.title(r))\n\n"
        s += "**\(r.pass ? "PASS" : "FAIL")**: \(cell(ReportParts.summary(r).split(separator: ":", maxSplits: 1).last.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""))\n\n"
        s += "| | |\n|---|---|\n"
        s += "| Period | \(UTC.day(r.from)) to \(UTC.day(r.to)), UTC, both days included |\n"
        s += "| Required quarters | \(r.quarters.map { $0.quarter.description }.joined(separator: ", ")) (target date inside the period) |\n"
        s += "| Revision audited | `\(cell(r.revision))` = `\(r.revisionID)` |\n"
        s += "| Attestation folder | `\(cell(r.folder))` |\n"
        s += "| History read | \(r.commitsWalked) commits, \(r.commitsTouchingFolder) of them touched the folder |\n"
        let bases = Array(Set(r.quarters.map(\.timeBasis.detail))).sorted()
        s += "| Time basis | \(cell(bases.isEmpty ? TimeBasis.gitDates.detail : bases.joined(separator: "; "))) |\n"
        s += "| Evidence | \(r.evidenceChecked ? "evidence folders checked against the committed digests" : "not checked (run with --evidence-root DIR)") |\n"
        if r.shallow { s += "| **Warning** | \(ReportParts.shallowNote) |\n" }
        s += "| Produced by | attest \(AttestVersion.current) |\n\n"

        s += "## Quarters\n\n"
        s += "| Quarter | Window (UTC) | Verdict | Sign-off commit | Signed (committer) | Signed by | Flags |\n"
        s += "|---|---|---|---|---|---|---|\n"
        for q in r.quarters {
            let so = q.signoff
            s += "| \(q.quarter) | \(UTC.human(q.window.opens)) to \(UTC.human(q.window.closes)) | **\(q.verdict.rawValue)** | "
            s += "\(so.map { "`\($0.shortID)`" } ?? "-") | \(so.map { UTC.human($0.committer.time) } ?? "-") | "
            s += "\(so.map { cell("\($0.author.name) <\($0.author.email)>") } ?? "-") | \(ReportParts.flagsText(q)) |\n"
        }
        s += "\nA quarter passes only when it is **on-time** with no flags; the period passes only when every quarter does.\n"

        for q in r.quarters {
            s += "\n## \(q.quarter): \(q.verdict.rawValue)\(q.flags.isEmpty ? "" : ", flagged \(ReportParts.flagsText(q))")\n\n"
            s += "- File: `\(cell(q.path))`\n"
            s += "- Window: \(UTC.human(q.window.opens)) to \(UTC.human(q.window.closes)) (target \(UTC.human(q.window.target)))\n"
            s += "- Verdict: \(q.verdictDetail)\n"
            if let so = q.signoff {
                s += "- Sign-off: `\(so.id)`, \"\(cell(so.subject))\"; signature: \(so.signature.name)\(ReportParts.signer(so).map { " (\($0))" } ?? "")\n"
            }
            s += "- Time basis: \(q.timeBasis.detail)\n"
            if !q.flags.isEmpty {
                s += "\n**Flags**\n\n"
                for f in q.flags { s += "- **\(f.flag.rawValue)**: \(f.detail)\n" }
            }
            if !q.commits.isEmpty {
                s += "\n**Every commit that touched `\(cell(q.path))`**\n\n"
                s += "| Commit | Role | Change | Author date | Committer date | Author | Subject |\n|---|---|---|---|---|---|---|\n"
                for c in q.commits {
                    s += "| `\(c.shortID)` | \(ReportParts.role(of: c, in: q)) | \(c.change.rawValue) | \(UTC.human(c.author.time)) | \(UTC.human(c.committer.time)) | \(cell(c.author.name)) | \(cell(c.subject)) |\n"
                }
            }
        }

        if !r.policyChanges.isEmpty {
            s += "\n## Window policy changes in history\n\n| Commit | Committed | Author | Change |\n|---|---|---|---|\n"
            for c in r.policyChanges {
                s += "| `\(c.commit.prefix(12))` | \(UTC.human(c.committer.time)) | \(cell(c.author.name)) | \(cell(c.changes.map { "\($0.key) \($0.old) → \($0.new)" }.joined(separator: ", "))) |\n"
            }
        }

        s += "\n## How to re-check with git alone\n\n```\n"
        s += "git log --full-history --format='%H %aI %cI %an %s' \(r.revisionID) -- \(r.folder)/\n"
        s += "git show --stat <commit>            # what a sign-off or amendment changed\n"
        s += "git interpret-trailers --parse < <(git log -1 --format=%B <commit>)   # its Attest-* trailers\n"
        s += "```\n"
        return s
    }

    /// A table cell: no pipes or line breaks.
    static func cell(_ s: String) -> String {
        s.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ")
    }
}
