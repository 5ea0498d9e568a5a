import Foundation
import Testing
import AttestCore
import AttestTestSupport

/// Issue #15, case 8, on the built binary: no piece of a password reaches stdout, stderr or a
/// file; the evidence folder is kept out of git on every run; reports are not world-writable.
@Suite struct CollectSecretsTests {
    /// Every regular file under `root`, as text.
    static func files(under root: String) -> [(path: String, text: String)] {
        var out: [(String, String)] = []
        guard let e = FileManager.default.enumerator(atPath: root) else { return out }
        while let rel = e.nextObject() as? String {
            let p = root + "/" + rel
            var st = stat()
            guard lstat(p, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG, let d = FileManager.default.contents(atPath: p) else { continue }
            out.append((p, String(decoding: d, as: UTF8.self)))
        }
        return out
    }

    static func mode(_ path: String) -> mode_t {
        var st = stat()
        return lstat(path, &st) == 0 ? st.st_mode & 0o7777 : 0
    }

    /// 300 of the mutations ConnectionSecretTests runs in-process (10,000 there), here through
    /// `attest collect --db`: the password and each half of it are on neither stream of any
    /// run, nor in any file in the repository, its HOME or the --out folders.
    @Test func mutatedConnectionStringsThroughTheBinary() throws {
        let db = try TestDatabase.shared()
        let repo = ScratchRepository("collect-secrets")
        var m = ConninfoMutations(password: "Qv7S3cretXZ8", socket: db.host, seed: 0x15_0815)
        var unparsable = 0
        for i in 0..<300 {
            let s = m.next()
            let r = repo.attest(["collect", "--quarter", "2026-Q2", "--as-of", "2026-04-03T12:00:00Z", "--db", s, "--out", "out/\(i)"])
            let leaks = m.leaks(in: r.stdout + r.stderr)
            #expect(leaks.isEmpty, "\(s): \(r)")
            if r.stderr.contains("does not parse") { unparsable += 1 }
            if !leaks.isEmpty { break }
        }
        #expect(unparsable > 30 && unparsable < 270, "\(unparsable) of 300 did not parse")
        for f in Self.files(under: repo.scratch.path) {
            #expect(m.leaks(in: f.text).isEmpty, "\(f.path)")
        }
    }

    /// Collect under umask 000 in a repository whose evidence root exists but is not ignored.
    func collect(_ repo: ScratchRepository, _ db: TestDatabase, _ name: String, extra: [String] = []) -> RunResult {
        let args = ["collect", "--quarter", "2026-Q2", "--as-of", "2026-04-03T12:00:00Z", "--db", db.conninfo(database: name),
                    "--pgaudit-log", "exports/pgaudit.log"] + extra
        let line = ([attestBinary] + args).map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }.joined(separator: " ")
        return run("/bin/sh", ["-c", "umask 000; exec " + line], cwd: repo.path, environment: repo.environment)
    }

    /// The evidence root already exists (made by hand) and .gitignore does not name it: collect
    /// adds the line, says so, and git itself (`git check-ignore`) agrees; a second run leaves
    /// .gitignore as it is. Under umask 000 the folder is still 0700 and its files 0600.
    @Test func existingEvidenceRootIsIgnoredOnEveryRun() throws {
        let db = try TestDatabase.shared()
        let name = try CollectCLITests.passingDatabase(db)
        let repo = ScratchRepository("collect-ignore")
        CollectCLITests.writeRepoDocs(repo)
        _ = CollectCLITests.writeLog(repo)
        repo.write("evidence/README.txt", "made by hand\n")
        repo.write(".gitignore", "*.swp\n")
        #expect(repo.git(["check-ignore", "-q", "evidence/2026-Q2/SHA256SUMS"], check: false).status == 1)
        let r = collect(repo, db, name)
        #expect(r.status == 0, "\(r)")
        #expect(r.stderr.contains("added '/evidence/' to .gitignore"), "\(r)")
        #expect(repo.git(["check-ignore", "-q", "evidence/2026-Q2/SHA256SUMS"], check: false).status == 0)
        #expect(repo.git(["status", "--porcelain", "--untracked-files=all"]).stdout.contains("evidence") == false)
        #expect(Self.mode(repo.path + "/evidence/2026-Q2") == 0o700)
        #expect(Self.mode(repo.path + "/evidence/2026-Q2/SHA256SUMS") == 0o600)
        #expect(!FileManager.default.fileExists(atPath: repo.path + "/evidence/.attest-tmp"))

        let before = try String(contentsOfFile: repo.path + "/.gitignore", encoding: .utf8)
        let again = collect(repo, db, name, extra: ["--force"])
        #expect(again.status == 0 && !again.stderr.contains("added"), "\(again)")
        #expect(try String(contentsOfFile: repo.path + "/.gitignore", encoding: .utf8) == before)

        // An --out folder elsewhere in the working tree gets its own line.
        let out = collect(repo, db, name, extra: ["--out", "private/q2"])
        #expect(out.status == 0 && out.stderr.contains("added '/private/q2/' to .gitignore"), "\(out)")
        #expect(repo.git(["check-ignore", "-q", "private/q2/SHA256SUMS"], check: false).status == 0)
    }

    /// When .gitignore cannot be written, collect stops and writes no evidence; when git
    /// already tracks evidence, collect refuses before asking the database.
    @Test func evidenceThatCannotBeIgnoredIsNotWritten() throws {
        let db = try TestDatabase.shared()
        let name = try CollectCLITests.passingDatabase(db)
        let repo = ScratchRepository("collect-noignore")
        CollectCLITests.writeRepoDocs(repo)
        _ = CollectCLITests.writeLog(repo)
        try FileManager.default.createDirectory(atPath: repo.path + "/.gitignore", withIntermediateDirectories: true)
        let r = collect(repo, db, name)
        #expect(r.status == 3, "\(r)")
        #expect(r.stderr.contains(".gitignore") && r.stderr.contains("add the line '/evidence/' to it yourself") && r.stderr.contains("the evidence was not written"), "\(r)")
        #expect(!FileManager.default.fileExists(atPath: repo.path + "/evidence/2026-Q2"))

        let tracked = ScratchRepository("collect-tracked")
        CollectCLITests.writeRepoDocs(tracked)
        _ = CollectCLITests.writeLog(tracked)
        tracked.write("evidence/2026-Q1/CC6.1-role-assignment.csv", "email\nops@raxx.example\n")
        tracked.commitAll("evidence committed by mistake")
        let t = collect(tracked, db, name)
        #expect(t.status == 1, "\(t)")
        #expect(t.stderr.contains("git tracks evidence/2026-Q1/CC6.1-role-assignment.csv") && t.stderr.contains("git rm -r --cached evidence"), "\(t)")
        #expect(!FileManager.default.fileExists(atPath: tracked.path + "/evidence/2026-Q2"))
    }

    /// Under umask 000: the audit report in every format is 0644 (never 0666, also when it
    /// replaces a 0666 file), the export packet 0600.
    @Test func reportsAreNotWorldWritableUnderUmask000() throws {
        let c = ComplianceRepo("report-modes")
        c.evidence()
        #expect(c.attest(["render", "--quarter", "2026-Q4"], at: "2026-10-02 09:30:00").status == 0)
        #expect(c.attest(["sign", "--quarter", "2026-Q4"], at: "2026-10-03 12:00:00").status == 0)
        _ = FileManager.default.createFile(atPath: c.path + "/old.html", contents: Data("x".utf8), attributes: [.posixPermissions: 0o666])
        chmod(c.path + "/old.html", 0o666)
        func sh(_ args: [String]) -> RunResult {
            let line = ([attestBinary] + args).map { "'\($0)'" }.joined(separator: " ")
            return run("faketime", ["-f", "@2027-01-05 00:00:00", "/bin/sh", "-c", "umask 000; exec " + line], cwd: c.path, environment: c.repo.environment)
        }
        for (format, file) in [("html", "report.html"), ("markdown", "report.md"), ("json", "report.json"), ("text", "report.txt"), ("html", "old.html")] {
            let r = sh(["audit", "--from", "2026-07-01", "--to", "2026-12-31", "--format", format, "--out", file])
            #expect(r.status <= 1 && FileManager.default.fileExists(atPath: c.path + "/" + file), "\(r)")
            #expect(Self.mode(c.path + "/" + file) == 0o644, "\(file): \(String(Self.mode(c.path + "/" + file), radix: 8))")
        }
        let e = sh(["export", "--from", "2026-07-01", "--to", "2026-12-31", "--out", "packet.tar.gz"])
        #expect(e.status <= 1, "\(e)")
        #expect(Self.mode(c.path + "/packet.tar.gz") == 0o600, "\(String(Self.mode(c.path + "/packet.tar.gz"), radix: 8))")
        #expect(run("tar", ["tzf", c.path + "/packet.tar.gz"]).status == 0)
    }
}
