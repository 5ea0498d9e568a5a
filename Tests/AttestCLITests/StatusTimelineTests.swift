import Foundation
import Testing
import AttestCore
import AttestTestSupport

/// Issue 13: `attest status` and `attest status --check` under faketime at ten instants of one
/// quarter's life, output and exit code pinned. Commit ids are put in for `{Q3}` and `{Q4}`.
@Suite(.serialized) struct StatusTimelineTests {
    /// A repository made in June, its Q3 sign-off pushed, Q4's evidence collected.
    final class Year: @unchecked Sendable {
        let c: ComplianceRepo
        let server: String
        let q3: String
        init(_ label: String) {
            c = ComplianceRepo(label, date: "2026-06-20T10:00:00Z")
            server = c.repo.scratch.path + "/server.git"
            run("git", ["init", "-q", "--bare", "-b", "main", server], environment: c.repo.environment)
            c.git(["remote", "add", "origin", server])
            q3 = SignoffFixture.commit(in: c.repo, quarter: "2026-Q3", date: "2026-07-02T10:00:00Z")
            c.git(["push", "-q", "-u", "origin", "main"])
            c.evidence()
        }
        func push(at instant: String) {
            let r = run("faketime", ["-f", "@\(instant)", "git", "push", "-q", "origin", "main"], cwd: c.path, environment: c.repo.environment)
            precondition(r.status == 0, "\(r)")
        }
    }

    struct Pin {
        let instant: String
        let text: String
        let check: String
        let checkExit: Int32
    }

    func expect(_ y: Year, _ pin: Pin, q4: String = "") {
        func fill(_ s: String) -> String {
            s.replacingOccurrences(of: "{Q3}", with: String(y.q3.prefix(12))).replacingOccurrences(of: "{Q4}", with: String(q4.prefix(12)))
        }
        let s = y.c.attest(["status"], at: pin.instant)
        #expect(s.status == 0, "\(s)")
        #expect(s.stdout == fill(pin.text), "at \(pin.instant):\n\(s.stdout)")
        let k = y.c.attest(["status", "--check"], at: pin.instant)
        #expect(k.status == pin.checkExit, "at \(pin.instant): \(k)")
        #expect(k.stdout == fill(pin.check), "at \(pin.instant) --check:\n\(k.stdout)")
        let j = y.c.attest(["status", "--json", "--check"], at: pin.instant)
        #expect(j.status == pin.checkExit, "\(j)")
    }

    @Test func onTimeQuarter() throws {
        let y = Year("status-on-time")
        for pin in Self.onTime.prefix(2) { expect(y, pin) }
        #expect(y.c.attest(["render", "--quarter", "2026-Q4"], at: "2026-10-02 09:30:00").status == 0)
        for pin in Self.onTime.dropFirst(2).prefix(2) { expect(y, pin) }
        #expect(y.c.attest(["sign", "--quarter", "2026-Q4"], at: "2026-10-04 12:30:00").status == 0)
        let q4 = y.c.head()
        expect(y, Self.onTime[4], q4: q4)
        y.push(at: "2026-10-04 13:30:00")
        expect(y, Self.onTime[5], q4: q4)
    }

    @Test func lateQuarter() throws {
        let y = Year("status-late")
        #expect(y.c.attest(["render", "--quarter", "2026-Q4"], at: "2026-10-02 09:30:00").status == 0)
        expect(y, Self.late[0])
        expect(y, Self.late[1])
        #expect(y.c.attest(["sign", "--quarter", "2026-Q4", "--late", "--reason", "DBA out sick; approved in #501"], at: "2026-10-07 13:00:00").status == 0)
        let q4 = y.c.head()
        expect(y, Self.late[2], q4: q4)
        y.push(at: "2026-10-07 14:30:00")
        expect(y, Self.late[3], q4: q4)
    }

    @Test func jsonSchema() throws {
        let y = Year("status-json")
        let r = y.c.attest(["status", "--json"], at: "2026-10-04 12:00:00")
        let obj = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        #expect(obj["schemaVersion"] as? Int == 1 && obj["warnDays"] as? Int == 3 && obj["check"] as? Bool == true)
        let qs = try #require(obj["quarters"] as? [[String: Any]])
        #expect(qs.map { $0["quarter"] as? String } == ["2026-Q3", "2026-Q4"])
        #expect(qs.map { $0["state"] as? String } == ["pushed", "due-soon"])
        #expect(qs[1]["secondsToHardClose"] as? Int == 2 * 86400 + 11 * 3600 + 59 * 60 + 59)
        #expect(qs[1]["signoff"] is NSNull)
        let s3 = try #require(qs[0]["signoff"] as? [String: Any])
        #expect(s3["commit"] as? String == y.q3 && s3["onUpstream"] as? Bool == true && s3["upstream"] as? String == "refs/remotes/origin/main")
        #expect(s3["holds"] as? Bool == true && (s3["violations"] as? [String]) == [])
        // status.warnDays from the policy.
        let wide = y.c.attest(["-c", "status.warnDays=1", "status", "--json"], at: "2026-10-04 12:00:00")
        let w = try #require(try JSONSerialization.jsonObject(with: Data(wide.stdout.utf8)) as? [String: Any])
        #expect((w["quarters"] as? [[String: Any]])?.last?["state"] as? String == "open")
    }
}

extension StatusTimelineTests {
    static let onTime: [Pin] = [
        Pin(instant: "2026-08-15 12:00:00", text: """
            Now: 2026-08-15 12:00:00 UTC
            No attestation window is open.
              next: 2026-Q4 opens 2026-09-26 00:00:00 UTC, in 41 days, 12 hours; hard close 2026-10-06 23:59:59 UTC
              last: 2026-Q3 closed 2026-07-06 23:59:59 UTC, 39 days, 12 hours ago
              2026-Q3: signed off on HEAD in {Q3} at 2026-07-02 10:00:00 UTC, clean, on time
            
            Quarters (status.warnDays = 3):
              2026-Q3  pushed       signed off on HEAD in {Q3} at 2026-07-02 10:00:00 UTC, clean, on time; on refs/remotes/origin/main
                       next: nothing: the sign-off is on refs/remotes/origin/main
              2026-Q4  not-due      window opens 2026-09-26 00:00:00 UTC, in 41 days, 12 hours
                       next: nothing until the window opens (2026-09-26 00:00:00 UTC); then attest collect, render and sign --quarter 2026-Q4
            
            """,
            check: "", checkExit: 0),
        Pin(instant: "2026-09-26 00:00:00", text: """
            Now: 2026-09-26 00:00:00 UTC
            2026-Q4 window is OPEN: 2026-09-26 00:00:00 UTC .. 2026-10-06 23:59:59 UTC
              hard close 2026-10-06 23:59:59 UTC, in 10 days, 23 hours
            
            Quarters (status.warnDays = 3):
              2026-Q3  pushed       signed off on HEAD in {Q3} at 2026-07-02 10:00:00 UTC, clean, on time; on refs/remotes/origin/main
                       next: nothing: the sign-off is on refs/remotes/origin/main
              2026-Q4  open         hard close 2026-10-06 23:59:59 UTC, in 10 days, 23 hours; no sign-off on HEAD
                       next: attest render --quarter 2026-Q4, then attest sign --quarter 2026-Q4
            
            """,
            check: "", checkExit: 0),
        Pin(instant: "2026-10-03 12:00:00", text: """
            Now: 2026-10-03 12:00:00 UTC
            2026-Q4 window is OPEN: 2026-09-26 00:00:00 UTC .. 2026-10-06 23:59:59 UTC
              hard close 2026-10-06 23:59:59 UTC, in 3 days, 11 hours
            
            Quarters (status.warnDays = 3):
              2026-Q3  pushed       signed off on HEAD in {Q3} at 2026-07-02 10:00:00 UTC, clean, on time; on refs/remotes/origin/main
                       next: nothing: the sign-off is on refs/remotes/origin/main
              2026-Q4  open         hard close 2026-10-06 23:59:59 UTC, in 3 days, 11 hours; no sign-off on HEAD
                       next: attest sign --quarter 2026-Q4
            
            """,
            check: "", checkExit: 0),
        Pin(instant: "2026-10-04 12:00:00", text: """
            Now: 2026-10-04 12:00:00 UTC
            2026-Q4 window is OPEN: 2026-09-26 00:00:00 UTC .. 2026-10-06 23:59:59 UTC
              hard close 2026-10-06 23:59:59 UTC, in 2 days, 11 hours
            
            Quarters (status.warnDays = 3):
              2026-Q3  pushed       signed off on HEAD in {Q3} at 2026-07-02 10:00:00 UTC, clean, on time; on refs/remotes/origin/main
                       next: nothing: the sign-off is on refs/remotes/origin/main
              2026-Q4  due-soon     hard close 2026-10-06 23:59:59 UTC, in 2 days, 11 hours; no sign-off on HEAD
                       next: attest sign --quarter 2026-Q4
            
            """,
            check: """
            2026-Q4 due-soon: hard close 2026-10-06 23:59:59 UTC, in 2 days, 11 hours; no sign-off on HEAD; next: attest sign --quarter 2026-Q4
            
            """, checkExit: 1),
        Pin(instant: "2026-10-04 13:00:00", text: """
            Now: 2026-10-04 13:00:00 UTC
            2026-Q4 window is OPEN: 2026-09-26 00:00:00 UTC .. 2026-10-06 23:59:59 UTC
              hard close 2026-10-06 23:59:59 UTC, in 2 days, 10 hours
              signed off on HEAD in {Q4} at 2026-10-04 12:30:00 UTC, clean, on time
            
            Quarters (status.warnDays = 3):
              2026-Q3  pushed       signed off on HEAD in {Q3} at 2026-07-02 10:00:00 UTC, clean, on time; on refs/remotes/origin/main
                       next: nothing: the sign-off is on refs/remotes/origin/main
              2026-Q4  signed       signed off on HEAD in {Q4} at 2026-10-04 12:30:00 UTC, clean, on time; not on refs/remotes/origin/main
                       next: git push (the pre-push hook checks the sign-off)
            
            """,
            check: "", checkExit: 0),
        Pin(instant: "2026-10-04 14:00:00", text: """
            Now: 2026-10-04 14:00:00 UTC
            2026-Q4 window is OPEN: 2026-09-26 00:00:00 UTC .. 2026-10-06 23:59:59 UTC
              hard close 2026-10-06 23:59:59 UTC, in 2 days, 9 hours
              signed off on HEAD in {Q4} at 2026-10-04 12:30:00 UTC, clean, on time
            
            Quarters (status.warnDays = 3):
              2026-Q3  pushed       signed off on HEAD in {Q3} at 2026-07-02 10:00:00 UTC, clean, on time; on refs/remotes/origin/main
                       next: nothing: the sign-off is on refs/remotes/origin/main
              2026-Q4  pushed       signed off on HEAD in {Q4} at 2026-10-04 12:30:00 UTC, clean, on time; on refs/remotes/origin/main
                       next: nothing: the sign-off is on refs/remotes/origin/main
            
            """,
            check: "", checkExit: 0),
    ]

    static let late: [Pin] = [
        Pin(instant: "2026-10-06 23:59:59", text: """
            Now: 2026-10-06 23:59:59 UTC
            2026-Q4 window is OPEN: 2026-09-26 00:00:00 UTC .. 2026-10-06 23:59:59 UTC
              hard close 2026-10-06 23:59:59 UTC, in 0 seconds
            
            Quarters (status.warnDays = 3):
              2026-Q3  pushed       signed off on HEAD in {Q3} at 2026-07-02 10:00:00 UTC, clean, on time; on refs/remotes/origin/main
                       next: nothing: the sign-off is on refs/remotes/origin/main
              2026-Q4  due-soon     hard close 2026-10-06 23:59:59 UTC, in 0 seconds; no sign-off on HEAD
                       next: attest sign --quarter 2026-Q4
            
            """,
            check: """
            2026-Q4 due-soon: hard close 2026-10-06 23:59:59 UTC, in 0 seconds; no sign-off on HEAD; next: attest sign --quarter 2026-Q4
            
            """, checkExit: 1),
        Pin(instant: "2026-10-07 12:00:00", text: """
            Now: 2026-10-07 12:00:00 UTC
            No attestation window is open.
              next: 2027-Q1 opens 2026-12-27 00:00:00 UTC, in 80 days, 12 hours; hard close 2027-01-06 23:59:59 UTC
              last: 2026-Q4 closed 2026-10-06 23:59:59 UTC, 12 hours ago
            
            Quarters (status.warnDays = 3):
              2026-Q4  overdue      hard close was 2026-10-06 23:59:59 UTC, 12 hours ago; no sign-off on HEAD
                       next: attest sign --quarter 2026-Q4 --late --reason "why it is late" (recorded as late, never as on time)
              2027-Q1  not-due      window opens 2026-12-27 00:00:00 UTC, in 80 days, 12 hours
                       next: nothing until the window opens (2026-12-27 00:00:00 UTC); then attest collect, render and sign --quarter 2027-Q1
            
            """,
            check: """
            2026-Q4 overdue: hard close was 2026-10-06 23:59:59 UTC, 12 hours ago; no sign-off on HEAD; next: attest sign --quarter 2026-Q4 --late --reason "why it is late" (recorded as late, never as on time)
            
            """, checkExit: 1),
        Pin(instant: "2026-10-07 14:00:00", text: """
            Now: 2026-10-07 14:00:00 UTC
            No attestation window is open.
              next: 2027-Q1 opens 2026-12-27 00:00:00 UTC, in 80 days, 10 hours; hard close 2027-01-06 23:59:59 UTC
              last: 2026-Q4 closed 2026-10-06 23:59:59 UTC, 14 hours ago
              2026-Q4: signed off on HEAD in {Q4} at 2026-10-07 13:00:00 UTC, clean, LATE
            
            Quarters (status.warnDays = 3):
              2026-Q4  late-signed  signed off on HEAD in {Q4} at 2026-10-07 13:00:00 UTC, clean, LATE; not on refs/remotes/origin/main
                       next: git push (the pre-push hook checks the sign-off)
              2027-Q1  not-due      window opens 2026-12-27 00:00:00 UTC, in 80 days, 10 hours
                       next: nothing until the window opens (2026-12-27 00:00:00 UTC); then attest collect, render and sign --quarter 2027-Q1
            
            """,
            check: "", checkExit: 0),
        Pin(instant: "2026-11-24 09:00:00", text: """
            Now: 2026-11-24 09:00:00 UTC
            No attestation window is open.
              next: 2027-Q1 opens 2026-12-27 00:00:00 UTC, in 32 days, 15 hours; hard close 2027-01-06 23:59:59 UTC
              last: 2026-Q4 closed 2026-10-06 23:59:59 UTC, 48 days, 9 hours ago
              2026-Q4: signed off on HEAD in {Q4} at 2026-10-07 13:00:00 UTC, clean, LATE
            
            Quarters (status.warnDays = 3):
              2026-Q4  late-signed  signed off on HEAD in {Q4} at 2026-10-07 13:00:00 UTC, clean, LATE; on refs/remotes/origin/main
                       next: nothing: the sign-off is on refs/remotes/origin/main
              2027-Q1  not-due      window opens 2026-12-27 00:00:00 UTC, in 32 days, 15 hours
                       next: nothing until the window opens (2026-12-27 00:00:00 UTC); then attest collect, render and sign --quarter 2027-Q1
            
            """,
            check: "", checkExit: 0),
    ]
}
