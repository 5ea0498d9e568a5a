import Foundation
import Testing
@testable import AttestCore

@Suite struct ScheduleTests {
    /// The runbook's §2 table, row for row.
    static let runbook2026: [(String, String, String, String)] = [
        ("2026-Q1", "2026-01-01T10:00:00Z", "2025-12-27T00:00:00Z", "2026-01-06T23:59:59Z"),
        ("2026-Q2", "2026-04-01T10:00:00Z", "2026-03-27T00:00:00Z", "2026-04-06T23:59:59Z"),
        ("2026-Q3", "2026-07-01T10:00:00Z", "2026-06-26T00:00:00Z", "2026-07-06T23:59:59Z"),
        ("2026-Q4", "2026-10-01T10:00:00Z", "2026-09-26T00:00:00Z", "2026-10-06T23:59:59Z"),
    ]

    @Test(arguments: runbook2026)
    func runbookRow(_ row: (String, String, String, String)) throws {
        let w = Schedule().window(for: try Quarter(parsing: row.0))
        #expect(UTC.iso(w.target) == row.1)
        #expect(UTC.iso(w.opens) == row.2)
        #expect(UTC.iso(w.closes) == row.3)
    }

    @Test(arguments: [
        ("2024-Q1", "2024-01-01T10:00:00Z", "2023-12-27T00:00:00Z", "2024-01-06T23:59:59Z"),
        ("2024-Q2", "2024-04-01T10:00:00Z", "2024-03-27T00:00:00Z", "2024-04-06T23:59:59Z"), // leap year: Feb has 29 days
        ("2027-Q3", "2027-07-01T10:00:00Z", "2027-06-26T00:00:00Z", "2027-07-06T23:59:59Z"),
        ("2100-Q1", "2100-01-01T10:00:00Z", "2099-12-27T00:00:00Z", "2100-01-06T23:59:59Z"),
    ])
    func otherYears(_ row: (String, String, String, String)) throws {
        let w = Schedule().window(for: try Quarter(parsing: row.0))
        #expect([UTC.iso(w.target), UTC.iso(w.opens), UTC.iso(w.closes)] == [row.1, row.2, row.3])
    }

    @Test func bothEndsInclusive() throws {
        let w = Schedule().window(for: try Quarter(parsing: "2026-Q4"))
        #expect(w.contains(UTC.parseInstant("2026-09-26T00:00:00Z")!))
        #expect(w.contains(UTC.parseInstant("2026-10-06T23:59:59Z")!))
        #expect(!w.contains(UTC.parseInstant("2026-09-25T23:59:59Z")!))
        #expect(!w.contains(UTC.parseInstant("2026-10-07T00:00:00Z")!))
    }

    @Test func openNextPrevious() throws {
        let s = Schedule()
        #expect(s.openWindow(at: UTC.parseInstant("2026-10-03T12:00:00Z")!)?.quarter.description == "2026-Q4")
        #expect(s.openWindow(at: UTC.parseInstant("2025-12-30T00:00:00Z")!)?.quarter.description == "2026-Q1")
        #expect(s.openWindow(at: UTC.parseInstant("2026-11-24T09:00:00Z")!) == nil)
        #expect(s.nextWindow(after: UTC.parseInstant("2026-11-24T09:00:00Z")!).quarter.description == "2027-Q1")
        #expect(s.previousWindow(before: UTC.parseInstant("2026-11-24T09:00:00Z")!).quarter.description == "2026-Q4")
        // Inside a window, "next" is the one after it and "previous" the one before.
        #expect(s.nextWindow(after: UTC.parseInstant("2026-10-03T12:00:00Z")!).quarter.description == "2027-Q1")
        #expect(s.previousWindow(before: UTC.parseInstant("2026-10-03T12:00:00Z")!).quarter.description == "2026-Q3")
    }

    @Test func policyChangesOffsetsAndHour() throws {
        var p = Policy()
        try p.apply([.init(name: "window.openDaysBefore", value: "2", origin: "-c"),
                     .init(name: "window.closeDaysAfter", value: "0", origin: "-c"),
                     .init(name: "Window.TargetHour", value: "9", origin: "-c")])
        let w = Schedule(policy: p).window(for: try Quarter(parsing: "2026-Q2"))
        #expect(UTC.iso(w.target) == "2026-04-01T09:00:00Z")
        #expect(UTC.iso(w.opens) == "2026-03-30T00:00:00Z")
        #expect(UTC.iso(w.closes) == "2026-04-01T23:59:59Z")
    }

    @Test func requiredQuartersOfAPeriod() {
        let s = Schedule()
        let q = s.requiredQuarters(from: UTC.parseInstant("2026-01-01")!, to: UTC.parseInstant("2026-12-31")!)
        #expect(q.map(\.description) == ["2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4"])
        let q2 = s.requiredQuarters(from: UTC.parseInstant("2026-01-02")!, to: UTC.parseInstant("2026-10-01")!)
        #expect(q2.map(\.description) == ["2026-Q2", "2026-Q3", "2026-Q4"])
    }
}

@Suite struct QuarterTests {
    @Test(arguments: ["2026-Q1", "2026-Q4", "0001-Q2", "9999-Q3"])
    func parses(_ text: String) throws {
        #expect(try Quarter(parsing: text).description == text)
    }

    @Test(arguments: ["2026-q4", "2026Q4", " 2026-Q4", "2026-Q4 ", "2026-Q5", "2026-Q0", "26-Q1", "abcd-Q1", "", "2026-Q", "２０２６-Q1", "0000-Q1"])
    func rejects(_ text: String) {
        #expect(throws: AttestError.self) { try Quarter(parsing: text) }
    }

    @Test func errorSaysWhatToWrite() {
        #expect(throws: AttestError.usage("'2026q4' is not a quarter; write it as YYYY-QN, for example 2026-Q4")) {
            try Quarter(parsing: "2026q4")
        }
    }

    @Test func order() throws {
        #expect(try Quarter(parsing: "2025-Q4").next == Quarter(parsing: "2026-Q1"))
        #expect(try Quarter(parsing: "2026-Q1").previous == Quarter(parsing: "2025-Q4"))
        #expect(try Quarter(parsing: "2025-Q4") < Quarter(parsing: "2026-Q1"))
    }
}

@Suite struct PolicyTests {
    @Test func unknownKeyNamesOrigin() {
        #expect(throws: AttestError.config("unknown policy key 'window.opendays' in .attestconfig:3; run 'attest help config' for the list of keys")) {
            try Policy(entries: [.init(name: "window.opendays", value: "1", origin: ".attestconfig:3")])
        }
    }

    @Test(arguments: [("window.targetHour", "24"), ("window.openDaysBefore", "-1"), ("signing.required", "maybe"),
                      ("attest.folder", "/etc"), ("attest.folder", "../outside"), ("controls.lookbackDays", "ninety")])
    func badValues(_ kv: (String, String)) {
        #expect(throws: AttestError.self) { try Policy(entries: [.init(name: kv.0, value: kv.1, origin: "-c")]) }
    }

    @Test func defaultConfigFileListsEveryKey() {
        let text = Policy.defaultConfigFile()
        for key in Policy.keys {
            let field = key.name.split(separator: ".").last!
            #expect(text.contains("# \(field) = "), "missing \(key.name)")
        }
    }
}

@Suite struct TimeTests {
    @Test(arguments: [
        ("2026-01-01", "2026-01-01T00:00:00Z"), ("2026-01-01T10:00:00Z", "2026-01-01T10:00:00Z"),
        ("2026-01-01 10:00:00+02:00", "2026-01-01T08:00:00Z"), ("2026-01-01T10:00Z", "2026-01-01T10:00:00Z"),
        ("2026-01-01T10:00:00.5-0130", "2026-01-01T11:30:00Z"),
    ])
    func parsesInstants(_ c: (String, String)) throws {
        #expect(UTC.iso(try #require(UTC.parseInstant(c.0))) == c.1)
    }

    @Test(arguments: ["2026-02-30", "2026-13-01", "2026-01-01T10:00:00", "yesterday", "2026-01-01T25:00Z", "2026-01-01T10:00:00Zjunk"])
    func rejectsInstants(_ s: String) { #expect(UTC.parseInstant(s) == nil) }

    @Test func spans() {
        #expect(UTC.span(2 * 86400 + 11 * 3600 + 59) == "2 days, 11 hours")
        #expect(UTC.span(3600) == "1 hour")
        #expect(UTC.span(45) == "45 seconds")
    }
}

@Suite struct TrailerTests {
    @Test func roundTrip() throws {
        let t = SignoffTrailers(quarter: try Quarter(parsing: "2026-Q4"), result: .qualified,
                                documentPath: "docs/attestation-log/2026-Q4.md", documentSHA256: String(repeating: "a", count: 64),
                                evidenceSHA256: String(repeating: "b", count: 64), late: "ill\nnew line", amends: nil)
        let back = try #require(try SignoffTrailers.parse(message: t.message))
        #expect(back.quarter == t.quarter && back.result == .qualified && back.late == "ill new line")
        #expect(t.message.hasPrefix("ops(compliance): Q4 2026 SOC-2 attestation sign-off\n\nAttest-Quarter: 2026-Q4\n"))
    }

    @Test func notASignoff() throws {
        #expect(try SignoffTrailers.parse(message: "fix: typo\n\nSigned-off-by: A <a@b>\n") == nil)
    }

    @Test func malformed() {
        #expect(throws: AttestError.failed("trailer Attest-Result is 'great'; expected clean, qualified or blocked")) {
            try SignoffTrailers.parse(message: "s\n\nAttest-Quarter: 2026-Q1\nAttest-Result: great\n")
        }
    }
}
