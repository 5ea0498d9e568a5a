import Foundation
import Testing
import AttestCore
import AttestTestSupport

/// Issue #15 case 8: the committed attestation file and the sign-off's message carry no email
/// address but the operator's. Findings about colleagues and auditors name their evidence row
/// (file, line, digest); the addresses stay in the git-ignored evidence folder.
@Suite struct PersonalDataCLITests {
    static let operatorEmail = "olive@example.com"
    static let people = ["mallory@raxx.example", "alice@auditfirm.example", "root@raxx.example", "ops@raxx.example"]

    /// Email addresses by grep, an oracle independent of attest's own scanner.
    func addresses(_ text: String) -> [String] {
        let r = run("grep", ["-oE", "[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\\.[A-Za-z]+"], stdin: Data(text.utf8))
        return r.stdout.split(separator: "\n").map(String.init)
    }

    /// CollectCLITests' passing database, plus rows about people: a direct grant of the compliance
    /// role (step 1), an auditor in the group (steps 1 and 2; the memo names someone else) and an
    /// admin grant without a change window (step 7).
    func database(_ db: TestDatabase) throws -> String {
        let name = try CollectCLITests.passingDatabase(db)
        try db.psql("""
        INSERT INTO users (email) VALUES ('mallory@raxx.example'), ('alice@auditfirm.example');
        \(personalDataFindingRows)
        """, database: name)
        return name
    }

    @Test func aQuarterWithFindingsAboutPeopleIsSignedWithoutTheirAddresses() throws {
        let db = try TestDatabase.shared()
        let name = try database(db)
        let repo = ScratchRepository("pii")
        #expect(repo.attest(["init"]).status == 0)
        CollectCLITests.writeRepoDocs(repo)
        repo.write("docs/attestation-log/auditor-authorization-2026-03-01.md", "Authorized: carol@auditfirm.example\n")
        repo.commitAll("attest init", date: "2026-03-01T10:00:00Z")
        let log = CollectCLITests.writeLog(repo)

        let c = repo.attest(["collect", "--db", db.conninfo(database: name), "--pgaudit-log", log], at: "2026-04-03 12:00:00", env: ["NO_COLOR": "1"])
        #expect(c.status == 1, "\(c)")
        let folder = repo.path + "/evidence/2026-Q2"
        // The evidence holds the people: the step files and results.json's full findings.
        let step1 = try String(contentsOfFile: folder + "/CC6.1-role-assignment.csv", encoding: .utf8)
        let results = try String(contentsOfFile: folder + "/results.json", encoding: .utf8)
        for p in Self.people {
            #expect(step1.contains(p), "\(p): \(step1)")
            #expect(results.contains(p), "\(p)")
        }
        #expect(repo.git(["check-ignore", "-q", "evidence/2026-Q2/CC6.1-role-assignment.csv"], check: false).status == 0)

        let r = repo.attest(["render", "--quarter", "2026-Q2", "--issue", "1=#12", "--issue", "2=#13", "--issue", "7=#14"],
                            at: "2026-04-03 12:30:00", env: ["NO_COLOR": "1"])
        #expect(r.status == 0, "\(r)")
        let docPath = "docs/attestation-log/2026-Q2.md"
        var doc = try String(contentsOfFile: repo.path + "/" + docPath, encoding: .utf8)
        #expect(Set(addresses(doc)) == [Self.operatorEmail], "\(doc)")

        // Each finding names its evidence file, the line, and the line's digest as sha256sum
        // computes it over `sed -n Np`.
        let rows = doc.split(separator: "\n").filter { $0.hasPrefix("| 1 | ") || $0.hasPrefix("| 2 | ") || $0.hasPrefix("| 7 | ") }
            .filter { $0.contains("(evidence ") }
        #expect(rows.count == 4, "\(doc)")
        let files = ["1": "CC6.1-role-assignment.csv", "2": "CC6.2-group-membership.txt", "7": "CC6.7-rbac-grants-audit.csv"]
        for row in rows {
            let step = String(row.dropFirst(2).prefix(1))
            let file = try #require(files[step])
            let m = try #require(row.firstMatch(of: /\(evidence ([^ ]+) line ([0-9]+), sha256 ([0-9a-f]{16})\)/), "\(row)")
            #expect(String(m.1) == file, "\(row)")
            let line = run("sed", ["-n", "\(m.2)p", folder + "/" + file]).stdout
            #expect(!line.isEmpty && line.contains("@"), "\(file) line \(m.2): \(line)")
            let digest = run("sha256sum", [], stdin: Data(line.utf8)).stdout
            #expect(digest.hasPrefix(String(m.3)), "\(row): \(digest)")
        }
        #expect(doc.contains("| 1 | direct user grant of raptor-audit-compliance (granted 2026-02-01 09:00:00+00); the role must reach users only through raxx-compliance-auditors (evidence CC6.1-role-assignment.csv line 3, sha256 "), "\(doc)")

        // A step 7 finding must be resolved before signing: the operator marks it so.
        doc = doc.split(separator: "\n", omittingEmptySubsequences: false).map { l in
            l.hasPrefix("| 7 | grant of ") ? String(l.dropLast("no |".count)) + "yes |" : l.hasPrefix("| Result | ") ? "| Result | qualified |" : String(l)
        }.joined(separator: "\n")
        repo.write(docPath, doc)

        let sign = repo.attest(["sign", "--quarter", "2026-Q2"], at: "2026-04-03 12:40:00", env: ["NO_COLOR": "1"])
        #expect(sign.status == 0, "\(sign)")
        let message = repo.git(["log", "-1", "--format=%B"]).stdout
        #expect(message.contains("Attest-Quarter: 2026-Q2"), "\(message)")
        #expect(addresses(message).isEmpty, "\(message)")
        let committed = repo.git(["show", "HEAD:" + docPath]).stdout
        #expect(Set(addresses(committed)) == [Self.operatorEmail], "\(committed)")
        #expect(repo.git(["ls-tree", "-r", "--name-only", "HEAD"]).stdout.split(separator: "\n").allSatisfy { !$0.hasPrefix("evidence/") })
        let verify = repo.attest(["verify"], at: "2026-04-03 12:45:00", env: ["NO_COLOR": "1"])
        #expect(verify.status == 0, "\(verify)")
    }

    @Test func signRefusesAColleaguesAddressInTheFileOrTheMessage() throws {
        let c = ComplianceRepo("pii-refuse")
        c.evidence(statuses: ["pass", "pass", "pass", "pass", "pass", "finding", "pass"])
        #expect(c.attest(["render", "--quarter", "2026-Q4", "--issue", "6=#482"], at: "2026-10-03 12:00:00").status == 0)
        let path = "docs/attestation-log/2026-Q4.md"
        let rendered = c.read(path)
        // A hand edit that names a colleague in a finding.
        let lines = rendered.split(separator: "\n", omittingEmptySubsequences: false)
        let at = try #require(lines.firstIndex { $0.hasPrefix("| 6 | step 6 finding") })
        c.write(path, rendered.replacingOccurrences(of: "| 6 | step 6 finding", with: "| 6 | step 6 finding seen by dana@raxx.example,"))
        let r = c.attest(["sign", "--quarter", "2026-Q4"], at: "2026-10-04 12:00:00")
        #expect(r.status == 1, "\(r)")
        #expect(r.stderr.contains("\(path):\(at + 1) names dana@raxx.example: the committed file and the sign-off's message carry no email address but the operator's (olive@example.com); a finding refers to its evidence row instead ('attest render --quarter 2026-Q4 --force' writes findings so, docs/render.md); nothing was signed"), "\(r.stderr)")
        #expect(c.git(["log", "--format=%s"]).stdout == "attest init\n")

        c.write(path, rendered)
        let late = c.attest(["sign", "--quarter", "2026-Q4", "--late", "--reason", "approved by cto@raxx.example"], at: "2026-10-07 00:00:00")
        #expect(late.status == 1 && late.stderr.contains("--reason names cto@raxx.example: "), "\(late)")
        #expect(c.attest(["sign", "--quarter", "2026-Q4"], at: "2026-10-04 12:00:00").status == 0)
    }

    /// Files signed before this rule, whose findings name people, stay readable: verify and
    /// audit judge them as before.
    @Test func anOlderSignedFileWithAddressesStillVerifiesAndAudits() throws {
        let c = ComplianceRepo("pii-old")
        c.evidence(statuses: ["pass", "pass", "pass", "pass", "pass", "finding", "pass"])
        #expect(c.attest(["render", "--quarter", "2026-Q4", "--issue", "6=#482"], at: "2026-10-03 12:00:00").status == 0)
        let path = "docs/attestation-log/2026-Q4.md"
        let rendered = c.read(path)
        #expect(c.attest(["sign", "--quarter", "2026-Q4"], at: "2026-10-04 12:00:00").status == 0)
        // What an earlier attest committed: the finding with the colleague's address, signed off
        // by hand with the same trailers a sign-off carries.
        let old = rendered.replacingOccurrences(of: "| 6 | step 6 finding", with: "| 6 | step 6 finding by dana@raxx.example")
        #expect(old != rendered)
        c.write(path, old)
        let digest = c.sha256(c.path + "/" + path)
        let message = c.git(["log", "-1", "--format=%B"]).stdout
            .replacing(#/Attest-Document: \S+ [0-9a-f]{64}/#, with: "Attest-Document: \(path) \(digest)")
        c.git(["add", path])
        c.git(["commit", "-q", "--amend", "-m", message], env: ["GIT_COMMITTER_DATE": "2026-10-04T12:00:00Z"])
        #expect(c.git(["show", "HEAD:" + path]).stdout.contains("dana@raxx.example"))
        let verify = c.attest(["verify"], at: "2026-10-04 12:05:00")
        #expect(verify.status == 0, "\(verify)")
        let audit = c.attest(["audit", "--from", "2026-10-01", "--to", "2026-12-31"], at: "2026-10-04 12:05:00")
        #expect(!audit.stderr.contains("dana@raxx.example") && audit.status != 2 && audit.status != 3, "\(audit)")
        #expect(audit.stdout.contains("2026-Q4  on-time  PASS"), "\(audit)")
    }
}
