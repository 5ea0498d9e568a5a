import Foundation
import Testing
@testable import AttestGit
import AttestTestSupport

@Suite struct RawCommitTests {
    /// The payload of a signed commit is byte for byte the unsigned commit with the same
    /// tree, parent, dates and message, which `git commit-tree` makes without -S.
    @Test func payloadIsTheUnsignedCommit() throws {
        let repo = ScratchRepository("raw")
        repo.write("a.txt", "a\n")
        repo.commitAll("first")
        let key = repo.home + "/id_ed25519"
        run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", key])
        let env = ["GIT_AUTHOR_DATE": "2026-01-02T10:00:00Z", "GIT_COMMITTER_DATE": "2026-01-02T10:00:00Z"]
        let tree = repo.revParse("HEAD^{tree}")
        let signed = repo.git(["-c", "gpg.format=ssh", "-c", "user.signingKey=\(key)", "commit-tree", "-S", tree, "-p", "HEAD", "-m", "signed\n\nbody"], env: env)
            .stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let plain = repo.git(["commit-tree", tree, "-p", "HEAD", "-m", "signed\n\nbody"], env: env).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let r = try Repository.discover(from: repo.path)
        let c = try r.rawCommit(ObjectID(hex: signed)!)
        let unsigned = try r.readObject(ObjectID(hex: plain)!).bytes
        #expect(Array(c.signedPayload) == unsigned)
        #expect(c.signatureKind == .ssh)
        #expect(c.signature?.hasPrefix("-----BEGIN SSH SIGNATURE-----\n") == true)
        #expect(c.signature?.hasSuffix("-----END SSH SIGNATURE-----\n") == true)
        #expect(c.message == "signed\n\nbody\n")
        #expect(c.parents == [ObjectID(hex: repo.revParse("HEAD"))!])
        #expect(c.committer.date == Date(timeIntervalSince1970: 1_767_348_000))
        #expect(c.author.email == "olive@example.com")
        // git agrees on the signature text.
        let gitSig = repo.git(["cat-file", "commit", signed]).stdout
        #expect(gitSig.contains("gpgsig " + c.signature!.split(separator: "\n")[0]))
    }

    /// A signature block in the message body is message text: the commit is unsigned.
    @Test func signatureInBodyIsNotASignature() throws {
        let repo = ScratchRepository("rawbody")
        repo.write("a.txt", "a\n")
        let head = repo.commitAll("first")
        let tree = repo.revParse("HEAD^{tree}")
        let text = "tree \(tree)\nparent \(head)\nauthor A <a@x> 1767348000 +0000\ncommitter A <a@x> 1767348000 +0000\n\nmsg\ngpgsig -----BEGIN SSH SIGNATURE-----\n AAAA\n -----END SSH SIGNATURE-----\n"
        let id = repo.git(["hash-object", "-t", "commit", "-w", "--stdin"], stdin: Data(text.utf8)).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let c = try Repository.discover(from: repo.path).rawCommit(ObjectID(hex: id)!)
        #expect(c.signature == nil)
        #expect(Array(c.signedPayload) == Array(text.utf8))
        #expect(c.message.hasPrefix("msg\ngpgsig"))
    }

    @Test func malformedObjectsAreErrorsNotCrashes() {
        let id = ObjectID(hex: String(repeating: "1", count: 40))!
        let cases: [(String, String)] = [
            ("", "has no tree header"),
            ("tree xyz\n", "malformed tree header"),
            ("tree \(String(repeating: "a", count: 40))\nauthor nobody\n", "malformed author header"),
            ("tree \(String(repeating: "a", count: 40))\nauthor A <a> 99999999999999999999 +0000\ncommitter A <a> 1 +0000\n\n", "malformed author date"),
            ("tree \(String(repeating: "a", count: 40))\nauthor A <a> 1 +0000\n\nx", "lacks an author or committer"),
            ("tree \(String(repeating: "a", count: 40))\ngpgsig a\ngpgsig b\n", "two gpgsig headers"),
        ]
        for (text, expected) in cases {
            do { _ = try RawCommit.parse(id: id, bytes: Array(text.utf8)); Issue.record("parsed: \(text)") } catch {
                #expect(error.message.contains(expected), "\(error.message)")
            }
        }
    }

    @Test func folderTrackerSeesOnlyTheFolder() throws {
        let repo = ScratchRepository("folder")
        repo.write("README", "x\n")
        let c1 = repo.commitAll("one")
        repo.write("docs/attestation-log/2026-Q1.md", "q1\n")
        let c2 = repo.commitAll("two")
        repo.write("docs/other.md", "other\n")
        let c3 = repo.commitAll("three")
        repo.write("docs/attestation-log/2026-Q1.md", "q1 edited\n")
        repo.write("docs/attestation-log/2026-Q2.md", "q2\n")
        let c4 = repo.commitAll("four")
        repo.git(["rm", "-q", "docs/attestation-log/2026-Q1.md"])
        let c5 = repo.commitAll("five")
        let r = try Repository.discover(from: repo.path)
        let t = try FolderTracker(repository: r, folder: "docs/attestation-log")
        let ids = [c1, c2, c3, c4, c5].map { ObjectID(hex: $0)! }
        #expect(try ids.map { try t.touches($0) } == [false, true, false, true, true])
        #expect(try t.changes(from: ids[2], to: ids[3]) == [.init(path: "docs/attestation-log/2026-Q1.md", kind: .modified),
                                                           .init(path: "docs/attestation-log/2026-Q2.md", kind: .added)])
        #expect(try t.changes(from: ids[3], to: ids[4]) == [.init(path: "docs/attestation-log/2026-Q1.md", kind: .deleted)])
        // git agrees on which commits touch the folder.
        let gitSays = repo.git(["log", "--format=%H", "--", "docs/attestation-log"]).stdout.split(separator: "\n").map(String.init)
        #expect(Set(gitSays) == Set([c2, c4, c5]))
    }

    @Test func walkHidesAndIgnoresUnknownIds() throws {
        let repo = ScratchRepository("walk")
        let a = repo.commitAll("a"), b = repo.commitAll("b"), c = repo.commitAll("c")
        let r = try Repository.discover(from: repo.path)
        var seen: [String] = []
        let unknown = ObjectID(hex: String(repeating: "e", count: 40))!
        try r.walk(from: [ObjectID(hex: c)!], hiding: [ObjectID(hex: a)!, unknown]) { id in seen.append(id.hex); return true }
        #expect(seen == [c, b])
        #expect(r.contains(ObjectID(hex: a)!) && !r.contains(unknown))
    }

    /// The walk's one-pass check for attest in a message finds exactly what two plain
    /// substring searches of the message find, at every position, cut at every length, and
    /// never in the headers.
    @Test func mentionsAttestIsTheTwoSubstringSearches() throws {
        let header = "tree \(String(repeating: "a", count: 40))\nauthor Attest-Bot <attestation sign-off@example.com> 1 +0000\ncommitter C <c@example.com> 1 +0000\n\n"
        let phrases = ["Attest-Quarter: 2026-Q1", "Attest-", "Attest", "attestation sign-off", "attestation sign-of", "ttest-", "xattestation sign-offx",
                       "ops(compliance): Q1 2026 attestation sign-off", "attest-quarter", "Attestation sign-off", "AAttest-", "aattestation sign-off"]
        var checked = 0
        for phrase in phrases {
            for before in ["", "x", "subject\n\n", "ttest "] {
                let message = before + phrase
                for cut in 0...message.utf8.count {
                    let body = String(decoding: Array(message.utf8.prefix(cut)), as: UTF8.self)
                    let raw = Array((header + body).utf8)
                    let want = body.contains("Attest-") || body.contains("attestation sign-off")
                    #expect(raw.withUnsafeBufferPointer { CommitHeader.messageMentionsAttest($0) } == want, "\(body.debugDescription)")
                    checked += 1
                }
            }
        }
        #expect(checked > 500)
        #expect(Array(header.utf8).withUnsafeBufferPointer { CommitHeader.messageMentionsAttest($0) } == false, "headers are not the message")
    }
}
