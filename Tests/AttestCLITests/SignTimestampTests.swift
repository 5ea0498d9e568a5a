import Foundation
import Testing
import AttestTestSupport

/// `attest sign` with a time-stamping authority (issue #7): the test TSA on loopback and the
/// built binary both under faketime; `attest verify` and `openssl ts -verify` (through the
/// auditor's script in docs/tsa.md) as the checks.
@Suite struct SignTimestampTests {
    static let doc = "docs/attestation-log/2026-Q4.md"

    /// A rendered 2026-Q4 attestation, uncommitted, in a repository whose committed policy
    /// names the TSA's CA (and its URL unless `url` is false).
    func world(_ tsa: TestTSA, required: Bool, url: Bool = true) -> ComplianceRepo {
        let c = ComplianceRepo("sign-tsa")
        c.write(".attest/tsa/ca.pem", try! String(contentsOfFile: tsa.caFile, encoding: .utf8))
        c.write(".attestconfig", c.read(".attestconfig") + "\n[tsa]\n" + (url ? "\turl = \(tsa.url)\n" : "")
                + "\tcaFile = .attest/tsa/ca.pem\n\trequired = \(required)\n")
        c.repo.commitAll("trusted time: the TSA's CA", date: "2026-09-02T10:00:00Z")
        c.evidence()
        let r = c.attest(["render", "--quarter", "2026-Q4"], at: "2026-10-02 09:30:00")
        precondition(r.status == 0, "\(r)")
        return c
    }

    /// HEAD, the index bytes and `git status` before, to show that a refusal wrote nothing.
    func snapshot(_ c: ComplianceRepo) throws -> [String] {
        [c.head(), try Data(contentsOf: URL(fileURLWithPath: c.path + "/.git/index")).base64EncodedString(),
         c.git(["status", "--porcelain", "--untracked-files=all"]).stdout, c.read(Self.doc)]
    }

    /// The auditor's script of docs/tsa.md, as written there.
    static func auditorScript() throws -> String {
        let docs = try String(contentsOfFile: packageRoot + "/docs/tsa.md", encoding: .utf8)
        let marker = try #require(docs.range(of: "<!-- auditor-script"))
        let body = docs[marker.upperBound...]
        let open = try #require(body.range(of: "```sh\n")), close = try #require(body.range(of: "```\n<!-- /auditor-script -->"))
        return String(body[open.upperBound..<close.lowerBound])
    }

    /// The auditor's lines of docs/tsa.md, run verbatim for commit `id` in the repository
    /// (under faketime at `clock` when given).
    func auditorCheck(_ c: ComplianceRepo, _ id: String, clock: String? = nil) throws -> RunResult {
        let script = try Self.auditorScript()
        let args = ["sh", "-e", "-c", script.replacingOccurrences(of: "C=<sign-off commit id>", with: "C=\(id)")]
        var env = c.repo.environment
        if let clock { env["TZ"] = "UTC"; return run("faketime", ["-f", clock] + args, cwd: c.path, environment: env) }
        return run(args[0], Array(args.dropFirst()), cwd: c.path, environment: env)
    }

    @Test func signOffCarriesAVerifiedTokenInsideTheWindow() throws {
        let tsa = try TestTSA(label: "Sign TSA", at: "2026-10-04 12:00:00")
        defer { tsa.stop() }
        let c = world(tsa, required: true)
        let before = c.head()
        let r = c.attest(["sign", "--quarter", "2026-Q4"], at: "2026-10-04 12:00:00")
        #expect(r.status == 0, "\(r)")
        let id = c.head()
        #expect(id != before && c.git(["rev-parse", "HEAD~1"]).stdout == before + "\n")
        #expect(r.stdout.contains("trusted time: TSA CN=Sign TSA,O=attest tests at 2026-10-04T12:00:"), "\(r)")
        let trailers = c.git(["interpret-trailers", "--parse"], stdin: c.git(["log", "-1", "--format=%B"]).stdout).stdout
        #expect(trailers.contains("\nAttest-Timestamp: MII"), "\(trailers)")
        // attest verify accepts it and says which time it rests on.
        let v = c.attest(["verify"], at: "2026-10-04 12:05:00")
        #expect(v.status == 0, "\(v)")
        #expect(v.stdout.contains("note: trusted time: TSA CN=Sign TSA,O=attest tests at 2026-10-04T12:00:"), "\(v)")
        // The token, extracted as docs/tsa.md says, passes openssl ts -verify with the CA file.
        let o = try auditorCheck(c, id)
        #expect(o.status == 0 && o.stdout.contains("Verification: OK"), "\(o)")
        #expect(o.stdout.contains("Time stamp: Oct  4 12:00:"), "\(o)")
        #expect(c.git(["fsck"]).status == 0)
    }

    @Test func tsaTimeAfterTheHardCloseIsRefusedWritingNothing() throws {
        // The signer's clock says 2026-10-05; the TSA's says 2026-10-07, after the hard close.
        let tsa = try TestTSA(label: "Sign TSA", at: "2026-10-07 12:00:00")
        defer { tsa.stop() }
        let c = world(tsa, required: true)
        let before = try snapshot(c)
        let r = c.attest(["sign", "--quarter", "2026-Q4"], at: "2026-10-05 12:00:00")
        #expect(r.status == 1, "\(r)")
        // The judge's own rule, as verify and the hooks would name it (issue 13).
        #expect(r.stderr.contains("nothing was signed"), "\(r)")
        #expect(r.stderr.contains("[late] late: the trusted time 2026-10-07 12:00:"), "\(r)")
        #expect(r.stderr.contains("from TSA CN=Sign TSA,O=attest tests is after the 2026-Q4 hard close (2026-10-06 23:59:59 UTC)"), "\(r)")
        #expect(try snapshot(c) == before)
    }

    @Test(arguments: ["down", "http-500", "reject", "other-ca"])
    func requiredTokenAndTSAFailingRefusesWritingNothing(_ failure: String) throws {
        let tsa = try TestTSA(label: "Sign TSA", at: "2026-10-04 12:00:00")
        defer { tsa.stop() }
        let other = try TestTSA(label: "Other CA", serve: false)
        let c = world(failure == "other-ca" ? other : tsa, required: true, url: false)
        switch failure {
        case "down": tsa.stop()
        case "http-500": tsa.mode = .httpError
        case "reject": tsa.mode = .reject
        default: break
        }
        let before = try snapshot(c)
        let r = c.attest(["sign", "--quarter", "2026-Q4", "--tsa", tsa.url], at: "2026-10-04 12:00:00")
        #expect(r.status == 1, "\(r)")
        #expect(r.stderr.contains("error: TSA \(tsa.url) "), "\(r)")
        let answer = switch failure {
        case "down": "did not answer"
        case "http-500": "answered HTTP 500: test TSA: internal error (mode http-500)"
        case "reject": "refused the request: status rejection"
        default: "timestamp token from another CA"
        }
        #expect(r.stderr.contains(answer), "\(r)")
        #expect(r.stderr.contains("nothing was signed: tsa.required is true"), "\(r)")
        #expect(try snapshot(c) == before)
    }

    @Test func optionalTokenAndTSADownSignsWithAWarning() throws {
        let tsa = try TestTSA(label: "Sign TSA")
        let c = world(tsa, required: false)
        tsa.stop()
        let r = c.attest(["sign", "--quarter", "2026-Q4"], at: "2026-10-04 12:00:00")
        #expect(r.status == 0, "\(r)")
        #expect(r.stderr.contains("warning: TSA \(tsa.url) did not answer"), "\(r)")
        #expect(r.stderr.contains("signing without a trusted timestamp (tsa.required is false)"), "\(r)")
        #expect(!c.git(["log", "-1", "--format=%B"]).stdout.contains("Attest-Timestamp"))
    }

    @Test func requiredWithoutATSAIsRefused() throws {
        let tsa = try TestTSA(label: "Sign TSA", serve: false)
        let c = world(tsa, required: true, url: false)
        let before = try snapshot(c)
        let r = c.attest(["sign", "--quarter", "2026-Q4"], at: "2026-10-04 12:00:00")
        #expect(r.status == 1, "\(r)")
        #expect(r.stderr.contains("tsa.required is true but no TSA is configured"), "\(r)")
        #expect(try snapshot(c) == before)
        let bad = c.attest(["sign", "--tsa", "ftp://example.com/tsa"], at: "2026-10-04 12:00:00")
        #expect(bad.status == 2 && bad.stderr.contains("--tsa 'ftp://example.com/tsa': not an http:// or https:// URL"), "\(bad)")
    }
}
