import Foundation
import Testing
import AttestCore

@Suite struct SubprocessTests {
    @Test func capturesBothOutputsAndStatus() throws {
        let r = try Subprocess.run("sh", ["-c", "cat; echo oops >&2; exit 3"], stdin: Data("hello".utf8))
        #expect(r.status == 3 && r.stdoutText == "hello" && r.stderrText == "oops\n")
    }

    @Test func largeOutputDoesNotBlock() throws {
        let r = try Subprocess.run("sh", ["-c", "head -c 3000000 /dev/zero; head -c 3000000 /dev/zero >&2"])
        #expect(r.stdout.count == 3_000_000 && r.stderr.count == 3_000_000)
    }

    @Test func missingProgramIsEnvironmentError() {
        #expect(throws: AttestError.self) { try Subprocess.run("/nonexistent/prog", []) }
        #expect(throws: AttestError.self) { try Subprocess.run("no-such-program-attest", []) }
    }
}
