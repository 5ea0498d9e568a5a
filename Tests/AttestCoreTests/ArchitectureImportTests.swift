import Foundation
import Testing
import AttestTestSupport

/// docs/ARCHITECTURE.md says which modules each target may and may not import; this test reads
/// that table and every `import` line under Sources/ and fails on an edge the page forbids, or on
/// a target the page does not describe.
@Suite struct ArchitectureImportTests {
    struct Row { let target: String; let only: Set<String>; let never: Set<String> }

    /// The rows of the table under "What each target owns and never imports".
    static func rows() throws -> [Row] {
        let page = try String(contentsOfFile: packageRoot + "/docs/ARCHITECTURE.md", encoding: .utf8)
        guard let start = page.range(of: "## What each target owns and never imports") else {
            Issue.record("docs/ARCHITECTURE.md has no section 'What each target owns and never imports'")
            return []
        }
        var rows: [Row] = []
        for line in page[start.upperBound...].split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("## ") { break }
            guard line.hasPrefix("| `") else { continue }
            let cells = line.split(separator: "|", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            guard cells.count >= 5 else { continue }
            rows.append(Row(target: names(cells[1]).first ?? "", only: Set(names(cells[3])), never: Set(names(cells[4]))))
        }
        return rows
    }

    /// The backticked names in one table cell.
    static func names(_ cell: String) -> [String] {
        cell.split(separator: "`", omittingEmptySubsequences: false).enumerated().filter { $0.offset % 2 == 1 }.map { String($0.element) }
    }

    /// The modules a source file imports, however the import is written (`internal import`, `@_implementationOnly import`).
    static func imports(_ text: String) -> [(line: Int, module: String)] {
        var out: [(Int, String)] = []
        for (n, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let words = raw.split(separator: " ").map(String.init)
            guard let i = words.firstIndex(of: "import"), words[..<i].allSatisfy({ $0.hasPrefix("@") || ["internal", "public", "package", "private", "fileprivate"].contains($0) }),
                  i + 1 < words.count else { continue }
            // `import struct Foundation.Date` names the module after the kind.
            var module = words[i + 1]
            if ["struct", "class", "enum", "protocol", "func", "var", "let", "typealias"].contains(module), i + 2 < words.count { module = words[i + 2] }
            out.append((n + 1, String(module.split(separator: ".").first ?? "")))
        }
        return out
    }

    @Test func everyTargetIsOnThePageAndKeepsItsEdges() throws {
        let rows = try Self.rows()
        #expect(rows.count >= 7, "the table of targets was not found or is too short")
        let byTarget = Dictionary(rows.map { ($0.target, $0) }, uniquingKeysWith: { a, _ in a })
        let sources = packageRoot + "/Sources"
        let targets = try FileManager.default.contentsOfDirectory(atPath: sources).filter { !$0.hasPrefix(".") }.sorted()
        for target in targets {
            guard let row = byTarget[target] else {
                Issue.record("Sources/\(target) is not in docs/ARCHITECTURE.md's table of targets: add its row (what it owns, what it never imports)")
                continue
            }
            let files = FileManager.default.enumerator(atPath: sources + "/" + target)?.compactMap { $0 as? String }.filter { $0.hasSuffix(".swift") } ?? []
            for file in files.sorted() {
                let path = "Sources/\(target)/\(file)"
                for (line, module) in Self.imports(try String(contentsOfFile: packageRoot + "/" + path, encoding: .utf8)) {
                    #expect(!row.never.contains(module), "\(path):\(line) imports \(module), which docs/ARCHITECTURE.md says \(target) never imports")
                    if !row.only.isEmpty {
                        #expect(row.only.contains(module) || module == "FoundationNetworking", "\(path):\(line) imports \(module); docs/ARCHITECTURE.md says \(target) imports only \(row.only.sorted().joined(separator: ", "))")
                    }
                }
            }
        }
        for row in rows where !targets.contains(row.target) {
            Issue.record("docs/ARCHITECTURE.md names a target \(row.target) that Sources/ does not have")
        }
    }

    @Test func theReaderSeesEveryFormOfImport() {
        let found = Self.imports("import Foundation\ninternal import CGit2\n@_implementationOnly import CZlib\npublic import AttestCore\nimport struct Glibc.stat\n// import Nothing\nlet importance = 1\n")
        #expect(found.map(\.module) == ["Foundation", "CGit2", "CZlib", "AttestCore", "Glibc"])
        #expect(found.map(\.line) == [1, 2, 3, 4, 5])
    }
}
