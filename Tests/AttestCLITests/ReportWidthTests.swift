import Foundation
import Testing
import AttestTestSupport

/// The HTML report at every width and on paper: headless Chromium at 1400, 800 and 400 px and
/// printed to PDF (A4, rasterised by pdftoppm). Each quarter's marks are measured alone: the page
/// is rendered with everything hidden except that quarter's `marks-YYYY-QN` group (layout
/// unchanged), and `scripts/png-ink` counts its ink inside the picture. A mark pushed off the
/// page or clipped by a fixed-width timeline leaves no ink.
@Suite(.serialized) struct ReportWidthTests {
    static let quarters = ["2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4"]

    /// The page with only `id`'s subtree visible.
    static func only(_ id: String, in html: String) -> String {
        html.replacingOccurrences(of: "</head>", with: "<style>body * { visibility: hidden !important; } #\(id), #\(id) * { visibility: visible !important; }</style>\n</head>")
    }

    static func ink(_ png: String) throws -> Int {
        let r = run(packageRoot + "/scripts/png-ink", [png])
        let n = r.stdout.split(separator: " ").compactMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        try #require(n.count == 3, "\(r)")
        return n[0]
    }

    static func chromium(_ args: [String], page: String, in s: Scratch) -> RunResult {
        run("chromium", ["--headless", "--disable-gpu", "--no-sandbox", "--hide-scrollbars", "--user-data-dir=\(s.path)/chromium"] + args + ["file://\(page)"],
            environment: testEnvironment(home: s.path))
    }

    static func screenshot(_ html: String, width: Int, name: String, in s: Scratch) throws -> String {
        let page = s.write(name + ".html", html)
        let png = s.path + "/" + name + ".png"
        let r = chromium(["--screenshot=\(png)", "--window-size=\(width),2400"], page: page, in: s)
        try #require(FileManager.default.fileExists(atPath: png), "chromium wrote no screenshot: \(r)")
        return png
    }

    /// Prints to PDF and rasterises every page; returns the page PNGs.
    static func printed(_ html: String, name: String, in s: Scratch) throws -> (pdf: String, pages: [String]) {
        let page = s.write(name + ".html", html)
        let pdf = s.path + "/" + name + ".pdf"
        let r = chromium(["--no-pdf-header-footer", "--print-to-pdf=\(pdf)"], page: page, in: s)
        try #require(FileManager.default.fileExists(atPath: pdf), "chromium printed no PDF: \(r)")
        let raster = run("pdftoppm", ["-r", "60", "-png", pdf, s.path + "/" + name + "-page"])
        try #require(raster.status == 0, "pdftoppm (poppler-utils, scripts/install-deps): \(raster)")
        let pages = try FileManager.default.contentsOfDirectory(atPath: s.path).filter { $0.hasPrefix(name + "-page") && $0.hasSuffix(".png") }.sorted()
        return (pdf, pages.map { s.path + "/" + $0 })
    }

    @Test func everyQuartersMarkShowsAt1400And800And400PxAndOnA4() throws {
        // Q1 amended late in the year, Q2 late, Q3 a date anomaly, Q4 missing: the marks reach
        // from January to the far right of the timeline.
        let (repo, _, _, _) = AuditCLITests.troubled2026()
        let r = repo.attest(["audit", "--from", "2026-01-01", "--to", "2026-12-31", "--out", "audit.html"])
        #expect(r.status == 1, "\(r)")
        let html = try String(contentsOfFile: repo.path + "/audit.html", encoding: .utf8)
        #expect(html.contains("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"))
        #expect(html.contains("viewBox=\"0 0 1100 ") && html.contains(".timeline svg { display: block; width: 100%; max-width: 1100px; height: auto; }"))
        for q in Self.quarters { #expect(html.contains("id=\"marks-\(q)\""), "no marks group for \(q)") }
        let s = Scratch("report-widths")
        let keep = ProcessInfo.processInfo.environment["ATTEST_KEEP_REPORT_SHOTS"]

        // The method can fail: with nothing visible there is no ink.
        let none = try Self.screenshot(Self.only("no-such-group", in: html), width: 800, name: "none", in: s)
        #expect(try Self.ink(none) == 0)

        for width in [1400, 800, 400] {
            let full = try Self.screenshot(html, width: width, name: "full-\(width)", in: s)
            if let keep { try? FileManager.default.removeItem(atPath: "\(keep)-\(width).png"); try FileManager.default.copyItem(atPath: full, toPath: "\(keep)-\(width).png") }
            for q in Self.quarters {
                let png = try Self.screenshot(Self.only("marks-\(q)", in: html), width: width, name: "\(q)-\(width)", in: s)
                let ink = try Self.ink(png)
                #expect(ink > 30, "\(q)'s marks leave \(ink) pixels of ink at \(width) px")
            }
        }

        // On paper: A4, and each quarter's marks on some page.
        let paper = try Self.printed(html, name: "print", in: s)
        let info = run("pdfinfo", [paper.pdf])
        #expect(info.stdout.contains("(A4)"), "\(info)")
        if let keep { try? FileManager.default.removeItem(atPath: "\(keep)-print.png"); try FileManager.default.copyItem(atPath: paper.pages[0], toPath: "\(keep)-print.png") }
        for q in Self.quarters {
            let pages = try Self.printed(Self.only("marks-\(q)", in: html), name: "print-\(q)", in: s).pages
            let ink = try pages.reduce(0) { try $0 + Self.ink($1) }
            #expect(ink > 10, "\(q)'s marks leave \(ink) pixels of ink on the printed pages")
        }
    }
}
