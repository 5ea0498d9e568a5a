import Foundation
import Testing
@testable import AttestCore

@Suite struct AllowedSignersTests {
    // ssh-ed25519 key blob for 32 zero bytes: string "ssh-ed25519" + string(32 bytes).
    static let blob: [UInt8] = [0, 0, 0, 11] + Array("ssh-ed25519".utf8) + [0, 0, 0, 32] + [UInt8](repeating: 7, count: 32)
    static let b64 = Data(blob).base64EncodedString()
    let q4 = Schedule().window(for: try! Quarter(parsing: "2026-Q4"))

    @Test func parsesPrincipalsOptionsAndKey() throws {
        let text = """
        # comment

        olive@example.com,ops@example.com namespaces="git,file",valid-after=20260101,valid-before="20261231235959Z" ssh-ed25519 \(Self.b64) olive laptop
        *@example.com ssh-ed25519 \(Self.b64)
        """
        let s = try AllowedSigners(parsing: text, path: ".attest/allowed_signers")
        #expect(s.entries.count == 2)
        let e = s.entries[0]
        #expect(e.line == 3 && e.principals == ["olive@example.com", "ops@example.com"] && e.namespaces == ["git", "file"])
        #expect(e.validAfter == UTC.date(year: 2026, month: 1, day: 1))
        #expect(e.validBefore == UTC.date(year: 2026, month: 12, day: 31, hour: 23, minute: 59, second: 59))
        #expect(e.keyBlob == Self.blob)
        #expect(s.verdict(keyBlob: Self.blob, namespace: "git", window: q4) == .allowed(principals: ["olive@example.com", "ops@example.com"], line: 3))
        #expect(s.verdict(keyBlob: [1, 2, 3], namespace: "git", window: q4) == .notListed)
    }

    @Test func validityIsJudgedAgainstTheWindow() throws {
        let expired = try AllowedSigners(parsing: "o@x valid-before=20260925 ssh-ed25519 \(Self.b64)", path: "f")
        #expect(expired.verdict(keyBlob: Self.blob, namespace: "git", window: q4)
                == .refused(["f:1: the key expired 2026-09-25 00:00:00 UTC, before the 2026-Q4 window opened (2026-09-26 00:00:00 UTC)"]))
        let future = try AllowedSigners(parsing: "o@x valid-after=20261007 ssh-ed25519 \(Self.b64)", path: "f")
        if case .refused(let r) = future.verdict(keyBlob: Self.blob, namespace: "git", window: q4) { #expect(r[0].contains("after the 2026-Q4 window closed")) }
        else { Issue.record("expected refused") }
        // Valid for part of the window: accepted.
        let rotated = try AllowedSigners(parsing: "o@x valid-after=20261003 ssh-ed25519 \(Self.b64)", path: "f")
        #expect(rotated.verdict(keyBlob: Self.blob, namespace: "git", window: q4) == .allowed(principals: ["o@x"], line: 1))
        let ns = try AllowedSigners(parsing: "o@x namespaces=\"file\" ssh-ed25519 \(Self.b64)", path: "f")
        #expect(ns.verdict(keyBlob: Self.blob, namespace: "git", window: q4) == .refused(["f:1 allows namespaces file, not git"]))
    }

    @Test(arguments: [
        ("o@x cert-authority ssh-ed25519 KEY", "f:1: cert-authority is not supported by attest; list each signer's own public key"),
        ("o@x valid-after=2026 ssh-ed25519 KEY", "f:1: valid-after='2026' is not YYYYMMDD[HHMM[SS]][Z]"),
        ("o@x bogus=1 ssh-ed25519 KEY", "f:1: unknown option 'bogus'"),
        ("o@x ssh-ed25519 !!!", "f:1: the ssh-ed25519 key is not valid base64"),
        ("o@x ssh-rsa KEY", "f:1: the key is written as ssh-rsa but its data says otherwise"),
        ("o@x", "f:1: expected principals and a key"),
        ("o@x namespaces=\"git ssh-ed25519 KEY", "f:1: unbalanced double quote"),
    ])
    func badLinesNameTheLine(_ c: (String, String)) {
        let text = c.0.replacingOccurrences(of: "KEY", with: Self.b64)
        #expect(throws: AttestError.failed(c.1 + "; fix the line (format: principals [options] key-type base64-key)")) {
            try AllowedSigners(parsing: text, path: "f")
        }
    }

    @Test func patterns() {
        #expect(AllowedSigners.match(pattern: "g*t", "git"))
        #expect(AllowedSigners.match(pattern: "*", ""))
        #expect(!AllowedSigners.match(pattern: "file", "git"))
        #expect(AllowedSigners.match(pattern: "g?t", "got"))
    }
}
