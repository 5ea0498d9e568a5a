import Foundation
import AttestCore

/// `attest audit --format html`: one self-contained page (inline CSS and SVG, no scripts, no
/// external assets) an auditor can open, print or archive.
enum HTMLReport {
    static func render(_ r: AuditReport) -> String {
        let e = TimelineSVG.esc
        let title = ReportParts.title(r)
        var s = """
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <title>\(e(title))</title>
        <style>
        body { font-family: sans-serif; color: #000; background: #fff; margin: 24px; max-width: 1120px; }
        h1 { font-size: 22px; margin-bottom: 4px; }
        h2 { font-size: 18px; border-bottom: 2px solid #000; padding-bottom: 2px; margin-top: 28px; }
        h3 { font-size: 15px; margin-bottom: 4px; }
        .result { font-size: 17px; font-weight: bold; padding: 6px 10px; border: 3px solid #000; display: inline-block; }
        .result.fail { border-style: double; }
        table { border-collapse: collapse; margin: 8px 0; font-size: 13px; }
        th, td { border: 1px solid #666; padding: 4px 7px; text-align: left; vertical-align: top; }
        th { background: #eee; }
        td.bad { font-weight: bold; }
        code { font-family: monospace; font-size: 12px; }
        dl.facts { display: grid; grid-template-columns: max-content auto; gap: 3px 14px; font-size: 13px; }
        dl.facts dt { font-weight: bold; }
        dl.facts dd { margin: 0; }
        ul.flags li { margin-bottom: 4px; font-size: 13px; }
        .flag { font-weight: bold; font-family: monospace; }
        @media print { body { margin: 0; } }
        </style>
        </head>
        <body>
        <h1>\(e(title))</h1>
        <p class="result \(r.pass ? "pass" : "fail")">\(r.pass ? "✔ PASS" : "✖ FAIL"): \(e(ReportParts.summary(r).split(separator: ":", maxSplits: 1).last.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""))</p>
        <dl class="facts">
        <dt>Period</dt><dd>\(UTC.day(r.from)) to \(UTC.day(r.to)) (UTC, both days included)</dd>
        <dt>Required quarters</dt><dd>\(e(r.quarters.map { $0.quarter.description }.joined(separator: ", ")))</dd>
        <dt>Revision</dt><dd><code>\(e(r.revision))</code> = <code>\(r.revisionID)</code></dd>
        <dt>Attestation folder</dt><dd><code>\(e(r.folder))</code></dd>
        <dt>History read</dt><dd>\(r.commitsWalked) commits; \(r.commitsTouchingFolder) touched the folder</dd>
        <dt>Time basis</dt><dd>\(e(Array(Set(r.quarters.map(\.timeBasis.detail))).sorted().joined(separator: "; ")))</dd>
        <dt>Evidence</dt><dd>\(r.evidenceChecked ? "evidence folders checked against the committed digests" : "not checked (no --evidence-root)")</dd>
        \(r.shallow ? "<dt>Warning</dt><dd><b>\(e(ReportParts.shallowNote))</b></dd>" : "")
        <dt>Produced by</dt><dd>attest \(AttestVersion.current)</dd>
        </dl>
        <h2>Timeline</h2>

        """
        s += TimelineSVG.render(r)
        s += "<h2>Quarters</h2>\n<table>\n<tr><th>Quarter</th><th>Window (UTC)</th><th>Verdict</th><th>Sign-off commit</th><th>Signed (committer, UTC)</th><th>Signed by</th><th>Flags</th></tr>\n"
        for q in r.quarters {
            let so = q.signoff
            let verdictCell = q.verdict == .onTime ? "✔ on-time" : "✖ \(q.verdict.rawValue)"
            s += "<tr><td>\(q.quarter)</td><td>\(UTC.human(q.window.opens))<br>to \(UTC.human(q.window.closes))</td>"
            s += "<td\(q.verdict == .onTime ? "" : " class=\"bad\"")>\(verdictCell)</td>"
            s += "<td>\(so.map { "<code>\($0.shortID)</code>" } ?? "-")</td><td>\(so.map { UTC.human($0.committer.time) } ?? "-")</td>"
            s += "<td>\(so.map { e("\($0.author.name) <\($0.author.email)>") } ?? "-")</td>"
            s += "<td\(q.flags.isEmpty ? "" : " class=\"bad\"")>\(q.flags.isEmpty ? "none" : e(ReportParts.flagsText(q)))</td></tr>\n"
        }
        s += "</table>\n<p>A quarter passes only when it is on-time with no flags; the period passes only when every quarter does.</p>\n"

        s += "<h2>Details per quarter</h2>\n"
        for q in r.quarters {
            s += "<h3 id=\"q-\(q.quarter)\">\(q.quarter): \(e(q.verdict.rawValue))\(q.flags.isEmpty ? "" : ", flagged \(e(ReportParts.flagsText(q)))")</h3>\n"
            s += "<p><b>Verdict.</b> \(e(q.verdictDetail))</p>\n"
            if !q.flags.isEmpty {
                s += "<ul class=\"flags\">\n"
                for f in q.flags {
                    s += "<li><span class=\"flag\">\(f.flag.rawValue)</span>: \(e(f.detail))</li>\n"
                }
                s += "</ul>\n"
            }
            if !q.commits.isEmpty {
                s += "<table>\n<tr><th>Commit</th><th>Role</th><th>Change</th><th>Author date</th><th>Committer date</th><th>Author</th><th>Subject</th></tr>\n"
                for c in q.commits {
                    s += "<tr><td><code>\(c.shortID)</code></td><td>\(e(ReportParts.role(of: c, in: q)))</td><td>\(c.change.rawValue)</td>"
                    s += "<td>\(UTC.human(c.author.time))</td><td>\(UTC.human(c.committer.time))</td><td>\(e(c.author.name))</td><td>\(e(c.subject))</td></tr>\n"
                }
                s += "</table>\n"
            }
        }
        if !r.policyChanges.isEmpty {
            s += "<h2>Window policy changes in history</h2>\n<table>\n<tr><th>Commit</th><th>Committed</th><th>Author</th><th>Change</th></tr>\n"
            for c in r.policyChanges {
                s += "<tr><td><code>\(c.commit.prefix(12))</code></td><td>\(UTC.human(c.committer.time))</td><td>\(e(c.author.name))</td>"
                s += "<td>\(e(c.changes.map { "\($0.key) \($0.old) → \($0.new)" }.joined(separator: ", ")))</td></tr>\n"
            }
            s += "</table>\n"
        }
        s += "<h2>Re-checking with git alone</h2>\n<pre><code>git log --full-history --format='%H %aI %cI %an %s' \(r.revisionID) -- \(e(r.folder))/\ngit show --stat &lt;commit&gt;</code></pre>\n"
        s += "</body>\n</html>\n"
        return s
    }
}
