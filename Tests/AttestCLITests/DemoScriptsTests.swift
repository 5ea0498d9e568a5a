import Foundation
import Testing
import AttestTestSupport

/// `scripts/pg-throwaway start` checks, before initdb, that the cluster's owner can reach DIR,
/// and says which folder stops it in one line (exit 3) instead of failing later.
@Suite struct PgThrowawayTests {
    @Test func aFolderTheOwnerCannotSearchIsNamedInOneLine() throws {
        let scratch = Scratch("pg-reach")
        let closed = scratch.path + "/closed"
        // As root the server runs as postgres, who cannot search a 0700 folder of root's; as
        // anyone else it runs as that user, who cannot search a 0600 folder of their own.
        let mode = getuid() == 0 ? 0o700 : 0o600
        try FileManager.default.createDirectory(atPath: closed, withIntermediateDirectories: false)
        defer { chmod(closed, 0o700) }
        chmod(closed, mode_t(mode))
        let r = run(packageRoot + "/scripts/pg-throwaway", ["start", closed + "/pg"])
        #expect(r.status == 3, "\(r)")
        #expect(r.stdout.isEmpty, "\(r)")
        let lines = r.stderr.split(separator: "\n")
        #expect(lines.count == 1, "\(r)")
        let owner = getuid() == 0 ? "postgres" : NSUserName()
        #expect(r.stderr.hasPrefix("pg-throwaway: the \(owner) user cannot reach \(closed)/pg: \(closed) is d"), "\(r)")
        #expect(r.stderr.contains("chmod o+x \(closed)"), "\(r)")
        chmod(closed, 0o700)
        #expect(!FileManager.default.fileExists(atPath: closed + "/pg"), "nothing is created when the check fails")
    }
}

/// `scripts/install-deps` (the first thing `make demo` and `make test` run) as an ordinary user:
/// with every package installed it says nothing and exits 0, without root and without sudo.
/// (Its other branch, a missing package for a user who cannot sudo, prints the packages and the
/// apt-get line and exits 3; it needs a machine without a package, so it is checked by hand.)
@Suite struct InstallDepsTests {
    @Test func anOrdinaryUserWithEverythingInstalledIsToldNothing() throws {
        let script = packageRoot + "/scripts/install-deps"
        // As root, run it as `nobody`, from a copy it can read (the clone may be 0700).
        let scratch = Scratch("deps")
        let copy = scratch.path + "/install-deps"
        try FileManager.default.copyItem(atPath: script, toPath: copy)
        chmod(scratch.path, 0o755)
        chmod(copy, 0o755)
        let r = getuid() == 0 ? run("runuser", ["-u", "nobody", "--", copy], cwd: "/") : run(copy, [], cwd: "/")
        #expect(r.status == 0 && r.stdout.isEmpty && r.stderr.isEmpty, "\(r)")
    }
}
