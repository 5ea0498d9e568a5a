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
/// it does at start-up loses a Swift program's arguments. So each faked run gets a pair made
/// here under a name of its own (`FakeClockObjects.make`), removed when the run is over
/// (`releaseFakeClock`) or at the latest when the test process exits.
///
/// One pair per run, never one per test process: libfaketime holds the semaphore around every
/// faked `stat`, so a process SIGKILLed while holding it (the sign crash tests kill hundreds)
/// would block every later process sharing the pair.
///
/// `spec` is what `faketime -f` takes. "@YYYY-MM-DD HH:MM:SS" (the clock starts at that instant
/// and runs) becomes an offset from the real clock, so that every process of the run (git, its
/// hooks, openssl) sees one continuous clock, as the wrapper gave them, and no start time is kept
/// in the shared pair; a frozen "YYYY-MM-DD HH:MM:SS" or an offset is passed through. The instant
/// is read in the environment's `TZ` (the tests set UTC).
public func fakeClockEnvironment(_ spec: String, _ environment: [String: String]? = nil) -> [String: String] {
    var env = environment ?? ProcessInfo.processInfo.environment
    env["FAKETIME_SHARED"] = FakeClockObjects.make()
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

/// `faketime -f SPEC PROGRAM ARGS...` as PROGRAM ARGS... under `fakeClockEnvironment(SPEC)`
/// (`fakeClock` true: the caller releases it when the run is over); any other command as it is.
func withoutFaketimeWrapper(_ program: String, _ arguments: [String], _ environment: [String: String]?)
    -> (program: String, arguments: [String], environment: [String: String]?, fakeClock: Bool) {
    guard program == "faketime", arguments.count >= 3, arguments[0] == "-f" else { return (program, arguments, environment, false) }
    return (arguments[2], Array(arguments.dropFirst(3)), fakeClockEnvironment(arguments[1], environment), true)
}

/// Removes the libfaketime pair a `fakeClockEnvironment` made (nothing for any other
/// environment). Call it once the run and its children are over.
public func releaseFakeClock(_ environment: [String: String]?) {
    guard let shared = environment?["FAKETIME_SHARED"] else { return }
    FakeClockObjects.release(shared)
}

/// The libfaketime pairs ("SEM SHM") this test process made, each with a name no pid can collide
/// with, laid out as libfaketime's creator lays them out (no ticks counted, no start time kept).
enum FakeClockObjects {
    nonisolated(unsafe) private static var live: Set<String> = []
    private static let lock = NSLock()
    private static let cleanUpAtExit: Void = { atexit { FakeClockObjects.releaseAll() } }()

    static func make() -> String {
        _ = cleanUpAtExit
        let tag = "/attest-tests-faketime-\(getpid())-\(UInt64.random(in: 0...UInt64.max))"
        let (semName, shmName) = (tag + "-sem", tag + "-shm")
        guard let sem = sem_open(semName, O_CREAT | O_EXCL, 0o600, 1), sem != SEM_FAILED else {
            preconditionFailure("fakeClockEnvironment: sem_open \(semName): \(String(cString: strerror(errno)))")
        }
        sem_close(sem)
        let fd = shm_open(shmName, O_CREAT | O_EXCL | O_RDWR, 0o600)
        precondition(fd >= 0 && ftruncate(fd, 4096) == 0, "fakeClockEnvironment: shm_open \(shmName): \(String(cString: strerror(errno)))")
        // struct ft_shared_s: uint64 ticks, uint64 file_idx, then the start times (real, monotonic,
        // raw, boot: a timespec each) with tv_nsec -1 for "not set".
        var layout = [Int64](repeating: 0, count: 10)
        for nsec in stride(from: 3, to: 10, by: 2) { layout[nsec] = -1 }
        let written = layout.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        close(fd)
        precondition(written == 80, "fakeClockEnvironment: cannot lay out \(shmName)")
        let shared = semName + " " + shmName
        lock.lock(); live.insert(shared); lock.unlock()
        return shared
    }

    static func release(_ shared: String) {
        lock.lock()
        let ours = live.remove(shared) != nil
        lock.unlock()
        guard ours else { return }
        let names = shared.split(separator: " ").map(String.init)
        sem_unlink(names[0]); shm_unlink(names[1])
    }

    static func releaseAll() {
        lock.lock(); let all = live; lock.unlock()
        all.forEach(release)
    }
}
