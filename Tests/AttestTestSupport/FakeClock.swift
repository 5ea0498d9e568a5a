import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The environment that sets a child's wall clock with libfaketime, without the `faketime`
/// wrapper.
///
/// The wrapper (faketime 0.9.10) makes a POSIX semaphore and a shared-memory object named after
/// its own pid (`/dev/shm/sem.faketime_sem_PID`) and removes them only when it exits normally. A
/// wrapper killed by a test (a timeout, a crash test, a TSA stopped the hard way) leaks them, and
/// a later wrapper that gets the same pid fails before running anything:
/// `faketime: sem_open: File exists`. A long suite wraps pids (pid_max is 32768), so that
/// happened in CI. The library preloaded alone is no better: without `FAKETIME_SHARED` each
/// process makes its own pid-named pair, leaks it when it execs or is killed, and the `setenv`
/// it does at start-up loses a Swift program's arguments. So every faked clock of this test
/// process shares one pair made here under a name of its own and removed when the process exits
/// (`fakeClockObjects`).
///
/// `spec` is what `faketime -f` takes. "@YYYY-MM-DD HH:MM:SS" (the clock starts at that instant
/// and runs) becomes an offset from the real clock, so that every process of the run (git, its
/// hooks, openssl) sees one continuous clock, as the wrapper gave them, and no start time is kept
/// in the shared pair; a frozen "YYYY-MM-DD HH:MM:SS" or an offset is passed through. The instant
/// is read in the environment's `TZ` (the tests set UTC).
public func fakeClockEnvironment(_ spec: String, _ environment: [String: String]? = nil) -> [String: String] {
    var env = environment ?? ProcessInfo.processInfo.environment
    env["FAKETIME_SHARED"] = fakeClockObjects
    env["LD_PRELOAD"] = "/usr/$LIB/faketime/libfaketime.so.1"
    env["FAKETIME"] = spec
    if spec.hasPrefix("@") {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = env["TZ"].flatMap { TimeZone(identifier: $0) } ?? TimeZone.current
        f.dateFormat = "yyyy-MM-dd HH:mm:ss"
        guard let start = f.date(from: String(spec.dropFirst())) else {
            preconditionFailure("fakeClockEnvironment: '\(spec)' is not @YYYY-MM-DD HH:MM:SS")
        }
        env["FAKETIME"] = String(format: "%+.3f", start.timeIntervalSinceNow)
    }
    return env
}

/// `faketime -f SPEC PROGRAM ARGS...` as PROGRAM ARGS... under `fakeClockEnvironment(SPEC)`;
/// any other command as it is.
func withoutFaketimeWrapper(_ program: String, _ arguments: [String], _ environment: [String: String]?)
    -> (program: String, arguments: [String], environment: [String: String]?) {
    guard program == "faketime", arguments.count >= 3, arguments[0] == "-f" else { return (program, arguments, environment) }
    return (arguments[2], Array(arguments.dropFirst(3)), fakeClockEnvironment(arguments[1], environment))
}

/// "SEM SHM": the semaphore and the shared-memory object every faked clock of this process
/// shares, made once with a name no pid can collide with, laid out as libfaketime's creator lays
/// them out (no ticks counted, no start time kept), and removed at exit.
let fakeClockObjects: String = {
    let tag = "/attest-tests-faketime-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    fakeClockNames = (tag + "-sem", tag + "-shm")
    guard let sem = sem_open(fakeClockNames.sem, O_CREAT | O_EXCL, 0o600, 1), sem != SEM_FAILED else {
        preconditionFailure("fakeClockObjects: sem_open \(fakeClockNames.sem): \(String(cString: strerror(errno)))")
    }
    sem_close(sem)
    let fd = shm_open(fakeClockNames.shm, O_CREAT | O_EXCL | O_RDWR, 0o600)
    precondition(fd >= 0 && ftruncate(fd, 4096) == 0, "fakeClockObjects: shm_open \(fakeClockNames.shm): \(String(cString: strerror(errno)))")
    // struct ft_shared_s: uint64 ticks, uint64 file_idx, then the start times (real, monotonic,
    // raw, boot: a timespec each) with tv_nsec -1 for "not set".
    var layout = [Int64](repeating: 0, count: 10)
    for nsec in stride(from: 3, to: 10, by: 2) { layout[nsec] = -1 }
    let written = layout.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    precondition(written == 80, "fakeClockObjects: cannot lay out \(fakeClockNames.shm)")
    close(fd)
    atexit { sem_unlink(fakeClockNames.sem); shm_unlink(fakeClockNames.shm) }
    return fakeClockNames.sem + " " + fakeClockNames.shm
}()

nonisolated(unsafe) private var fakeClockNames = (sem: "", shm: "")
