import Foundation
import Testing
import AttestTestSupport

/// `make demo` itself, as the README tells a newcomer to run it: from a fresh `git clone` inside
/// a folder the `postgres` user cannot enter (0700), never built, with the environment of a CI
/// job and nothing of this test run's. The whole year on a real PostgreSQL, real git, the hooks
/// on both ends, the audit, and the HTML report rendered by headless Chromium; then the command
/// lines the demo printed are pasted into bash and must do what they did in the demo.
@Suite struct DemoTests {
    @Test func makeDemoFromAFreshCloneInsideA0700Folder() throws {
        let demo = try DemoRun.shared.get()
        let out = demo.output
        #expect(!out.contains("unbound variable"), "\(out)")

        // The story: each quarter, each step's status, each sign-off, the gate, the verdict.
        for q in ["2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4"] {
            #expect(out.contains("━━ \(q) at "), "no chapter for \(q)")
            #expect(out.contains("signed off \(q): "), "no sign-off for \(q)")
        }
        #expect(out.components(separatedBy: "\nStep 1  CC6.1  pass").count - 1 == 4)
        #expect(out.components(separatedBy: "\nStep 6  CC7.2  finding").count - 1 == 1)
        #expect(out.contains("signed off 2026-Q2: qualified"))
        #expect(out.contains("LATE: 1 day, 9 hours after hard close"))
        #expect(out.contains("[signed-file-changed]"))
        #expect(out.contains("2026-Q4  late "))
        // The amendment of chapter 8 is flagged on Q1, so two quarters of four do not pass
        // (before the amendment chapter the demo said "FAIL: 1 of 4 quarters").
        #expect(out.contains("\n2026-Q1  on-time ") && out.contains("  amended\n"), "\(out)")
        #expect(out.contains("FAIL: 2 of 4 quarters"))

        // The chapters a user lives with: status inside the window, before and after the
        // sign-off; verify on a sign-off; the amendment accepted by both hooks.
        let repo = demo.work + "/compliance"
        let gitEnv = testEnvironment(home: demo.work + "/home")
        func git(_ args: String...) -> String {
            run("git", args, cwd: repo, environment: gitEnv).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        let signoffs = git("log", "--reverse", "--format=%H %(trailers:key=Attest-Quarter,valueonly,separator=)", "--grep=^Attest-Quarter: ")
            .split(separator: "\n").map { $0.split(separator: " ").map(String.init) }
        try #require(signoffs.count == 5, "\(signoffs)")
        let q1 = signoffs[0][0]
        #expect(signoffs.map { $0[1] } == ["2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4", "2026-Q1"])
        #expect(demo.block(startingWith: "faketime -f '@2026-01-02 14:55:00' attest status")?.output.contains("2026-Q1 window is OPEN") == true)
        #expect(demo.block(startingWith: "faketime -f '@2026-01-02 14:55:00' attest status")?.output.contains("no sign-off on HEAD") == true)
        #expect(demo.block(startingWith: "faketime -f '@2026-01-02 15:05:00' attest status")?.output
            .contains("signed off on HEAD in \(q1.prefix(12)) at 2026-01-02 15:00:00 UTC, clean, on time") == true, "\(out)")
        #expect(demo.block(startingWith: "attest verify \(q1.prefix(12))")?.output
            .hasPrefix("ok: commit \(q1.prefix(12)) 2026-Q1 sign-off (clean): every rule holds") == true, "\(out)")
        #expect(out.contains("  amends \(q1)\n"))

        // git as the oracle: four sign-offs and one amendment of Q1 naming the first, all signed
        // (git verify-commit as the demo configured it, with no -c), the remote holds them all.
        let head = git("rev-parse", "HEAD")
        let remote = run("git", ["--git-dir", demo.work + "/remote.git", "rev-parse", "main"], environment: gitEnv).stdout
            .trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(head == remote && !head.isEmpty)
        #expect(head == signoffs[4][0])
        for s in signoffs {
            let verify = run("git", ["verify-commit", s[0]], cwd: repo, environment: gitEnv)
            #expect(verify.status == 0, "\(verify)")
        }
        func trailers(_ rev: String) -> String {
            let message = git("log", "-1", "--format=%B", rev)
            return run("git", ["interpret-trailers", "--parse"], cwd: repo, environment: gitEnv, stdin: Data(message.utf8)).stdout
        }
        let q4 = trailers("HEAD~1")
        #expect(q4.contains("Attest-Quarter: 2026-Q4") && q4.contains("Attest-Late: operator on leave"))
        let amendment = trailers("HEAD")
        #expect(amendment.contains("Attest-Quarter: 2026-Q1") && amendment.contains("Attest-Amends: \(q1)\n"), "\(amendment)")
        #expect(git("diff", "\(q1)..HEAD", "--stat", "--", "docs/attestation-log/2026-Q1.md").contains("1 file changed"))

        // The demo's folder keeps the private key and the evidence: 0700. The server stopped
        // and its folder is gone.
        let mode = try FileManager.default.attributesOfItem(atPath: demo.work)[.posixPermissions] as? Int
        #expect(mode == 0o700)
        #expect(!demo.pgFolder.isEmpty && !FileManager.default.fileExists(atPath: demo.pgFolder), "\(demo.pgFolder)")

        // The commands say `attest`, not a build path; the export line says where it is, once.
        let paths = demo.commands.filter { $0.line.contains("/.build/") }
        #expect(paths.count == 1 && paths[0].line.hasPrefix("export HOME="), "\(paths.map(\.line))")

        // The HTML report: a timeline and a table, and the picture Chromium took shows both.
        let html = try String(contentsOfFile: demo.work + "/reports/audit-2026.html", encoding: .utf8)
        #expect(html.contains("<svg") && html.contains("<table"))
        let png = demo.work + "/reports/audit-2026.png"
        func ink(rows: Int, from: Int) throws -> (nonWhite: Int, dark: Int, total: Int) {
            let n = run(packageRoot + "/scripts/png-ink", [png, String(rows), String(from)]).stdout
                .split(separator: " ").compactMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
            try #require(n.count == 3)
            return (n[0], n[1], n[2])
        }
        // At 1200x1400 the timeline (the grey period band with the window marks) sits in rows
        // 360-680 and the per-quarter table in rows 780-980.
        let timeline = try ink(rows: 320, from: 360)
        let table = try ink(rows: 200, from: 780)
        #expect(timeline.nonWhite > timeline.total / 3, "timeline band nearly blank: \(timeline)")
        #expect(timeline.dark > 1000, "no marks in the timeline band: \(timeline)")
        #expect(table.dark > table.total / 50, "table band nearly blank: \(table)")
    }

    /// The demo's printed command lines, pasted into bash with only the demo's own `export` and
    /// `cd` lines before them (its HOME, TZ and PATH, as it said), do what they did in the demo:
    /// the same output (stdout and stderr) and the same exit status. The sample is every line
    /// whose result cannot have changed since it was printed: `attest verify ID` (one commit),
    /// `git verify-commit HEAD` (HEAD moved on, but every commit is signed with the same key),
    /// and what the last chapters ran on the final history (status after the amendment, the
    /// audit). An earlier `attest status` reads HEAD's history, which grew after it was printed.
    @Test func printedCommandsPastedIntoBashDoWhatTheDemoDid() throws {
        let demo = try DemoRun.shared.get()
        let export = try #require(demo.commands.first { $0.line.hasPrefix("export HOME=") }).line
        let cd = try #require(demo.commands.first { $0.line.hasPrefix("cd ") && $0.line.hasSuffix("/compliance") }).line
        let sample = demo.commands.filter {
            $0.line.hasPrefix("attest verify ") || $0.line == "git verify-commit HEAD"
                || $0.line == "faketime -f '@2026-11-20 10:35:00' attest status"
                || $0.line.hasPrefix("attest audit --from 2026-01-01 --to 2026-12-31")
        }
        #expect(sample.count == 2 + 4 + 1 + 4, "\(sample.map(\.line))")
        for c in sample {
            // A clean environment, as a new terminal has: the demo's export line sets the rest.
            let r = run("bash", ["-c", "\(export)\n\(cd)\n{ \(c.line)\n} 2>&1"],
                        environment: ["PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C"])
            #expect(r.status == c.status, "\(c.line): exit \(r.status), the demo's \(c.status)\n\(r)")
            // The audit's header says when the report was generated: the one line that must differ.
            func stable(_ s: String) -> String {
                s.trimmingCharacters(in: .newlines).components(separatedBy: "\n").filter { !$0.hasPrefix("Generated ") }.joined(separator: "\n")
            }
            #expect(stable(r.stdout) == stable(c.output), "\(c.line)\n--- now\n\(r.stdout)--- in the demo\n\(c.output)")
        }
        // The --out lines wrote the same reports again.
        let json = try String(contentsOfFile: demo.work + "/reports/audit-2026.json", encoding: .utf8)
        #expect(json.contains("\"amended\""), "\(json.prefix(400))")
    }

    /// The README's tour quotes the demo: every line of its code blocks (after the run's own
    /// parts are blanked: temporary folders, commit ids, key fingerprints, and the seconds of a
    /// time, which a sign-off on a very busy machine may read one second late) is a line the
    /// demo printed; a line ending in "..." or "…" is a prefix of one.
    @Test func readmeTourQuotesTheDemosRealOutput() throws {
        let demo = try DemoRun.shared.get()
        let readme = try String(contentsOfFile: packageRoot + "/README.md", encoding: .utf8)
        let tour = try #require(readme.range(of: "## A five-minute tour").flatMap { start in
            readme.range(of: "\n## ", options: .regularExpression, range: start.upperBound..<readme.endIndex).map { readme[start.lowerBound..<$0.lowerBound] }
        })
        func blank(_ line: some StringProtocol) -> String {
            var s = String(line)
            for (pattern, with) in [("/tmp/attest-demo(-pg)?\\.[A-Za-z0-9]{6}", "/tmp/DIR"), ("\\b[0-9a-f]{7,40}\\b", "ID"),
                                    ("SHA256:[A-Za-z0-9+/]+", "SHA256:KEY"), ("([0-9]{2}:[0-9]{2}):[0-9]{2} UTC", "$1:SS UTC")] {
                s = s.replacingOccurrences(of: pattern, with: with, options: .regularExpression)
            }
            return s
        }
        let printed = demo.output.components(separatedBy: "\n").map(blank)
        var inBlock = false, quoted = 0
        for line in tour.components(separatedBy: "\n") {
            if line.hasPrefix("```") { inBlock.toggle(); continue }
            guard inBlock, line != "...", !line.isEmpty else { continue }
            quoted += 1
            let want = blank(line)
            if want.hasSuffix("...") || want.hasSuffix("…") {
                let head = String(want.dropLast(want.hasSuffix("...") ? 3 : 1))
                #expect(printed.contains { $0.hasPrefix(head) }, "README tour: no demo line starts with \(line)")
            } else {
                #expect(printed.contains(want), "README tour: the demo printed no line \(line)")
            }
        }
        #expect(quoted > 30)
    }

    /// The demo as an ordinary user (as root: `nobody`, who can sudo nothing and whose HOME does
    /// not exist): the cluster runs as that user, no runuser, no chown. It runs scripts/demo with
    /// the release binary `make demo` built above, from a copy of the clone that user can read
    /// (the clone is under a 0700 folder of root's, and `nobody` cannot write its .build, which
    /// `make release` would need).
    @Test func theDemoAsAnOrdinaryUser() throws {
        let demo = try DemoRun.shared.get()
        let scratch = Scratch("demo-user")
        let copy = scratch.path + "/attest"
        let r0 = run("sh", ["-c", "mkdir -p \"$1/.build/release\" && tar -C \"$0\" --exclude=./.build -cf - . | tar -C \"$1\" -xf - && cp \"$0/.build/release/attest\" \"$1/.build/release/\" && chmod -R a+rX \"$1\"",
                                 demo.clone, copy])
        try #require(r0.status == 0, "\(r0)")
        chmod(scratch.path, 0o755)
        let env = ["PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin", "CI": "true"]
        let r = getuid() == 0
            ? run("runuser", ["-u", "nobody", "--", "bash", "-c", "cd \"$0\" && scripts/demo 2>&1", copy], cwd: "/", environment: env)
            : run("bash", ["-c", "cd \"$0\" && scripts/demo 2>&1", copy], cwd: "/", environment: env)
        let work = r.stdout.range(of: "→ the demo's folder is ").map { String(r.stdout[$0.upperBound...].prefix { $0 != ";" }) }
        defer { if let work { _ = run("rm", ["-rf", work]) } }
        try #require(r.status == 0, "\(r)")
        #expect(r.stdout.contains("FAIL: 2 of 4 quarters"))
        #expect(r.stdout.components(separatedBy: "\nStep 6  CC7.2  finding").count - 1 == 1)
        let owner = try FileManager.default.attributesOfItem(atPath: try #require(work))[.ownerAccountID] as? Int
        let user = getuid() == 0 ? Int(try #require(getpwnam("nobody")).pointee.pw_uid) : Int(getuid())
        #expect(owner != 0 && owner == user, "the demo's folder belongs to \(String(describing: owner)), not \(user)")
    }
}

/// One run of `make demo` for the suite, in a clone of this working tree under a 0700 folder.
final class DemoRun: Sendable {
    /// A printed `$ ` line, what followed it, and the exit status the demo said it had.
    struct Command: Sendable { let line: String; let output: String; let status: Int32 }

    let output: String
    /// The clone `make demo` ran in (its .build holds the release binary).
    let clone: String
    let work: String
    let pgFolder: String
    let commands: [Command]

    func block(startingWith prefix: String) -> Command? { commands.first { $0.line.hasPrefix(prefix) } }

    static let shared = Result<DemoRun, Failure> { () throws(Failure) in try DemoRun() }
    struct Failure: Error, CustomStringConvertible { let description: String }

    nonisolated(unsafe) private static var scratchPaths: [String] = []

    private init() throws(Failure) {
        // The clone is made in a folder of its own (never this package's .build, which
        // `swift test` may hold locked) inside a 0700 folder that `postgres` cannot enter.
        let base = FileManager.default.temporaryDirectory.path + "/attest-tests/demo-\(UUID().uuidString.prefix(8))"
        let closed = base + "/private"
        let clone = closed + "/attest"
        self.clone = clone
        DemoRun.scratchPaths.append(base)
        atexit { for p in DemoRun.scratchPaths { _ = run("rm", ["-rf", p]) } }
        do {
            try FileManager.default.createDirectory(atPath: closed, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
        } catch { throw Failure(description: "cannot create \(closed): \(error)") }

        // The working tree as it is, uncommitted changes included (HEAD on a clean tree, as in CI).
        do { try cloneOfWorkingTree(to: clone) } catch { throw Failure(description: error.description) }

        // The environment of a CI job's shell: PATH (swift, git, make), HOME (SwiftPM's
        // caches), the user's name, and CI=true. Nothing of this test run's own: no ATTEST_*
        // (ATTEST_TEST_PGHOST of `make test`), no MAKEFLAGS of an outer make, no SwiftPM
        // variables; no ATTEST_DEMO_DIR, so the demo makes its folder as the README says.
        var env = ["CI": "true"]
        for k in ["PATH", "HOME", "USER", "LOGNAME", "LANG", "TERM"] { env[k] = ProcessInfo.processInfo.environment[k] }
        // stderr is merged into stdout so that the refusals appear where the demo printed them.
        let r = run("bash", ["-c", "make demo 2>&1"], cwd: clone, environment: env)
        let output = r.stdout
        self.output = output
        func after(_ marker: String, upTo end: Character) -> String? {
            guard let range = output.range(of: marker) else { return nil }
            return String(output[range.upperBound...].prefix { $0 != end && $0 != "\n" })
        }
        let work = after("→ the demo's folder is ", upTo: ";")
        if let work { DemoRun.scratchPaths.append(work) }
        guard r.status == 0 else { throw Failure(description: "make demo in \(clone) failed: \(r)") }
        guard let work else { throw Failure(description: "the demo did not say its folder:\n\(output)") }
        self.work = work
        pgFolder = after("/scripts/pg-throwaway start ", upTo: " ") ?? ""

        // Each `$ ` line, the lines it printed (up to the next `$ `, `→ ` or chapter line), and
        // its exit status: 0 unless the demo said "→ exit N" right after it.
        var commands: [Command] = []
        let lines = output.components(separatedBy: "\n")
        var i = 0
        while i < lines.count {
            guard lines[i].hasPrefix("$ ") else { i += 1; continue }
            var j = i + 1
            while j < lines.count && !lines[j].hasPrefix("$ ") && !lines[j].hasPrefix("→ ") && !lines[j].hasPrefix("━━ ") { j += 1 }
            var status: Int32 = 0
            if j < lines.count, lines[j].hasPrefix("→ exit "), let n = Int32(lines[j].dropFirst(7).prefix { $0.isNumber }) { status = n }
            let body = lines[(i + 1)..<j].joined(separator: "\n").trimmingCharacters(in: .newlines)
            commands.append(Command(line: String(lines[i].dropFirst(2)), output: body, status: status))
            i = j
        }
        self.commands = commands
    }
}
