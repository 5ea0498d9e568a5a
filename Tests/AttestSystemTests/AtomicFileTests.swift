import Foundation
import Testing
import AttestSystem
import AttestTestSupport

/// AtomicFile, the one whole-file writer (the attestation file, .gitignore, the hook shim, the
/// audit report, the export packet): the old file or the new one, never a part, and no
/// temporary file left behind.
@Suite struct AtomicFileTests {
    static func mode(_ path: String) -> mode_t {
        var st = stat()
        return lstat(path, &st) == 0 ? st.st_mode & 0o7777 : 0
    }

    /// The names in `folder` other than `keep`: a temporary file left behind shows up here.
    static func others(in folder: String, keep: Set<String>) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).filter { !keep.contains($0) }.sorted()
    }

    /// This process's umask, read without changing it (`umask(2)` would, for every thread).
    static func currentUmask() throws -> mode_t {
        let status = try String(contentsOfFile: "/proc/self/status", encoding: .utf8)
        let line = try #require(status.split(separator: "\n").first { $0.hasPrefix("Umask:") })
        return try #require(mode_t(line.dropFirst("Umask:".count).trimmingCharacters(in: .whitespaces), radix: 8))
    }

    @Test func replacesTheFileWithExactlyTheModeAsked() throws {
        let s = Scratch("atomic")
        let path = s.write("report.md", "old\n")
        chmod(path, 0o600)
        // 0666 is more than the usual umask (022) lets through: exact means exact.
        try AtomicFile(mode: 0o666).write("new\n", to: path)
        #expect(s.read("report.md") == "new\n")
        #expect(Self.mode(path) == 0o666, "\(String(Self.mode(path), radix: 8))")
        try AtomicFile(mode: 0o755).write("#!/bin/sh\n", to: path)
        #expect(Self.mode(path) == 0o755, "\(String(Self.mode(path), radix: 8))")
        #expect(Self.others(in: s.path, keep: ["report.md"]) == [])
    }

    @Test func umaskedTakesPermissionsAwayAndNeverAdds() throws {
        let s = Scratch("atomic")
        let mask = try Self.currentUmask()
        try AtomicFile(mode: 0o666, umasked: true).write("x", to: s.path + "/a.txt")
        #expect(Self.mode(s.path + "/a.txt") == 0o666 & ~mask, "umask \(String(mask, radix: 8)): \(String(Self.mode(s.path + "/a.txt"), radix: 8))")
        // Replacing a world-writable file does not keep its mode.
        let old = s.write("b.txt", "old")
        chmod(old, 0o666)
        try AtomicFile(mode: 0o600, umasked: true).write("new", to: old)
        #expect(Self.mode(old) == 0o600 & ~mask)
    }

    /// The rename fails (the target is a folder): the folder and what it holds are as they were,
    /// no temporary file is left, and the error names the target.
    @Test func aFailedWriteLeavesTheOldFileAndNoTemporaryFile() throws {
        let s = Scratch("atomic")
        s.write("target/inside.txt", "kept\n")
        let error = #expect(throws: AtomicFileError.self) { try AtomicFile(mode: 0o644).write("new\n", to: s.path + "/target") }
        guard case .cannotReplace(let path, _)? = error else { Issue.record("\(String(describing: error))"); return }
        #expect(path == s.path + "/target")
        #expect(error?.description.hasPrefix("cannot write \(s.path)/target: ") == true, "\(String(describing: error))")
        #expect(s.read("target/inside.txt") == "kept\n")
        #expect(Self.others(in: s.path, keep: ["target"]) == [])

        // A regular file that exists stays byte for byte when the write cannot even start.
        let kept = s.write("kept.txt", "old contents\n")
        let missing = #expect(throws: AtomicFileError.self) { try AtomicFile(mode: 0o644).write("new\n", to: s.path + "/no-such-folder/kept.txt") }
        #expect(missing?.description.contains("check the folder exists and is writable") == true, "\(String(describing: missing))")
        #expect(try String(contentsOfFile: kept, encoding: .utf8) == "old contents\n")
        #expect(!FileManager.default.fileExists(atPath: s.path + "/no-such-folder"))
        #expect(Self.others(in: s.path, keep: ["target", "kept.txt"]) == [])
    }

    @Test func createsTheFolderOnlyWhenAsked() throws {
        let s = Scratch("atomic")
        try AtomicFile(mode: 0o644, createsFolder: true).write("x\n", to: s.path + "/docs/attestation-log/2026-Q4.md")
        #expect(s.read("docs/attestation-log/2026-Q4.md") == "x\n")
        #expect(Self.others(in: s.path + "/docs/attestation-log", keep: ["2026-Q4.md"]) == [])
    }

    /// A symbolic link at the target is replaced, never written through (its target keeps its
    /// bytes); a device is written through only when the caller says so (`--out /dev/stdout`).
    @Test func aLinkIsReplacedAndADeviceWrittenThroughOnlyWhenAsked() throws {
        let s = Scratch("atomic")
        let victim = s.write("victim.txt", "victim\n")
        try FileManager.default.createSymbolicLink(atPath: s.path + "/link.txt", withDestinationPath: victim)
        try AtomicFile(mode: 0o644).write("new\n", to: s.path + "/link.txt")
        #expect(s.read("victim.txt") == "victim\n")
        #expect((try? FileManager.default.destinationOfSymbolicLink(atPath: s.path + "/link.txt")) == nil)
        #expect(s.read("link.txt") == "new\n")

        try AtomicFile(mode: 0o644, writesThroughSpecialFiles: true).write("discarded\n", to: "/dev/null")
        var st = stat()
        #expect(lstat("/dev/null", &st) == 0 && st.st_mode & S_IFMT == S_IFCHR)
    }
}

@Suite struct PathsTests {
    @Test(arguments: [
        ("report.html", "/home/ana/repo", "/home/ana/repo/report.html"),
        ("out/report.html", "/home/ana/repo", "/home/ana/repo/out/report.html"),
        ("../x.tar.gz", "/home/ana/repo", "/home/ana/repo/../x.tar.gz"),
        ("/tmp/report.html", "/home/ana/repo", "/tmp/report.html"),
        ("/", "/home/ana/repo", "/"),
        (".", "/", "//."),
    ])
    func resolvesAgainstTheFolder(_ path: String, _ folder: String, _ expected: String) {
        #expect(Paths.resolve(path, against: folder) == expected)
    }

    /// What the resolved path names is what the shell would open from that folder.
    @Test func agreesWithTheShell() throws {
        let s = Scratch("paths")
        s.write("sub/file.txt", "here\n")
        let resolved = Paths.resolve("sub/file.txt", against: s.path)
        let shell = run("sh", ["-c", "cat sub/file.txt"], cwd: s.path)
        #expect(shell.stdout == (try String(contentsOfFile: resolved, encoding: .utf8)))
    }
}

@Suite struct RegularFileTests {
    @Test func refusesWhatIsNotARegularFileSayingWhatItIs() throws {
        let s = Scratch("regular")
        #expect(mkfifo(s.path + "/pipe", 0o600) == 0)
        let fifo = #expect(throws: RegularFileError.self) { try RegularFile.read(s.path + "/pipe", what: "--pgaudit-log", maxBytes: 10) }
        #expect(fifo == .notARegularFile(what: "--pgaudit-log", path: s.path + "/pipe", kind: "a FIFO (named pipe)"))
        #expect(fifo?.description == "--pgaudit-log \(s.path)/pipe is a FIFO (named pipe), not a regular file; attest reads only regular files: give the path of a file")
        let dir = #expect(throws: RegularFileError.self) { try RegularFile.read(s.path, what: "the template", maxBytes: 10) }
        #expect(dir == .notARegularFile(what: "the template", path: s.path, kind: "a directory"))
    }

    @Test func capsTheSizeAndNamesTheLimit() throws {
        let s = Scratch("regular")
        let path = s.write("big.md", String(repeating: "x", count: 2048))
        let error = #expect(throws: RegularFileError.self) { try RegularFile.read(path, what: "the attestation file", maxBytes: 1024) }
        #expect(error?.description == "the attestation file \(path) has 2048 bytes, more than the 1 KiB attest reads of it (docs/limits.md)")
        #expect(try RegularFile.read(path, what: "the attestation file", maxBytes: 2048)?.count == 2048)
    }

    @Test func missingIsNilOnlyWhenAskedAndALinkIsRefusedWhenAsked() throws {
        let s = Scratch("regular")
        #expect(try RegularFile.read(s.path + "/none", what: "x", maxBytes: 1, missingIsNil: true) == nil)
        let missing = #expect(throws: RegularFileError.self) { try RegularFile.read(s.path + "/none", what: "the template", maxBytes: 1) }
        #expect(missing?.description == "cannot open the template \(s.path)/none: No such file or directory")
        let file = s.write("f.md", "x")
        try FileManager.default.createSymbolicLink(atPath: s.path + "/l.md", withDestinationPath: file)
        #expect(try RegularFile.read(s.path + "/l.md", what: "x", maxBytes: 1) == Data("x".utf8))
        let link = #expect(throws: RegularFileError.self) { try RegularFile.read(s.path + "/l.md", what: "the attestation file", maxBytes: 1, followSymlinks: false) }
        #expect(link == .symbolicLink(what: "the attestation file", path: s.path + "/l.md"))
    }
}

@Suite struct AtomicFolderTests {
    @Test func publishesOnceAndExchangesInOneStep() throws {
        let s = Scratch("folder")
        s.write("new/a.txt", "new\n")
        try AtomicFolder.publish(s.path + "/new", as: s.path + "/2026-Q4")
        #expect(s.read("2026-Q4/a.txt") == "new\n" && !FileManager.default.fileExists(atPath: s.path + "/new"))
        s.write("again/a.txt", "again\n")
        #expect(throws: AtomicFolderError.targetExists(target: s.path + "/2026-Q4")) { try AtomicFolder.publish(s.path + "/again", as: s.path + "/2026-Q4") }
        #expect(s.read("2026-Q4/a.txt") == "new\n" && s.read("again/a.txt") == "again\n")
        try AtomicFolder.exchange(s.path + "/again", with: s.path + "/2026-Q4")
        #expect(s.read("2026-Q4/a.txt") == "again\n" && s.read("again/a.txt") == "new\n")
    }
}
