import Foundation

/// Runs an external program (`ssh-keygen -Y sign`, `gpg --verify`, …) with bytes on stdin and
/// both outputs captured. Used where git itself shells out, so attest behaves as git does.
public enum Subprocess {
    public struct Result: Sendable {
        public let status: Int32
        public let stdout: Data
        public let stderr: Data
        public var stderrText: String { String(decoding: stderr, as: UTF8.self) }
        public var stdoutText: String { String(decoding: stdout, as: UTF8.self) }
    }

    /// Runs `program` (absolute, or looked up on PATH) and waits. Throws `.environment` when
    /// the program cannot be started at all (not installed).
    public static func run(_ program: String, _ arguments: [String], stdin: Data? = nil,
                           environment: [String: String]? = nil, cwd: String? = nil) throws(AttestError) -> Result {
        let p = Process()
        if program.contains("/") {
            p.executableURL = URL(fileURLWithPath: program)
            p.arguments = arguments
        } else {
            p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            p.arguments = [program] + arguments
        }
        if let environment { p.environment = environment }
        if let cwd { p.currentDirectoryURL = URL(fileURLWithPath: cwd) }
        let out = Pipe(), err = Pipe(), inp = Pipe()
        p.standardOutput = out; p.standardError = err; p.standardInput = inp
        do { try p.run() } catch {
            throw .environment("cannot run \(program): \(error.localizedDescription); is it installed?")
        }
        // Drain both pipes while writing stdin, so neither side can fill a pipe and block.
        let box = Box()
        let group = DispatchGroup()
        group.enter(); DispatchQueue.global().async { box.set(out: out.fileHandleForReading.readDataToEndOfFile()); group.leave() }
        group.enter(); DispatchQueue.global().async { box.set(err: err.fileHandleForReading.readDataToEndOfFile()); group.leave() }
        if let stdin { try? inp.fileHandleForWriting.write(contentsOf: stdin) }
        try? inp.fileHandleForWriting.close()
        p.waitUntilExit()
        group.wait()
        // `env` itself reports a program missing from PATH with exit 127.
        if !program.contains("/"), p.terminationStatus == 127,
           String(decoding: box.err, as: UTF8.self).contains("No such file or directory") {
            throw .environment("cannot run \(program): not found on PATH; install it or fix PATH")
        }
        return Result(status: p.terminationStatus, stdout: box.out, stderr: box.err)
    }

    private final class Box: @unchecked Sendable {
        private let lock = NSLock()
        private(set) var out = Data()
        private(set) var err = Data()
        func set(out d: Data) { lock.lock(); out = d; lock.unlock() }
        func set(err d: Data) { lock.lock(); err = d; lock.unlock() }
    }
}
