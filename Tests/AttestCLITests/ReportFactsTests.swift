import Foundation
import Testing
import AttestCore
import AttestTestSupport

/// What every report format says per quarter (issue #19): pass or fail, the verified signer
/// against the claimed git identity, the policy, the evidence; markdown that stays text under a
/// CommonMark renderer (cmark-gfm); `--out` choosing the format by extension.
@Suite struct ReportFactsTests {
    /// The four reports of one period, written with `--out` (the format from the extension).
    static func reports(_ repo: ScratchRepository, to: String = "2026-12-31") throws -> [String: String] {
        var out: [String: String] = [:]
        for ext in ["txt", "md", "html", "json"] {
            let r = repo.attest(["audit", "--from", "2026-01-01", "--to", to, "--out", "report.\(ext)"])
            #expect(r.status <= 1 && r.stdout.split(separator: "\n").count == 1 && r.stdout.hasPrefix("attest audit 2026-01-01.."), "\(r)")
            out[ext] = try String(contentsOfFile: repo.path + "/report.\(ext)", encoding: .utf8)
        }
        return out
    }

    /// Markdown rendered by cmark-gfm with GitHub's extensions, as a viewer shows it.
    static func cmark(_ markdown: String) throws -> String {
        let r = run("cmark-gfm", ["--extension", "table", "--extension", "autolink", "--extension", "strikethrough", "--extension", "tagfilter"],
                    stdin: Data(markdown.utf8))
        try #require(r.status == 0, "cmark-gfm (Debian package cmark-gfm, scripts/install-deps): \(r)")
        return r.stdout
    }

    /// The `<tr>` of a rendered HTML table that mentions `needle`.
    static func row(_ html: String, _ needle: String) -> String? {
        html.components(separatedBy: "<tr>").compactMap { $0.components(separatedBy: "</tr>").first }.first { $0.contains(needle) }
    }

    @Test func everyFormatNamesTheVerifiedSignerAndShowsTheGitIdentityAsClaimed() throws {
        let (repo, key) = ExportTests.signedYear(tsa: nil, unsignedQ2: true)
        // The key's fingerprint as ssh-keygen prints it: the independent oracle.
        let fp = try #require(run("ssh-keygen", ["-lf", key + ".pub"]).stdout.split(separator: " ").dropFirst().first.map(String.init))
        #expect(fp.hasPrefix("SHA256:"))
        let reports = try Self.reports(repo)

        // JSON: the verified signer and the claimed identity are separate facts.
        let doc = try #require(try JSONSerialization.jsonObject(with: Data(reports["json"]!.utf8)) as? [String: Any])
        #expect(doc["pass"] as? Bool == false)
        let qs = AuditCLITests.quarters(doc)
        for q in ["2026-Q1", "2026-Q3", "2026-Q4"] {
            let signed = try #require(qs[q]?["signedBy"] as? [String: Any], "\(q)")
            #expect(signed["state"] as? String == "verified" && signed["principal"] as? String == "nina@raxx.example", "\(q) \(signed)")
            #expect(signed["key"] as? String == "ssh-ed25519 \(fp)", "\(signed)")
            #expect((qs[q]?["claimedIdentity"] as? [String: Any])?["email"] as? String == "ceo@raxx.example")
            #expect(qs[q]?["result"] as? String == "pass")
            #expect(((qs[q]?["policy"] as? [String: Any])?["signingRequired"] as? Bool) == true)
            #expect(((qs[q]?["evidence"] as? [String: Any])?["state"] as? String) == "not-checked")
            #expect(((qs[q]?["evidence"] as? [String: Any])?["sealed"] as? String) == "not-sealed")
        }
        let q2 = try #require(qs["2026-Q2"])
        #expect((q2["signedBy"] as? [String: Any])?["state"] as? String == "unsigned")
        #expect(q2["verdict"] as? String == "on-time" && q2["result"] as? String == "fail" && q2["flags"] as? [String] == ["unsigned"])

        // Text.
        let text = reports["txt"]!
        #expect(text.contains("signature: verified: nina@raxx.example, key ssh-ed25519 \(fp)"), "\(text)")
        #expect(text.contains("git identity: Cee Eo <ceo@raxx.example> (claimed"), "\(text)")
        #expect(text.contains("2026-Q2 on-time: "), "\(text)")
        #expect(text.contains("result: on-time, FAIL (flagged unsigned)"), "\(text)")
        #expect(text.contains("2026-Q2 unsigned: "), "\(text)")
        #expect(!text.contains("ceo@raxx.example, key"), "the git identity is never shown as the signer")

        // Markdown, as a viewer renders it.
        let md = try Self.cmark(reports["md"]!)
        let mdQ1 = try #require(Self.row(md, "<td>2026-Q1</td>"), "\(md)")
        // (cmark-gfm links e-mail addresses: compare the text without the links.)
        let mdQ1Text = mdQ1.replacingOccurrences(of: "<a href=\"mailto:nina@raxx.example\">", with: "").replacingOccurrences(of: "<a href=\"mailto:ceo@raxx.example\">", with: "").replacingOccurrences(of: "</a>", with: "")
        #expect(mdQ1Text.contains("verified: nina@raxx.example, key ssh-ed25519 \(fp)") && mdQ1.contains("<strong>PASS</strong>"), "\(mdQ1)")
        #expect(mdQ1Text.contains("Cee Eo &lt;ceo@raxx.example&gt; (claimed)"), "\(mdQ1)")
        let mdQ2 = try #require(Self.row(md, "<td>2026-Q2</td>"), "\(md)")
        #expect(mdQ2.contains("<strong>FAIL</strong>") && mdQ2.contains("unsigned") && !mdQ2.contains("PASS"), "\(mdQ2)")

        // HTML: a failing quarter carries no check mark anywhere in its row.
        let html = reports["html"]!
        let hQ1 = try #require(Self.row(html, "<td>2026-Q1</td>"))
        #expect(hQ1.contains("✔ PASS") && hQ1.contains("verified: nina@raxx.example, key ssh-ed25519 \(fp)"), "\(hQ1)")
        #expect(hQ1.contains("Cee Eo &lt;ceo@raxx.example&gt; <i>(claimed)</i>"), "\(hQ1)")
        let hQ2 = try #require(Self.row(html, "<td>2026-Q2</td>"))
        #expect(hQ2.contains("✖ FAIL") && !hQ2.contains("✔") && hQ2.contains(">unsigned<"), "\(hQ2)")
        #expect(html.contains("<h3 id=\"q-2026-Q2\">2026-Q2: on-time, FAIL (flagged unsigned)</h3>"))
        #expect(html.contains("<dt>Generated</dt>"))
    }

    @Test func outChoosesTheFormatByExtensionUnlessFormatSays() throws {
        let repo = AuditCLITests.clean2026()
        let pdf = repo.attest(["audit", "--from", "2026-01-01", "--to", "2026-12-31", "--out", "report.pdf"])
        #expect(pdf.status == 2 && pdf.stderr.contains("'.pdf' names no report format; use .html, .md, .json or .txt, or give --format"), "\(pdf)")
        #expect(!FileManager.default.fileExists(atPath: repo.path + "/report.pdf"))
        let forced = repo.attest(["audit", "--from", "2026-01-01", "--to", "2026-12-31", "--format", "text", "--out", "report.html"])
        #expect(forced.status == 0, "\(forced)")
        #expect(repo.scratch.read("work/report.html")?.hasPrefix("SOC-2 Type II attestation audit") == true)
        let json = repo.attest(["audit", "--from", "2026-01-01", "--to", "2026-12-31", "--out", "r.JSON"])
        #expect(json.status == 0 && repo.scratch.read("work/r.JSON")?.hasPrefix("{") == true, "\(json)")
    }

    @Test func markdownShowsTextFromCommitsLiterally() throws {
        let repo = AuditCLITests.baseRepository()
        SignoffFixture.commit(in: repo, quarter: "2026-Q1", date: "2026-01-02T10:00:00Z")
        let hostile = "<img src=x onerror=alert(1)> **bold** `tick` a|b _u_ [l](http://x.example) ~~s~~ \\* &amp;\rcarriage\u{1B}[2J"
        repo.git(["config", "user.name", "Mal *Lory* `x` |y| [z](q)"])
        repo.write("docs/attestation-log/2026-Q1.md", SignoffFixture.document(quarter: try Quarter(parsing: "2026-Q1")) + "\nedited\n")
        repo.git(["add", "-A"])
        repo.git(["commit", "-q", "-F", "-"], env: ["GIT_AUTHOR_DATE": "2026-02-01T10:00:00Z", "GIT_COMMITTER_DATE": "2026-02-01T10:00:00Z"],
                 stdin: Data((hostile + "\nsecond line\n\nbody <script>x</script>\n").utf8))
        let reports = try Self.reports(repo, to: "2026-03-31")
        let md = reports["md"]!
        let html = try Self.cmark(md)
        // Nothing of the subject or the name became markup.
        for tag in ["<img", "<strong>bold", "<em>u", "<code>tick", "<code>x", "<a href=\"http", "<del>", "<script"] {
            #expect(!html.contains(tag), "cmark-gfm rendered \(tag) from commit text:\n\(html.components(separatedBy: "\n").filter { $0.contains(tag) })")
        }
        // It reads as the literal characters, in one table cell per column.
        let row = try #require(Self.row(html, "onerror"), "\(html)")
        #expect(row.contains("&lt;img src=x onerror=alert(1)&gt; **bold** `tick` a|b _u_ [l](http://x.example) ~~s~~ \\* &amp;amp; carriage [2J"), "\(row)")
        #expect(row.contains("Mal *Lory* `x` |y| [z](q)"), "\(row)")
        #expect(row.components(separatedBy: "<td").count - 1 == 7, "\(row)")
        #expect(!html.contains("second line"))
        // The flag's sentence quotes the subject: also literal.
        #expect(html.contains("<strong>amended</strong>: "), "\(html)")
        #expect(html.components(separatedBy: "&lt;img src=x onerror=alert(1)&gt;").count - 1 >= 2, "\(html)")
        // The HTML report escapes it too, and the JSON keeps it exactly.
        #expect(!reports["html"]!.contains("<img") && reports["html"]!.contains("&lt;img src=x onerror=alert(1)&gt;"))
        #expect(reports["json"]!.contains("<img src=x onerror=alert(1)>"))
        // The terminal report carries no control character from the commit (no \r, no escape).
        #expect(reports["txt"]!.contains("<img src=x onerror=alert(1)> **bold**"))
        #expect(!reports["txt"]!.contains("\u{1B}") && !reports["txt"]!.contains("\r"))
    }
}
