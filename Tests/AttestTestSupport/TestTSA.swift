import Foundation

/// A throwaway RFC 3161 time-stamping authority on 127.0.0.1 for one test (scripts/test-tsa):
/// its own CA and TSA certificate (critical extendedKeyUsage=timeStamping), made fresh in a
/// scratch folder, and `openssl ts -reply` behind python3's http.server on a free port.
///
/// ```swift
/// let tsa = try TestTSA(label: "Test TSA", at: "2026-10-03 12:00:00")   // the TSA's clock, via faketime
/// tsa.url, tsa.caFile                                                    // for tsa.url / tsa.caFile
/// tsa.mode = .httpError                                                  // the next answers fail
/// try tsa.revoke(at: "2026-10-08 09:00:00", reason: "keyCompromise")     // the CA revokes the TSA certificate
/// tsa.revocationDown = true                                              // its CRL and OCSP URLs answer 503
/// ```
///
/// The same server is the CA's CRL distribution point (`GET /ca.crl`, a CRL issued at the
/// request) and OCSP responder (`POST /ocsp`, `openssl ocsp -index`), both named in the TSA
/// certificate; its port is fixed when the certificates are made (`port`).
///
/// The server stops when the value is released, when `stop()` is called, or by itself when
/// the test process has gone.
public final class TestTSA: @unchecked Sendable {
    public enum Mode: String, Sendable {
        case grant, reject, httpError = "http-500", garbage
        /// Hostile answers (issue #15): a 2 GiB Content-Length, an endless chunked body, a redirect to 127.0.0.2.
        case hugeLength = "huge-length", endless, redirectOther = "redirect-other"
    }

    public struct Failure: Error, CustomStringConvertible { public let description: String }

    public let scratch: Scratch
    public let label: String
    /// `http://127.0.0.1:PORT/tsa`, or "" when made with `serve: false`.
    public private(set) var url = ""
    /// The CA certificate (PEM) the TSA's certificate chains to.
    public var caFile: String { scratch.path + "/ca.pem" }
    /// The TSA's own certificate (PEM).
    public var certificateFile: String { scratch.path + "/tsa.pem" }
    /// The loopback port of the TSA, the CRL and the OCSP responder (named in the certificate).
    public var port: Int { Int((scratch.read("port") ?? "").trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0 }
    /// The CRL distribution point named in the TSA certificate.
    public var crlURL: String { "http://127.0.0.1:\(port)/ca.crl" }
    private var wrapper: Process?
    private var serverPID: Int32 = 0
    /// The faked clock's environment of the running server, released when it stops.
    private var clockEnvironment: [String: String]?

    /// Makes the CA and the TSA certificate; unless `serve` is false, starts the server, under
    /// `faketime` at `at` (UTC, "2026-10-03 12:00:00") when given.
    /// `validFrom`/`days`: a short-lived TSA certificate (UTC, "2025-06-01 00:00:00"), instead
    /// of 2020–2039.
    public init(label: String = "attest test TSA", at fakeTime: String? = nil, serve: Bool = true,
                validFrom: String? = nil, days: Int? = nil) throws {
        self.label = label
        scratch = Scratch("tsa")
        var args = ["init", scratch.path, label]
        if let validFrom { args += ["--tsa-from", validFrom] }
        if let days { args += ["--tsa-days", String(days)] }
        let made = run(packageRoot + "/scripts/test-tsa", args)
        guard made.status == 0 else { throw Failure(description: "scripts/test-tsa init failed: \(made)") }
        if serve { try start(at: fakeTime) }
    }

    /// What the next requests get.
    public var mode: Mode {
        get { Mode(rawValue: (scratch.read("mode") ?? "").trimmingCharacters(in: .whitespacesAndNewlines)) ?? .grant }
        set { scratch.write("mode", newValue.rawValue + "\n") }
    }

    /// When true, the CRL and OCSP URLs answer HTTP 503 (the TSA itself still answers).
    public var revocationDown: Bool {
        get { scratch.read("revocation-mode")?.trimmingCharacters(in: .whitespacesAndNewlines) == "down" }
        set { scratch.write("revocation-mode", newValue ? "down\n" : "ok\n") }
    }

    /// Revokes the TSA certificate in the CA's database, dated `time` (UTC); from then on the
    /// CRL lists it and the OCSP responder says revoked. `reason` as `openssl ca -crl_reason`.
    public func revoke(at time: String, reason: String = "superseded") throws {
        let r = run(packageRoot + "/scripts/test-tsa", ["revoke", scratch.path, time, reason])
        guard r.status == 0 else { throw Failure(description: "scripts/test-tsa revoke failed: \(r)") }
    }

    /// The CA's CRL as issued at `time` (UTC), PEM.
    public func crl(at time: String) throws -> Data {
        let r = run(packageRoot + "/scripts/test-tsa", ["crl", scratch.path, time])
        guard r.status == 0, let pem = scratch.read("crl.pem") else { throw Failure(description: "scripts/test-tsa crl failed: \(r)") }
        return Data(pem.utf8)
    }

    /// (Re)starts the server, under `faketime` at `at` when given; the port stays the same.
    public func restart(at fakeTime: String? = nil) throws {
        stop()
        try? FileManager.default.removeItem(atPath: scratch.path + "/url")
        try? FileManager.default.removeItem(atPath: scratch.path + "/pid")
        try start(at: fakeTime)
    }

    private func start(at fakeTime: String?) throws {
        let p = Process()
        let script = packageRoot + "/scripts/test-tsa"
        let args = ["serve", scratch.path, "--parent", String(getpid())]
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = [script] + args
        var env = ProcessInfo.processInfo.environment
        env["FAKETIME"] = nil; env["LD_PRELOAD"] = nil; env["TZ"] = "UTC"
        if let fakeTime { env = fakeClockEnvironment("@" + fakeTime, env); clockEnvironment = env }
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
        releaseFakeClock(clockEnvironment)
        clockEnvironment = nil
    }

    deinit { stop() }
}
