import Foundation
import Testing
@testable import AttestCore

@Suite struct TimestampImprintTests {
    static let blob = "5e1c309dae7f45e0f39b1bf3ac3cd9db12e7d689"
    static let tree = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"
    static let parent = "1f2e3d4c5b6a79881726354453627180a9b8c7d6"
    static let evidence = String(repeating: "9c", count: 32)

    func imprint(parents: [String] = [parent]) throws -> TimestampImprint {
        TimestampImprint(quarter: try Quarter(parsing: "2026-Q4"), documentPath: "docs/attestation-log/2026-Q4.md",
                         documentBlob: Self.blob, tree: Self.tree, parents: parents, evidenceSHA256: Self.evidence)
    }

    @Test func bytesAreTheDocumentedLines() throws {
        let text = String(decoding: try imprint().bytes(), as: UTF8.self)
        #expect(text == """
            attest-timestamp-imprint v1
            quarter 2026-Q4
            document docs/attestation-log/2026-Q4.md
            blob \(Self.blob)
            tree \(Self.tree)
            parent \(Self.parent)
            evidence \(Self.evidence)

            """)
    }

    @Test func renewedFilesFollowTheEvidenceSortedBytewise() throws {
        var i = try imprint()
        let a = String(repeating: "1a", count: 32), b = String(repeating: "2b", count: 32), c = String(repeating: "3c", count: 32)
        i = TimestampImprint(quarter: i.quarter, documentPath: i.documentPath, documentBlob: i.documentBlob, tree: i.tree, parents: i.parents,
                             evidenceSHA256: i.evidenceSHA256, renews: [
                                .init(path: "docs/attestation-log/.ltv/2026-Q1/refreshed/d.crl.pem", sha256: c),
                                .init(path: "docs/attestation-log/.ltv/2026-Q1/d.tst", sha256: a),
                                .init(path: "docs/attestation-log/.ltv/2026-Q1-x/d.tst", sha256: b),
                             ])
        let text = String(decoding: try i.bytes(), as: UTF8.self)
        #expect(text.hasSuffix("""
            evidence \(Self.evidence)
            renews \(b) docs/attestation-log/.ltv/2026-Q1-x/d.tst
            renews \(a) docs/attestation-log/.ltv/2026-Q1/d.tst
            renews \(c) docs/attestation-log/.ltv/2026-Q1/refreshed/d.crl.pem

            """), "\(text)")
        let bad = TimestampImprint(quarter: i.quarter, documentPath: i.documentPath, documentBlob: i.documentBlob, tree: i.tree, parents: i.parents,
                                   evidenceSHA256: i.evidenceSHA256, renews: [.init(path: "x\ny", sha256: a)])
        #expect(throws: AttestError.self) { try bad.bytes() }
        let short = TimestampImprint(quarter: i.quarter, documentPath: i.documentPath, documentBlob: i.documentBlob, tree: i.tree, parents: i.parents,
                                     evidenceSHA256: i.evidenceSHA256, renews: [.init(path: "x", sha256: "abc")])
        #expect(throws: AttestError.self) { try short.bytes() }
    }

    @Test func parentsAreListedInOrderAndARootHasNone() throws {
        let other = String(repeating: "a", count: 40)
        let two = String(decoding: try imprint(parents: [Self.parent, other]).bytes(), as: UTF8.self)
        #expect(two.contains("parent \(Self.parent)\nparent \(other)\nevidence"))
        let root = String(decoding: try imprint(parents: []).bytes(), as: UTF8.self)
        #expect(!root.contains("parent") && root.contains("tree \(Self.tree)\nevidence"))
    }

    @Test func everyFieldChangesTheBytes() throws {
        let base = try imprint().bytes()
        var changed: [TimestampImprint] = []
        for edit in 0..<6 {
            var i = try imprint()
            switch edit {
            case 0: i.quarter = try Quarter(parsing: "2026-Q3")
            case 1: i.documentPath = "docs/attestation-log/2026-Q3.md"
            case 2: i.documentBlob = String(repeating: "0", count: 40)
            case 3: i.tree = String(repeating: "1", count: 40)
            case 4: i.parents = []
            default: i.evidenceSHA256 = String(repeating: "ab", count: 32)
            }
            changed.append(i)
        }
        for i in changed { #expect(try i.bytes() != base) }
    }

    @Test(arguments: ["path\nwith newline", "", "tree-not-hex", "BLOB-UPPER", "evidence-short"])
    func malformedFieldsAreRefused(_ what: String) throws {
        var i = try imprint()
        switch what {
        case "tree-not-hex": i.tree = "not a tree id"
        case "BLOB-UPPER": i.documentBlob = Self.blob.uppercased()
        case "evidence-short": i.evidenceSHA256 = "abc"
        default: i.documentPath = what
        }
        #expect(throws: AttestError.self) { try i.bytes() }
    }

    @Test func sha256RepositoryIdsAreAccepted() throws {
        var i = try imprint()
        i.tree = String(repeating: "e", count: 64)
        #expect(try String(decoding: i.bytes(), as: UTF8.self).contains("tree " + i.tree + "\n"))
    }
}
