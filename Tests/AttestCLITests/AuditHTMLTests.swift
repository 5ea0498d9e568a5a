import Foundation
import Testing
import AttestTestSupport

/// The HTML report is one self-contained page; headless Chromium renders it to a picture that
/// is not blank. `scripts/png-ink` decodes the PNG and counts ink.
@Suite struct AuditHTMLTests {
    /// Renders `html` with headless Chromium at 1200x1600 and returns (non-white, dark, total) pixels
    /// of the top `rows` rows.
    static func screenshot(_ html: String, in scratch: Scratch, rows: Int = 1600) throws -> (png: String, nonWhite: Int, dark: Int, total: Int) {
        let page = scratch.write("page.html", html)
        let png = scratch.path + "/page.png"
        let r = run("chromium", ["--headless", "--disable-gpu", "--no-sandbox", "--hide-scrollbars",
                                 "--user-data-dir=\(scratch.path)/chromium", "--screenshot=\(png)",
                                 "--window-size=1200,1600", "file://\(page)"],
                    environment: testEnvironment(home: scratch.path))
        #expect(FileManager.default.fileExists(atPath: png), "chromium wrote no screenshot: \(r)")
        let ink = run(packageRoot + "/scripts/png-ink", [png, String(rows)])
        let n = ink.stdout.split(separator: " ").compactMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        try #require(n.count == 3, "\(ink)")
        return (png, n[0], n[1], n[2])
    }

    @Test func htmlIsSelfContainedAndRendersToAPicture() throws {
        let (repo, _, _, _) = AuditCLITests.troubled2026()
        let r = repo.attest(["audit", "--from", "2026-01-01", "--to", "2026-12-31", "--format", "html", "--out", "audit.html"])
        #expect(r.status == 1 && r.stdout.hasPrefix("attest audit 2026-01-01..2026-12-31") && r.stdout.contains("FAIL: 4 of 4"), "\(r)")
        let html = try String(contentsOfFile: repo.path + "/audit.html", encoding: .utf8)
        #expect(html.contains("<title>SOC-2 Type II attestation audit, 2026-01-01 to 2026-12-31</title>"))
        #expect(html.contains("<h1>SOC-2 Type II attestation audit, 2026-01-01 to 2026-12-31</h1>"))
        // Self-contained: no scripts, no linked assets (the SVG namespace is a name, not a fetch).
        #expect(!html.lowercased().contains("<script"))
        #expect(!html.contains(" src=") && !html.contains(" href=") && !html.contains("@import") && !html.contains("url(http"))
        #expect(html.components(separatedBy: "http").count - 1 == html.components(separatedBy: "xmlns=\"http://www.w3.org/2000/svg\"").count - 1)
        // The timeline: one window band per quarter, the marks, the missing quarter said in words.
        #expect(html.components(separatedBy: "fill=\"url(#hatch)\" stroke=\"#222\" stroke-width=\"1.2\"").count - 1 == 4)
        #expect(html.contains("MISSING: no sign-off"))
        #expect(html.contains(">signed late 2026-04-10<") && html.contains(">amended 2026-11-02<"))

        let s = Scratch("audit-html")
        let shot = try Self.screenshot(html, in: s)
        #expect(shot.nonWhite > shot.total / 50, "only \(shot.nonWhite) of \(shot.total) pixels are not white")
        #expect(shot.dark > shot.total / 500, "only \(shot.dark) dark pixels")
        if let keep = ProcessInfo.processInfo.environment["ATTEST_KEEP_AUDIT_PNG"] {
            try? FileManager.default.removeItem(atPath: keep)
            try FileManager.default.copyItem(atPath: shot.png, toPath: keep)
        }
    }

    /// The ink count can fail: a blank page has none.
    @Test func blankPageHasNoInk() throws {
        let s = Scratch("audit-blank")
        let shot = try Self.screenshot("<!DOCTYPE html><html><head><title>x</title></head><body></body></html>", in: s, rows: 400)
        #expect(shot.dark == 0 && shot.nonWhite == 0)
    }
}
