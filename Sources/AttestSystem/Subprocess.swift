import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Why a program could not be run at all (its own failure is its exit status, never an error).
public enum SubprocessError: SystemError, Equatable {
    /// No pipes could be made for the child's stdin, stdout and stderr.
    case noPipes(program: String, reason: String)
    /// `posix_spawn` refused to start it.
    case cannotStart(program: String, reason: String)
    /// The program does not exist (`onPath`: it was looked up on PATH).
    case notFound(program: String, onPath: Bool)

    public var description: String {
        switch self {
        case .noPipes(let program, let reason): return "cannot run \(program): no pipes (\(reason))"
        case .cannotStart(let program, let reason): return "cannot run \(program): \(reason); is it installed?"
        case .notFound(let program, let onPath): return "cannot run \(program): not found\(onPath ? " on PATH" : ""); install it or fix PATH"
        }
    }
}

/// Runs an external program (`ssh-keygen -Y sign`, `gpg --verify`, …) with bytes on stdin and
/// both outputs captured. Used where git itself shells out, so attest behaves as git does.
///
/// Built on `posix_spawn` and `waitpid`, not Foundation's `Process`: under libfaketime (how the
/// tests and the demo run attest at a chosen instant) `Process.waitUntilExit` can miss the exit
/// of a child that finishes quickly and wait forever.
public enum Subprocess {
    public struct Result: Sendable {
        public let status: Int32
        public let stdout: Data
        public let stderr: Data
        public var stderrText: String { String(decoding: stderr, as: UTF8.self) }
        public var stdoutText: String { String(decoding: stdout, as: UTF8.self) }
    }

    /// Runs `program` (absolute, or looked up on PATH) and waits. Throws only when the program
    /// cannot be started at all (not installed). `environment` replaces the
    /// process environment when given; `cwd` is the child's working directory.
    public static func run(_ program: String, _ arguments: [String], stdin: Data? = nil,
                           environment: [String: String]? = nil, cwd: String? = nil) throws(SubprocessError) -> Result {
        _ = ignoreSIGPIPE
        // A program without a slash is looked up on the child's PATH by env(1), as before;
        // env -C sets the working directory.
        var argv: [String]
        if program.contains("/") && cwd == nil {
            argv = [program] + arguments
        } else {
            argv = ["/usr/bin/env"] + (cwd.map { ["-C", $0] } ?? []) + [program] + arguments
        }
        let env = (environment ?? ProcessInfo.processInfo.environment).map { "\($0.key)=\($0.value)" }

        var inPipe: [Int32] = [-1, -1], outPipe: [Int32] = [-1, -1], errPipe: [Int32] = [-1, -1]
        // Close-on-exec: the child keeps only the ends dup2'ed onto 0, 1 and 2.
        func cloexecPipe(_ fds: inout [Int32]) -> Bool {
            guard pipe(&fds) == 0 else { return false }
            for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
            return true
        }
        guard cloexecPipe(&inPipe), cloexecPipe(&outPipe), cloexecPipe(&errPipe) else {
            for fd in inPipe + outPipe + errPipe where fd >= 0 { close(fd) }
            throw .noPipes(program: program, reason: reason())
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, inPipe[0], 0)
        posix_spawn_file_actions_adddup2(&actions, outPipe[1], 1)
        posix_spawn_file_actions_adddup2(&actions, errPipe[1], 2)
        // The child gets stdin, stdout and stderr and nothing else: no descriptor that another
        // thread has open at this moment (a script being written is "text file busy" to exec
        // while any process holds it open for writing; a pipe held open never reaches EOF).
        _ = addCloseFrom?(&actions, 3)

        var pid: pid_t = 0
        let cArgs = argv.map { strdup($0) } + [nil]
        let cEnv = env.map { strdup($0) } + [nil]
        defer { for p in cArgs + cEnv { free(p) } }
        let rc = posix_spawn(&pid, argv[0], &actions, nil, cArgs, cEnv)
        close(inPipe[0]); close(outPipe[1]); close(errPipe[1])
        guard rc == 0 else {
            close(inPipe[1]); close(outPipe[0]); close(errPipe[0])
            throw .cannotStart(program: program, reason: reason(rc))
        }

        // Drain both pipes while writing stdin, so neither side can fill a pipe and block.
        let box = Box()
        let group = DispatchGroup()
        let outFD = outPipe[0], errFD = errPipe[0]
        group.enter(); DispatchQueue.global().async { box.set(out: readAll(outFD)); group.leave() }
        group.enter(); DispatchQueue.global().async { box.set(err: readAll(errFD)); group.leave() }
        if let stdin, !stdin.isEmpty {
            stdin.withUnsafeBytes { p in
                var off = 0
                while off < p.count {
                    let n = write(inPipe[1], p.baseAddress! + off, p.count - off)
                    if n < 0 { if errno == EINTR { continue }; break } // EPIPE: the child stopped reading
                    off += n
                }
            }
        }
        close(inPipe[1])
        group.wait()
        close(outFD); close(errFD)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        // WIFEXITED / WEXITSTATUS, spelled out (the C macros are not imported).
        let exited = status & 0x7F == 0
        let code = exited ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
        // `env` itself reports a program missing from PATH with exit 127.
        if argv[0] == "/usr/bin/env", code == 127,
           String(decoding: box.err, as: UTF8.self).contains("No such file or directory") {
            throw .notFound(program: program, onPath: !program.contains("/"))
        }
        return Result(status: code, stdout: box.out, stderr: box.err)
    }

    private static let ignoreSIGPIPE: Bool = { signal(SIGPIPE, SIG_IGN); return true }()

    private static func readAll(_ fd: Int32) -> Data {
        var data = Data()
        var buf = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buf.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n > 0 { data.append(buf, count: n); continue }
            if n < 0 && errno == EINTR { continue }
            return data
        }
    }

    private final class Box: @unchecked Sendable {
        private let lock = NSLock()
        private(set) var out = Data()
        private(set) var err = Data()
        func set(out d: Data) { lock.lock(); out = d; lock.unlock() }
        func set(err d: Data) { lock.lock(); err = d; lock.unlock() }
    }
}

/// glibc's `posix_spawn_file_actions_addclosefrom_np` (2.34 and later), which Swift's Glibc
/// module does not declare; looked up once. Without it, children inherit open descriptors.
private let addCloseFrom: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32)? = {
    guard let sym = dlsym(nil, "posix_spawn_file_actions_addclosefrom_np") else { return nil }
    return unsafeBitCast(sym, to: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32).self)
}()
