import Foundation

/// A throwaway RFC 3161 time-stamping authority on 127.0.0.1 for one test (scripts/test-tsa):
/// its own CA and TSA certificate (critical extendedKeyUsage=timeStamping), made fresh in a
/// scratch folder, and `openssl ts -reply` behind python3's http.server on a free port.
///
/// ```swift
/// let tsa = try TestTSA(label: "Test TSA", at: "2026-10-03 12:00:00")   // the TSA's clock, via faketime
/// tsa.url, tsa.caFile                                                    // for tsa.url / tsa.caFile
/// tsa.mode = .httpError                                                  // the next answers fail
/// ```
///
/// The server stops when the value is released, when `stop()` is called, or by itself when
/// the test process has gone.
public final class TestTSA: @unchecked Sendable {
    public enum Mode: String, Sendable { case grant, reject, httpError = "http-500", garbage }

    public struct Failure: Error, CustomStringConvertible { public let description: String }

    public let scratch: Scratch
    public let label: String
    /// `http://127.0.0.1:PORT/tsa`, or "" when made with `serve: false`.
    public private(set) var url = ""
    /// The CA certificate (PEM) the TSA's certificate chains to.
    public var caFile: String { scratch.path + "/ca.pem" }
    /// The TSA's own certificate (PEM).
    public var certificateFile: String { scratch.path + "/tsa.pem" }
    private var wrapper: Process?
    private var serverPID: Int32 = 0

    /// Makes the CA and the TSA certificate; unless `serve` is false, starts the server, under
    /// `faketime` at `at` (UTC, "2026-10-03 12:00:00") when given.
    public init(label: String = "attest test TSA", at fakeTime: String? = nil, serve: Bool = true) throws {
        self.label = label
        scratch = Scratch("tsa")
        let made = run(packageRoot + "/scripts/test-tsa", ["init", scratch.path, label])
        guard made.status == 0 else { throw Failure(description: "scripts/test-tsa init failed: \(made)") }
        if serve { try start(at: fakeTime) }
    }

    /// What the next requests get.
    public var mode: Mode {
        get { Mode(rawValue: (scratch.read("mode") ?? "").trimmingCharacters(in: .whitespacesAndNewlines)) ?? .grant }
        set { scratch.write("mode", newValue.rawValue + "\n") }
    }

    private func start(at fakeTime: String?) throws {
        let p = Process()
        let script = packageRoot + "/scripts/test-tsa"
        let args = ["serve", scratch.path, "--parent", String(getpid())]
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = fakeTime.map { ["faketime", "-f", "@\($0)", script] + args } ?? [script] + args
        var env = ProcessInfo.processInfo.environment
        env["FAKETIME"] = nil; env["LD_PRELOAD"] = nil; env["TZ"] = "UTC"
        // Only the wall clock moves to the chosen instant; timeouts keep the real monotonic clock.
        env["FAKETIME_DONT_FAKE_MONOTONIC"] = "1"
        p.environment = env
        let log = FileHandle(forWritingAtPath: "/dev/null")
        p.standardOutput = log; p.standardError = log; p.standardInput = log
        try p.run()
        wrapper = p
        let deadline = Date().addingTimeInterval(15)
        while Date() < deadline {
            if let u = scratch.read("url"), let pid = scratch.read("pid").flatMap({ Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) }) {
                url = u.trimmingCharacters(in: .whitespacesAndNewlines)
                serverPID = pid
                return
            }
            if !p.isRunning { break }
            usleep(20_000)
        }
        stop()
        throw Failure(description: "the test TSA did not start within 15 s (scripts/test-tsa serve \(scratch.path))")
    }

    /// Stops the server (its URL then refuses connections). Safe to call twice.
    public func stop() {
        let pid = serverPID
        serverPID = 0
        if pid > 0 { kill(pid, SIGTERM) }
        guard let w = wrapper else { return }
        wrapper = nil
        if pid == 0, w.isRunning { w.terminate() }
        let deadline = Date().addingTimeInterval(5)
        while w.isRunning, Date() < deadline { usleep(10_000) }
        if w.isRunning {
            if pid > 0 { kill(pid, SIGKILL) }
            kill(w.processIdentifier, SIGKILL)
        }
        w.waitUntilExit()
    }

    deinit { stop() }
}
