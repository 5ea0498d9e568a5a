import Foundation
import Testing
import AttestTestSupport
@testable import AttestGit

@Suite struct HookInputTests {
    let a = String(repeating: "a", count: 40), b = String(repeating: "b", count: 40), z = String(repeating: "0", count: 40)

    @Test func prePushLines() throws {
        let input = "refs/heads/main \(a) refs/heads/main \(b)\n(delete) \(z) refs/heads/old \(a)\nHEAD \(b) refs/heads/new \(z)\n"
        let u = try HookInput.prePush(Array(input.utf8))
        #expect(u.count == 3)
        #expect(u[0] == HookInput.RefUpdate(ref: "refs/heads/main", old: ObjectID(hex: b)!, new: ObjectID(hex: a)!, localRef: "refs/heads/main"))
        #expect(u[1].isDeletion && u[1].localRef == "(delete)")
        #expect(u[2].old.isZero && u[2].localRef == "HEAD")
        #expect(try HookInput.prePush([]).isEmpty)
        // No final newline is fine.
        #expect(try HookInput.prePush(Array("refs/heads/x \(a) refs/heads/x \(z)".utf8)).count == 1)
    }

    @Test func preReceiveLinesAndUpdateArguments() throws {
        let u = try HookInput.preReceive(Array("\(z) \(a) refs/heads/main\n\(a) \(b) refs/tags/v1\n".utf8))
        #expect(u.map(\.ref) == ["refs/heads/main", "refs/tags/v1"])
        #expect(u[0].old.isZero && u[0].localRef == nil)
        #expect(try HookInput.update(ref: "refs/heads/main", old: a, new: b).new == ObjectID(hex: b))
    }

    @Test(arguments: [
        ("refs/heads/main \(String(repeating: "a", count: 40)) refs/heads/main", "hook input line 1: expected 4 fields separated by single spaces (<local ref> <local oid> <remote ref> <remote oid>), found 3"),
        ("refs/heads/main  \(String(repeating: "a", count: 40)) refs/heads/main \(String(repeating: "0", count: 40))", "hook input line 1: expected 4 fields separated by single spaces (<local ref> <local oid> <remote ref> <remote oid>), found 5"),
        ("refs/heads/main \(String(repeating: "a", count: 64)) refs/heads/main \(String(repeating: "0", count: 40))", "hook input line 1: '\(String(repeating: "a", count: 64))' is a SHA-256 object id; attest supports SHA-1 repositories only"),
        ("refs/heads/main \(String(repeating: "A", count: 40)) refs/heads/main \(String(repeating: "0", count: 40))", "hook input line 1: '\(String(repeating: "A", count: 40))' is not an object id (40 lowercase hex digits)"),
        ("refs/heads/main xyz refs/heads/main \(String(repeating: "0", count: 40))", "hook input line 1: 'xyz' is not an object id (40 lowercase hex digits)"),
        ("refs/heads/main \(String(repeating: "a", count: 40)) main \(String(repeating: "0", count: 40))", "hook input line 1: 'main' is not a ref under refs/"),
        ("refs/heads/../x \(String(repeating: "a", count: 40)) refs/heads/x \(String(repeating: "0", count: 40))", "hook input line 1: 'refs/heads/../x' is not a valid ref name"),
        ("(delete) \(String(repeating: "a", count: 40)) refs/heads/x \(String(repeating: "0", count: 40))", "hook input line 1: '(delete)' comes with a non-zero id"),
        ("\n", "hook input line 1: empty line; expected <local ref> <local oid> <remote ref> <remote oid>"),
        ("refs/heads/main\r \(String(repeating: "a", count: 40)) refs/heads/main \(String(repeating: "0", count: 40))", "hook input line 1: control byte 0xd in the line; expected <local ref> <local oid> <remote ref> <remote oid>"),
    ])
    func malformedPrePush(_ c: (String, String)) {
        #expect(throws: HookInputError.self) { try HookInput.prePush(Array(c.0.utf8)) }
        do { _ = try HookInput.prePush(Array(c.0.utf8)) } catch { #expect(error.description == c.1) }
    }

    @Test func hugeLineAndHugeInput() {
        let huge = Array(repeating: UInt8(ascii: "r"), count: 17_000_000)
        #expect(throws: HookInputError(line: 0, "the input is 17000000 bytes; at most 16777216 are accepted (100000 refs of a real push); push the refs in several smaller pushes")) { try HookInput.preReceive(huge) }
        let long = Array(repeating: UInt8(ascii: "r"), count: 10_000)
        #expect(throws: HookInputError(line: 1, "the line is longer than 4096 bytes")) { try HookInput.preReceive(long) }
    }

    @Test func binaryJunkIsShownEscaped() {
        let junk: [UInt8] = [0xFF, 0xFE, 0x20, 0x41, 0x20, 0x42]
        #expect(throws: HookInputError(line: 1, "'\\xff\\xfe' is not an object id (40 lowercase hex digits)")) { try HookInput.preReceive(junk) }
    }

    /// 100,000+ generated inputs (seeded): random bytes, random tokens, mutations of good
    /// lines. Each either parses into well-formed updates or throws a message; never crashes.
    @Test func randomizedInputsNeverCrash() {
        var rng = SplitMix64(seed: 0xC0FFEE)
        let good = Array("refs/heads/main \(a) refs/heads/main \(b)\n\(z) \(a) refs/heads/x\n".utf8)
        let alphabet = Array("0123456789abcdefABCDEF refs/heads/main(delete)\n\r\t.:~^*?[\\@{".utf8)
        var ok = 0, failed = 0
        for i in 0..<100_200 {
            var input: [UInt8]
            switch i % 3 {
            case 0: input = (0..<Int(rng.next() % 200)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            case 1: input = (0..<Int(rng.next() % 240)).map { _ in alphabet[Int(rng.next() % UInt64(alphabet.count))] }
            default:
                input = good
                for _ in 0..<(1 + rng.next() % 3) {
                    let at = Int(rng.next() % UInt64(input.count))
                    if rng.next() % 2 == 0 { input[at] = alphabet[Int(rng.next() % UInt64(alphabet.count))] } else { input.remove(at: at) }
                }
            }
            for kind in 0..<2 {
                do {
                    let updates = kind == 0 ? try HookInput.prePush(input) : try HookInput.preReceive(input)
                    for u in updates { #expect(u.ref.hasPrefix("refs/")); #expect(u.new.hex.count == 40) }
                    ok += 1
                } catch {
                    #expect(!error.message.isEmpty)
                    failed += 1
                }
            }
        }
        #expect(ok > 0 && failed > 0)
    }
}
