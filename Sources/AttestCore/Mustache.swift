import Foundation

/// A value a Mustache template is rendered with.
public indirect enum MustacheValue: Sendable, Equatable, ExpressibleByStringLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral {
    case null
    case bool(Bool)
    case string(String)
    case list([MustacheValue])
    case object([String: MustacheValue])

    public init(stringLiteral s: String) { self = .string(s) }
    public init(booleanLiteral b: Bool) { self = .bool(b) }
    public init(arrayLiteral elements: MustacheValue...) { self = .list(elements) }
    public init(dictionaryLiteral elements: (String, MustacheValue)...) {
        self = .object(Dictionary(elements, uniquingKeysWith: { _, last in last }))
    }

    /// Falsey: null, false, the empty string and the empty list.
    var isFalsey: Bool {
        switch self {
        case .null: return true
        case .bool(let b): return !b
        case .string(let s): return s.isEmpty
        case .list(let l): return l.isEmpty
        case .object: return false
        }
    }

    var text: String {
        switch self {
        case .null, .list, .object: return ""
        case .bool(let b): return b ? "true" : "false"
        case .string(let s): return s
        }
    }
}

/// A logic-less Mustache template (https://mustache.github.io/mustache.5.html), the subset attest
/// needs for markdown: variables (`{{name}}`, dotted `{{a.b}}`, the implicit iterator `{{.}}`),
/// sections over lists and booleans (`{{#name}}…{{/name}}`), inverted sections (`{{^name}}`),
/// comments (`{{! … }}`), and raw output (`{{{name}}}`, `{{& name}}`). Standalone section and
/// comment tags take their whole line with them, as the spec says.
///
/// Not implemented, and refused with the template's line: partials (`{{> x}}`), set delimiters
/// (`{{=<% %>=}}`), lambdas.
///
/// Escaping is for markdown, not HTML: a `{{name}}` value is inserted as it is, except on a line
/// that starts with `|` (a table row), where it is escaped with `MarkdownCell.escape` so a `|` or
/// a line break in the value cannot break the table. `{{{name}}}` and `{{& name}}` never escape.
public struct MustacheTemplate: Sendable {
    indirect enum Node: Sendable {
        case text(String)
        case variable(name: String, escapeCell: Bool, raw: Bool, line: Int)
        case section(name: String, inverted: Bool, children: [Node], line: Int)
    }

    let nodes: [Node]
    /// The template's name in messages: its path.
    public let name: String

    public init(_ template: String, name: String) throws(AttestError) {
        self.name = name
        var tokens = try Self.tokenize(Array(template), name: name)
        var index = 0
        nodes = try Self.build(&tokens, &index, open: nil, name: name)
    }

    public func render(_ context: MustacheValue) -> String {
        var out = ""
        render(nodes, stack: [context], into: &out)
        return out
    }

    // MARK: rendering

    private func lookup(_ name: String, _ stack: [MustacheValue]) -> MustacheValue {
        if name == "." { return stack.last ?? .null }
        let parts = name.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        for frame in stack.reversed() {
            guard case .object(let dict) = frame, let first = dict[parts[0]] else { continue }
            var value = first
            for part in parts.dropFirst() {
                guard case .object(let d) = value, let next = d[part] else { return .null }
                value = next
            }
            return value
        }
        return .null
    }

    private func render(_ nodes: [Node], stack: [MustacheValue], into out: inout String) {
        for node in nodes {
            switch node {
            case .text(let s): out += s
            case .variable(let name, let escapeCell, let raw, _):
                let text = lookup(name, stack).text
                out += (escapeCell && !raw) ? MarkdownCell.escape(text) : text
            case .section(let name, let inverted, let children, _):
                let value = lookup(name, stack)
                if inverted {
                    if value.isFalsey { render(children, stack: stack, into: &out) }
                    continue
                }
                if value.isFalsey { continue }
                if case .list(let items) = value {
                    for item in items { render(children, stack: stack + [item], into: &out) }
                } else {
                    render(children, stack: stack + [value], into: &out)
                }
            }
        }
    }

    // MARK: parsing

    enum Token {
        case text(String)
        case variable(String, escapeCell: Bool, raw: Bool, line: Int)
        case open(String, inverted: Bool, line: Int)
        case close(String, line: Int)
    }

    static func fail(_ name: String, _ line: Int, _ message: String) -> AttestError {
        .failed("template \(name):\(line): \(message)")
    }

    static func tokenize(_ c: [Character], name: String) throws(AttestError) -> [Token] {
        var tokens: [Token] = []
        var text = ""
        var i = 0
        var line = 1
        var lineStart = 0
        func startsWith(_ s: String, at j: Int) -> Bool {
            let chars = Array(s)
            guard j + chars.count <= c.count else { return false }
            return Array(c[j..<(j + chars.count)]) == chars
        }
        func isBlank(_ ch: Character) -> Bool { ch == " " || ch == "\t" }
        while i < c.count {
            guard startsWith("{{", at: i) else {
                text.append(c[i])
                if c[i].isNewline { line += 1; lineStart = i + 1 }
                i += 1
                continue
            }
            let tagLine = line
            let tagStart = i
            // What precedes the tag on its line: blank for a standalone tag, starting with '|'
            // on a table row.
            let before = String(c[lineStart..<tagStart])
            let inCell = before.trimmingCharacters(in: .whitespaces).hasPrefix("|")
            var raw = false
            var closer = "}}"
            var j = i + 2
            if startsWith("{{{", at: i) { raw = true; closer = "}}}"; j = i + 3 }
            var end = j
            while end < c.count, !startsWith(closer, at: end) {
                if c[end].isNewline { line += 1; lineStart = end + 1 }
                end += 1
            }
            guard end < c.count else { throw fail(name, tagLine, "'\(raw ? "{{{" : "{{")' is not closed with '\(closer)'") }
            var body = String(c[j..<end]).trimmingCharacters(in: .whitespaces)
            i = end + closer.count
            let sigil = raw ? nil : body.first
            if let s = sigil, "#^/!&>=".contains(s) { body = String(body.dropFirst()).trimmingCharacters(in: .whitespaces) }
            if sigil == "&" { raw = true }
            let standaloneKind = sigil.map { "#^/!>=".contains($0) } ?? false
            if standaloneKind, before.allSatisfy(isBlank) {
                var k = i
                while k < c.count, isBlank(c[k]) { k += 1 }
                if k == c.count || c[k].isNewline {
                    // Standalone: drop the line's leading blanks and its end.
                    text.removeLast(before.count)
                    if k < c.count { line += 1; lineStart = k + 1; i = k + 1 } else { i = k }
                }
            }
            if !text.isEmpty { tokens.append(.text(text)); text = "" }
            switch sigil {
            case "!": continue
            case ">": throw fail(name, tagLine, "partials ('{{> \(body)}}') are not supported")
            case "=": throw fail(name, tagLine, "changing delimiters ('{{=…=}}') is not supported")
            default: break
            }
            guard isName(body) else {
                throw fail(name, tagLine, body.isEmpty ? "empty tag" : "'\(body)' is not a variable name (letters, digits, _ and -, dotted: a.b, or '.')")
            }
            switch sigil {
            case "#": tokens.append(.open(body, inverted: false, line: tagLine))
            case "^": tokens.append(.open(body, inverted: true, line: tagLine))
            case "/": tokens.append(.close(body, line: tagLine))
            default: tokens.append(.variable(body, escapeCell: inCell, raw: raw, line: tagLine))
            }
        }
        if !text.isEmpty { tokens.append(.text(text)) }
        return tokens
    }

    static func isName(_ s: String) -> Bool {
        if s == "." { return true }
        let parts = s.split(separator: ".", omittingEmptySubsequences: false)
        return !parts.isEmpty && parts.allSatisfy { p in
            !p.isEmpty && p.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" }
        }
    }

    static func build(_ tokens: inout [Token], _ index: inout Int, open: (name: String, line: Int)?, name: String) throws(AttestError) -> [Node] {
        var nodes: [Node] = []
        while index < tokens.count {
            let t = tokens[index]
            index += 1
            switch t {
            case .text(let s): nodes.append(.text(s))
            case .variable(let n, let cell, let raw, let line): nodes.append(.variable(name: n, escapeCell: cell, raw: raw, line: line))
            case .open(let n, let inverted, let line):
                let children = try build(&tokens, &index, open: (n, line), name: name)
                nodes.append(.section(name: n, inverted: inverted, children: children, line: line))
            case .close(let n, let line):
                guard let open else { throw fail(name, line, "'{{/\(n)}}' closes a section that was never opened") }
                guard open.name == n else {
                    throw fail(name, line, "'{{/\(n)}}' does not match '{{#\(open.name)}}' opened at line \(open.line)")
                }
                return nodes
            }
        }
        if let open { throw fail(name, open.line, "section '\(open.name)' is never closed; add '{{/\(open.name)}}'") }
        return nodes
    }
}
