import Foundation
import Testing
import AttestCore
import AttestTestSupport

/// Issue 13, the property: for random sign-off situations (the clock, keys and the
/// allowed-signers file, signing.required, tsa.required and the TSA's clock, a clean or a blocked
/// document, a HEAD dated ahead of the clock), `attest sign` succeeds exactly when the rules of
/// docs/verify.md accept the commit it would write, refusing with the rules a model of those
/// rules predicts; and on every commit sign wrote, `attest verify` holds and `attest audit` gives
/// the verdict the model gives, with no flag.
@Suite(.serialized) struct SignJudgePropertyTests {
    enum Key: CaseIterable { case none, allowed, stranger }
    enum TSA: CaseIterable { case none, right, wrong }

    struct Situation: CustomStringConvertible {
        var clock: Date
        var key: Key
        var signersFile: Bool
        var signingRequired: Bool
        var tsa: TSA
        var tsaRequired: Bool
        var blocked: Bool
        var headAhead: Bool
        var description: String {
            "clock \(UTC.iso(clock)), key \(key), allowed_signers \(signersFile), signing.required \(signingRequired), TSA \(tsa), tsa.required \(tsaRequired), blocked \(blocked), HEAD ahead \(headAhead)"
        }
    }

    static let window = Schedule().window(for: try! Quarter(parsing: "2026-Q4"))
    /// The right TSA's clock (inside the window) and the wrong one's (after the hard close).
    static let rightTime = "2026-10-03 12:00:00", wrongTime = "2026-10-08 12:00:00"

    /// The model: which rules refuse the situation (empty: sign must succeed). `nil` rule names
    /// a refusal before the judge (sign's clock check), which has no rule.
    static func expectedRefusals(_ s: Situation) -> Set<String> {
        let late = s.clock > window.closes
        if s.clock < window.opens { return ["clock"] }
        var rules: Set<String> = []
        if s.blocked { rules.formUnion(["blocked-result", "document-content"]) }
        if s.headAhead { rules.insert("committer-order") }
        switch s.key {
        case .none: if s.signingRequired { rules.insert("signature") }
        case .allowed: if !s.signersFile && s.signingRequired { rules.insert("signature") }
        case .stranger: if s.signersFile || s.signingRequired { rules.insert("signature") }
        }
        switch s.tsa {
        case .none: if s.tsaRequired { rules.insert("untrusted-time") }
        case .right: break
        case .wrong: if !late { rules.insert("late") }
        }
        return rules
    }

    static func situation(_ rng: inout SplitMix64) -> Situation {
        // From two days before the window opens to two days after the hard close, whole minutes.
        let span = window.closes.timeIntervalSince(window.opens) + 4 * 86400
        let offset = (Double(rng.next() % UInt64(span / 60)) * 60).rounded()
        func pick(_ weights: [UInt64]) -> Int {
            var r = rng.next() % weights.reduce(0, +)
            for (i, w) in weights.enumerated() { if r < w { return i }; r -= w }
            return 0
        }
        return Situation(clock: window.opens.addingTimeInterval(offset - 2 * 86400),
                         key: Key.allCases[pick([1, 2, 1])], signersFile: pick([1, 3]) == 1,
                         signingRequired: pick([1, 1]) == 1, tsa: TSA.allCases[pick([2, 2, 1])],
                         tsaRequired: pick([2, 1]) == 1, blocked: pick([5, 1]) == 1, headAhead: pick([5, 1]) == 1)
    }

    @Test func signSucceedsExactlyWhenTheJudgeAccepts() throws {
        let right = try TestTSA(label: "Right TSA", at: Self.rightTime)
        defer { right.stop() }
        let wrong = try TestTSA(label: "Wrong TSA", at: Self.wrongTime)
        defer { wrong.stop() }
        var rng = SplitMix64(seed: 0x13_1D6E)
        var signed = 0, refused = 0
        for n in 0..<32 {
            let s = Self.situation(&rng)
            let refusals = Self.expectedRefusals(s)
            let r = try attempt(s, right: right, wrong: wrong)
            let context = "case \(n): \(s)\n\(r.sign)"
            if refusals.isEmpty {
                signed += 1
                #expect(r.sign.status == 0, "\(context)")
                guard r.sign.status == 0 else { continue }
                #expect(r.verify?.status == 0, "\(context)\n\(r.verify.map(String.init(describing:)) ?? "")")
                let q = try #require(r.auditQ4, "\(context)")
                let lateClock = s.clock > Self.window.closes
                #expect(q["verdict"] as? String == (lateClock ? "late" : "on-time"), "\(context)\n\(q)")
                #expect(q["flags"] as? [String] == [], "\(context)\n\(q)")
            } else {
                refused += 1
                #expect(r.sign.status == 1, "\(context)")
                #expect(r.unchanged, "\(context)")
                let named = Set(r.sign.stderr.components(separatedBy: "[").dropFirst().compactMap { part -> String? in
                    let name = part.prefix { $0 != "]" }
                    return !name.isEmpty && name.allSatisfy({ $0.isLowercase || $0 == "-" }) && part.dropFirst(name.count).hasPrefix("]") ? String(name) : nil
                })
                if refusals == ["clock"] {
                    #expect(r.sign.stderr.contains("window opens"), "\(context)")
                } else {
                    // Sign stops at the first stage that fails (draft rules, the signing and TSA
                    // configuration, then the written commit): what it names is predicted.
                    #expect(!named.isEmpty && named.isSubset(of: refusals), "\(context)\nnamed \(named), predicted \(refusals)")
                }
            }
        }
        // The seed gives both outcomes.
        #expect(signed >= 6 && refused >= 6, "signed \(signed), refused \(refused)")
    }

    struct Attempt {
        let sign: RunResult
        let unchanged: Bool
        let verify: RunResult?
        let auditQ4: [String: Any]?
    }

    func attempt(_ s: Situation, right: TestTSA, wrong: TestTSA) throws -> Attempt {
        let c = ComplianceRepo("judge-property")
        let ownKey = SignoffFixture.sshKey(in: c.repo)
        let stranger = SignoffFixture.sshKey(in: c.repo, name: "stranger")
        var config = "\n[signing]\n\trequired = \(s.signingRequired)\n[tsa]\n\trequired = \(s.tsaRequired)\n"
        if s.tsa != .none {
            let tsa = s.tsa == .right ? right : wrong
            c.write(".attest/tsa/ca.pem", try String(contentsOfFile: tsa.caFile, encoding: .utf8))
            config += "\turl = \(tsa.url)\n\tcaFile = .attest/tsa/ca.pem\n"
        }
        c.write(".attestconfig", c.read(".attestconfig") + config)
        if s.signersFile { c.write(".attest/allowed_signers", SignoffFixture.allowedSignersLine(key: ownKey) + "\n") }
        c.repo.commitAll("policy", date: "2026-09-02T10:00:00Z")
        if s.headAhead { c.repo.write("README.md", "ahead\n"); c.repo.commitAll("ahead", date: UTC.iso(s.clock.addingTimeInterval(3600))) }
        if s.key != .none {
            c.git(["config", "gpg.format", "ssh"])
            c.git(["config", "user.signingKey", s.key == .allowed ? ownKey : stranger])
            c.git(["config", "commit.gpgSign", "true"])
        }
        c.evidence(statuses: s.blocked ? ["pass", "pass", "pass", "pass", "pass", "finding", "pass"] : Array(repeating: "pass", count: 7))
        let rendered = c.attest(["render", "--quarter", "2026-Q4"], at: "2026-09-20 09:30:00")
        precondition(rendered.status == 0, "\(rendered)")

        func state() -> [String] {
            let status = c.git(["status", "--porcelain", "--untracked-files=all"]).stdout
            return [c.head(), c.git(["for-each-ref"]).stdout, status,
                    (try? Data(contentsOf: URL(fileURLWithPath: c.path + "/.git/index")).base64EncodedString()) ?? ""]
        }
        let before = state()
        let at = UTC.human(s.clock).replacingOccurrences(of: " UTC", with: "")
        let late = s.clock > Self.window.closes ? ["--late", "--reason", "the operator was away"] : []
        let sign = c.attest(["sign", "--quarter", "2026-Q4"] + late, at: at)
        guard sign.status == 0 else { return Attempt(sign: sign, unchanged: state() == before, verify: nil, auditQ4: nil) }
        let later = UTC.human(s.clock.addingTimeInterval(600)).replacingOccurrences(of: " UTC", with: "")
        let verify = c.attest(["verify"], at: later)
        let audit = c.attest(["audit", "--from", "2026-10-01", "--to", "2026-10-01", "--json"], at: later)
        let doc = try JSONSerialization.jsonObject(with: Data(audit.stdout.utf8)) as? [String: Any]
        let q = (doc?["quarters"] as? [[String: Any]])?.first { $0["quarter"] as? String == "2026-Q4" }
        return Attempt(sign: sign, unchanged: false, verify: verify, auditQ4: q)
    }
}
