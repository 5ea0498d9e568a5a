import Foundation

/// What a finished process wrote and how it exited.
public struct RunResult: Sendable, CustomStringConvertible {
    public let status: Int32
    public let stdout: String
    public let stderr: String
    public var description: String { "exit \(status)\n--- stdout\n\(stdout)--- stderr\n\(stderr)" }
}

/// Runs a program (looked up on PATH when not absolute) and waits for it.
@discardableResult
public func run(_ program: String, _ arguments: [String], cwd: String? = nil, environment: [String: String]? = nil,
                stdin: Data? = nil) -> RunResult {
    _ = ignoreSIGPIPE
    let p = Process()
    if program.hasPrefix("/") { p.executableURL = URL(fileURLWithPath: program) } else {
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    }
    p.arguments = program.hasPrefix("/") ? arguments : [program] + arguments
    if let cwd { p.currentDirectoryURL = URL(fileURLWithPath: cwd) }
    if let environment { p.environment = environment }
    let out = Pipe(), err = Pipe(), inp = Pipe()
    p.standardOutput = out; p.standardError = err; p.standardInput = inp
    do { try p.run() } catch { return RunResult(status: 127, stdout: "", stderr: "cannot run \(program): \(error)") }
    // Read both pipes concurrently so a chatty child cannot block on a full pipe.
    nonisolated(unsafe) var outData = Data(), errData = Data()
    let group = DispatchGroup()
    group.enter(); DispatchQueue.global().async { outData = out.fileHandleForReading.readDataToEndOfFile(); group.leave() }
    group.enter(); DispatchQueue.global().async { errData = err.fileHandleForReading.readDataToEndOfFile(); group.leave() }
    if let stdin { try? inp.fileHandleForWriting.write(contentsOf: stdin) }
    try? inp.fileHandleForWriting.close()
    p.waitUntilExit()
    group.wait()
    return RunResult(status: p.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                     stderr: String(decoding: errData, as: UTF8.self))
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
