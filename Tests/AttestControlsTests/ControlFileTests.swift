import Foundation
import Testing
import AttestCore
@testable import AttestControls

/// Control files (issue #20): the header and the named parameters, without a database.
@Suite struct ControlFileTests {
    static let header = """
    -- control: X1.1
    -- criterion: CC6.1
    -- title: Stale service accounts
    -- evidence: X1.1-stale.csv
    -- on-finding: issue

    """

    func parse(_ text: String, path: String = "controls/x1.sql") throws(ControlFileError) -> ControlFile {
        try ControlFile.parse(Data(text.utf8), path: path, known: ControlParameters.names, sha256: "")
    }

    func refusal(_ text: String) -> ControlFileError? {
        do { _ = try parse(text); return nil } catch { return error }
    }

    @Test func headerAndStatementAreRead() throws {
        let f = try parse(Self.header + "SELECT 'ok' AS status, 'fine' AS reason, email AS resource\nFROM users WHERE created_at < :as_of AND created_at > :lookback_start OR created_at = :as_of\n")
        #expect(f.id == "X1.1" && f.criterion == "CC6.1" && f.title == "Stale service accounts" && f.evidenceFile == "X1.1-stale.csv")
        #expect(f.onFinding == .issue && !f.emptyPasses)
        #expect(f.parameterNames == ["as_of", "lookback_start"])
        #expect(f.sql.contains("created_at < $1 AND created_at > $2 OR created_at = $1"), "\(f.sql)")
        #expect(f.sqlFirstLine == 6)
    }

    @Test func parametersAreNotReplacedInsideLiteralsCommentsCastsOrDollarQuotes() throws {
        let body = """
        SELECT ':as_of' AS status, E'it\\'s :as_of' AS reason, ":as_of" AS resource, $q$ :as_of $q$ AS x,
               :as_of::timestamptz AS t, now()::date AS d -- :unknown_here
        /* :nor_here /* nested :x */ */ FROM users WHERE email = :controls_complianceRole
        """
        let f = try parse(Self.header + body)
        #expect(f.parameterNames == ["as_of", "controls_complianceRole"])
        #expect(f.sql.contains("':as_of' AS status, E'it\\'s :as_of' AS reason, \":as_of\" AS resource, $q$ :as_of $q$ AS x"), "\(f.sql)")
        #expect(f.sql.contains("$1::timestamptz AS t, now()::date AS d -- :unknown_here"), "\(f.sql)")
        #expect(f.sql.contains("/* :nor_here /* nested :x */ */ FROM users WHERE email = $2"), "\(f.sql)")
    }

    @Test func anUnknownParameterIsRefusedNamingTheFileAndLine() {
        let e = refusal(Self.header + "SELECT 'ok' AS status,\n 'r' AS reason,\n :as_off AS resource\n")
        #expect(e?.path == "controls/x1.sql")
        #expect(e?.line == 8, "\(String(describing: e))")
        #expect(e?.description.hasPrefix("controls/x1.sql:8: unknown parameter ':as_off'") == true, "\(String(describing: e))")
    }

    @Test func aPositionalParameterWrittenByHandIsRefused() {
        let e = refusal(Self.header + "SELECT $1 AS status\n")
        #expect(e?.line == 6 && e?.message.contains("positional parameter") == true, "\(String(describing: e))")
    }

    @Test(arguments: [
        ("-- control: X1.1\n-- criterion: CC6.1\n-- title: t\n-- evidence: e.csv\n-- on-finding: issue\n-- owner: me\nSELECT 1", 6, "unknown header key 'owner'"),
        ("-- control: X1.1\n-- criterion: CC6.1\n-- title: t\n-- evidence: e.csv\n\nSELECT 1", 5, "no 'on-finding:' line"),
        ("-- control: X1.1\n-- control: X1.2\nSELECT 1", 2, "given twice (also line 1)"),
        ("-- control: X1.1\n-- criterion: CC6.1\n-- title: t\n-- evidence: e.csv\n-- on-finding: maybe\nSELECT 1", 5, "on-finding 'maybe' must be issue"),
        ("-- control: X1.1\n-- criterion: CC6.1\n-- title: t\n-- evidence: e.csv\n-- on-finding: issue\n-- empty: ok\nSELECT 1", 6, "empty 'ok' must be pass or error"),
        ("-- control: X1.1\n-- a plain comment\nSELECT 1", 2, "is not '-- key: value'"),
        ("-- control: X 1\n-- criterion: CC6.1\n-- title: t\n-- evidence: e.csv\n-- on-finding: issue\nSELECT 1", 1, "is not an id"),
        ("-- control: X1.1\n-- criterion: CC6.1\n-- title: t\n-- evidence: results.json\n-- on-finding: issue\nSELECT 1", 4, "is not a file name"),
        ("-- control: X1.1\n-- criterion: CC6.1\n-- title: t\n-- evidence: e.csv\n-- on-finding: block\nSELECT 'open", 6, "string literal is never closed"),
        ("-- control: X1.1\n-- criterion: CC6.1\n-- title: t\n-- evidence: e.csv\n-- on-finding: block\n\n", 6, "no SQL statement"),
    ])
    func badFilesAreRefusedNamingTheLine(text: String, line: Int, message: String) {
        let e = refusal(text)
        #expect(e?.line == line, "\(String(describing: e))")
        #expect(e?.message.contains(message) == true, "\(String(describing: e))")
    }

    @Test func theCatalogueNumbersFilesAfterCC63InByteOrder() throws {
        let a = Data((Self.header + "SELECT 1").utf8)
        let b = Data((Self.header.replacingOccurrences(of: "X1.1", with: "X2") + "SELECT 1").utf8)
        let (cat, files) = try ExtraControls.catalogue(files: [("controls/b.sql", a), ("controls/B.sql", b)], departuresPresent: true)
        #expect(cat.controls.map(\.step) == [8, 9, 10])
        #expect(cat.controls.map(\.source) == ["built-in", "controls/B.sql", "controls/b.sql"])
        #expect(files.map(\.id) == ["X2", "X1.1"])
        #expect(cat.controls[1].sqlSHA256.count == 64)
        #expect(throws: ControlFileError.self) { try ExtraControls.catalogue(files: [("controls/a.sql", a), ("controls/b.sql", a)], departuresPresent: false) }
        let (none, _) = try ExtraControls.catalogue(files: [], departuresPresent: false)
        #expect(none.isRunbookOnly)
    }

    @Test func departuresAreReadFromAMarkdownTableOrCSV() throws {
        let md = "# Departures\n\n| email | notice | ticket |\n|---|---|---|\n| a@raxx.example | 2026-09-01T09:00:00Z | HR-1 |\n| b@raxx.example | 2026-09-02T10:30:00Z | HR-2 |\n"
        let list = try DeparturesList.parse(Data(md.utf8), path: "docs/ops/departures.md")
        #expect(list.map(\.email) == ["a@raxx.example", "b@raxx.example"])
        #expect(list[1].notice == UTC.parseInstant("2026-09-02T10:30:00Z"))
        #expect(list[1].line == 6)
        let csv = try DeparturesList.parse(Data("email,notice,ticket\na@raxx.example,2026-09-01T09:00:00Z,HR-1\n".utf8), path: "hr.csv")
        #expect(csv.map(\.ticket) == ["HR-1"])
        #expect(throws: DocumentError.self) { try DeparturesList.parse(Data("| email | notice | ticket |\n|---|---|---|\n| a@x | yesterday | HR-1 |\n".utf8), path: "d.md") }
        var message = ""
        do { _ = try DeparturesList.parse(Data("| email | notice | ticket |\n|---|---|---|\n| a@x | 2026-09-01T09:00:00Z | HR-1 |\n| A@x | 2026-09-02T09:00:00Z | HR-2 |\n".utf8), path: "d.md") } catch {
            message = error.message
        }
        #expect(message == "d.md:4: A@x is listed twice (also line 3)")
    }
}
