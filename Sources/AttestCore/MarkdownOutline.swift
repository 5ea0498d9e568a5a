import Foundation

/// What a CommonMark + GFM renderer shows of a markdown file, as plain values: its tables (with
/// the text each cell displays) and the HTML it holds. AttestCore reads the attestation file's
/// facts from this, never from the raw lines, so the tables attest reads are the tables a viewer
/// renders. The outline is made by `AttestMarkdown` (libcmark-gfm, with GitHub's extensions);
/// AttestCore stays free of C and receives the reader through `MarkdownOutline.install(_:)`.
public struct MarkdownOutline: Sendable, Equatable {
    /// One table cell: the text a viewer displays (escapes resolved, `<br>` as a line break, code
    /// spans and links as their text), and the first formatting that changes how that text looks
    /// (`emphasis`, `strong`, `strikethrough`, `image`), if any.
    public struct Cell: Sendable, Equatable {
        public var text: String
        public var formatting: String?
        public init(text: String, formatting: String? = nil) { self.text = text; self.formatting = formatting }
    }

    public struct Row: Sendable, Equatable {
        /// 1-based line of the row in the file.
        public var line: Int
        /// The cells the renderer made of the row (GFM pads a short row and drops a long row's extra cells).
        public var cells: [Cell]
        public init(line: Int, cells: [Cell]) { self.line = line; self.cells = cells }
    }

    public struct Table: Sendable, Equatable {
        /// 1-based line of the header row.
        public var line: Int
        public var header: [Cell]
        public var rows: [Row]
        public init(line: Int, header: [Cell], rows: [Row]) { self.line = line; self.header = header; self.rows = rows }
    }

    /// HTML in the file, which a viewer hides, strips or renders as it likes: an HTML block, an
    /// HTML comment, or an inline tag other than a line break (`<br>`).
    public struct HTML: Sendable, Equatable {
        public enum Kind: String, Sendable { case block = "an HTML block", comment = "an HTML comment", inline = "inline HTML" }
        public var line: Int
        public var kind: Kind
        /// The first characters of the HTML, for the message.
        public var excerpt: String
        public init(line: Int, kind: Kind, excerpt: String) { self.line = line; self.kind = kind; self.excerpt = excerpt }
    }

    /// In document order.
    public var tables: [Table]
    public var html: [HTML]

    public init(tables: [Table], html: [HTML]) { self.tables = tables; self.html = html }

    public typealias Reader = @Sendable (String) -> MarkdownOutline

    private static let lock = NSLock()
    nonisolated(unsafe) private static var reader: Reader?

    /// Sets the reader `read(_:)` uses (AttestMarkdown's `CommonMark.install()` does, once, at start).
    public static func install(_ reader: @escaping Reader) {
        lock.lock(); defer { lock.unlock() }
        Self.reader = reader
    }

    /// The outline of `text` by the installed reader; an environment error when none is installed
    /// (a program that links AttestCore without AttestMarkdown cannot read attestation files).
    public static func read(_ text: String) throws(AttestError) -> MarkdownOutline {
        lock.lock()
        let r = reader
        lock.unlock()
        guard let r else {
            throw .environment("no markdown reader is installed; call AttestMarkdown.CommonMark.install() before reading an attestation file")
        }
        return r(text)
    }
}
