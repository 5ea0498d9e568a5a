import Foundation
import Testing
import AttestSystem

@Suite struct SubprocessTests {
    @Test func capturesBothOutputsAndStatus() throws {
        let r = try Subprocess.run("sh", ["-c", "cat; echo oops >&2; exit 3"], stdin: Data("hello".utf8))
        #expect(r.status == 3 && r.stdoutText == "hello" && r.stderrText == "oops\n")
    }

    @Test func largeOutputDoesNotBlock() throws {
        let r = try Subprocess.run("sh", ["-c", "head -c 3000000 /dev/zero; head -c 3000000 /dev/zero >&2"])
        #expect(r.stdout.count == 3_000_000 && r.stderr.count == 3_000_000)
    }

    /// A program that cannot be started is an error of its own (the CLI states it as an
    /// environment error, exit 3), with the sentence attest has always printed.
    @Test func missingProgramIsAnError() {
        let absolute = #expect(throws: SubprocessError.self) { try Subprocess.run("/nonexistent/prog", []) }
        #expect(absolute?.description.hasPrefix("cannot run /nonexistent/prog: ") == true, "\(String(describing: absolute))")
        let onPath = #expect(throws: SubprocessError.self) { try Subprocess.run("no-such-program-attest", []) }
        #expect(onPath == .notFound(program: "no-such-program-attest", onPath: true))
        #expect(onPath?.description == "cannot run no-such-program-attest: not found on PATH; install it or fix PATH")
    }
}

@Suite struct SubprocessDescriptorTests {
    /// A child sees stdin, stdout and stderr only: a descriptor the parent has open (here a
    /// file opened without close-on-exec) is not inherited.
    @Test func childInheritsOnlyTheThreeStandardDescriptors() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("attest-fd-\(UUID().uuidString)").path
        let first = open(path, O_CREAT | O_WRONLY, 0o600)
        try #require(first > 2)
        // Far above the few descriptors `ls` opens itself.
        let fd = fcntl(first, F_DUPFD, 100)
        close(first)
        try #require(fd >= 100)
        defer { close(fd); unlink(path) }
        let r = try Subprocess.run("sh", ["-c", "ls /proc/self/fd"])
        let fds = Set(r.stdoutText.split(separator: "\n").compactMap { Int($0) })
        #expect(!fds.contains(Int(fd)), "child inherited fd \(fd): \(fds.sorted())")
        #expect(fds.isSuperset(of: [0, 1, 2]))
    }
}
