import Foundation
import AttestCore

/// `attest audit --format html`: one self-contained page (inline CSS and SVG, no scripts, no
/// external assets) an auditor can open, print or archive. It reads at any width: the timeline
/// scales with its viewBox, tables scroll inside their box, and it prints on A4.
enum HTMLReport {
    static let style = """
    body { font-family: sans-serif; color: #000; background: #fff; margin: 16px; max-width: 1120px; }
    h1 { font-size: 22px; margin-bottom: 4px; }
    h2 { font-size: 18px; border-bottom: 2px solid #000; padding-bottom: 2px; margin-top: 28px; }
    h3 { font-size: 15px; margin-bottom: 4px; }
    .result { font-size: 17px; font-weight: bold; padding: 6px 10px; border: 3px solid #000; display: inline-block; }
    .result.fail { border-style: double; }
    .scroll { overflow-x: auto; max-width: 100%; }
    .timeline svg { display: block; width: 100%; max-width: 1100px; height: auto; }
    table { border-collapse: collapse; margin: 8px 0; font-size: 13px; }
    th, td { border: 1px solid #666; padding: 4px 7px; text-align: left; vertical-align: top; }
    th { background: #eee; }
    td.bad { font-weight: bold; }
    code { font-family: monospace; font-size: 12px; overflow-wrap: anywhere; }
    dl.facts { display: grid; grid-template-columns: max-content minmax(0, 1fr); gap: 3px 14px; font-size: 13px; }
    dl.facts dt { font-weight: bold; }
    dl.facts dd { margin: 0; overflow-wrap: anywhere; }
    ul.quarter, ul.flags { font-size: 13px; padding-left: 20px; }
    ul.quarter li, ul.flags li { margin-bottom: 3px; overflow-wrap: anywhere; }
    .flag { font-weight: bold; font-family: monospace; }
    @media (max-width: 600px) { body { margin: 8px; } dl.facts { grid-template-columns: minmax(0, 1fr); } dl.facts dd { margin-bottom: 6px; } }
    @page { size: A4; margin: 12mm; }
    @media print {
      body { margin: 0; max-width: none; }
      .scroll { overflow: visible; }
      table { width: 100%; font-size: 8px; table-layout: fixed; }
      th, td { padding: 2px 3px; overflow-wrap: anywhere; }
      code { font-size: 8px; }
      .timeline, tr, li { break-inside: avoid; }
    }
    """

    static func render(_ r: AuditReport, _ x: ReportContext) -> String {
        let e = TimelineSVG.esc
        let title = ReportParts.title(r)
        let facts = r.quarters.map { QuarterFacts($0, context: x) }
        var s = """
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(e(title))</title>
        <style>
        \(style)
        </style>
        </head>
        <body>
        <h1>\(e(title))</h1>
        <p class="result \(ReportParts.passes(r, x) ? "pass" : "fail")">\(ReportParts.passes(r, x) ? "✔ PASS" : "✖ FAIL"): \(e(ReportParts.summaryText(r, x)))</p>
        <dl class="facts">
        <dt>Period</dt><dd>\(UTC.day(r.from)) to \(UTC.day(r.to)) (UTC, both days included)</dd>
        <dt>Required quarters</dt><dd>\(e(r.quarters.map { $0.quarter.description }.joined(separator: ", ")))</dd>
        <dt>Revision</dt><dd><code>\(e(r.revision))</code> = <code>\(r.revisionID)</code></dd>
        <dt>Attestation folder</dt><dd><code>\(e(r.folder))</code></dd>
        <dt>History read</dt><dd>\(r.commitsWalked) commits; \(r.commitsTouchingFolder) touched the folder</dd>
        <dt>Time basis</dt><dd>\(e(Array(Set(r.quarters.map(\.timeBasis.detail))).sorted().joined(separator: "; ")))</dd>
        <dt>Evidence</dt><dd>\(r.evidenceChecked ? "evidence folders checked against the committed digests" : "not checked (no --evidence-root)")</dd>
        \(r.shallow ? "<dt>Warning</dt><dd><b>\(e(ReportParts.shallowNote))</b></dd>" : "")
        <dt>Produced by</dt><dd>attest \(e(AttestVersion.current))</dd>
        <dt>Generated</dt><dd>\(UTC.iso(x.generatedAt))</dd>
        </dl>
        <h2>Timeline</h2>
        <div class="timeline">

        """
        s += TimelineSVG.render(r)
        s += "</div>\n<h2>Quarters</h2>\n<div class=\"scroll\"><table>\n"
        s += "<tr><th>Quarter</th><th>Window (UTC)</th><th>Verdict</th><th>Result</th><th>Sign-off commit</th><th>Signed (committer, UTC)</th><th>Verified signer</th><th>Git identity (claimed)</th><th>Flags</th></tr>\n"
        for f in facts {
            let q = f.quarter, so = q.signoff
            let verified: Bool = { if case .verified = f.signature { return true }; return false }()
            s += "<tr><td>\(q.quarter)</td><td>\(UTC.human(q.window.opens))<br>to \(UTC.human(q.window.closes))</td>"
            s += "<td\(q.verdict == .onTime ? "" : " class=\"bad\"")>\(e(q.verdict.rawValue))</td>"
            s += "<td\(q.passes ? "" : " class=\"bad\"")>\(q.passes ? "✔ PASS" : "✖ FAIL")</td>"
            s += "<td>\(so.map { "<code>\($0.shortID)</code>" } ?? "-")</td><td>\(so.map { UTC.human($0.committer.time) } ?? "-")</td>"
            s += "<td\(verified || so == nil ? "" : " class=\"bad\"")>\(e(f.signerText))</td>"
            s += "<td>\(so.map { e("\($0.author.name) <\($0.author.email)>") + " <i>(claimed)</i>" } ?? "-")</td>"
            s += "<td\(q.flags.isEmpty ? "" : " class=\"bad\"")>\(q.flags.isEmpty ? "none" : e(ReportParts.flagsText(q)))</td></tr>\n"
        }
        s += "</table></div>\n<p>A quarter passes only when it is on-time with no flags; the period passes only when every quarter does.</p>\n"

        s += "<h2>Details per quarter</h2>\n"
        for f in facts {
            let q = f.quarter
            s += "<h3 id=\"q-\(q.quarter)\">\(q.quarter): \(e(f.verdictLine))</h3>\n"
            s += "<ul class=\"quarter\">\n<li><b>Result.</b> \(f.result)</li>\n<li><b>Verdict.</b> \(e(q.verdictDetail))</li>\n"
            if let so = q.signoff {
                s += "<li><b>Sign-off.</b> <code>\(so.id)</code> \(e("\"\(so.subject)\""))</li>\n"
                s += "<li><b>Signature.</b> \(e(f.signerText))</li>\n"
                s += "<li><b>Git identity.</b> \(e(f.claimedText))</li>\n"
            }
            s += "<li><b>Time basis.</b> \(e(q.timeBasis.detail))</li>\n"
            s += "<li><b>Policy.</b> \(e(f.policyText))</li>\n"
            s += "<li><b>Evidence.</b> \(e(f.evidenceText))</li>\n</ul>\n"
            if !q.flags.isEmpty {
                s += "<ul class=\"flags\">\n"
                for fl in q.flags {
                    s += "<li><span class=\"flag\">\(fl.flag.rawValue)</span>: \(e(fl.detail))</li>\n"
                }
                s += "</ul>\n"
            }
            if !q.commits.isEmpty {
                s += "<div class=\"scroll\"><table>\n<tr><th>Commit</th><th>Role</th><th>Change</th><th>Author date</th><th>Committer date</th><th>Author</th><th>Subject</th></tr>\n"
                for c in q.commits {
                    s += "<tr><td><code>\(c.shortID)</code></td><td>\(e(ReportParts.role(of: c, in: q)))</td><td>\(c.change.rawValue)</td>"
                    s += "<td>\(UTC.human(c.author.time))</td><td>\(UTC.human(c.committer.time))</td><td>\(e(c.author.name))</td><td>\(e(c.subject))</td></tr>\n"
                }
                s += "</table></div>\n"
            }
        }
        if !r.policyChanges.isEmpty {
            s += "<h2>Window policy changes in history</h2>\n<div class=\"scroll\"><table>\n<tr><th>Commit</th><th>Committed</th><th>Author</th><th>Change</th></tr>\n"
            for c in r.policyChanges {
                s += "<tr><td><code>\(c.commit.prefix(12))</code></td><td>\(UTC.human(c.committer.time))</td><td>\(e(c.author.name))</td>"
                s += "<td>\(e(c.changes.map { "\($0.key) \($0.old) → \($0.new)" }.joined(separator: ", ")))</td></tr>\n"
            }
            s += "</table></div>\n"
        }
        s += "<h2>Re-checking with git alone</h2>\n<pre class=\"scroll\"><code>git log --full-history --format='%H %aI %cI %an %s' \(r.revisionID) -- \(e(ReportParts.shellQuoted(r.folder + "/")))\ngit show --stat &lt;commit&gt;</code></pre>\n"
        s += "</body>\n</html>\n"
        return s
    }
}
