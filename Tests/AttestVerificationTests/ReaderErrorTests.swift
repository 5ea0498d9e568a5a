import Foundation
import Testing
import AttestCore
import AttestGit
import AttestControls
import AttestVerification
import AttestTestSupport

/// Issue 14: the fact readers (SignoffInspector, TrustedTime, ControlCatalogue, Renewal) throw
/// `VerificationError` with the facts as payloads (which commit, which file, git's or the
/// domain parse's own error); the words and the exit code are AttestCLI's (ErrorReportTests).
/// Real repositories; git itself says what is committed and what the store holds.
@Suite struct ReaderErrorTests {
    func id(_ hex: String) throws -> ObjectID { try #require(ObjectID(hex: hex)) }

    @Test func anAllowedSignersFileThatDoesNotParseAtACommitIsNamedWithTheParseError() throws {
        let repo = ScratchRepository("reader-signers")
        let path = Policy().allowedSignersFile
        repo.write(path, "olive@example.com ssh-ed25519 AAAA-not-base64\n")
        let bad = try id(repo.commitAll("a broken allowed-signers file"))
        let r = try Repository.discover(from: repo.path)
        // git holds the committed bytes; AttestCore's own parse of them is the oracle for the cause.
        let bytes = repo.git(["cat-file", "blob", "\(bad.hex):\(path)"]).stdout
        let expected = #expect(throws: AttestError.self) { try AllowedSigners(parsing: bytes, path: "\(path)@\(bad.short)") }
        let e = #expect(throws: VerificationError.self) { try SignoffInspector.allowedSigners(in: r, commit: bad, policy: Policy()) }
        guard case .allowedSignersInvalid(let named, let cause)? = e else { Issue.record("\(String(describing: e))"); return }
        #expect(named == "\(path)@\(bad.short)")
        #expect(cause == expected)
        #expect(cause.description.hasPrefix("\(path)@\(bad.short):1: "), "\(cause)")
        #expect(e?.description == cause.description)
        // The evidence inspector reads the same file the same way.
        let viaEvidence = #expect(throws: VerificationError.self) { try SignoffInspector.forEvidence(r, policy: Policy(), at: bad) }
        #expect(viaEvidence?.description == e?.description)
        // The commit before it (no file) has no allowed signers: nil, not an error.
        repo.git(["rm", "-q", path])
        let none = try id(repo.commitAll("no allowed-signers file"))
        #expect(try SignoffInspector.allowedSigners(in: r, commit: none, policy: Policy()) == nil)
    }

    @Test func aCommitTheStoreLacksIsNamedByEveryReader() throws {
        let repo = ScratchRepository("reader-missing")
        repo.write("README", "start\n")
        let head = try id(repo.commitAll("start"))
        let r = try Repository.discover(from: repo.path)
        // An id git has never seen: hash-object without -w writes nothing.
        let absent = try id(repo.git(["hash-object", "--stdin"], stdin: Data("never written\n".utf8)).stdout.trimmingCharacters(in: .whitespacesAndNewlines))
        #expect(repo.git(["cat-file", "-e", absent.hex], check: false).status != 0)
        let inspector = SignoffInspector(repository: r, policy: Policy(), allowedSigners: nil)
        let e = #expect(throws: VerificationError.self) { try inspector.commit(absent) }
        guard case .commitUnreadable(let named, let cause)? = e else { Issue.record("\(String(describing: e))"); return }
        #expect(named == absent)
        #expect(cause.isNotFound, "\(cause)")
        #expect(e?.description == "cannot read commit \(absent.short): \(cause.message)")
        // The same through report(for:), which reads the commit first.
        let viaReport = #expect(throws: VerificationError.self) { try inspector.report(for: absent, now: Date()) }
        #expect(viaReport?.description == e?.description)
        // The control catalogue of that commit: the controls cannot be read, naming it.
        let controls = #expect(throws: VerificationError.self) { try ControlCatalogue.files(at: absent, repository: r, policy: Policy()) }
        guard case .controlsUnreadable(let at, _)? = controls else { Issue.record("\(String(describing: controls))"); return }
        #expect(at == absent)
        // A commit it has is read: no error, its id.
        #expect(try inspector.commit(head).id == head)
    }

    @Test func aControlFileThatDoesNotParseIsNamedWithItsCommit() throws {
        let repo = ScratchRepository("reader-control")
        let folder = Policy().controlsFolder
        repo.write(folder + "/08-backups.sql", "-- not a header\nselect 1;\n")
        let c = try id(repo.commitAll("a control file without its header"))
        let r = try Repository.discover(from: repo.path)
        // Unparsed, the file is listed with git's own digest of its bytes.
        let listed = try ControlCatalogue.files(at: c, repository: r, policy: Policy()).files
        let sha = repo.git(["cat-file", "blob", "\(c.hex):\(folder)/08-backups.sql"]).stdout
        #expect(listed.map(\.path) == ["\(folder)/08-backups.sql"])
        #expect(listed.first?.sha256 == Self.sha256(sha))
        let e = #expect(throws: VerificationError.self) { try ControlCatalogue.at(c, repository: r, policy: Policy()) }
        guard case .controlFileInvalid(let at, let cause)? = e else { Issue.record("\(String(describing: e))"); return }
        #expect(at == c)
        #expect(cause.path == "\(folder)/08-backups.sql")
        #expect(e?.description == "control file \(cause.description) (at \(c.short))")
        // The judge's facts carry the same sentence as the catalogue's problem.
        #expect(ControlCatalogue.judged(at: c, repository: r, policy: Policy()).problem == e?.description)
    }

    /// sha256sum's digest of the bytes.
    static func sha256(_ text: String) -> String {
        String(run("sha256sum", [], stdin: Data(text.utf8)).stdout.prefix(64))
    }
}
