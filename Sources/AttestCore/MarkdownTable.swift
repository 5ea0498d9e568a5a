/// The one markdown construct the attestation file's facts live in: a GFM pipe table row,
/// `| a | b |`. Writing and reading use the same escaping, so any value survives a round trip:
///
/// - `\` becomes `\\`, `|` becomes `\|`, `<` becomes `\<`, and the characters that would start
///   formatting, a code span, a link or an entity (`*`, `_` other than inside a word, `~`, `` ` ``,
///   `[`, `]`, `&`) are escaped the same way (GFM backslash escapes, shown as the character itself by any markdown viewer, so
///   the text a viewer shows is the value: the attestation parser reads what cmark-gfm renders);
/// - a line break (LF, CR or CRLF) becomes `<br>`, which viewers show as a break in the cell.
///
/// Reading undoes exactly that: `\` before ASCII punctuation is dropped, `<br>` is a line break.
public enum MarkdownCell {
    public static func escape(_ value: String) -> String {
        var out = ""
        var previousCR = false
        let scalars = Array(value.unicodeScalars)
        func inWord(_ i: Int) -> Bool {
            guard scalars.indices.contains(i) else { return false }
            return scalars[i].properties.isAlphabetic || ("0"..."9").contains(scalars[i])
        }
        for (i, ch) in scalars.enumerated() {
            switch ch {
            case "\\": out += "\\\\"
            case "|": out += "\\|"
            case "<": out += "\\<"
            // Inside a word `_` never starts emphasis (CommonMark's flanking rules): customer_audit_events stays as written.
            case "_" where inWord(i - 1) && inWord(i + 1): out.unicodeScalars.append(ch)
            case "*", "_", "~", "`", "[", "]", "&": out += "\\"; out.unicodeScalars.append(ch)
            case "\r": out += "<br>"
            case "\n": if !previousCR { out += "<br>" }
            default: out.unicodeScalars.append(ch)
            }
            previousCR = ch == "\r"
        }
        return out
    }

    public static func unescape(_ cell: String) -> String {
        var out = ""
        let s = Array(cell.unicodeScalars)
        var i = 0
        while i < s.count {
            let c = s[i]
            if c == "\\", i + 1 < s.count, s[i + 1].isASCII, isPunctuation(s[i + 1]) {
                out.unicodeScalars.append(s[i + 1]); i += 2; continue
            }
            if c == "<", i + 3 < s.count, String(String.UnicodeScalarView(s[i..<(i + 4)])).lowercased() == "<br>" {
                out += "\n"; i += 4; continue
            }
            out.unicodeScalars.append(c); i += 1
        }
        return out
    }

    static func isPunctuation(_ c: Unicode.Scalar) -> Bool {
        let v = c.value
        return (0x21...0x2F).contains(v) || (0x3A...0x40).contains(v) || (0x5B...0x60).contains(v) || (0x7B...0x7E).contains(v)
    }

    /// The cells of a table row (`| a | b |`), trimmed and still escaped; nil when the line is
    /// not a row (it must start and end with an unescaped `|`).
    public static func splitRow(_ line: String) -> [String]? {
        let t = line.trimmingCharacters(in: .whitespaces)
        guard t.hasPrefix("|"), t.count >= 2 else { return nil }
        var cells: [String] = []
        var current = ""
        var escaped = false
        var endedWithPipe = false
        for ch in t.dropFirst() {
            endedWithPipe = false
            if escaped { current.append(ch); escaped = false; continue }
            if ch == "\\" { current.append(ch); escaped = true; continue }
            if ch == "|" {
                cells.append(current.trimmingCharacters(in: .whitespaces)); current = ""; endedWithPipe = true
                continue
            }
            current.append(ch)
        }
        guard endedWithPipe else { return nil }
        return cells
    }

    /// A delimiter row: `|---|:---:|---|` with `count` cells.
    public static func isDelimiterRow(_ line: String, count: Int) -> Bool {
        guard let cells = splitRow(line), cells.count == count else { return false }
        return cells.allSatisfy { c in
            var s = Substring(c)
            if s.hasPrefix(":") { s = s.dropFirst() }
            if s.hasSuffix(":") { s = s.dropLast() }
            return !s.isEmpty && s.allSatisfy { $0 == "-" }
        }
    }
}
