import Foundation
import AttestCore
import AttestSystem

/// What a finished process wrote and how it exited.
public struct RunResult: Sendable, CustomStringConvertible {
    public let status: Int32
    public let stdout: String
    public let stderr: String
    public var description: String { "exit \(status)\n--- stdout\n\(stdout)--- stderr\n\(stderr)" }
}

/// Runs a program (looked up on PATH when not absolute) and waits for it.
///
/// Goes through `AttestSystem.Subprocess` (posix_spawn and waitpid): Foundation's `Process`
/// can wait forever for a child that starts a daemon (pg_ctl, ssh-agent) or runs under faketime.
@discardableResult
public func run(_ program: String, _ arguments: [String], cwd: String? = nil, environment: [String: String]? = nil,
                stdin: Data? = nil) -> RunResult {
    _ = ignoreSIGPIPE
    // `faketime -f SPEC CMD` runs CMD with libfaketime preloaded, not through the wrapper (FakeClock.swift).
    let (program, arguments, environment, fakeClock) = withoutFaketimeWrapper(program, arguments, environment)
    defer { if fakeClock { releaseFakeClock(environment) } }
    do {
        let r = try Subprocess.run(program, arguments, stdin: stdin, environment: environment, cwd: cwd)
        return RunResult(status: r.status, stdout: r.stdoutText, stderr: r.stderrText)
    } catch {
        return RunResult(status: 127, stdout: "", stderr: "cannot run \(program): \(error)")
    }
}

/// A child that exits before reading all of its stdin (a hook refusing hostile input) must
/// not kill the test process with SIGPIPE: the write fails instead.
private let ignoreSIGPIPE: Void = { signal(SIGPIPE, SIG_IGN) }()

/// A controlled environment for child processes: no system git config, HOME in a scratch
/// folder, C locale, no colour (git-lfs `t/testenv.sh`).
public func testEnvironment(home: String, extra: [String: String] = [:]) -> [String: String] {
    var env = ProcessInfo.processInfo.environment
    for k in env.keys where k.hasPrefix("GIT_") || k == "FAKETIME" || k == "LD_PRELOAD" || k == "ATTEST_DATABASE_URL" { env[k] = nil }
    env["GIT_CONFIG_NOSYSTEM"] = "1"
    env["HOME"] = home
    env["LC_ALL"] = "C"
    env["NO_COLOR"] = "1"
    env["TZ"] = "UTC"
    env["GIT_AUTHOR_NAME"] = nil
    for (k, v) in extra { env[k] = v }
    return env
}

/// Runs the built `attest` binary, optionally under `faketime` at a UTC instant
/// ("2026-10-03 12:00:00").
@discardableResult
public func attest(_ arguments: [String], cwd: String, home: String, at fakeTime: String? = nil,
                   environment extra: [String: String] = [:], stdin: Data? = nil) -> RunResult {
    let env = testEnvironment(home: home, extra: extra)
    if let fakeTime {
        return run("faketime", ["-f", "@\(fakeTime)", attestBinary] + arguments, cwd: cwd, environment: env, stdin: stdin)
    }
    return run(attestBinary, arguments, cwd: cwd, environment: env, stdin: stdin)
}
