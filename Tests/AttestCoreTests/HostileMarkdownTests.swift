import Foundation
import Testing
import AttestMarkdown
@testable import AttestCore

/// What a markdown viewer shows is what attest reads (issue #15, case 6): every way of making
/// GitHub show one thing while a line reader sees another is refused, naming the line. The
/// independent oracle is the cmark-gfm program (Debian package cmark-gfm) with GitHub's
/// extensions: the values attest reads are the cells it renders.
@Suite struct HostileMarkdownTests {
    init() { CommonMark.install() }
    let path = "docs/attestation-log/2026-Q4.md"

    func refusal(_ text: String) -> String {
        do { _ = try AttestationDocument.parse(text, path: path); return "" } catch { return error.description }
    }

    /// The attack of the issue: the real ("clean") tables hidden in an HTML comment, look-alike
    /// headers (Cyrillic letters) on the visible "qualified" tables.
    @Test func tablesInACommentBehindLookAlikeHeaders() throws {
        let real = SampleDocument.text(findingRows: [], result: "clean")
            .replacingOccurrences(of: "| 6 | CC7.2 | Monitoring — log completeness | finding |", with: "| 6 | CC7.2 | Monitoring — log completeness | pass |")
        let visible = SampleDocument.text(result: "qualified")
            .replacingOccurrences(of: "| Field | Value |", with: "| Fiеld | Value |")   // Cyrillic е
            .replacingOccurrences(of: "| Step | Control |", with: "| Stеp | Control |")
        let lines = visible.split(separator: "\n", omittingEmptySubsequences: false).count
        let message = refusal(visible + "\n<!--\n" + real + "\n-->\n")
        #expect(message.hasPrefix("\(path):\(lines + 1): an HTML comment ('<!--')"), "\(message)")
        // Each half alone is refused too: the look-alike headers, and the comment.
        let lookAlike = refusal(visible)
        #expect(lookAlike.hasPrefix("\(path):5: table header '| Fiеld | Value |' is not one the attestation format knows"), "\(lookAlike)")
        let commented = SampleDocument.text() + "\n<!--\n| Result | clean |\n-->\n"
        #expect(refusal(commented).hasPrefix("\(path):\(lines + 1): an HTML comment ('<!--')"), "\(refusal(commented))")
    }

    @Test(arguments: [
        ("| Field | Value |", "| field | value |", "table header '| field | value |' is not one"),
        ("| Field | Value |", "| Field  | Valuе |", "table header '| Field  | Valuе |' is not one"),
        ("| Step | Finding | Issue | Resolved |", "| Ｓtep | Finding | Issue | Resolved |", "is not one the attestation format knows"),
    ])
    func lookAlikeHeaders(_ original: String, _ replacement: String, _ fragment: String) {
        let message = refusal(SampleDocument.text().replacingOccurrences(of: original, with: replacement))
        #expect(message.contains(fragment), "\(message)")
        #expect(message.hasPrefix(path + ":"), "\(message)")
    }

    /// Places where a line reader sees a table and a viewer does not.
    @Test(arguments: [
        ("indented code block", "    "),
        ("block quote", "> "),
    ])
    func headersAViewerDoesNotShowAsATable(_ what: String, _ prefix: String) {
        let text = SampleDocument.text() + "\n" + ["| Field | Value |", "|---|---|", "| Result | clean |"].map { prefix + $0 }.joined(separator: "\n") + "\n"
        let message = refusal(text)
        if prefix == "> " {
            // cmark-gfm renders a table in a quote: it is a second fields table.
            #expect(message.contains("a second fields table; the first is at line 5"), "\(what): \(message)")
        } else {
            #expect(message.contains("is written like the fields table's header, but a markdown viewer does not show it as a table"), "\(what): \(message)")
        }
    }

    @Test func fencedCopiesAreRefusedToo() {
        let text = SampleDocument.text() + "\n```\n| Field | Value |\n|---|---|\n| Result | clean |\n```\n"
        #expect(refusal(text).contains("is written like the fields table's header"), "\(refusal(text))")
    }

    @Test(arguments: [
        ("<div>\n\n| Result | clean |\n\n</div>", "an HTML block ('<div>')"),
        ("text <span hidden>clean</span> text", "inline HTML ('<span hidden>')"),
        ("text <!-- clean --> text", "an HTML comment ('<!-- clean -->')"),
    ])
    func htmlIsRefused(_ html: String, _ fragment: String) {
        let text = SampleDocument.text() + "\n" + html + "\n"
        let line = SampleDocument.text().split(separator: "\n", omittingEmptySubsequences: false).count + 1
        let message = refusal(text)
        #expect(message.hasPrefix("\(path):\(line): \(fragment)"), "\(message)")
    }

    @Test func nulAndInvalidUTF8NameTheLine() throws {
        let nul = SampleDocument.text().replacingOccurrences(of: "| Result | qualified |", with: "| Result | qualified\u{0} |")
        #expect(refusal(nul).hasPrefix("\(path):13: a NUL byte"), "\(refusal(nul))")
        var bytes = Array(SampleDocument.text().utf8)
        let at = try #require(Array(SampleDocument.text().utf8).firstRange(of: Array("Olive".utf8))).lowerBound  // line 10
        bytes.insert(0xC3, at: at)
        let invalid = String(decoding: bytes, as: UTF8.self)
        #expect(refusal(invalid).hasPrefix("\(path):10: invalid UTF-8"), "\(refusal(invalid))")
    }

    @Test func formattedCellsAreRefused() {
        let struck = SampleDocument.text().replacingOccurrences(of: "| Result | qualified |", with: "| Result | ~~clean~~ qualified |")
        #expect(refusal(struck).hasPrefix("\(path):13: cell 2 of this fields table row is formatted (strikethrough)"), "\(refusal(struck))")
    }

    /// GFM makes a row of a line without a leading pipe; attest refuses it rather than skipping it.
    @Test func rowsAViewerShowsAreRead() {
        let text = SampleDocument.text().replacingOccurrences(of: "| Result | qualified |", with: "| Result | qualified |\nResult | clean")
        #expect(refusal(text).contains("2026-Q4.md:14: this fields table row does not end with '|'"), "\(refusal(text))")
    }

    /// The oracle: cmark-gfm's own HTML of the rendered default template holds each value attest reads.
    @Test func valuesAreWhatCmarkGfmRenders() throws {
        let value = "a * b _c_ customer_audit_events `d` ~~e~~ [f](g) &amp; <br> | \\ end"
        var rows = Controls.all.map { c in "| \(c.step) | \(c.name) | \(c.criterion) | \(c.step == 6 ? "finding" : "pass") | `\(SampleDocument.digest)` |" }
        let text = SampleDocument.text(stepRows: rows, findingRows: ["| 6 | \(MarkdownCell.escape(value)) | #482 | no |"])
        let doc = try AttestationDocument.parse(text, path: path)
        #expect(doc.findings.first?.detail == value)
        let scratch = NSTemporaryDirectory() + "attest-md-\(UUID().uuidString).md"
        try text.write(toFile: scratch, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/cmark-gfm")
        p.arguments = CommonMark.extensions.flatMap { ["--extension", $0] } + [scratch]
        let pipe = Pipe(); p.standardOutput = pipe
        try p.run(); let html = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self); p.waitUntilExit()
        let escaped = value.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;")
        #expect(html.contains("<td>\(escaped)</td>"), "\(html)")
    }
}

/// Text listings of problems are bounded (docs/limits.md).
@Suite struct ListingTests {
    @Test func aLongListIsCutAndCounted() {
        let items = (1...120_000).map { "row \($0) is bad" }
        let shown = Listing.bounded(items, noun: "bad rows")
        #expect(shown.count == 21)
        #expect(shown[19] == "row 20 is bad")
        #expect(shown[20] == "… and 119980 more bad rows (the first 20 of 120000 are listed)")
        #expect(Listing.bounded(Array(items.prefix(20))) == Array(items.prefix(20)))
    }
}
