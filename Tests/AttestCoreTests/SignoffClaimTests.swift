import Foundation
import Testing
import AttestMarkdown
@testable import AttestCore
import AttestTestSupport

/// The one definition of "a sign-off (or an amendment) for quarter Q" (issue 13), and the
/// judge's and audit's use of it.
@Suite struct SignoffClaimTests {
    init() { CommonMark.install() } // the attestation file is read by cmark-gfm

    static let q = try! Quarter(parsing: "2026-Q1")
    static let path = "docs/attestation-log/2026-Q1.md"
    static var good: String {
        SignoffTrailers(quarter: q, result: .clean, documentPath: path, documentSHA256: String(repeating: "a", count: 64),
                        evidenceSHA256: String(repeating: "b", count: 64)).message
    }

    @Test func trailersBrokenBlockSubjectOrNothing() throws {
        let t = try #require(SignoffClaim(message: Self.good))
        #expect(t.source == .trailers && t.quarter == Self.q && t.trailers != nil && t.trailerProblem == nil && !t.isAmendment)
        // A prose line inside the block: git sees no trailers, but the lines name the quarter.
        let broken = Self.good.replacingOccurrences(of: "Attest-Result: clean\n", with: "Attest-Result: clean\nsee the ticket\n")
        #expect(Trailers.parse(broken).isEmpty)
        let b = try #require(SignoffClaim(message: broken))
        #expect(b.source == .brokenTrailers && b.quarter == Self.q && b.trailers == nil)
        #expect(b.trailerProblem?.contains("not a git trailer block") == true)
        let s = try #require(SignoffClaim(message: "ops(compliance): Q1 2026 SOC-2 attestation sign-off\n"))
        #expect(s.source == .subject && s.quarter == Self.q && s.trailerProblem?.contains("no Attest-* trailers") == true)
        // A subject that looks like one but names no quarter is still a claim (judged and refused).
        #expect(SignoffClaim(message: "ops(compliance): Q9 2026 SOC-2 attestation sign-off\n")?.quarter == nil)
        #expect(SignoffClaim(message: "fix a typo\n") == nil)
        #expect(SignoffClaim(message: "fix a typo\n\nAttest-Amends: \(String(repeating: "c", count: 40))\n") == nil)
        #expect(SignoffClaim.amends(in: "fix a typo\n\nAttest-Amends: abc\n") == "abc")
        let amendment = try #require(SignoffClaim(message: Self.good.replacingOccurrences(of: "Attest-Evidence", with: "Attest-Amends: abc\nAttest-Evidence")))
        #expect(amendment.isAmendment && amendment.amends == "abc")
    }

    @Test func theJudgeAndAuditReadTheSameClaim() {
        let broken = Self.good.replacingOccurrences(of: "Attest-Result: clean\n", with: "Attest-Result: clean\nsee the ticket\n")
        let at = UTC.parseInstant("2026-01-03T10:00:00Z")!
        let r = SignoffRules.check(SignoffFacts(commit: "c", message: broken, documentText: nil, documentSHA256: nil, authorDate: at,
                                                committerDate: at, parentCommitterDates: [], now: at), policy: Policy())
        #expect(r.violations.map(\.rule) == ["message"])
        #expect(r.timing == .inside)
        // Audit takes it as Q1's sign-off and flags it through the judge's rule.
        #expect(Audit.isSignoffCandidate(broken, change: .added, for: Self.q))
        let doc = Data(SignoffFixture.document(quarter: Self.q).utf8)
        let c = AuditCommit(id: String(repeating: "a", count: 40), parents: [], author: AuditPerson(name: "O", email: "o@x", time: at),
                            committer: AuditPerson(name: "O", email: "o@x", time: at), message: broken, latestParentCommitterTime: nil,
                            change: .added, document: doc, documentSHA256: SignoffFixture.sha256(doc), window: Schedule().window(for: Self.q))
        let input = AuditInput(from: at, to: at, revision: "HEAD", revisionID: String(repeating: "f", count: 40), folder: "docs/attestation-log",
                               quarters: [QuarterHistory(quarter: Self.q, path: Self.path, commits: [c], presentAtRevision: true,
                                                         windowAtRevision: Schedule().window(for: Self.q))])
        let q = Audit.evaluate(input).quarters[0]
        #expect(q.verdict == .onTime && q.flags.map(\.flag) == [.incompleteDocument])
        #expect(q.flags[0].detail.hasPrefix("aaaaaaaaaaaa: [message] the Attest-* lines are not a git trailer block"))
    }
}
