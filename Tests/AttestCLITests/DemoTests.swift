import Foundation
import Testing
import AttestTestSupport

/// `make demo` end to end, in the test suite: the whole year on a real PostgreSQL, real git, the
/// hooks on both ends, the audit, and the HTML report rendered by headless Chromium.
@Suite struct DemoTests {
    @Test func aWholeYearEndToEnd() throws {
        let scratch = Scratch("demo")
        let dir = scratch.path + "/demo"
        var env = ProcessInfo.processInfo.environment
        env["ATTEST"] = attestBinary
        env["ATTEST_DEMO_DIR"] = dir
        env["NO_COLOR"] = "1"
        let r = run(packageRoot + "/scripts/demo", [], environment: env)
        try #require(r.status == 0, "\(r)")
        let out = r.stdout

        // The story: each quarter, each step's status, each sign-off, the gate, the verdict.
        for q in ["2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4"] {
            #expect(out.contains("━━ \(q) at "), "no chapter for \(q)")
            #expect(out.contains("signed off \(q): "), "no sign-off for \(q)")
        }
        #expect(out.components(separatedBy: "\nStep 1  CC6.1  pass").count - 1 == 4)
        #expect(out.components(separatedBy: "\nStep 6  CC7.2  finding").count - 1 == 1)
        #expect(out.contains("signed off 2026-Q2: qualified"))
        #expect(out.contains("LATE: 1 day, 9 hours after hard close"))
        #expect(out.contains("[signed-file-changed]") || r.stderr.contains("[signed-file-changed]"))
        #expect(out.contains("2026-Q4  late "))
        #expect(out.contains("FAIL: 1 of 4 quarters"))

        // git as the oracle: four signed sign-offs, the remote holds them, Q4 declared late.
        let repo = dir + "/compliance"
        let gitEnv = testEnvironment(home: dir + "/home")
        let subjects = run("git", ["log", "--format=%s", "--", "docs/attestation-log/"], cwd: repo, environment: gitEnv).stdout
        #expect(subjects.components(separatedBy: "SOC-2 attestation sign-off").count - 1 == 4, "\(subjects)")
        let head = run("git", ["rev-parse", "HEAD"], cwd: repo, environment: gitEnv).stdout
        let remote = run("git", ["--git-dir", dir + "/remote.git", "rev-parse", "main"], environment: gitEnv).stdout
        #expect(head == remote && !head.isEmpty)
        let verify = run("git", ["-c", "gpg.ssh.allowedSignersFile=.attest/allowed_signers", "verify-commit", "HEAD"], cwd: repo, environment: gitEnv)
        #expect(verify.status == 0, "\(verify)")
        let message = run("git", ["log", "-1", "--format=%B"], cwd: repo, environment: gitEnv).stdout
        let trailers = run("git", ["interpret-trailers", "--parse"], cwd: repo, environment: gitEnv, stdin: Data(message.utf8)).stdout
        #expect(trailers.contains("Attest-Quarter: 2026-Q4") && trailers.contains("Attest-Late: operator on leave"))

        // The HTML report: a timeline and a table, and the picture Chromium took shows both.
        let html = try String(contentsOfFile: dir + "/reports/audit-2026.html", encoding: .utf8)
        #expect(html.contains("<svg") && html.contains("<table"))
        let png = dir + "/reports/audit-2026.png"
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
}
