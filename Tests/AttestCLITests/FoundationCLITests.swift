import Foundation
import Testing
import AttestTestSupport

/// The built binary, as a user runs it.
@Suite struct FoundationCLITests {
    let scratch = Scratch("cli")

    @Test func scheduleReproducesRunbookTable() {
        let r = attest(["schedule", "--year", "2026"], cwd: scratch.path, home: scratch.path)
        #expect(r.status == 0)
        for row in ["2026-Q1  2026-01-01 10:00 UTC  2025-12-27 00:00:00 UTC  2026-01-06 23:59:59 UTC",
                    "2026-Q2  2026-04-01 10:00 UTC  2026-03-27 00:00:00 UTC  2026-04-06 23:59:59 UTC",
                    "2026-Q3  2026-07-01 10:00 UTC  2026-06-26 00:00:00 UTC  2026-07-06 23:59:59 UTC",
                    "2026-Q4  2026-10-01 10:00 UTC  2026-09-26 00:00:00 UTC  2026-10-06 23:59:59 UTC"] {
            #expect(r.stdout.contains(row), "missing row: \(row)\n\(r.stdout)")
        }
    }

    @Test func scheduleJSONHasExactlyTheKeys() throws {
        let r = attest(["schedule", "--year", "2026", "--json"], cwd: scratch.path, home: scratch.path)
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [[String: String]])
        #expect(rows.count == 4)
        #expect(Set(rows[0].keys) == ["quarter", "target", "opens", "closes"])
        #expect(rows[0] == ["quarter": "2026-Q1", "target": "2026-01-01T10:00:00Z", "opens": "2025-12-27T00:00:00Z", "closes": "2026-01-06T23:59:59Z"])
    }

    @Test func statusInsideQ4Window() {
        let r = attest(["status"], cwd: scratch.path, home: scratch.path, at: "2026-10-03 12:00:00")
        #expect(r.status == 0)
        #expect(r.stdout.contains("2026-Q4 window is OPEN"))
        #expect(r.stdout.contains("hard close 2026-10-06 23:59:59 UTC, in 3 days, 11 hours"))
    }

    @Test func statusBetweenWindows() {
        let r = attest(["status"], cwd: scratch.path, home: scratch.path, at: "2026-11-24 09:00:00")
        #expect(r.status == 0)
        #expect(r.stdout.contains("No attestation window is open."))
        #expect(r.stdout.contains("next: 2027-Q1 opens 2026-12-27 00:00:00 UTC"))
        #expect(r.stdout.contains("last: 2026-Q4 closed 2026-10-06 23:59:59 UTC"))
    }

    @Test func statusJSON() throws {
        let r = attest(["status", "--json"], cwd: scratch.path, home: scratch.path, at: "2026-11-24 09:00:00")
        let obj = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        #expect(obj["open"] is NSNull)
        #expect((obj["next"] as? [String: Any])?["quarter"] as? String == "2027-Q1")
    }

    @Test(arguments: [
        (["schedule", "--year", "abc"], "error: --year 'abc' is not a year", "usage: attest schedule"),
        (["bogus"], "error: unknown command 'bogus'", "usage: attest "),
        (["schedule", "--nope"], "error: unknown option '--nope'", "usage: attest schedule"),
        (["schedule", "--year"], "error: option '--year' needs a value", "usage: attest schedule"),
        (["status", "extra"], "error: unexpected argument 'extra'", "usage: attest status"),
    ])
    func usageErrors(_ c: ([String], String, String)) {
        let r = attest(c.0, cwd: scratch.path, home: scratch.path)
        #expect(r.status == 2)
        #expect(r.stdout.isEmpty)
        let lines = r.stderr.split(separator: "\n").map(String.init)
        #expect(lines.count == 3, "\(r.stderr)")
        #expect(lines.first?.hasPrefix(c.1) == true, "\(r.stderr)")
        #expect(lines.dropFirst().first?.hasPrefix(c.2) == true, "\(r.stderr)")
        #expect(lines.filter { $0.hasPrefix("error:") }.count == 1)
    }

    @Test(arguments: ["schedule", "status"])
    func helpIsTheSameThreeWays(_ cmd: String) {
        let a = attest([cmd, "--help"], cwd: scratch.path, home: scratch.path)
        let b = attest([cmd, "-h"], cwd: scratch.path, home: scratch.path)
        let c = attest(["help", cmd], cwd: scratch.path, home: scratch.path)
        #expect(a.status == 0 && b.status == 0 && c.status == 0)
        #expect(a.stdout == b.stdout && b.stdout == c.stdout)
        #expect(a.stdout.hasPrefix("usage: attest \(cmd)"))
    }

    @Test func version() {
        let r = attest(["--version"], cwd: scratch.path, home: scratch.path)
        #expect(r.status == 0 && r.stdout.hasPrefix("attest "))
    }

    @Test func configFileAndOverride() {
        let repo = ScratchRepository("cfg")
        repo.write(".attestconfig", "[window]\n\ttargetHour = 9\n")
        let r = repo.attest(["schedule", "--year", "2026", "--json"])
        #expect(r.stdout.contains("\"target\": \"2026-01-01T09:00:00Z\""))
        let o = repo.attest(["-c", "window.targetHour=11", "schedule", "--year", "2026", "--json"])
        #expect(o.stdout.contains("\"target\": \"2026-01-01T11:00:00Z\""))
        repo.write(".attestconfig", "[window]\n\n\ttargetHour = noon\n")
        let bad = repo.attest(["schedule"])
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("invalid value 'noon' for window.targetHour in .attestconfig:3; expected a whole number from 0 to 23"))
    }

    @Test func colourNeverWithoutTTY() {
        let r = attest(["bogus"], cwd: scratch.path, home: scratch.path, environment: ["NO_COLOR": ""])
        #expect(!r.stderr.contains("\u{1B}["))
    }
}
