import Foundation
import Testing
import AttestCore
import AttestTestSupport

/// Trusted time (issue #7) in `attest verify` and the push hooks, on sign-offs whose tokens
/// were made by `openssl ts` alone (TimestampFixture), with `openssl ts -verify` as the oracle.
@Suite struct TimestampCLITests {
    static let now = "2026-10-03 12:00:00"
    static let inWindow = "2026-10-02T09:30:00Z"
    static let tsaInWindow = "2026-10-02 09:31:00"
    static let tsaAfterClose = "2026-10-07 12:00:00"
    static let file = "docs/attestation-log/2026-Q4.md"

    func oracle(_ repo: ScratchRepository, _ id: String, imprint: String, caFile: String) -> RunResult {
        let token = repo.scratch.path + "/token-\(id.prefix(8)).der"
        let x = TimestampFixture.extractToken(repo, id, to: token)
        precondition(x.status == 0, "\(x)")
        return run("openssl", ["ts", "-verify", "-in", token, "-token_in", "-digest", imprint, "-CAfile", caFile])
    }

    @Test func tokenInsideTheWindowPassesAndOpenSSLAgrees() throws {
        let tsa = try TestTSA(label: "Fixture TSA", serve: false)
        let repo = ScratchRepository("tsa-verify")
        TimestampFixture.configure(repo, caFile: tsa.caFile, required: true)
        let (id, imprint) = TimestampFixture.commit(in: repo, quarter: "2026-Q4", date: Self.inWindow, tsa: tsa, tsaTime: Self.tsaInWindow)
        let r = repo.attest(["verify"], at: Self.now)
        #expect(r.status == 0, "\(r)")
        #expect(r.stdout.contains("ok: commit \(id.prefix(12)) 2026-Q4 sign-off (clean): every rule holds"), "\(r)")
        #expect(r.stdout.contains("note: trusted time: TSA CN=Fixture TSA,O=attest tests at 2026-10-02T09:31:00Z"), "\(r)")
        let o = oracle(repo, id, imprint: imprint, caFile: repo.path + "/.attest/tsa/ca.pem")
        #expect(o.status == 0 && o.stdout.contains("Verification: OK"), "\(o)")
        let json = repo.attest(["verify", "--json"], at: Self.now)
        #expect(json.stdout.contains("trusted time: TSA CN=Fixture TSA,O=attest tests at 2026-10-02T09:31:00Z"), "\(json)")
    }

    @Test func gitDatesInsideButTSATimeAfterTheHardCloseIsLate() throws {
        let tsa = try TestTSA(label: "Fixture TSA", serve: false)
        let repo = ScratchRepository("tsa-late")
        TimestampFixture.configure(repo, caFile: tsa.caFile, required: true)
        let (id, imprint) = TimestampFixture.commit(in: repo, quarter: "2026-Q4", date: Self.inWindow, tsa: tsa, tsaTime: Self.tsaAfterClose)
        let r = repo.attest(["verify"], at: "2026-10-07 12:05:00")
        #expect(r.status == 1, "\(r)")
        #expect(r.stdout.contains("FAILED: commit \(id.prefix(12)) 2026-Q4 sign-off (clean): 1 rule broken"), "\(r)")
        #expect(r.stdout.contains("[late] late: the trusted time 2026-10-07 12:00:00 UTC from TSA CN=Fixture TSA,O=attest tests is after the 2026-Q4 hard close (2026-10-06 23:59:59 UTC)"), "\(r)")
        // The token itself is good: the oracle accepts it, and shows its time.
        let o = oracle(repo, id, imprint: imprint, caFile: tsa.caFile)
        #expect(o.status == 0, "\(o)")
    }

    @Test func preReceiveCallsItLate() throws {
        let tsa = try TestTSA(label: "Fixture TSA", serve: false)
        let w = PushWorld(.server)
        TimestampFixture.configure(w.client, caFile: tsa.caFile, required: true)
        #expect(w.push(at: Self.now).status == 0)
        let before = w.serverMain
        let (id, _) = TimestampFixture.commit(in: w.client, quarter: "2026-Q4", date: Self.inWindow, tsa: tsa, tsaTime: Self.tsaAfterClose)
        let r = w.push(at: "2026-10-07 12:05:00")
        #expect(r.status != 0)
        #expect(r.stderr.contains("error: commit \(id.prefix(12)) \(Self.file): [late] late: the trusted time 2026-10-07 12:00:00 UTC"), "\(r)")
        #expect(w.serverMain == before)
        // The same sign-off stamped inside the window goes through.
        w.client.git(["reset", "-q", "--hard", "HEAD~1"])
        let good = TimestampFixture.commit(in: w.client, quarter: "2026-Q4", date: Self.inWindow, tsa: tsa, tsaTime: Self.tsaInWindow)
        let ok = w.push(at: Self.now)
        #expect(ok.status == 0, "\(ok)")
        #expect(w.serverMain == good.id)
    }

    enum Bad: String, CaseIterable, Sendable { case otherCA, otherImprint, corrupted, missing }

    @Test(arguments: Bad.allCases)
    func badTokenIsUntrustedTimeNamingTheCause(_ bad: Bad) throws {
        let tsa = try TestTSA(label: "Fixture TSA", serve: false)
        let other = try TestTSA(label: "Another TSA", serve: false)
        let repo = ScratchRepository("tsa-bad")
        TimestampFixture.configure(repo, caFile: bad == .otherCA ? other.caFile : tsa.caFile, required: true)
        let damage: TimestampFixture.Damage = switch bad {
        case .otherCA: .none
        case .otherImprint: .otherImprint
        case .corrupted: .corrupted
        case .missing: .missing
        }
        let (id, imprint) = TimestampFixture.commit(in: repo, quarter: "2026-Q4", date: Self.inWindow, tsa: tsa,
                                                    tsaTime: Self.tsaInWindow, damage: damage)
        let r = repo.attest(["verify"], at: Self.now)
        #expect(r.status == 1, "\(r)")
        let cause: String = switch bad {
        case .otherCA: "the Attest-Timestamp token does not hold: timestamp token from another CA: its TSA certificate does not verify against .attest/tsa/ca.pem@\(id.prefix(12))"
        case .otherImprint: "the Attest-Timestamp token does not hold: timestamp token for another imprint: it stamps sha256 "
        case .corrupted: "the Attest-Timestamp token does not hold: corrupted timestamp token: its signature does not verify"
        case .missing: "missing timestamp token: the sign-off carries no Attest-Timestamp trailer and tsa.required is true"
        }
        #expect(r.stdout.contains("[untrusted-time] \(cause)"), "\(r)")
        if bad == .otherImprint { #expect(r.stdout.contains("this sign-off's imprint is sha256 \(imprint)"), "\(r)") }
        if bad != .missing {
            let o = oracle(repo, id, imprint: imprint, caFile: repo.path + "/.attest/tsa/ca.pem")
            #expect(o.status != 0, "\(o)")
        }
    }

    /// A sign-off that brings its own CA in the same commit (attest sign never does) is not
    /// trusted, even though its token verifies against that CA.
    @Test func caFileChangedByTheSignoffItselfIsUntrusted() throws {
        let tsa = try TestTSA(label: "Fixture TSA", serve: false)
        let other = try TestTSA(label: "Company TSA", serve: false)
        let repo = ScratchRepository("tsa-own-ca")
        TimestampFixture.configure(repo, caFile: other.caFile, required: true)
        repo.write(".attest/tsa/ca.pem", try String(contentsOfFile: tsa.caFile, encoding: .utf8))   // staged with the sign-off
        let (id, imprint) = TimestampFixture.commit(in: repo, quarter: "2026-Q4", date: Self.inWindow, tsa: tsa, tsaTime: Self.tsaInWindow)
        let r = repo.attest(["verify"], at: Self.now)
        #expect(r.status == 1, "\(r)")
        #expect(r.stdout.contains("[untrusted-time] the Attest-Timestamp token does not hold: the sign-off commit \(id.prefix(12)) itself changes the TSA CA file .attest/tsa/ca.pem"), "\(r)")
        // openssl alone, given the CA from the sign-off commit, would accept it: the rule is attest's.
        let o = oracle(repo, id, imprint: imprint, caFile: repo.path + "/.attest/tsa/ca.pem")
        #expect(o.status == 0, "\(o)")
    }

    @Test func missingTokenIsFineWhenNotRequired() throws {
        let tsa = try TestTSA(label: "Fixture TSA", serve: false)
        let repo = ScratchRepository("tsa-optional")
        TimestampFixture.configure(repo, caFile: tsa.caFile, required: false)
        TimestampFixture.commit(in: repo, quarter: "2026-Q4", date: Self.inWindow, tsa: tsa, tsaTime: Self.tsaInWindow, damage: .missing)
        let r = repo.attest(["verify"], at: Self.now)
        #expect(r.status == 0, "\(r)")
        #expect(!r.stdout.contains("trusted time"))
    }

    /// The shell lines docs/tsa.md gives auditors, run verbatim (only `C=` filled in), in a
    /// clone: they rebuild the imprint, extract the token and pass `openssl ts -verify`.
    @Test func auditorScriptFromTheDocs() throws {
        let doc = try String(contentsOfFile: packageRoot + "/docs/tsa.md", encoding: .utf8)
        let start = try #require(doc.range(of: "<!-- auditor-script"))
        let body = doc[start.upperBound...]
        let open = try #require(body.range(of: "```sh\n")), close = try #require(body.range(of: "```\n<!-- /auditor-script -->"))
        let script = String(body[open.upperBound..<close.lowerBound])
        #expect(script.contains("C=<sign-off commit id>\n"))
        let tsa = try TestTSA(label: "Fixture TSA", serve: false)
        let repo = ScratchRepository("tsa-auditor")
        TimestampFixture.configure(repo, caFile: tsa.caFile, required: true)
        let (id, _) = TimestampFixture.commit(in: repo, quarter: "2026-Q4", date: Self.inWindow, tsa: tsa, tsaTime: Self.tsaInWindow)
        repo.write("later.txt", "a later commit\n")
        repo.commitAll("later", date: "2026-10-20T10:00:00Z")
        let clone = repo.scratch.path + "/clone"
        run("git", ["clone", "-q", repo.path, clone], environment: repo.environment)
        let filled = script.replacingOccurrences(of: "C=<sign-off commit id>", with: "C=\(id)")
        let r = run("sh", ["-e", "-c", filled], cwd: clone, environment: repo.environment)
        #expect(r.status == 0, "\(r)")
        #expect(r.stdout.contains("Verification: OK"), "\(r)")
        #expect(r.stdout.contains("Time stamp: Oct  2 09:31:00 2026 GMT"), "\(r)")
        #expect(r.stdout.contains("TSA: DirName:/O=attest tests/CN=Fixture TSA"), "\(r)")
        // The same script on a commit whose token is for another imprint fails.
        let bad = TimestampFixture.commit(in: repo, quarter: "2026-Q3", date: "2026-07-02T10:00:00Z", tsa: tsa,
                                          tsaTime: "2026-07-02 10:01:00", damage: .otherImprint)
        let r2 = run("sh", ["-e", "-c", script.replacingOccurrences(of: "C=<sign-off commit id>", with: "C=\(bad.id)")],
                     cwd: repo.path, environment: repo.environment)
        #expect(r2.status != 0 && !r2.stdout.contains("Verification: OK"), "\(r2)")
    }

    // MARK: audit

    func auditQ4(_ repo: ScratchRepository) throws -> (RunResult, [String: Any]) {
        let r = repo.attest(["audit", "--from", "2026-10-01", "--to", "2026-10-01", "--json"], at: "2026-11-24 10:00:00")
        let doc = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any], "\(r)")
        let q = try #require((doc["quarters"] as? [[String: Any]])?.first { $0["quarter"] as? String == "2026-Q4" }, "\(r)")
        return (r, q)
    }

    @Test func auditRestsOnTheTSATimeAndCallsItLate() throws {
        let tsa = try TestTSA(label: "Fixture TSA", serve: false)
        let repo = ScratchRepository("tsa-audit")
        TimestampFixture.configure(repo, caFile: tsa.caFile, required: true)
        TimestampFixture.commit(in: repo, quarter: "2026-Q4", date: Self.inWindow, tsa: tsa, tsaTime: Self.tsaAfterClose)
        let (r, q) = try auditQ4(repo)
        #expect(r.status == 1, "\(r)")
        #expect(q["verdict"] as? String == "late", "\(q)")
        #expect((q["verdictDetail"] as? String)?.contains("stamped 2026-10-07 12:00:00 UTC by TSA CN=Fixture TSA,O=attest tests") == true, "\(q)")
        let basis = try #require(q["timeBasis"] as? [String: Any])
        #expect(basis["kind"] as? String == "tsa")
        #expect(basis["detail"] as? String == "TSA CN=Fixture TSA,O=attest tests at 2026-10-07T12:00:00Z")
        let text = repo.attest(["audit", "--from", "2026-10-01", "--to", "2026-10-01"], at: "2026-11-24 10:00:00")
        #expect(text.stdout.contains("Time basis: TSA CN=Fixture TSA,O=attest tests at 2026-10-07T12:00:00Z"), "\(text)")
        #expect(text.stdout.contains("2026-Q4 late: "), "\(text)")
        let md = repo.attest(["audit", "--from", "2026-10-01", "--to", "2026-10-01", "--format", "markdown"], at: "2026-11-24 10:00:00")
        #expect(md.stdout.contains("TSA CN=Fixture TSA,O=attest tests at 2026-10-07T12:00:00Z"), "\(md)")
    }

    @Test func auditOnTimeWithATokenSaysWhichTimeItRestsOn() throws {
        let tsa = try TestTSA(label: "Fixture TSA", serve: false)
        let repo = ScratchRepository("tsa-audit-ok")
        TimestampFixture.configure(repo, caFile: tsa.caFile, required: true)
        TimestampFixture.commit(in: repo, quarter: "2026-Q4", date: Self.inWindow, tsa: tsa, tsaTime: Self.tsaInWindow)
        let (r, q) = try auditQ4(repo)
        #expect(r.status == 0, "\(r)")
        #expect(q["verdict"] as? String == "on-time", "\(q)")
        #expect((q["timeBasis"] as? [String: Any])?["detail"] as? String == "TSA CN=Fixture TSA,O=attest tests at 2026-10-02T09:31:00Z")
    }

    @Test(arguments: [TimestampFixture.Damage.corrupted, .otherImprint, .missing])
    func auditFlagsUntrustedTime(_ damage: TimestampFixture.Damage) throws {
        let tsa = try TestTSA(label: "Fixture TSA", serve: false)
        let repo = ScratchRepository("tsa-audit-bad")
        TimestampFixture.configure(repo, caFile: tsa.caFile, required: true)
        TimestampFixture.commit(in: repo, quarter: "2026-Q4", date: Self.inWindow, tsa: tsa, tsaTime: Self.tsaInWindow, damage: damage)
        let (r, q) = try auditQ4(repo)
        #expect(r.status == 1, "\(r)")
        #expect(q["flags"] as? [String] == ["untrusted-time"], "\(q)")
        #expect((q["timeBasis"] as? [String: Any])?["kind"] as? String == "git-dates", "\(q)")
        let cause = switch damage {
        case .corrupted: "corrupted timestamp token"
        case .otherImprint: "timestamp token for another imprint"
        default: "missing timestamp token"
        }
        let details = (q["flagDetails"] as? [[String: Any]])?.compactMap { $0["detail"] as? String } ?? []
        #expect(details.count == 1 && details[0].contains(cause), "\(q)")
    }
}
