import Foundation
public import AttestCore
internal import CCmarkGFM

/// libcmark-gfm with GitHub's extensions (table, strikethrough, autolink, tagfilter, tasklist):
/// the renderer that decides which tables the attestation file has and what their cells show.
///
/// ```swift
/// CommonMark.install()                       // once, before reading an attestation file
/// let outline = CommonMark.outline(text)     // tables and HTML as plain values
/// ```
public enum CommonMark {
    /// The extensions GitHub renders with, in the order `cmark-gfm --extension` takes them.
    public static let extensions = ["table", "strikethrough", "autolink", "tagfilter", "tasklist"]

    /// Makes `MarkdownOutline.read` (and so `AttestationDocument.parse`) use cmark-gfm.
    public static func install() {
        MarkdownOutline.install { outline($0) }
    }

    /// The tables and HTML of `text` as cmark-gfm parses it.
    public static func outline(_ text: String) -> MarkdownOutline {
        let document = Document(text)
        return withExtendedLifetime(document) { document.outline() }
    }
}

/// Owns one parsed cmark document (and the parser that made it) and frees both.
private final class Document {
    let parser: OpaquePointer
    let root: OpaquePointer

    init(_ text: String) {
        cmark_gfm_core_extensions_ensure_registered()
        let parser = cmark_parser_new(CMARK_OPT_DEFAULT)!
        for name in CommonMark.extensions {
            if let ext = cmark_find_syntax_extension(name) { cmark_parser_attach_syntax_extension(parser, ext) }
        }
        var text = text
        text.withUTF8 { b in
            guard let base = b.baseAddress else { return }
            base.withMemoryRebound(to: CChar.self, capacity: b.count) { cmark_parser_feed(parser, $0, b.count) }
        }
        self.parser = parser
        root = cmark_parser_finish(parser)
    }

    deinit {
        cmark_node_free(root)
        cmark_parser_free(parser)
    }

    func outline() -> MarkdownOutline {
        var tables: [MarkdownOutline.Table] = []
        var html: [MarkdownOutline.HTML] = []
        walk(root, block: 1, tables: &tables, html: &html)
        return MarkdownOutline(tables: tables, html: html)
    }

    private func type(_ node: OpaquePointer) -> String {
        String(cString: cmark_node_get_type_string(node))
    }

    private func literal(_ node: OpaquePointer) -> String {
        cmark_node_get_literal(node).map { String(cString: $0) } ?? ""
    }

    private func line(_ node: OpaquePointer, else fallback: Int) -> Int {
        let l = Int(cmark_node_get_start_line(node))
        return l > 0 ? l : fallback
    }

    private func children(_ node: OpaquePointer) -> [OpaquePointer] {
        var out: [OpaquePointer] = []
        var c = cmark_node_first_child(node)
        while let n = c { out.append(n); c = cmark_node_next(n) }
        return out
    }

    /// Depth first, in document order; `block` is the line of the nearest block, for inline
    /// nodes whose own line cmark does not record.
    private func walk(_ node: OpaquePointer, block: Int, tables: inout [MarkdownOutline.Table],
                      html: inout [MarkdownOutline.HTML]) {
        let here = line(node, else: block)
        switch type(node) {
        case "table":
            var header: [MarkdownOutline.Cell] = []
            var rows: [MarkdownOutline.Row] = []
            var headerLine = here
            for row in children(node) {
                var cells: [MarkdownOutline.Cell] = []
                let rowLine = line(row, else: here)
                for cell in children(row) { cells.append(self.cell(cell, line: rowLine, html: &html)) }
                if cmark_gfm_extensions_get_table_row_is_header(row) != 0 {
                    header = cells; headerLine = rowLine
                } else {
                    rows.append(MarkdownOutline.Row(line: rowLine, cells: cells))
                }
            }
            tables.append(MarkdownOutline.Table(line: headerLine, header: header, rows: rows))
            return
        case "html_block":
            let text = literal(node)
            let kind: MarkdownOutline.HTML.Kind = text.trimmingCharacters(in: .whitespaces).hasPrefix("<!--") ? .comment : .block
            html.append(MarkdownOutline.HTML(line: here, kind: kind, excerpt: Self.excerpt(text)))
        case "html_inline":
            inlineHTML(literal(node), line: here, into: &html)
        default:
            break
        }
        for child in children(node) { walk(child, block: here, tables: &tables, html: &html) }
    }

    private func inlineHTML(_ text: String, line: Int, into html: inout [MarkdownOutline.HTML]) {
        guard !Self.isLineBreak(text) else { return }
        html.append(MarkdownOutline.HTML(line: line, kind: text.hasPrefix("<!--") ? .comment : .inline, excerpt: Self.excerpt(text)))
    }

    /// The text a cell displays, and the first formatting in it.
    private func cell(_ node: OpaquePointer, line: Int, html: inout [MarkdownOutline.HTML]) -> MarkdownOutline.Cell {
        var out = MarkdownOutline.Cell(text: "")
        func visit(_ n: OpaquePointer) {
            switch type(n) {
            case "text", "code": out.text += literal(n)
            case "softbreak": out.text += " "
            case "linebreak": out.text += "\n"
            case "html_inline":
                let t = literal(n)
                if Self.isLineBreak(t) { out.text += "\n" } else { inlineHTML(t, line: line, into: &html); out.text += t }
            case "emph", "strong", "strikethrough", "image":
                if out.formatting == nil { out.formatting = type(n) == "emph" ? "emphasis" : type(n) }
            default: break
            }
            for c in children(n) { visit(c) }
        }
        visit(node)
        return out
    }

    /// `<br>`, `<br/>`, `<br />` in any case: the one HTML the format writes (a line break in a cell).
    static func isLineBreak(_ tag: String) -> Bool {
        let t = tag.lowercased().replacingOccurrences(of: " ", with: "")
        return t == "<br>" || t == "<br/>"
    }

    static func excerpt(_ text: String) -> String {
        let first = text.split(whereSeparator: \.isNewline).first.map(String.init) ?? ""
        return first.count > 40 ? String(first.prefix(40)) + "…" : first
    }
}
