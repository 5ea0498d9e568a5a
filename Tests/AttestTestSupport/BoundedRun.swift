import Foundation

/// A run under a hard timeout (`timeout -s KILL`) with its peak memory measured by GNU time
/// (`/usr/bin/time -f %M`: the largest resident set of the process and of every descendant it
/// waited for, so `git push` includes the server's receive-pack and its hook).
public struct BoundedRun: Sendable, CustomStringConvertible {
    public let result: RunResult
    /// Peak resident set in KiB; 0 when time could not report it (the run was killed).
    public let peakKiB: Int
    /// The timeout killed it.
    public var timedOut: Bool { result.status == 137 }
    public var peakMiB: Double { Double(peakKiB) / 1024 }
    public var description: String { "\(result)\n--- peak \(peakKiB) KiB\(timedOut ? ", killed by the timeout" : "")" }
}

/// Runs `program` (resolved on PATH) with at most `seconds` of wall time.
public func boundedRun(_ program: String, _ arguments: [String], seconds: Int = 60, cwd: String? = nil,
                       environment: [String: String]? = nil, stdin: Data? = nil) -> BoundedRun {
    let report = NSTemporaryDirectory() + "attest-time-\(UUID().uuidString)"
    defer { try? FileManager.default.removeItem(atPath: report) }
    // `timeout` kills what it runs: never the faketime wrapper, which would leak its semaphore (FakeClock.swift).
    let (program, arguments, environment, fakeClock) = withoutFaketimeWrapper(program, arguments, environment)
    defer { if fakeClock { releaseFakeClock(environment) } }
    let r = run("timeout", ["-s", "KILL", String(seconds), "/usr/bin/time", "-f", "%M", "-o", report, program] + arguments,
                cwd: cwd, environment: environment, stdin: stdin)
    let text = (try? String(contentsOfFile: report, encoding: .utf8)) ?? ""
    let peak = text.split(separator: "\n").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }.last ?? 0
    return BoundedRun(result: r, peakKiB: peak)
}

/// The built attest binary under `boundedRun`, optionally under faketime at a UTC instant.
public func boundedAttest(_ arguments: [String], cwd: String, home: String, at fakeTime: String? = nil, seconds: Int = 60,
                          environment extra: [String: String] = [:], stdin: Data? = nil) -> BoundedRun {
    let env = testEnvironment(home: home, extra: extra)
    if let fakeTime {
        return boundedRun("faketime", ["-f", "@\(fakeTime)", attestBinary] + arguments, seconds: seconds, cwd: cwd, environment: env, stdin: stdin)
    }
    return boundedRun(attestBinary, arguments, seconds: seconds, cwd: cwd, environment: env, stdin: stdin)
}
