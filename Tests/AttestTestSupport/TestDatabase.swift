import Foundation

/// The throwaway PostgreSQL cluster for the test run, with pgaudit loaded.
///
/// `make test` starts one cluster for the whole run and passes its socket folder in
/// `ATTEST_TEST_PGHOST`; when that is unset (`swift test` run directly), the first test that
/// asks starts one with `scripts/pg-throwaway` and stops it when the process exits. When `CI`
/// is set and no server can be had, `TestDatabase.shared` throws and the database tests fail
/// with the reason: they never skip.
public final class TestDatabase: @unchecked Sendable {
    /// The socket folder (PGHOST).
    public let host: String
    /// The cluster's folder: the server log is `dir/server.log`.
    public let dir: String
    public var logPath: String { dir + "/server.log" }

    private init(host: String, dir: String) { self.host = host; self.dir = dir }

    public struct Unavailable: Error, CustomStringConvertible { public let description: String }

    nonisolated(unsafe) private static var cached: Result<TestDatabase, Unavailable>?
    private static let lock = NSLock()

    public static func shared() throws -> TestDatabase {
        lock.lock(); defer { lock.unlock() }
        if let cached { return try cached.get() }
        let r = start()
        cached = r
        return try r.get()
    }

    private static func start() -> Result<TestDatabase, Unavailable> {
        let env = ProcessInfo.processInfo.environment
        if let host = env["ATTEST_TEST_PGHOST"], let dir = env["ATTEST_TEST_PGDIR"] {
            return .success(TestDatabase(host: host, dir: dir))
        }
        let dir = "/tmp/attest-pg-\(getpid())"
        // The server daemon inherits the starting script's stdout and stderr: were they pipes,
        // reading them to the end would wait for the server to exit. Send them to a file.
        let outFile = dir + ".start.log"
        let r = run("sh", ["-c", "\"$0\" start \"$1\" >\"$2\" 2>&1 </dev/null", packageRoot + "/scripts/pg-throwaway", dir, outFile])
        let startLog = (try? String(contentsOfFile: outFile, encoding: .utf8)) ?? ""
        try? FileManager.default.removeItem(atPath: outFile)
        guard r.status == 0 else {
            return .failure(Unavailable(description: "cannot start the throwaway PostgreSQL with scripts/pg-throwaway: \(startLog)"))
        }
        atexit { _ = run(packageRoot + "/scripts/pg-throwaway", ["stop", "/tmp/attest-pg-\(getpid())"]) }
        return .success(TestDatabase(host: dir + "/socket", dir: dir))
    }

    /// A conninfo for a database of this cluster.
    public func conninfo(database: String = "postgres", user: String = "postgres") -> String {
        "host=\(host) port=5432 dbname=\(database) user=\(user)"
    }

    /// Creates a fresh, empty database with a unique name and returns its name.
    public func createDatabase(_ label: String = "t") throws -> String {
        let name = "\(label)_\(UUID().uuidString.prefix(8).lowercased())"
        try psql("CREATE DATABASE \(name)")
        return name
    }

    /// Runs SQL through `psql` (an independent client) and returns its output (unaligned, no headers).
    @discardableResult
    public func psql(_ sql: String, database: String = "postgres") throws -> String {
        let r = run("psql", ["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", host, "-U", "postgres", "-d", database],
                    stdin: Data(sql.utf8))
        guard r.status == 0 else { throw Unavailable(description: "psql failed: \(r.stderr)") }
        return r.stdout
    }

    /// Runs a SQL file through `psql`.
    public func psqlFile(_ path: String, database: String) throws {
        let r = run("psql", ["-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", host, "-U", "postgres", "-d", database, "-f", path])
        guard r.status == 0 else { throw Unavailable(description: "psql -f \(path) failed: \(r.stderr)") }
    }
}
