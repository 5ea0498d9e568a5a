import Foundation
import Testing
import AttestMarkdown
@testable import AttestCore

/// The per-commit rules on plain facts, without git: what audit and the TSA work rely on.
@Suite struct SignoffRulesTests {
    init() { CommonMark.install() } // the attestation file is read by cmark-gfm

    let q4 = try! Quarter(parsing: "2026-Q4")
    let path = "docs/attestation-log/2026-Q4.md"
    let manifest = String(repeating: "0f", count: 32)
    func date(_ s: String) -> Date { UTC.parseInstant(s)! }

    func facts(_ text: String, digest: String = String(repeating: "1", count: 64), at: String = "2026-10-02T09:30:00Z",
               now: String = "2026-10-03T12:00:00Z", late: String? = nil, signature: SignatureOutcome = .unsigned,
               timestamp: TimestampOutcome = .absent) -> SignoffFacts {
        let t = SignoffTrailers(quarter: q4, result: .clean, documentPath: path, documentSHA256: String(repeating: "1", count: 64),
                                evidenceSHA256: manifest, late: late)
        return SignoffFacts(commit: String(repeating: "c", count: 40), message: t.message, documentText: text, documentSHA256: digest,
                            authorDate: date(at), committerDate: date(at), parentCommitterDates: [date("2026-09-01T00:00:00Z")],
                            now: date(now), signature: signature, timestamp: timestamp)
    }

    var document: String {
        let w = Schedule().window(for: q4)
        let rows = Controls.all.map { "| \($0.step) | \($0.name) | \($0.criterion) | pass | `\(String(repeating: "ab", count: 32))` |" }
        return """
        | Field | Value |
        |---|---|
        | Quarter | 2026-Q4 |
        | Window opens | \(UTC.iso(w.opens)) |
        | Window closes | \(UTC.iso(w.closes)) |
        | Operator | Olive |
        | Operator email | olive@example.com |
        | Date | 2026-10-02 |
        | Result | clean |
        | Evidence manifest SHA-256 | \(manifest) |

        | Step | Control | AICPA ref | Status | Evidence SHA-256 |
        |---|---|---|---|---|
        \(rows.joined(separator: "\n"))

        | Step | Finding | Issue | Resolved |
        |---|---|---|---|

        """
    }

    @Test func aGoodSignoffHolds() {
        let r = SignoffRules.check(facts(document), policy: Policy())
        #expect(r.holds, "\(r.violations)")
        #expect(r.trailers?.quarter == q4 && r.document?.result == .clean)
    }

    @Test func eachRuleNamesItself() {
        var p = Policy()
        #expect(SignoffRules.check(facts(document, digest: String(repeating: "2", count: 64)), policy: p).violations.map(\.rule) == ["document-digest"])
        #expect(SignoffRules.check(facts(document, at: "2026-09-25T23:59:59Z", now: "2026-09-26T00:00:00Z"), policy: p).violations.map(\.rule)
                == ["window-author", "window-committer"])
        let late = SignoffRules.check(facts(document, at: "2026-10-07T00:00:00Z", now: "2026-10-07T01:00:00Z", late: "sick"), policy: p)
        #expect(late.holds && late.notes.contains { $0.hasPrefix("late: the committer date") })
        #expect(SignoffRules.check(facts(document, now: "2026-10-02T09:24:00Z"), policy: p).violations.map(\.rule) == ["future", "future"])
        #expect(SignoffRules.check(facts(document, signature: .invalid("bad")), policy: p).violations.map(\.rule) == ["signature"])
        #expect(SignoffRules.check(facts(document, signature: .unverifiable("no file")), policy: p).holds)
        p.signatureRequired = true
        #expect(SignoffRules.check(facts(document), policy: p).violations.map(\.rule) == ["signature"])
        #expect(SignoffRules.check(facts(document, signature: .valid(signer: "o")), policy: p).holds)
        p.tsaRequired = true
        #expect(SignoffRules.check(facts(document, signature: .valid(signer: "o")), policy: p).violations.map(\.rule) == ["untrusted-time"])
        // The trusted time decides: after the hard close it is late, whatever the commit dates say.
        let outside = facts(document, signature: .valid(signer: "o"), timestamp: .valid(time: date("2026-10-08T00:00:00Z"), authority: "TSA"))
        #expect(SignoffRules.check(outside, policy: p).violations.map(\.rule) == ["late"])
        let inside = facts(document, signature: .valid(signer: "o"), timestamp: .valid(time: date("2026-10-02T09:31:00Z"), authority: "TSA"))
        #expect(SignoffRules.check(inside, policy: p).holds)
    }

    @Test func pushTimeAndHistoryRules() {
        let p = Policy()
        #expect(SignoffRules.pushAge(committerDate: date("2026-10-02T00:00:00Z"), now: date("2026-10-03T23:59:59Z"), policy: p) == nil)
        #expect(SignoffRules.pushAge(committerDate: date("2026-10-02T00:00:00Z"), now: date("2026-10-04T00:00:01Z"), policy: p)?.rule == "push-age")
        #expect(SignoffRules.future(committerDate: date("2026-10-02T00:05:00Z"), now: date("2026-10-02T00:00:00Z"), policy: p) == nil)
        #expect(SignoffRules.future(committerDate: date("2026-10-02T00:05:01Z"), now: date("2026-10-02T00:00:00Z"), policy: p)?.rule == "future")
        let s = String(repeating: "a", count: 40)
        #expect(SignoffRules.amendment(path: path, deleted: false, signedBy: [], amends: nil) == nil)
        #expect(SignoffRules.amendment(path: path, deleted: false, signedBy: [s], amends: nil)?.rule == "signed-file-changed")
        #expect(SignoffRules.amendment(path: path, deleted: false, signedBy: [s], amends: s) == nil)
        #expect(SignoffRules.amendment(path: path, deleted: false, signedBy: [s], amends: "abc")?.rule == "signed-file-changed")
        #expect(SignoffRules.amendment(path: path, deleted: true, signedBy: [s], amends: s)?.rule == "signed-file-deleted")
    }

    @Test func whatCountsAsASignoff() {
        #expect(SignoffClaim(message: "ops(compliance): Q4 2026 SOC-2 attestation sign-off\n") != nil)
        #expect(SignoffClaim(message: "anything\n\nAttest-Quarter: 2026-Q4\n") != nil)
        #expect(SignoffClaim(message: "fix typo\n\nAttest-Amends: abc\n") == nil)
        let r = SignoffRules.check(SignoffFacts(commit: "c", message: "ops(compliance): Q4 2026 SOC-2 attestation sign-off\n", documentText: nil,
                                                documentSHA256: nil, authorDate: date("2026-10-02T00:00:00Z"), committerDate: date("2026-10-02T00:00:00Z"),
                                                parentCommitterDates: [], now: date("2026-10-02T01:00:00Z")), policy: Policy())
        #expect(r.violations.map(\.rule) == ["message"])
    }
}
