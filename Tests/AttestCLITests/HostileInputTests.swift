import Foundation
import Testing
import AttestCore
import AttestTestSupport

/// Hostile inputs against the built binary (issue #15, cases 6 and 9): what viewers show is
/// what attest reads, and every input is bounded. Each run is under a hard timeout
/// (`boundedRun`: nothing may hang) and its peak memory is measured with GNU time; sign, the
/// hook and verify stay under 64 MiB on every hostile input here.
@Suite struct HostileInputTests {
    static let doc = "docs/attestation-log/2026-Q4.md"
    static let inWindow = "2026-10-02 09:30:00"
    static let signTime = "2026-10-04 12:00:00"
    static let peakLimitKiB = 64 * 1024

    /// A repository with the 2026-Q4 file rendered (uncommitted) from its evidence.
    func rendered(_ label: String) -> ComplianceRepo {
        let c = ComplianceRepo(label)
        c.evidence()
        let r = c.attest(["render", "--quarter", "2026-Q4"], at: Self.inWindow)
        precondition(r.status == 0, "\(r)")
        return c
    }

    func sign(_ c: ComplianceRepo, _ extra: [String] = []) -> BoundedRun {
        boundedAttest(["sign", "--quarter", "2026-Q4"] + extra, cwd: c.path, home: c.repo.home, at: Self.signTime)
    }

    func lineCount(_ text: String) -> Int { text.split(separator: "\n", omittingEmptySubsequences: false).count }

    // MARK: what viewers show

    /// The attack of case 6: the real tables hidden in an HTML comment, look-alike headers on the
    /// visible ones; and NUL bytes. Sign refuses naming the line, and writes nothing.
    @Test func hiddenTablesAndNulBytesAreRefusedNamingTheLine() throws {
        let c = rendered("hostile-md")
        let original = c.read(Self.doc)
        let head = c.head()
        let visible = original.replacingOccurrences(of: "| clean |", with: "| qualified |")
            .replacingOccurrences(of: "| Field | Value |", with: "| Fiеld | Value |")  // Cyrillic е
        c.write(Self.doc, visible + "\n<!--\n" + original + "\n-->\n")
        let hidden = sign(c)
        #expect(hidden.result.status == 1 && !hidden.timedOut, "\(hidden)")
        #expect(hidden.result.stderr.contains("error: \(Self.doc):\(lineCount(visible) + 1): an HTML comment ('<!--')"), "\(hidden)")
        c.write(Self.doc, visible)
        let lookAlike = sign(c)
        let fieldsLine = lineCount(String(visible[..<visible.range(of: "| Fiеld")!.lowerBound]))
        #expect(lookAlike.result.stderr.contains("error: \(Self.doc):\(fieldsLine): table header '| Fiеld | Value |' is not one the attestation format knows"), "\(lookAlike)")
        let resultLine = lineCount(String(original[..<original.range(of: "| Result |")!.lowerBound]))
        c.write(Self.doc, original.replacingOccurrences(of: "| Result | clean |", with: "| Result | clean\u{0} |"))
        let nul = sign(c)
        #expect(nul.result.stderr.contains("error: \(Self.doc):\(resultLine): a NUL byte"), "\(nul)")
        #expect(c.head() == head)
        // The oracle agrees: cmark-gfm renders no table from the commented copy.
        c.write(Self.doc, visible + "\n<!--\n" + original + "\n-->\n")
        let html = run("cmark-gfm", ["--extension", "table", c.path + "/" + Self.doc]).stdout
        #expect(html.components(separatedBy: "<table>").count == 4, "three tables rendered, the fourth hidden")
    }

    /// The same file committed by hand and pushed: the server's pre-receive hook and verify refuse it.
    @Test func hiddenTablesArePushedAndRefusedByTheServer() throws {
        let w = PushWorld(.server)
        let q = try Quarter(parsing: "2026-Q4")
        let honest = SignoffFixture.document(quarter: q)
        let text = honest.replacingOccurrences(of: "| Result | clean |", with: "| Result | qualified |")
            .replacingOccurrences(of: "| Field | Value |", with: "| Fiеld | Value |") + "\n<!--\n" + honest + "-->\n"
        let id = SignoffFixture.commit(in: w.client, quarter: "2026-Q4", date: "2026-10-02T09:30:00Z", text: text)
        let line = lineCount(text[..<text.range(of: "<!--")!.lowerBound].description)
        let push = w.push(at: "2026-10-03 12:00:00")
        #expect(push.status != 0, "\(push)")
        #expect(push.stderr.contains("\(Self.doc):\(line): an HTML comment ('<!--')"), "\(push)")
        #expect(w.serverMain != id)
        let v = boundedAttest(["verify", id], cwd: w.client.path, home: w.client.home, at: Self.signTime)
        #expect(v.result.status == 1 && v.result.stdout.contains("an HTML comment"), "\(v)")
    }

    @Test func aSymlinkedDocumentIsRefusedBySignAndByTheServer() throws {
        let c = rendered("hostile-link")
        let text = c.read(Self.doc)
        c.write("docs/real-2026-Q4.md", text)
        try FileManager.default.removeItem(atPath: c.path + "/" + Self.doc)
        try FileManager.default.createSymbolicLink(atPath: c.path + "/" + Self.doc, withDestinationPath: "../real-2026-Q4.md")
        let r = sign(c)
        #expect(r.result.status == 3, "\(r)")
        #expect(r.result.stderr.contains("the attestation file \(c.path)/\(Self.doc) is a symbolic link"), "\(r)")

        // Pushed by hand as a sign-off to a server running the pre-receive hook: refused.
        let w = PushWorld(.server)
        w.client.write("docs/real-2026-Q4.md", SignoffFixture.document(quarter: try Quarter(parsing: "2026-Q4")))
        let id = SignoffFixture.commit(in: w.client, quarter: "2026-Q4", date: "2026-10-02T09:30:00Z",
                                       text: SignoffFixture.document(quarter: try Quarter(parsing: "2026-Q4")))
        w.client.git(["rm", "-q", "--cached", Self.doc])
        try FileManager.default.removeItem(atPath: w.client.path + "/" + Self.doc)
        try FileManager.default.createSymbolicLink(atPath: w.client.path + "/" + Self.doc, withDestinationPath: "../real-2026-Q4.md")
        w.client.git(["add", Self.doc])
        let message = w.client.git(["log", "-1", "--format=%B", id]).stdout
        w.client.git(["commit", "-q", "--amend", "-F", "-"], env: ["GIT_AUTHOR_DATE": "2026-10-02T09:30:00Z", "GIT_COMMITTER_DATE": "2026-10-02T09:30:00Z"],
                     stdin: Data(message.utf8))
        #expect(w.client.git(["ls-tree", "HEAD", Self.doc]).stdout.hasPrefix("120000 "))
        let push = w.push(at: "2026-10-03 12:00:00")
        #expect(push.status != 0, "\(push)")
        #expect(push.stderr.contains("is committed as a symbolic link, not a file"), "\(push)")
    }

    // MARK: bounded answers

    @Test(arguments: [TestTSA.Mode.hugeLength, .endless, .redirectOther])
    func hostileTSAAnswersAreRefusedInBoundedMemory(_ mode: TestTSA.Mode) throws {
        let tsa = try TestTSA(label: "Hostile TSA", at: Self.signTime)
        defer { tsa.stop() }
        let c = ComplianceRepo("hostile-tsa")
        c.write(".attest/tsa/ca.pem", try String(contentsOfFile: tsa.caFile, encoding: .utf8))
        c.write(".attestconfig", c.read(".attestconfig") + "\n[tsa]\n\tcaFile = .attest/tsa/ca.pem\n\trequired = true\n")
        c.repo.commitAll("trusted time: the TSA's CA", date: "2026-09-02T10:00:00Z")
        c.evidence()
        precondition(c.attest(["render", "--quarter", "2026-Q4"], at: Self.inWindow).status == 0)
        tsa.mode = mode
        let head = c.head()
        let r = sign(c, ["--tsa", tsa.url])
        #expect(r.result.status == 1 && !r.timedOut, "\(r)")
        let expected = switch mode {
        case .hugeLength: "the answer has 2147483648 bytes or more, over the 1024 KiB attest reads"
        case .endless: "bytes or more, over the 1024 KiB attest reads (a token has a few thousand); it was cut off"
        default: "redirects to another host (http://127.0.0.2:\(tsa.port)/tsa); not followed"
        }
        #expect(r.result.stderr.contains(expected), "\(r)")
        #expect(r.result.stderr.contains("nothing was signed"), "\(r)")
        #expect(r.peakKiB > 0 && r.peakKiB < Self.peakLimitKiB, "\(mode): peak \(r.peakKiB) KiB")
        #expect(c.head() == head)
    }

    // MARK: files that are not regular files

    @Test func aFIFOAsSHA256SUMSIsRefusedBySignAndVerify() throws {
        let c = rendered("hostile-fifo")
        let sums = c.path + "/evidence/2026-Q4/SHA256SUMS"
        let saved = try Data(contentsOf: URL(fileURLWithPath: sums))
        try FileManager.default.removeItem(atPath: sums)
        #expect(mkfifo(sums, 0o600) == 0)
        let s = sign(c)
        #expect(s.result.status != 0 && !s.timedOut, "\(s)")
        #expect(s.result.stderr.contains("SHA256SUMS is a FIFO (named pipe), not a regular file"), "\(s)")
        // Signed with the real manifest, then verified against a FIFO: refused, no hang.
        try FileManager.default.removeItem(atPath: sums)
        try saved.write(to: URL(fileURLWithPath: sums))
        #expect(sign(c).result.status == 0)
        try FileManager.default.removeItem(atPath: sums)
        #expect(mkfifo(sums, 0o600) == 0)
        let v = boundedAttest(["verify", "--evidence", "evidence/2026-Q4"], cwd: c.path, home: c.repo.home, at: Self.signTime)
        #expect(v.result.status == 1 && !v.timedOut, "\(v)")
        #expect((v.result.stdout + v.result.stderr).contains("SHA256SUMS is a FIFO (named pipe), not a regular file"), "\(v)")
    }

    @Test(arguments: ["fifo", "/dev/zero", "directory"])
    func pgauditLogThatIsNotAFileIsRefused(_ kind: String) throws {
        let s = Scratch("hostile-log")
        let path: String
        switch kind {
        case "fifo": path = s.path + "/audit.log"; #expect(mkfifo(path, 0o600) == 0)
        case "directory": path = s.path
        default: path = kind
        }
        let r = boundedAttest(["collect", "--quarter", "2026-Q4", "--db", "host=/nonexistent dbname=x", "--pgaudit-log", path],
                              cwd: s.path, home: s.path, at: Self.inWindow, seconds: 30)
        #expect(r.result.status == 3 && !r.timedOut, "\(r)")
        let what = kind == "fifo" ? "a FIFO (named pipe)" : kind == "directory" ? "a directory" : "a character device"
        #expect(r.result.stderr.contains("--pgaudit-log \(path) is \(what), not a regular file"), "\(r)")
    }

    // MARK: bounded output and hook input

    @Test func badManifestRowsAreListedThenCounted() throws {
        let c = rendered("hostile-rows")
        #expect(sign(c).result.status == 0)
        let sums = c.path + "/evidence/2026-Q4/SHA256SUMS"
        try String(repeating: "x\n", count: 120_000).write(toFile: sums, atomically: true, encoding: .utf8)
        let v = boundedAttest(["verify", "--evidence", "evidence/2026-Q4"], cwd: c.path, home: c.repo.home, at: Self.signTime)
        #expect(v.result.status == 1 && !v.timedOut, "\(v)")
        let out = v.result.stdout + v.result.stderr
        #expect(lineCount(out) < 80, "\(lineCount(out)) lines")
        #expect(out.contains("line 19 is not '<sha256>  <file>'") && !out.contains("line 21 is not"), "\(out)")
        #expect(out.contains("… and 2 more broken rules (the first 20 of 22 are listed; --json lists them all)"), "\(out)")
        #expect(v.peakKiB < Self.peakLimitKiB, "peak \(v.peakKiB) KiB")
        // --json holds every rule; the manifest's own list is bounded there too.
        let json = boundedAttest(["verify", "--json", "--evidence", "evidence/2026-Q4"], cwd: c.path, home: c.repo.home, at: Self.signTime)
        #expect(json.result.stdout.contains("line 20 is not") && json.result.stdout.contains("… and 119980 more problems of SHA256SUMS (the first 20 of 120000 are listed)"), "\(json)")
    }

    @Test func aPushOf3000TagsIsAccepted() throws {
        let w = PushWorld(.server)
        let head = w.client.revParse("HEAD")
        let updates = (1...3000).map { "create refs/tags/release-\(String(format: "%04d", $0)) \(head)\n" }.joined()
        w.client.git(["update-ref", "--stdin"], stdin: Data(updates.utf8))
        let r = boundedRun("faketime", ["-f", "@2026-10-03 12:00:00", "git", "push", "-q", "origin", "--tags"], seconds: 120,
                           cwd: w.client.path, environment: w.client.environment)
        #expect(r.result.status == 0 && !r.timedOut, "\(r)")
        let tags = run("git", ["--git-dir", w.server, "tag", "--list"], environment: w.client.environment).stdout
        #expect(lineCount(tags.trimmingCharacters(in: .newlines)) == 3000)
        #expect(r.peakKiB < Self.peakLimitKiB, "peak \(r.peakKiB) KiB")
    }

    // MARK: peak memory on oversized files

    /// A 200 MB attestation file: refused by its size before it is read, by sign (on disk), by
    /// the hook (pushed) and by verify (committed), each in bounded memory.
    @Test func anOversizedAttestationFileIsRefusedInBoundedMemory() throws {
        let c = rendered("hostile-size")
        let head = c.head()
        let text = c.read(Self.doc)
        let row = "| 6 | " + String(repeating: "x", count: 180) + " | #1 | no |\n"
        let big = text + String(repeating: row, count: 200_000_000 / row.utf8.count)
        c.write(Self.doc, big)
        let s = sign(c)
        #expect(s.result.status == 3 && !s.timedOut, "\(s)")
        #expect(s.result.stderr.contains("the attestation file \(c.path)/\(Self.doc) has \(big.utf8.count) bytes, more than the 1 MiB attest reads of it"), "\(s)")
        #expect(s.peakKiB < Self.peakLimitKiB, "sign: peak \(s.peakKiB) KiB")
        #expect(c.head() == head)

        // Committed by hand as a sign-off: the pre-push hook and verify refuse it.
        let id = SignoffFixture.commit(in: c.repo, quarter: "2026-Q4", date: "2026-10-02T09:30:00Z", text: big)
        let v = boundedAttest(["verify", id], cwd: c.path, home: c.repo.home, at: Self.signTime)
        #expect(v.result.status == 1 && !v.timedOut, "\(v)")
        #expect(v.result.stderr.contains("more than the 1024 KiB attest reads of it"), "\(v)")
        #expect(v.peakKiB < Self.peakLimitKiB, "verify: peak \(v.peakKiB) KiB")
        let zero = String(repeating: "0", count: 40)
        let h = boundedAttest(["hook", "pre-push", "origin", "url"], cwd: c.path, home: c.repo.home, at: Self.signTime,
                              stdin: Data("refs/heads/main \(id) refs/heads/main \(zero)\n".utf8))
        #expect(h.result.status == 1 && !h.timedOut, "\(h)")
        #expect(h.result.stderr.contains("more than the 1024 KiB attest reads of it"), "\(h)")
        #expect(h.peakKiB < Self.peakLimitKiB, "hook: peak \(h.peakKiB) KiB")
    }

    /// The most cells the size cap lets in, each one byte: cmark-gfm's tree and attest's outline
    /// of it stay within the memory bound.
    @Test func aDocumentOfTinyCellsAtTheCapStaysInBoundedMemory() throws {
        let c = rendered("hostile-cells")
        let text = c.read(Self.doc)
        let row = "|" + String(repeating: "a|", count: 200) + "\n"
        let big = text + "\n| A | B |\n|---|---|\n" + String(repeating: row, count: ((1 << 20) - text.utf8.count - 40) / row.utf8.count)
        c.write(Self.doc, big)
        let s = sign(c)
        #expect(!s.timedOut, "\(s)")
        #expect(s.peakKiB < Self.peakLimitKiB, "sign: peak \(s.peakKiB) KiB")
    }

    @Test func hugeHookInputIsRefusedInBoundedMemory() throws {
        let c = ComplianceRepo("hostile-stdin")
        let h = boundedAttest(["hook", "pre-push", "origin", "url"], cwd: c.path, home: c.repo.home,
                              stdin: Data(repeating: 0x61, count: 40_000_000))
        #expect(h.result.status == 1 && !h.timedOut, "\(h)")
        #expect(h.result.stderr.contains("at most 16777216 are accepted"), "\(h)")
        #expect(h.peakKiB < Self.peakLimitKiB, "hook: peak \(h.peakKiB) KiB")
    }
}
