import Foundation
import Testing
import AttestTestSupport

/// Issue 13: one place decides "is a sign-off" and one judge decides "is a good one". The
/// sources are read as `grep` would read them.
@Suite struct OneJudgeSourceTests {
    /// Every Swift source file under Sources/, with its path relative to the package.
    static func sources() throws -> [(path: String, text: String)] {
        let root = packageRoot + "/Sources"
        let files = FileManager.default.enumerator(atPath: root)?.compactMap { $0 as? String }.filter { $0.hasSuffix(".swift") } ?? []
        return try files.sorted().map { ("Sources/" + $0, try String(contentsOfFile: root + "/" + $0, encoding: .utf8)) }
    }

    static func files(containing needle: String) throws -> [String] {
        try sources().filter { $0.text.contains(needle) }.map(\.path)
    }

    @Test func onePlaceDecidesWhatASignoffIs() throws {
        // The trailer is read by the trailer parser and by the one definition, nowhere else.
        #expect(try Self.files(containing: "\"Attest-Quarter\"") == ["Sources/AttestCore/Signoff.swift", "Sources/AttestCore/SignoffRules.swift"])
        #expect(try Self.files(containing: "struct SignoffClaim") == ["Sources/AttestCore/SignoffRules.swift"])
        // The runbook's subject is recognised in the one definition (and written by the trailers).
        #expect(try Self.files(containing: "\"ops(compliance):\"") == ["Sources/AttestCore/SignoffRules.swift"])
        // The parallel definitions are gone, not wrapped.
        for gone in ["func isSignoff(", "func claim(ofMessage", "struct MessageClaim", "func documentFlags(", "func parsedDocumentFlags("] {
            #expect(try Self.files(containing: gone).isEmpty, "\(gone)")
        }
    }

    @Test func oneJudge() throws {
        #expect(try Self.files(containing: "static func check(_ f: SignoffFacts") == ["Sources/AttestCore/SignoffRules.swift"])
        // sign, verify, the hooks, audit and status all call it.
        let callers = try Self.files(containing: "SignoffRules.check(")
        for c in ["Sources/AttestCLI/Commands/SignCommand.swift", "Sources/AttestCLI/Commands/VerifyCommand.swift",
                  "Sources/AttestVerification/PushGate.swift", "Sources/AttestCore/AuditEvaluation.swift", "Sources/AttestVerification/SignoffLookup.swift"] {
            #expect(callers.contains(c), "\(c) does not call SignoffRules.check")
        }
        // Sign's own token-time judgement is gone: the judge's `late` and `window-timestamp` decide.
        #expect(try Self.files(containing: "func judge(_ stamp").isEmpty)
    }
}
