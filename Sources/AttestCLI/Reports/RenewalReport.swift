import Foundation
import AttestCore
import AttestGit
import AttestVerification

/// How audit prints the renewal coverage (`AttestVerification.Renewal.coverage`): a line per
/// quarter in text and markdown, a `renewals` array in JSON, a section in HTML.
extension Renewal {
    /// The section audit appends to its text and markdown reports.
    static func section(_ entries: [Coverage], markdown: Bool) -> String {
        guard !entries.isEmpty else { return "" }
        var out = markdown ? "\n## Timestamp renewals\n\n" : "\nTimestamp renewals (docs/tsa.md):\n"
        for e in entries { out += (markdown ? "- " + MarkdownReport.text(e.line) : "  " + e.line) + "\n" }
        let flagged = entries.filter(\.flagged).map(\.quarter.description)
        if !flagged.isEmpty {
            out += "\n" + (markdown ? "**FAIL**" : "FAIL") + ": the trusted time of \(flagged.joined(separator: ", ")) is no longer proven by a token or a renewal covering it\n"
        }
        return out
    }

    static func json(_ entries: [Coverage]) -> [[String: Any]] {
        entries.map { e in
            ["quarter": e.quarter.description, "commit": e.commit.hex, "token": e.token, "weakness": e.weakness as Any? ?? NSNull(),
             "coveredBy": e.coveredBy as Any? ?? NSNull(), "flagged": e.flagged, "line": e.line]
        }
    }
}

/// Audit's renewal section (docs/tsa.md, "Renewal"): a section of the text, markdown and HTML
/// reports, a `renewals` array in JSON.
enum RenewalReport {
    /// The coverage at HEAD; empty when no token is stored under `.ltv`.
    static func coverage(policy: Policy, repository: Repository) throws(AttestError) -> [Renewal.Coverage] {
        let root = Renewal.root(policy: policy)
        guard Renewal.anyStored(root: root, repository: repository) else { return [] }
        return try reporting { try Renewal.coverage(root: root, repository: repository) }
    }

    static func append(_ entries: [Renewal.Coverage], to text: inout String, format: AuditCommand.Format) {
        guard !entries.isEmpty else { return }
        switch format {
        case .text: text += Renewal.section(entries, markdown: false)
        case .markdown: text += Renewal.section(entries, markdown: true)
        case .html:
            guard let end = text.range(of: "</body>", options: .backwards) else { return }
            text.insert(contentsOf: html(entries), at: end.lowerBound)
        case .json:
            guard var object = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] else { return }
            object["renewals"] = Renewal.json(entries)
            text = JSONText.encode(object) + "\n"
        }
    }

    /// The HTML section: one row per quarter, the same facts as the text line.
    static func html(_ entries: [Renewal.Coverage]) -> String {
        let e = TimelineSVG.esc
        var s = "<section id=\"renewals\">\n<h2>Timestamp renewals</h2>\n<p>Each later token renews the tokens stored before it (docs/tsa.md, \"Renewal\").</p>\n"
        s += "<div class=\"scroll\"><table>\n<tr><th>Quarter</th><th>Sign-off</th><th>Token</th><th>Weakness</th><th>Covered by</th><th>Result</th></tr>\n"
        for x in entries {
            let cover = x.coveredBy ?? (x.flagged ? "none" : "not yet covered by a later renewal")
            s += "<tr id=\"renewal-\(x.quarter)\"><td>\(x.quarter)</td><td><code>\(x.commit.short)</code></td><td>\(e(x.token))</td><td>\(e(x.weakness ?? "none"))</td>"
            s += "<td\(x.flagged ? " class=\"bad\"" : "")>\(e(cover))</td><td\(x.flagged ? " class=\"bad\"" : "")>\(x.flagged ? "✖ FAIL: trusted time rests on git dates only" : "✔ stands")</td></tr>\n"
        }
        s += "</table></div>\n"
        let flagged = entries.filter(\.flagged).map(\.quarter.description)
        if !flagged.isEmpty {
            s += "<p class=\"result fail\">✖ FAIL: the trusted time of \(e(flagged.joined(separator: ", "))) is no longer proven by a token or a renewal covering it</p>\n"
        }
        return s + "</section>\n"
    }
}
