import Foundation
import Testing
import AttestTestSupport

/// Sealed evidence end to end (issue #18, docs/evidence.md): the built binary under faketime,
/// openssl, tar and sha256sum as the oracles, git as the record.
@Suite struct EvidenceCLITests {
    /// A compliance repository with two recipients committed (an RSA auditor, an EC operator)
    /// and their keys outside it, plus a stranger's key.
    final class World: @unchecked Sendable {
        let c = ComplianceRepo("evidence")
        let keys: RecipientFixture
        init() {
            keys = RecipientFixture(folder: c.repo.scratch.path + "/keys")
            keys.make("auditor", .rsa); keys.make("operator", .ec); keys.make("stranger", .rsa); keys.make("newauditor", .ec)
            for n in ["auditor", "operator"] {
                c.write(".attest/recipients/\(n).pem", try! String(contentsOfFile: keys.cert(n), encoding: .utf8))
            }
            c.repo.commitAll("recipients", date: "2025-12-01T11:00:00Z")
        }

        /// Evidence, render and sign of one quarter inside its window.
        @discardableResult
        func sign(_ q: String, render: String, sign: String) -> RunResult {
            c.evidence(q, salt: q)
            let r = c.attest(["render", "--quarter", q], at: render)
            precondition(r.status == 0, "render \(q): \(r)")
            return c.attest(["sign", "--quarter", q], at: sign)
        }

        /// The docs' first step: the sealed blob out of git into a file.
        func extract(_ q: String, to file: String) {
            let r = run("/bin/sh", ["-c", "git cat-file blob refs/attest/evidence/\(q):\(q).p7m > '\(file)'"], cwd: c.path, environment: c.repo.environment)
            precondition(r.status == 0, "\(r)")
        }

        func sealedBlob(_ q: String) -> String {
            let msg = c.git(["log", "-1", "--format=%B", "--grep=Attest-Quarter: \(q)"]).stdout
            let t = c.git(["interpret-trailers", "--parse"], stdin: msg).stdout
            return t.split(separator: "\n").first { $0.hasPrefix("Attest-Sealed-Evidence: ") }.map { String($0.dropFirst(24)) } ?? ""
        }
    }

    static let year: [(q: String, render: String, sign: String)] = [
        ("2026-Q1", "2025-12-30 09:00:00", "2026-01-02 12:00:00"),
        ("2026-Q2", "2026-03-30 09:00:00", "2026-04-02 12:00:00"),
        ("2026-Q3", "2026-06-30 09:00:00", "2026-07-02 12:00:00"),
        ("2026-Q4", "2026-10-02 09:30:00", "2026-10-04 12:00:00"),
    ]

    @Test func aYearSealedToRSAAndECOpensWithOpenSSLAloneForEachRecipient() throws {
        let w = World()
        for y in Self.year {
            let r = w.sign(y.q, render: y.render, sign: y.sign)
            #expect(r.status == 0, "\(y.q): \(r)")
            #expect(r.stdout.contains("evidence sealed for 2 recipients: refs/attest/evidence/\(y.q)"), "\(r.stdout)")
            let blob = w.sealedBlob(y.q)
            #expect(blob.count == 40, "\(y.q)")
            // The trailer names the blob the evidence ref holds, as git sees it.
            #expect(w.c.git(["rev-parse", "refs/attest/evidence/\(y.q):\(y.q).p7m"]).stdout == blob + "\n")
            #expect(w.c.git(["cat-file", "-t", blob]).stdout == "blob\n")
            let out = w.c.repo.scratch.path + "/out-\(y.q)"
            try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
            w.extract(y.q, to: "\(out)/\(y.q).p7m")
            for who in ["auditor", "operator"] {
                let dir = out + "/" + who
                try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
                try FileManager.default.copyItem(atPath: "\(out)/\(y.q).p7m", toPath: "\(dir)/\(y.q).p7m")
                try FileManager.default.copyItem(atPath: w.keys.cert(who), toPath: "\(dir)/auditor.pem")
                try FileManager.default.copyItem(atPath: w.keys.key(who), toPath: "\(dir)/auditor.key")
                // docs/evidence.md, verbatim.
                let recipe = "openssl cms -decrypt -inform DER -in \(y.q).p7m -recip auditor.pem -inkey auditor.key | tar -x && sha256sum -c SHA256SUMS"
                let r = run("/bin/sh", ["-c", recipe], cwd: dir)
                #expect(r.status == 0, "\(y.q) \(who): \(r)")
                #expect(r.stdout.contains("CC6.7-rbac-grants-audit.csv: OK"), "\(r.stdout)")
                // SHA256SUMS is the one the sign-off's Attest-Evidence names.
                let manifest = w.c.sha256(w.c.path + "/evidence/\(y.q)/SHA256SUMS")
                #expect(w.c.sha256(dir + "/SHA256SUMS") == manifest)
            }
            let bad = run("/bin/sh", ["-c", "openssl cms -decrypt -inform DER -in \(y.q).p7m -recip \(w.keys.cert("stranger")) -inkey \(w.keys.key("stranger")) | tar -x"], cwd: out)
            #expect(bad.status != 0 || !FileManager.default.fileExists(atPath: out + "/SHA256SUMS"))
            #expect(!FileManager.default.fileExists(atPath: out + "/SHA256SUMS"))
            // attest's own open with the key, then its refusal for the stranger.
            let opened = w.c.attest(["evidence", "open", "--quarter", y.q, "--key", w.keys.key("auditor"), "--cert", w.keys.cert("auditor"), "--out", out + "/attest"])
            #expect(opened.status == 0, "\(opened)")
            var st = stat()
            #expect(stat(out + "/attest", &st) == 0 && st.st_mode & 0o777 == 0o700)
            #expect(stat(out + "/attest/SHA256SUMS", &st) == 0 && st.st_mode & 0o777 == 0o600)
            let stranger = w.c.attest(["evidence", "open", "--quarter", y.q, "--key", w.keys.key("stranger"), "--out", out + "/s"])
            #expect(stranger.status == 1, "\(stranger)")
            #expect(stranger.stderr.contains("does not open this sealed evidence"), "\(stranger.stderr)")
            #expect(!FileManager.default.fileExists(atPath: out + "/s"))
        }
        // The branch does not carry the evidence: a plain clone has no evidence ref.
        let clone = w.c.repo.scratch.path + "/clone"
        #expect(run("git", ["clone", "-q", w.c.path, clone]).status == 0)
        #expect(run("git", ["for-each-ref", "refs/attest"], cwd: clone).stdout.isEmpty)
        // Keys never enter the repository.
        #expect(!w.c.git(["grep", "-I", "-l", "PRIVATE KEY", "HEAD"], check: false).stdout.contains("PRIVATE"))
        #expect(w.c.git(["grep", "-l", "PRIVATE KEY", "HEAD", "--"], check: false).stdout.isEmpty)
    }

    @Test func sealAfterSigningAndRefusals() throws {
        let w = World()
        // Signed before any recipient was configured.
        w.c.git(["rm", "-q", "-r", ".attest/recipients"])
        w.c.repo.commitAll("no recipients yet", date: "2026-09-01T12:00:00Z")
        let r = w.sign("2026-Q4", render: "2026-10-02 09:30:00", sign: "2026-10-04 12:00:00")
        #expect(r.status == 0, "\(r)")
        #expect(!r.stdout.contains("evidence sealed"))
        #expect(w.sealedBlob("2026-Q4").isEmpty)
        let none = w.c.attest(["evidence", "seal", "--quarter", "2026-Q4"], at: "2026-10-05 12:00:00")
        #expect(none.status == 1 && none.stderr.contains("no recipient certificates"), "\(none)")
        // A recipient file with a private key is refused.
        w.c.write(".attest/recipients/auditor.pem", try String(contentsOfFile: w.keys.cert("auditor"), encoding: .utf8) + String(contentsOfFile: w.keys.key("auditor"), encoding: .utf8))
        let withKey = w.c.attest(["evidence", "seal", "--quarter", "2026-Q4"], at: "2026-10-05 12:00:00")
        #expect(withKey.status == 1 && withKey.stderr.contains("holds a private key"), "\(withKey)")
        w.c.write(".attest/recipients/auditor.pem", try String(contentsOfFile: w.keys.cert("auditor"), encoding: .utf8))
        // An evidence file changed since signing: refused, nothing sealed.
        let file = "evidence/2026-Q4/CC6.1-role-assignment.csv"
        let original = w.c.read(file)
        w.c.write(file, original + "tampered\n")
        let changed = w.c.attest(["evidence", "seal", "--quarter", "2026-Q4"], at: "2026-10-05 12:00:00")
        #expect(changed.status == 1 && changed.stderr.contains("CC6.1-role-assignment.csv"), "\(changed)")
        #expect(w.c.git(["for-each-ref", "refs/attest"]).stdout.isEmpty)
        w.c.write(file, original)
        let ok = w.c.attest(["evidence", "seal", "--quarter", "2026-Q4"], at: "2026-10-05 12:00:00")
        #expect(ok.status == 0, "\(ok)")
        #expect(ok.stdout.contains("for 1 recipient:"))
        let again = w.c.attest(["evidence", "seal", "--quarter", "2026-Q4"], at: "2026-10-05 12:00:00")
        #expect(again.status == 1 && again.stderr.contains("already exists"), "\(again)")
        let msg = w.c.git(["log", "-1", "--format=%B", "refs/attest/evidence/2026-Q4"]).stdout
        #expect(msg.contains("Attest-Evidence-Action: seal"))
        #expect(msg.contains("Attest-Signoff: \(w.c.head())"))
        let opened = w.c.attest(["evidence", "open", "--quarter", "2026-Q4", "--key", w.keys.key("auditor"), "--out", w.c.repo.scratch.path + "/o"])
        #expect(opened.status == 0, "\(opened)")
    }

    @Test func resealLetsTheNewAuditorDecryptAndKeepsTheOldBlobInHistory() throws {
        let w = World()
        #expect(w.sign("2026-Q4", render: "2026-10-02 09:30:00", sign: "2026-10-04 12:00:00").status == 0)
        let oldBlob = w.sealedBlob("2026-Q4")
        let before = w.c.git(["rev-parse", "refs/attest/evidence/2026-Q4"]).stdout
        let out = w.c.repo.scratch.path
        let auditBefore = Self.auditQ4(w.c.path, home: w.c.repo.home, at: "2027-02-01 09:00:00")
        let denied = w.c.attest(["evidence", "open", "--quarter", "2026-Q4", "--key", w.keys.key("newauditor"), "--out", out + "/n0"])
        #expect(denied.status == 1)
        // Not a current recipient: refused.
        let notRecipient = w.c.attest(["evidence", "reseal", "--quarter", "2026-Q4", "--key", w.keys.key("stranger"), "--add-recipient", w.keys.cert("newauditor")], at: "2027-02-01 10:00:00")
        #expect(notRecipient.status == 1, "\(notRecipient)")
        let r = w.c.attest(["evidence", "reseal", "--quarter", "2026-Q4", "--key", w.keys.key("operator"), "--add-recipient", w.keys.cert("newauditor")], at: "2027-02-01 10:00:00")
        #expect(r.status == 0, "\(r)")
        #expect(r.stdout.contains("now for 3 recipients"))
        // Appended: the old commit is the parent, the old blob stays in history.
        #expect(w.c.git(["rev-parse", "refs/attest/evidence/2026-Q4~1"]).stdout == before)
        #expect(w.c.git(["rev-parse", "refs/attest/evidence/2026-Q4~1:2026-Q4.p7m"]).stdout == oldBlob + "\n")
        #expect(w.c.git(["rev-parse", "refs/attest/evidence/2026-Q4:2026-Q4.p7m"]).stdout != oldBlob + "\n")
        #expect(w.c.git(["ls-tree", "--name-only", "refs/attest/evidence/2026-Q4:recipients"]).stdout.split(separator: "\n").count == 3)
        // The new auditor decrypts with openssl alone; the old ones still can.
        w.extract("2026-Q4", to: "\(out)/new.p7m")
        for who in ["newauditor", "auditor"] {
            let dir = out + "/r-" + who
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            let x = run("/bin/sh", ["-c", "openssl cms -decrypt -inform DER -in ../new.p7m -recip \(w.keys.cert(who)) -inkey \(w.keys.key(who)) | tar -x && sha256sum -c SHA256SUMS"], cwd: dir)
            #expect(x.status == 0, "\(who): \(x)")
        }
        // Adding the same recipient again changes nothing.
        let twice = w.c.attest(["evidence", "reseal", "--quarter", "2026-Q4", "--key", w.keys.key("operator"), "--add-recipient", w.keys.cert("newauditor")], at: "2027-02-01 10:00:00")
        #expect(twice.status == 1 && twice.stderr.contains("already a recipient"), "\(twice)")
        // verify's verdict is unchanged, and so is audit's (only the evidence line says resealed).
        #expect(w.c.attest(["verify"], at: "2027-02-01 11:00:00").status == 0)
        let auditAfter = Self.auditQ4(w.c.path, home: w.c.repo.home, at: "2027-02-01 11:00:00")
        #expect(auditAfter.status == auditBefore.status && auditAfter.flags == auditBefore.flags && auditAfter.evidence["sealed"] as? String == auditBefore.evidence["sealed"] as? String,
                "\(auditBefore.raw)\n\(auditAfter.raw)")
        #expect((auditAfter.evidence["detail"] as? String ?? "").contains("resealed 1 time since"), "\(auditAfter.evidence)")
        // The same evidence packed twice (seal, then reseal) is the same archive, byte for byte,
        // under different ciphertext: openssl's output for the old and the new blob.
        w.extract("2026-Q4", to: "\(out)/tip.p7m")
        #expect(run("/bin/sh", ["-c", "git cat-file blob \(oldBlob) > '\(out)/old.p7m'"], cwd: w.c.path, environment: w.c.repo.environment).status == 0)
        for b in ["tip", "old"] {
            #expect(run("openssl", ["cms", "-decrypt", "-inform", "DER", "-in", "\(out)/\(b).p7m", "-recip", w.keys.cert("auditor"), "-inkey", w.keys.key("auditor"), "-out", "\(out)/\(b).tar"]).status == 0)
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: "\(out)/tip.tar")) == Data(contentsOf: URL(fileURLWithPath: "\(out)/old.tar")))
        #expect(try Data(contentsOf: URL(fileURLWithPath: "\(out)/tip.p7m")) != Data(contentsOf: URL(fileURLWithPath: "\(out)/old.p7m")))
        let archiveTrailer = { (rev: String) in w.c.git(["log", "-1", "--format=%(trailers:key=Attest-Archive-SHA256,valueonly)", rev]).stdout.trimmingCharacters(in: .whitespacesAndNewlines) }
        #expect(archiveTrailer("refs/attest/evidence/2026-Q4") == w.c.sha256("\(out)/tip.tar") && archiveTrailer("refs/attest/evidence/2026-Q4~1") == w.c.sha256("\(out)/old.tar"))
    }

    @Test func disposalIsRefusedBeforeRetentionAndRecordedAfter() throws {
        let w = World()
        #expect(w.sign("2026-Q4", render: "2026-10-02 09:30:00", sign: "2026-10-04 12:00:00").status == 0)
        let early = w.c.attest(["evidence", "dispose", "--quarter", "2026-Q4"], at: "2033-10-01 12:00:00")
        #expect(early.status == 1 && early.stderr.contains("kept until 2033-10-06"), "\(early)")
        #expect(!w.c.git(["for-each-ref", "refs/attest"]).stdout.isEmpty)
        let blob = w.sealedBlob("2026-Q4")
        let r = w.c.attest(["evidence", "dispose", "--quarter", "2026-Q4"], at: "2033-10-07 12:00:00")
        #expect(r.status == 0, "\(r)")
        #expect(r.stdout.contains("git push origin main :refs/attest/evidence/2026-Q4"), "\(r.stdout)")
        #expect(w.c.git(["for-each-ref", "refs/attest"]).stdout.isEmpty)
        let record = w.c.git(["show", "HEAD:docs/attestation-log/dispositions/2026-Q4.md"]).stdout
        #expect(record.contains("Sealed blob: \(blob)"))
        #expect(record.contains("evidence.retentionYears = 7"))
        #expect(record.contains("Disposed: 2033-10-07T12:00:00Z"))
        let trailers = w.c.git(["interpret-trailers", "--parse"], stdin: w.c.git(["log", "-1", "--format=%B"]).stdout).stdout
        #expect(trailers.contains("Attest-Disposed: 2026-Q4\nAttest-Disposed-Blob: \(blob)\n"), "\(trailers)")
    }

    // MARK: audit

    /// `attest audit --json` for 2026-Q4 in `cwd`: exit status, the quarter's flags and evidence object.
    static func auditQ4(_ cwd: String, home: String, _ extra: [String] = [], at time: String = "2026-11-01 12:00:00") -> (status: Int32, flags: [String], evidence: [String: Any], raw: RunResult) {
        let r = attest(["audit", "--from", "2026-10-01", "--to", "2026-12-31", "--json"] + extra, cwd: cwd, home: home, at: time)
        let doc = (try? JSONSerialization.jsonObject(with: Data(r.stdout.utf8))) as? [String: Any] ?? [:]
        let q = AuditCLITests.quarters(doc)["2026-Q4"] ?? [:]
        return (r.status, q["flags"] as? [String] ?? [], q["evidence"] as? [String: Any] ?? [:], r)
    }

    @Test func auditOnACloneChecksTheSealedBlobWithoutAKeyAndTheContentsWithOne() throws {
        let w = World()
        #expect(w.sign("2026-Q4", render: "2026-10-02 09:30:00", sign: "2026-10-04 12:00:00").status == 0)
        let blob = w.sealedBlob("2026-Q4")
        let home = w.c.repo.home
        let clone = w.c.repo.scratch.path + "/clone"
        #expect(run("git", ["clone", "-q", w.c.path, clone], environment: w.c.repo.environment).status == 0)
        // A plain clone: the sign-off names a blob the clone has not fetched.
        let plain = Self.auditQ4(clone, home: home)
        #expect(plain.evidence["sealed"] as? String == "ref-missing", "\(plain.raw)")
        #expect(!plain.flags.contains("evidence-mismatch"))
        let fetched = run("git", ["fetch", "-q", "origin", "refs/attest/evidence/*:refs/attest/evidence/*"], cwd: clone, environment: w.c.repo.environment)
        #expect(fetched.status == 0, "\(fetched)")
        let noKey = Self.auditQ4(clone, home: home)
        #expect(noKey.status == 0, "\(noKey.raw)")
        #expect(noKey.evidence["sealed"] as? String == "sealed-unopened")
        #expect((noKey.evidence["detail"] as? String ?? "").contains("sealed blob \(blob.prefix(12)) as signed"), "\(noKey.evidence)")
        let withKey = Self.auditQ4(clone, home: home, ["--key", w.keys.key("auditor"), "--cert", w.keys.cert("auditor")])
        #expect(withKey.status == 0, "\(withKey.raw)")
        #expect(withKey.evidence["sealed"] as? String == "sealed-opened-match", "\(withKey.evidence)")
        let text = attest(["audit", "--from", "2026-10-01", "--to", "2026-12-31", "--key", w.keys.key("operator")], cwd: clone, home: home, at: "2026-11-01 12:00:00")
        #expect(text.stdout.contains("opened with \(w.keys.key("operator")): every file matches SHA256SUMS"), "\(text)")
        // verify --key opens the sign-off's sealed evidence as audit --key does.
        let verified = attest(["verify", "--key", w.keys.key("auditor"), "--cert", w.keys.cert("auditor")], cwd: clone, home: home, at: "2026-11-01 12:00:00")
        #expect(verified.status == 0, "\(verified)")
        #expect(verified.stdout.contains("note: sealed evidence in refs/attest/evidence/2026-Q4: blob \(blob.prefix(12)) as signed; opened with \(w.keys.key("auditor")): \(w.c.read("evidence/2026-Q4/SHA256SUMS").split(separator: "\n").count + 1) files, every file matches SHA256SUMS"), "\(verified)")
        let verifiedJSON = attest(["verify", "--json", "--key", w.keys.key("operator")], cwd: clone, home: home, at: "2026-11-01 12:00:00")
        let sealedJSON = (try? JSONSerialization.jsonObject(with: Data(verifiedJSON.stdout.utf8)) as? [String: Any])?["sealedEvidence"] as? [String: Any]
        #expect(verifiedJSON.status == 0 && sealedJSON?["ok"] as? Bool == true, "\(verifiedJSON)")
        // A key that is not a recipient: an error naming who can open it, not a pass.
        let strangerVerify = attest(["verify", "--key", w.keys.key("stranger")], cwd: clone, home: home, at: "2026-11-01 12:00:00")
        #expect(strangerVerify.status == 1 && !strangerVerify.stdout.contains("ok:"), "\(strangerVerify)")
        #expect(strangerVerify.stderr.contains("does not open this sealed evidence"), "\(strangerVerify)")
        #expect(strangerVerify.stderr.contains("refs/attest/evidence/2026-Q4 is sealed to: O=Raxx Test,CN=") && strangerVerify.stderr.contains("O=Raxx Test,CN=operator (EC P-256, sha256 ") && strangerVerify.stderr.contains("O=Raxx Test,CN=auditor (RSA 2048, sha256 "), "\(strangerVerify.stderr)")
        let certAlone = attest(["verify", "--cert", w.keys.cert("auditor")], cwd: clone, home: home, at: "2026-11-01 12:00:00")
        #expect(certAlone.status == 2 && certAlone.stderr.contains("--cert goes with --key"), "\(certAlone)")

        @discardableResult func git(_ args: [String], stdin: Data? = nil) -> String {
            let env = testEnvironment(home: home, extra: ["GIT_AUTHOR_NAME": "Mallory", "GIT_AUTHOR_EMAIL": "m@example.com",
                                                          "GIT_COMMITTER_NAME": "Mallory", "GIT_COMMITTER_EMAIL": "m@example.com"])
            let r = run("git", args, cwd: clone, environment: env, stdin: stdin)
            precondition(r.status == 0, "git \(args): \(r)")
            return r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        let tip = git(["rev-parse", "refs/attest/evidence/2026-Q4"])
        let sealedPath = clone + "/sealed.p7m"
        #expect(run("/bin/sh", ["-c", "git cat-file blob \(blob) > \(sealedPath)"], cwd: clone, environment: w.c.repo.environment).status == 0)

        // A flipped byte in the sealed blob, as a hand-made commit on the ref: caught without a key.
        var bytes = try Data(contentsOf: URL(fileURLWithPath: sealedPath))
        bytes[bytes.count / 2] ^= 0x01
        let flippedBlob = git(["hash-object", "-w", "--stdin"], stdin: bytes)
        let flippedTree = git(["mktree"], stdin: Data("100644 blob \(flippedBlob)\t2026-Q4.p7m\n".utf8))
        let flipped = git(["commit-tree", flippedTree, "-p", tip, "-m", "evidence: 2026-Q4 sealed"])
        git(["update-ref", "refs/attest/evidence/2026-Q4", flipped])
        let caught = Self.auditQ4(clone, home: home)
        #expect(caught.status == 1, "\(caught.raw)")
        #expect(caught.flags.contains("evidence-mismatch"))
        #expect(caught.evidence["sealed"] as? String == "sealed-mismatch")
        let verify = attest(["verify"], cwd: clone, home: home, at: "2026-11-01 12:00:00")
        #expect(verify.status == 1 && verify.stdout.contains("FAILED: evidence-mismatch: sealed evidence"), "\(verify)")

        // A tampered file inside, resealed by hand with a forged reseal record: only a key can tell.
        let work = clone + "/tamper"
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        let manifest = w.c.sha256(w.c.path + "/evidence/2026-Q4/SHA256SUMS")
        let forge = run("/bin/sh", ["-c", """
            openssl cms -decrypt -inform DER -in ../sealed.p7m -recip \(w.keys.cert("auditor")) -inkey \(w.keys.key("auditor")) | tar -x &&
            echo 'grant to mallory' >> CC6.7-rbac-grants-audit.csv &&
            tar -cf ../forged.tar * && openssl cms -encrypt -binary -aes-256-gcm -outform DER -in ../forged.tar -out ../forged.p7m \(w.keys.cert("auditor"))
            """], cwd: work)
        #expect(forge.status == 0, "\(forge)")
        let forgedBlob = git(["hash-object", "-w", clone + "/forged.p7m"])
        let forgedTree = git(["mktree"], stdin: Data("100644 blob \(forgedBlob)\t2026-Q4.p7m\n".utf8))
        let forged = git(["commit-tree", forgedTree, "-p", tip, "-m", """
            attest evidence: 2026-Q4 resealed

            Attest-Evidence-Quarter: 2026-Q4
            Attest-Evidence-Action: reseal
            Attest-Evidence: \(manifest)
            Attest-Sealed-Blob: \(forgedBlob)
            Attest-Previous-Blob: \(blob)
            """])
        git(["update-ref", "refs/attest/evidence/2026-Q4", forged])
        let fooled = Self.auditQ4(clone, home: home)
        #expect(!fooled.flags.contains("evidence-mismatch"), "\(fooled.raw)")
        #expect((fooled.evidence["detail"] as? String ?? "").contains("resealed 1 time"))
        let tampered = Self.auditQ4(clone, home: home, ["--key", w.keys.key("auditor")])
        #expect(tampered.status == 1, "\(tampered.raw)")
        #expect(tampered.flags.contains("evidence-mismatch"))
        #expect(tampered.evidence["sealed"] as? String == "sealed-opened-mismatch")
        #expect((tampered.evidence["detail"] as? String ?? "").contains("CC6.7-rbac-grants-audit.csv"), "\(tampered.evidence)")
        // verify without a key reads it as a reseal; with a key it finds the changed file.
        #expect(attest(["verify"], cwd: clone, home: home, at: "2026-11-01 12:00:00").status == 0)
        let verifyTampered = attest(["verify", "--key", w.keys.key("auditor")], cwd: clone, home: home, at: "2026-11-01 12:00:00")
        #expect(verifyTampered.status == 1, "\(verifyTampered)")
        #expect(verifyTampered.stdout.contains("FAILED: evidence-mismatch: sealed evidence in refs/attest/evidence/2026-Q4") && verifyTampered.stdout.contains("CC6.7-rbac-grants-audit.csv in the sealed archive"), "\(verifyTampered.stdout)")
    }

    @Test func auditSaysDisposedAfterDisposition() throws {
        let w = World()
        #expect(w.sign("2026-Q4", render: "2026-10-02 09:30:00", sign: "2026-10-04 12:00:00").status == 0)
        #expect(w.c.attest(["evidence", "dispose", "--quarter", "2026-Q4"], at: "2033-10-07 12:00:00").status == 0)
        let a = Self.auditQ4(w.c.path, home: w.c.repo.home, at: "2033-10-07 13:00:00")
        #expect(a.evidence["sealed"] as? String == "disposed", "\(a.raw)")
        #expect((a.evidence["detail"] as? String ?? "").contains("disposed under policy"))
        #expect(!a.flags.contains("evidence-mismatch"))
    }

    // MARK: push

    @Test func theSignoffReachesTheServerOnlyWithItsSealedEvidenceAndTheRefIsAppendOnlyUntilDisposal() throws {
        let w = World()
        let client = w.c.repo
        let server = client.scratch.path + "/server.git"
        #expect(run("git", ["init", "-q", "--bare", "-b", "main", server], environment: client.environment).status == 0)
        client.git(["remote", "add", "origin", server])
        client.git(["push", "-q", "origin", "main"])
        #expect(client.attest(["hook", "install"]).status == 0)
        #expect(attest(["hook", "install"], cwd: server, home: client.home).status == 0)
        #expect(w.sign("2026-Q4", render: "2026-10-02 09:30:00", sign: "2026-10-04 12:00:00").status == 0)
        func push(_ args: [String], at time: String = "2026-10-04 13:00:00") -> RunResult {
            run("faketime", ["-f", "@\(time)", "git", "push"] + args, cwd: client.path, environment: client.environment)
        }
        func serverRef(_ ref: String) -> String {
            run("git", ["--git-dir", server, "rev-parse", "--verify", "-q", ref], environment: client.environment).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        let named = "git push origin main refs/attest/evidence/2026-Q4"
        let prePush = push(["origin", "main"])
        #expect(prePush.status != 0, "\(prePush)")
        #expect(prePush.stderr.contains("neither in this push nor on origin; push both: \(named)"), "\(prePush.stderr)")
        let preReceive = push(["--no-verify", "origin", "main"])
        #expect(preReceive.status != 0, "\(preReceive)")
        #expect(preReceive.stderr.contains("is not on this server after the push"), "\(preReceive.stderr)")
        #expect(serverRef("main") != w.c.head())
        // The command the message names, verbatim.
        let both = run("faketime", ["-f", "@2026-10-04 13:00:00", "/bin/sh", "-c", named], cwd: client.path, environment: client.environment)
        #expect(both.status == 0, "\(both)")
        #expect(serverRef("main") == w.c.head())
        let tip = client.revParse("refs/attest/evidence/2026-Q4")
        #expect(serverRef("refs/attest/evidence/2026-Q4") == tip)

        // A rewrite of the ref (a new root commit) is refused by both hooks.
        let tree = client.revParse("refs/attest/evidence/2026-Q4^{tree}")
        let rewrite = client.git(["commit-tree", tree, "-m", "rewritten"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        client.git(["update-ref", "refs/attest/evidence/2026-Q4", rewrite])
        let forced = push(["--no-verify", "-f", "origin", "refs/attest/evidence/2026-Q4"], at: "2027-01-10 10:00:00")
        #expect(forced.status != 0 && forced.stderr.contains("append-only"), "\(forced)")
        #expect(serverRef("refs/attest/evidence/2026-Q4") == tip)
        client.git(["update-ref", "refs/attest/evidence/2026-Q4", tip])
        // Deleting it before retention ends: refused.
        let early = push(["--no-verify", "origin", ":refs/attest/evidence/2026-Q4"], at: "2030-01-10 10:00:00")
        #expect(early.status != 0 && early.stderr.contains("refused until 2033-10-06"), "\(early)")
        #expect(serverRef("refs/attest/evidence/2026-Q4") == tip)

        // Seven years later: dispose, push the record and the deletion the output names.
        let d = w.c.attest(["evidence", "dispose", "--quarter", "2026-Q4"], at: "2033-10-07 12:00:00")
        #expect(d.status == 0, "\(d)")
        let command = try #require(d.stdout.split(separator: "\n").first { $0.hasPrefix("next: ") }).dropFirst(6)
        let late = run("faketime", ["-f", "@2033-10-07 12:05:00", "/bin/sh", "-c", String(command)], cwd: client.path, environment: client.environment)
        #expect(late.status == 0, "\(late)")
        #expect(serverRef("refs/attest/evidence/2026-Q4").isEmpty)
        #expect(serverRef("main") == w.c.head())
        // A fresh clone of the server: audit says disposed, not missing.
        let fresh = client.scratch.path + "/fresh"
        #expect(run("git", ["clone", "-q", server, fresh], environment: client.environment).status == 0)
        let a = Self.auditQ4(fresh, home: client.home, at: "2033-10-08 10:00:00")
        #expect(a.evidence["sealed"] as? String == "disposed", "\(a.raw)")
    }

    /// `attest init` configures the push refspecs so that a plain `git push` sends the evidence
    /// refs with the branch; run before the remote exists, it says so and leaves git's
    /// configuration alone (a remote with settings cannot be added by 'git remote add').
    @Test func initMakesAPlainGitPushSendTheEvidenceWithTheBranch() throws {
        let w = World()
        let client = w.c.repo
        let first = w.c.attest(["init"])
        #expect(first.status == 0 && first.stdout.contains("skipped git push configuration (no remote yet;") && first.stdout.contains("run 'attest init' again"), "\(first)")
        #expect(w.c.git(["config", "--get-all", "remote.origin.push"], check: false).stdout.isEmpty)
        let server = client.scratch.path + "/server.git"
        #expect(run("git", ["init", "-q", "--bare", "-b", "main", server], environment: client.environment).status == 0)
        #expect(w.c.git(["remote", "add", "origin", server], check: false).status == 0)
        #expect(w.c.git(["push", "-q", "origin", "main"], check: false).status == 0)
        #expect(client.attest(["hook", "install"]).status == 0)
        #expect(attest(["hook", "install"], cwd: server, home: client.home).status == 0)
        let configured = w.c.attest(["init"])
        #expect(configured.stdout.contains("configured git push: remote.origin.push = HEAD, refs/attest/evidence/*:refs/attest/evidence/*"), "\(configured)")
        let refspecs = "HEAD\nrefs/attest/evidence/*:refs/attest/evidence/*\n"
        #expect(w.c.git(["config", "--get-all", "remote.origin.push"]).stdout == refspecs)
        let again = w.c.attest(["init"])
        #expect(again.stdout.contains("skipped git push configuration (remote.origin.push already sends refs/attest/evidence/*)"), "\(again)")
        #expect(w.c.git(["config", "--get-all", "remote.origin.push"]).stdout == refspecs)

        #expect(w.sign("2026-Q4", render: "2026-10-02 09:30:00", sign: "2026-10-04 12:00:00").status == 0)
        func serverRef(_ ref: String) -> String {
            run("git", ["--git-dir", server, "rev-parse", "--verify", "-q", ref], environment: client.environment).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        // `git push` alone: pre-push and pre-receive pass, the server has the branch and the ref.
        let push = run("faketime", ["-f", "@2026-10-04 13:00:00", "git", "push"], cwd: client.path, environment: client.environment)
        #expect(push.status == 0, "\(push)")
        #expect(serverRef("main") == w.c.head())
        #expect(serverRef("refs/attest/evidence/2026-Q4") == client.revParse("refs/attest/evidence/2026-Q4"))
        // A reseal appends; the next plain push sends it.
        #expect(w.c.attest(["evidence", "reseal", "--quarter", "2026-Q4", "--key", w.keys.key("operator"), "--add-recipient", w.keys.cert("newauditor")], at: "2027-02-01 10:00:00").status == 0)
        let resealed = run("faketime", ["-f", "@2027-02-01 10:05:00", "git", "push"], cwd: client.path, environment: client.environment)
        #expect(resealed.status == 0, "\(resealed)")
        #expect(serverRef("refs/attest/evidence/2026-Q4") == client.revParse("refs/attest/evidence/2026-Q4"))

        // A remote that already lists push refspecs keeps them and gains only the evidence one.
        let other = ComplianceRepo("evidence-push")
        #expect(other.git(["remote", "add", "origin", server], check: false).status == 0)
        other.git(["config", "remote.origin.push", "refs/heads/main:refs/heads/release"])
        #expect(other.attest(["init"]).stdout.contains("configured git push: remote.origin.push = refs/attest/evidence/*:refs/attest/evidence/*"))
        #expect(other.git(["config", "--get-all", "remote.origin.push"]).stdout == "refs/heads/main:refs/heads/release\nrefs/attest/evidence/*:refs/attest/evidence/*\n")
    }

    /// Under signing.required, every evidence commit (seal, reseal) and the disposition record
    /// are signed as sign-offs are: an unsigned reseal, or one signed with a key the allowed
    /// signers do not list, is flagged by audit and verify and refused by pre-receive; a
    /// deletion after retention needs the signed disposition record on the pushed branch or the
    /// server's.
    @Test func resealsAndDispositionsAreSignedAsSignoffsAreUnderSigningRequired() throws {
        let w = World()
        let c = w.c, client = c.repo
        let nina = SignoffFixture.sshKey(in: client, name: "nina"), stranger = SignoffFixture.sshKey(in: client, name: "stranger")
        c.write(".attest/allowed_signers", SignoffFixture.allowedSignersLine(key: nina, principal: "nina@raxx.example") + "\n")
        c.write(".attestconfig", c.read(".attestconfig") + "\n[signing]\n\trequired = true\n")
        client.commitAll("signers", date: "2026-09-01T12:00:00Z")
        c.git(["config", "gpg.format", "ssh"]); c.git(["config", "commit.gpgSign", "true"]); c.git(["config", "user.signingKey", nina])
        let server = client.scratch.path + "/server.git"
        #expect(run("git", ["init", "-q", "--bare", "-b", "main", server], environment: client.environment).status == 0)
        c.git(["remote", "add", "origin", server])
        c.git(["push", "-q", "origin", "main"])
        #expect(client.attest(["hook", "install"]).status == 0)
        #expect(attest(["hook", "install"], cwd: server, home: client.home).status == 0)
        #expect(w.sign("2026-Q4", render: "2026-10-02 09:30:00", sign: "2026-10-04 12:00:00").status == 0)
        let ref = "refs/attest/evidence/2026-Q4"
        #expect(c.git(["verify-commit", ref], env: ["GIT_CONFIG_COUNT": "1", "GIT_CONFIG_KEY_0": "gpg.ssh.allowedSignersFile", "GIT_CONFIG_VALUE_0": c.path + "/.attest/allowed_signers"], check: false).status == 0,
                "the seal commit is signed with the sign-off's key")
        func push(_ args: [String], at time: String) -> RunResult {
            run("faketime", ["-f", "@\(time)", "git", "push"] + args, cwd: client.path, environment: client.environment)
        }
        func serverRef(_ r: String) -> String {
            run("git", ["--git-dir", server, "rev-parse", "--verify", "-q", r], environment: client.environment).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        #expect(push(["origin", "main", ref], at: "2026-10-04 13:00:00").status == 0)
        let sealed = client.revParse(ref)
        #expect(Self.auditQ4(c.path, home: client.home).flags.isEmpty)

        // An unsigned reseal (signing.required turned off on the command line, gpgSign off).
        c.git(["config", "commit.gpgSign", "false"])
        let refusedBySign = c.attest(["evidence", "reseal", "--quarter", "2026-Q4", "--key", w.keys.key("operator"), "--add-recipient", w.keys.cert("newauditor")], at: "2027-02-01 10:00:00")
        #expect(refusedBySign.status == 1 && refusedBySign.stderr.contains("signing.required is true but git's commit.gpgSign is not"), "\(refusedBySign)")
        let unsigned = c.attest(["-c", "signing.required=false", "evidence", "reseal", "--quarter", "2026-Q4", "--key", w.keys.key("operator"), "--add-recipient", w.keys.cert("newauditor")], at: "2027-02-01 10:00:00")
        #expect(unsigned.status == 0, "\(unsigned)")
        let unsignedTip = client.revParse(ref)
        let a1 = Self.auditQ4(c.path, home: client.home, at: "2027-02-01 11:00:00")
        #expect(a1.status == 1 && a1.flags == ["evidence-mismatch"], "\(a1.raw)")
        #expect((a1.evidence["detail"] as? String ?? "").contains("\(ref) reseal commit \(unsignedTip.prefix(12)) by "), "\(a1.evidence)")
        #expect((a1.evidence["detail"] as? String ?? "").contains("the commit is not signed and signing.required is true"), "\(a1.evidence)")
        let v1 = c.attest(["verify"], at: "2027-02-01 11:00:00")
        #expect(v1.status == 1 && v1.stdout.contains("FAILED: evidence-mismatch:") && v1.stdout.contains("not signed"), "\(v1)")
        let p1 = push(["--no-verify", "origin", ref], at: "2027-02-01 11:00:00")
        #expect(p1.status != 0 && p1.stderr.contains("reseal commit \(unsignedTip.prefix(12))") && p1.stderr.contains("not signed and signing.required is true"), "\(p1)")
        #expect(serverRef(ref) == sealed)
        #expect(push(["origin", ref], at: "2027-02-01 11:00:00").status != 0, "pre-push refuses it too")

        // A reseal signed with a key the allowed signers do not list.
        c.git(["update-ref", ref, sealed, unsignedTip])
        c.git(["config", "commit.gpgSign", "true"]); c.git(["config", "user.signingKey", stranger])
        #expect(c.attest(["evidence", "reseal", "--quarter", "2026-Q4", "--key", w.keys.key("operator"), "--add-recipient", w.keys.cert("newauditor")], at: "2027-02-01 12:00:00").status == 0)
        let foreign = client.revParse(ref)
        let a2 = Self.auditQ4(c.path, home: client.home, at: "2027-02-01 13:00:00")
        #expect(a2.flags == ["evidence-mismatch"] && (a2.evidence["detail"] as? String ?? "").contains("is not in .attest/allowed_signers"), "\(a2.raw)")
        let p2 = push(["--no-verify", "origin", ref], at: "2027-02-01 13:00:00")
        #expect(p2.status != 0 && p2.stderr.contains("reseal commit \(foreign.prefix(12))") && p2.stderr.contains("is not in .attest/allowed_signers"), "\(p2)")
        #expect(serverRef(ref) == sealed)

        // Signed with nina's listed key: accepted everywhere, verdicts unchanged.
        c.git(["update-ref", ref, sealed, foreign])
        c.git(["config", "user.signingKey", nina])
        #expect(c.attest(["evidence", "reseal", "--quarter", "2026-Q4", "--key", w.keys.key("operator"), "--add-recipient", w.keys.cert("newauditor")], at: "2027-02-01 14:00:00").status == 0)
        #expect(Self.auditQ4(c.path, home: client.home, at: "2027-02-01 15:00:00").flags.isEmpty)
        #expect(c.attest(["verify"], at: "2027-02-01 15:00:00").status == 0)
        let p3 = push(["origin", ref], at: "2027-02-01 15:00:00")
        #expect(p3.status == 0, "\(p3)")
        let resealed = client.revParse(ref)
        #expect(serverRef(ref) == resealed)
        // The auditor's packet: VERIFY.md checks the seal's and the reseal's signatures with git alone.
        let e = c.attest(["export", "--from", "2026-10-01", "--to", "2026-12-31", "--out", "packet.tgz"], at: "2027-02-01 16:00:00")
        #expect(e.status == 0, "\(e)")
        let s = Scratch("evidence-signed-packet")
        let packet = try ExportTests.extract(c.path + "/packet.tgz", into: s)
        try? FileManager.default.removeItem(atPath: c.path + "/packet.tgz")
        let md = try String(contentsOfFile: packet + "/VERIFY.md", encoding: .utf8)
        #expect(md.contains(". 2026-Q4: the evidence commits are signed by listed signers\n"), "\(md)")
        let recipe = try ExportTests.runRecipe(in: packet, home: s.path, env: ["AUDITOR_KEY": w.keys.key("newauditor"), "AUDITOR_CERT": w.keys.cert("newauditor")])
        let said = recipe.map(\.stdout).joined()
        #expect(said.components(separatedBy: "Good \"git\" signature for nina@raxx.example with").count - 1 == 3, "sign-off, seal and reseal: \(said)")
        #expect(said.contains("CC6.7-rbac-grants-audit.csv: OK") && !said.contains("MISMATCH"), "\(said)")

        // After retention, a deletion without the disposition record: refused by both hooks.
        for args in [["origin", ":" + ref], ["--no-verify", "origin", ":" + ref]] {
            let bare = push(args, at: "2033-10-07 11:00:00")
            #expect(bare.status != 0, "\(bare)")
            #expect(bare.stderr.contains("needs its signed disposition record docs/attestation-log/dispositions/2026-Q4.md") && bare.stderr.contains("attest evidence dispose --quarter 2026-Q4"), "\(bare.stderr)")
        }
        #expect(serverRef(ref) == resealed)
        // An unsigned disposition record: the deletion is refused, naming the record's commit.
        c.git(["config", "commit.gpgSign", "false"])
        #expect(c.attest(["-c", "signing.required=false", "evidence", "dispose", "--quarter", "2026-Q4"], at: "2033-10-07 12:00:00").status == 0)
        let unsignedRecord = c.head()
        let p4 = push(["--no-verify", "origin", "main", ":" + ref], at: "2033-10-07 12:05:00")
        #expect(p4.status != 0 && p4.stderr.contains("the disposition record's commit \(unsignedRecord.prefix(12)): the commit is not signed"), "\(p4)")
        #expect(serverRef(ref) == resealed)
        // Signed: the branch first, then the deletion alone (the record is on the server's branch).
        c.git(["reset", "-q", "--hard", "HEAD~1"])
        c.git(["update-ref", ref, resealed])
        c.git(["config", "commit.gpgSign", "true"])
        #expect(c.attest(["evidence", "dispose", "--quarter", "2026-Q4"], at: "2033-10-07 12:10:00").status == 0)
        #expect(push(["origin", "main"], at: "2033-10-07 12:15:00").status == 0)
        #expect(serverRef(ref) == resealed)
        let p5 = push(["origin", ":" + ref], at: "2033-10-07 12:20:00")
        #expect(p5.status == 0, "\(p5)")
        #expect(serverRef(ref).isEmpty)
    }

    // MARK: hostile archives

    /// A tar built by Python's tarfile (or by hand for the 10 GiB header), sealed with openssl
    /// to the auditor, as a hand-made commit on the evidence ref.
    static let hostile: [(name: String, script: String, expected: String)] = [
        ("traversal", """
            import tarfile, io
            t = tarfile.open('evil.tar', 'w', format=tarfile.USTAR_FORMAT)
            for n, d in [('SHA256SUMS', b''), ('../escape.txt', b'owned\\n')]:
                i = tarfile.TarInfo(n); i.size = len(d); t.addfile(i, io.BytesIO(d))
            t.close()
            """, "not a plain relative path"),
        ("symlink", """
            import tarfile
            t = tarfile.open('evil.tar', 'w', format=tarfile.USTAR_FORMAT)
            i = tarfile.TarInfo('SHA256SUMS'); i.type = tarfile.SYMTYPE; i.linkname = '/etc/passwd'; t.addfile(i)
            t.close()
            """, "is a link"),
        ("10GiB", """
            h = bytearray(512)
            def put(s, at): h[at:at+len(s)] = s
            put(b'results.json', 0); put(b'0000644', 100); put(b'0000000', 108); put(b'0000000', 116)
            put(b'%012o' % (10 * 2**30), 124); put(b'00000000000', 136); h[156] = ord('0'); put(b'ustar\\x0000', 257)
            h[148:156] = b' ' * 8; put(b'%06o\\x00 ' % sum(h), 148)
            open('evil.tar', 'wb').write(bytes(h) + b'x' * 4096 + bytes(1024))
            """, "declares 10737418240 bytes"),
    ]

    @Test(arguments: Self.hostile.map(\.name))
    func openRefusesAHostileArchiveWithoutWritingAnything(_ name: String) throws {
        let h = try #require(Self.hostile.first { $0.name == name })
        let w = World()
        #expect(w.sign("2026-Q4", render: "2026-10-02 09:30:00", sign: "2026-10-04 12:00:00").status == 0)
        let work = w.c.repo.scratch.path + "/forge/inner"
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        let script = h.script.split(separator: "\n", omittingEmptySubsequences: false).map { String($0) }.joined(separator: "\n")
        let made = run("python3", ["-c", script], cwd: work)
        #expect(made.status == 0, "\(made)")
        #expect(run("openssl", ["cms", "-encrypt", "-binary", "-aes-256-gcm", "-outform", "DER", "-in", "evil.tar", "-out", "evil.p7m", w.keys.cert("auditor")], cwd: work).status == 0)
        let env = w.c.repo.environment
        func git(_ args: [String], stdin: Data? = nil) -> String {
            run("git", args, cwd: w.c.path, environment: env, stdin: stdin).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        let blob = git(["hash-object", "-w", work + "/evil.p7m"])
        let tree = git(["mktree"], stdin: Data("100644 blob \(blob)\t2026-Q4.p7m\n".utf8))
        let commit = git(["commit-tree", tree, "-p", "refs/attest/evidence/2026-Q4", "-m", "evil"])
        _ = git(["update-ref", "refs/attest/evidence/2026-Q4", commit])
        let out = work + "/out"
        let r = w.c.attest(["evidence", "open", "--quarter", "2026-Q4", "--key", w.keys.key("auditor"), "--out", out])
        #expect(r.status == 1, "\(r)")
        #expect(r.stderr.contains(h.expected) && r.stderr.contains("nothing was written"), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out), "--out was created")
        #expect(!FileManager.default.fileExists(atPath: work + "/escape.txt"))
        #expect(!FileManager.default.fileExists(atPath: w.c.repo.scratch.path + "/forge/escape.txt"))
    }
}
