import Foundation
import Testing
import AttestCore
import AttestTestSupport

/// `attest export`: the auditor's packet, checked the way an auditor would, with plain tools in
/// a fresh folder (no attest on PATH, no network): `tar`, `sha256sum -c`, `git bundle verify`,
/// `git clone`, `git verify-commit`, `git interpret-trailers`, `openssl ts -verify`.
@Suite(.serialized) struct ExportTests {
    /// A year like the demo's: `signing.required`, every sign-off signed with the key that
    /// `.attest/allowed_signers` lists for nina@raxx.example, committed under the git identity
    /// ceo@raxx.example; Q1 and Q3 carry RFC 3161 tokens; a TSA URL so the packet is stamped.
    static func signedYear(tsa: TestTSA?, unsignedQ2: Bool = false, strangerQ4: Bool = false) -> (ScratchRepository, key: String) {
        let repo = AuditCLITests.baseRepository()
        let key = SignoffFixture.sshKey(in: repo, name: "nina")
        repo.write(".attest/allowed_signers", SignoffFixture.allowedSignersLine(key: key, principal: "nina@raxx.example") + "\n")
        var config = "[signing]\n\trequired = true\n"
        if let tsa {
            repo.write(".attest/tsa/ca.pem", try! String(contentsOfFile: tsa.caFile, encoding: .utf8))
            config += "[tsa]\n\tcaFile = .attest/tsa/ca.pem\n\turl = \(tsa.url)\n"
        }
        repo.write(".attestconfig", config)
        repo.commitAll("compliance: signers and trusted time", date: "2025-12-01T10:00:00Z")
        repo.git(["config", "user.name", "Cee Eo"])
        repo.git(["config", "user.email", "ceo@raxx.example"])
        if let tsa {
            TimestampFixture.commit(in: repo, quarter: "2026-Q1", date: "2026-01-02T10:00:00Z", tsa: tsa, tsaTime: "2026-01-02 10:00:07", signingKey: key)
        } else {
            SignoffFixture.commit(in: repo, quarter: "2026-Q1", date: "2026-01-02T10:00:00Z", signingKey: key)
        }
        AuditCLITests.filler(repo, "2026-02-03T12:00:00Z", 1)
        SignoffFixture.commit(in: repo, quarter: "2026-Q2", date: "2026-04-01T15:00:00Z", signingKey: unsignedQ2 ? nil : key)
        AuditCLITests.filler(repo, "2026-05-03T12:00:00Z", 2)
        if let tsa {
            TimestampFixture.commit(in: repo, quarter: "2026-Q3", date: "2026-06-29T08:00:00Z", tsa: tsa, tsaTime: "2026-06-29 08:00:03", signingKey: key)
        } else {
            SignoffFixture.commit(in: repo, quarter: "2026-Q3", date: "2026-06-29T08:00:00Z", signingKey: key)
        }
        AuditCLITests.filler(repo, "2026-08-03T12:00:00Z", 3)
        SignoffFixture.commit(in: repo, quarter: "2026-Q4", date: "2026-10-05T10:00:00Z",
                              signingKey: strangerQ4 ? SignoffFixture.sshKey(in: repo, name: "stranger") : key)
        AuditCLITests.filler(repo, "2026-11-03T12:00:00Z", 4)
        return (repo, key)
    }

    /// An environment with nothing of attest: PATH is the system's, HOME a fresh folder.
    static func plainEnvironment(home: String) -> [String: String] {
        var env = testEnvironment(home: home)
        env["PATH"] = "/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin"
        return env
    }

    /// Extracts `archive` with tar into a fresh folder; returns the packet's folder.
    static func extract(_ archive: String, into scratch: Scratch) throws -> String {
        let x = run("tar", ["-xzf", archive, "-C", scratch.path], environment: plainEnvironment(home: scratch.path))
        try #require(x.status == 0, "\(x)")
        let names = try FileManager.default.contentsOfDirectory(atPath: scratch.path).filter { $0.hasPrefix("attest-packet-") }
        try #require(names.count == 1, "\(names)")
        return scratch.path + "/" + names[0]
    }

    /// The ```sh blocks of VERIFY.md, in order.
    static func recipeBlocks(_ markdown: String) -> [String] {
        var blocks: [String] = [], current: [String]?
        for line in markdown.split(separator: "\n", omittingEmptySubsequences: false) {
            if current == nil, line == "```sh" { current = [] } else if current != nil, line == "```" {
                blocks.append(current!.joined(separator: "\n")); current = nil
            } else { current?.append(String(line)) }
        }
        return blocks
    }

    /// Runs every block verbatim in bash (errexit, pipefail), in the packet folder, without
    /// network (a new network namespace when the machine allows it) and without attest.
    static func runRecipe(in folder: String, home: String, env extra: [String: String] = [:], expectSuccess: Bool = true) throws -> [RunResult] {
        let md = try String(contentsOfFile: folder + "/VERIFY.md", encoding: .utf8)
        let blocks = recipeBlocks(md)
        try #require(blocks.count >= 8, "VERIFY.md has only \(blocks.count) blocks:\n\(md)")
        let isolate = run("unshare", ["-n", "true"]).status == 0
        var results: [RunResult] = []
        let env = plainEnvironment(home: home).merging(extra) { $1 }
        for block in blocks {
            let argv = ["bash", "-euo", "pipefail", "-c", block]
            let r = isolate ? run("unshare", ["-n"] + argv, cwd: folder, environment: env)
                : run(argv[0], Array(argv.dropFirst()), cwd: folder, environment: env)
            results.append(r)
            if expectSuccess { #expect(r.status == 0, "VERIFY.md block failed:\n\(block)\n\(r)") }
        }
        if ProcessInfo.processInfo.environment["CI"] == "true" { #expect(isolate, "CI must run the recipe without network (unshare -n)") }
        return results
    }

    /// audit.json without the instant it was generated: the verdict and every fact.
    static func verdict(_ json: String) throws -> NSDictionary {
        var doc = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        doc["generatedAt"] = nil
        return doc as NSDictionary
    }

    @Test func packetVerifiesOfflineWithPlainToolsAndTheCloneAuditsTheSame() throws {
        let tsa = try TestTSA(label: "Raxx test TSA", at: "2026-12-01 09:00:00")
        defer { tsa.stop() }
        let (repo, _) = Self.signedYear(tsa: tsa)
        let direct = repo.attest(["audit", "--from", "2026-01-01", "--to", "2026-12-31", "--json"])
        #expect(direct.status == 0, "\(direct)")
        let e = repo.attest(["export", "--from", "2026-01-01", "--to", "2026-12-31", "--out", "packet.tar.gz"])
        #expect(e.status == 0, "\(e)")
        #expect(e.stdout.contains("PASS: all 4 quarters signed off on time, no flags") && e.stdout.contains("SHA256SUMS time-stamped"), "\(e)")
        let archive = repo.path + "/packet.tar.gz"
        if let keep = ProcessInfo.processInfo.environment["ATTEST_KEEP_PACKET"] {
            try? FileManager.default.removeItem(atPath: keep)
            try FileManager.default.copyItem(atPath: archive, toPath: keep)
        }

        // tar's own listing: sorted names, root-owned, one mtime (the audited revision's).
        let list = run("tar", ["-tvzf", archive], environment: testEnvironment(home: repo.home, extra: ["TZ": "UTC"]))
        #expect(list.status == 0, "\(list)")
        let rows = list.stdout.split(separator: "\n").map { $0.split(separator: " ", omittingEmptySubsequences: true) }
        let names = rows.compactMap { $0.last.map(String.init) }
        #expect(names == names.sorted(by: { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }), "\(names)")
        #expect(rows.allSatisfy { $0[1] == "0/0" }, "\(list.stdout)")
        #expect(Set(rows.map { "\($0[3]) \($0[4])" }) == ["2026-11-03 12:00"], "\(list.stdout)")
        for f in ["VERIFY.md", "SHA256SUMS", "SHA256SUMS.tsr", "packet.bundle", "audit.html", "audit.md", "audit.json",
                  "tokens/2026-Q1.tsr", "tokens/2026-Q1.imprint", "tokens/2026-Q3.tsr"] {
            #expect(names.contains { $0.hasSuffix("/" + f) }, "no \(f) in \(names)")
        }
        let head = repo.revParse("HEAD")
        #expect(names.contains { $0.hasSuffix("/trust/\(head)/.attest/allowed_signers") }, "\(names)")
        #expect(names.contains { $0.hasSuffix("/trust/\(head)/.attest/tsa/ca.pem") }, "\(names)")

        // A fresh folder, no attest, no network: every command of VERIFY.md, verbatim.
        let s = Scratch("export-auditor")
        let folder = try Self.extract(archive, into: s)
        let results = try Self.runRecipe(in: folder, home: s.path)
        let all = results.map(\.stdout).joined() + results.map(\.stderr).joined()
        #expect(all.contains("Verification: OK"), "\(all)")
        #expect(all.contains("Good \"git\" signature for nina@raxx.example with"), "\(all)")
        #expect(all.contains("committer Cee Eo <ceo@raxx.example>"), "\(all)")
        #expect(!all.contains("MISMATCH"), "\(all)")

        // The clone audits to the same verdict, fact for fact.
        let clone = folder + "/work/repo"
        let again = attest(["audit", "--from", "2026-01-01", "--to", "2026-12-31", "--json"], cwd: clone, home: s.path)
        #expect(again.status == 0, "\(again)")
        #expect(try Self.verdict(again.stdout) == Self.verdict(direct.stdout))
        let shipped = try String(contentsOfFile: folder + "/audit.json", encoding: .utf8)
        #expect(try Self.verdict(shipped) == Self.verdict(direct.stdout))
    }

    @Test func samePeriodSameBytesAndAFlippedByteIsCaught() throws {
        let (repo, _) = Self.signedYear(tsa: nil)
        let env = ["SOURCE_DATE_EPOCH": "1798761600"]
        let a = repo.attest(["export", "--from", "2026-01-01", "--to", "2026-12-31", "--out", "a.tgz"], env: env)
        let b = repo.attest(["export", "--from", "2026-01-01", "--to", "2026-12-31", "--out", "b.tar.gz"], env: env)
        #expect(a.status == 0 && b.status == 0, "\(a)\n\(b)")
        let bytesA = try Data(contentsOf: URL(fileURLWithPath: repo.path + "/a.tgz"))
        let bytesB = try Data(contentsOf: URL(fileURLWithPath: repo.path + "/b.tar.gz"))
        #expect(bytesA == bytesB, "two exports of the same period differ")
        #expect(run("gzip", ["-t", repo.path + "/a.tgz"]).status == 0)
        // The generation instant is SOURCE_DATE_EPOCH, in every report.
        let s = Scratch("export-flip")
        let folder = try Self.extract(repo.path + "/a.tgz", into: s)
        #expect(try String(contentsOfFile: folder + "/audit.json", encoding: .utf8).contains("\"generatedAt\" : \"2027-01-01T00:00:00Z\""))
        let env0 = Self.plainEnvironment(home: s.path)
        #expect(run("sha256sum", ["--strict", "-c", "SHA256SUMS"], cwd: folder, environment: env0).status == 0)

        // One flipped byte in any file of the packet: sha256sum -c fails.
        let files = run("find", [".", "-type", "f"], cwd: folder).stdout.split(separator: "\n").map(String.init)
        #expect(files.count >= 7, "\(files)")
        var rng = SplitMix64(seed: 19)
        for f in files {
            let path = folder + "/" + f
            let original = try Data(contentsOf: URL(fileURLWithPath: path))
            var bad = original
            let i = Int(rng.next() % UInt64(bad.count))
            bad[i] ^= 0x01
            try bad.write(to: URL(fileURLWithPath: path))
            let check = run("sha256sum", ["--strict", "-c", "SHA256SUMS"], cwd: folder, environment: env0)
            #expect(check.status != 0, "a flipped byte at \(i) of \(f) passed sha256sum -c")
            try original.write(to: URL(fileURLWithPath: path))
        }
        // In the archive itself: gzip's CRC or sha256sum -c catches it.
        for _ in 0..<6 {
            var bad = bytesA
            let i = 10 + Int(rng.next() % UInt64(bad.count - 18))
            bad[i] ^= 0x10
            let t = Scratch("export-flip-archive")
            try bad.write(to: URL(fileURLWithPath: t.path + "/p.tgz"))
            let x = run("tar", ["-xzf", "p.tgz"], cwd: t.path, environment: env0)
            let dirs = (try? FileManager.default.contentsOfDirectory(atPath: t.path).filter { $0.hasPrefix("attest-packet-") }) ?? []
            let caught = x.status != 0 || dirs.count != 1
                || run("sha256sum", ["--strict", "-c", "SHA256SUMS"], cwd: t.path + "/" + dirs[0], environment: env0).status != 0
            #expect(caught, "a flipped byte at \(i) of the archive went unnoticed")
        }
    }

    @Test func tamperedHistoryFailsTheAuditAndTheRecipeNamesTheStep() throws {
        let (repo, _) = Self.signedYear(tsa: nil)
        // After the year was signed, someone edits the signed Q1 file without Attest-Amends.
        repo.write("docs/attestation-log/2026-Q1.md", SignoffFixture.document(quarter: try Quarter(parsing: "2026-Q1")) + "\nResult changed afterwards.\n")
        let edit = repo.commitAll("docs: fix a typo", date: "2026-11-20T09:00:00Z")
        let e = repo.attest(["export", "--from", "2026-01-01", "--to", "2026-12-31", "--out", "packet.tar.gz"])
        #expect(e.status == 1 && e.stdout.contains("FAIL: 1 of 4 quarters"), "\(e)")
        let s = Scratch("export-tampered")
        let folder = try Self.extract(repo.path + "/packet.tar.gz", into: s)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: folder + "/audit.json"))) as? [String: Any])
        #expect(json["pass"] as? Bool == false)
        let md = try String(contentsOfFile: folder + "/VERIFY.md", encoding: .utf8)
        // The findings table names the step; that step's own heading says what it shows.
        let lines = md.split(separator: "\n").map(String.init)
        let row = try #require(lines.first { $0.hasPrefix("| 2026-Q1 amended |") }, "\(md)")
        let step = try #require(Int(row.split(separator: "|").last!.trimmingCharacters(in: .whitespaces)))
        let heading = try #require(lines.first { $0.hasPrefix("## Step \(step). ") })
        #expect(heading.contains("2026") && heading.contains("changed after its sign-off"), "\(heading)")
        // Run verbatim, the step confirms the change with git alone, naming the commit.
        let results = try Self.runRecipe(in: folder, home: s.path)
        let blocks = Self.recipeBlocks(md)
        let shown = results[blocks.firstIndex { $0.contains("diff --quiet") && $0.contains("confirmed") }!]
        #expect(shown.stdout.contains("confirmed: docs/attestation-log/2026-Q1.md changed after its sign-off"), "\(shown)")
        #expect(shown.stdout.contains(String(edit.prefix(7))) && shown.stdout.contains("docs: fix a typo"), "\(shown)")
    }

    /// A TSA that fails: without tsa.required the packet is written without the token (and
    /// its recipe without the step), with a warning; with tsa.required nothing is written.
    @Test func aFailingTSA() throws {
        let tsa = try TestTSA(label: "Raxx test TSA", at: "2026-12-01 09:00:00")
        defer { tsa.stop() }
        let (repo, _) = Self.signedYear(tsa: tsa)
        tsa.mode = .httpError
        let lax = repo.attest(["export", "--from", "2026-01-01", "--to", "2026-12-31", "--out", "lax.tgz"])
        #expect(lax.status == 0 && lax.stderr.contains("the packet is written without a token over SHA256SUMS (tsa.required is false)"), "\(lax)")
        let s = Scratch("export-tsa-down")
        let folder = try Self.extract(repo.path + "/lax.tgz", into: s)
        #expect(!FileManager.default.fileExists(atPath: folder + "/SHA256SUMS.tsr"))
        #expect(try !String(contentsOfFile: folder + "/VERIFY.md", encoding: .utf8).contains("SHA256SUMS.tsr"))
        #expect(run("sha256sum", ["--strict", "-c", "SHA256SUMS"], cwd: folder).status == 0)
        let strict = repo.attest(["-c", "tsa.required=true", "export", "--from", "2026-01-01", "--to", "2026-12-31", "--out", "strict.tgz"])
        #expect(strict.status == 3 && strict.stderr.contains("nothing written: tsa.required is true"), "\(strict)")
        #expect(!FileManager.default.fileExists(atPath: repo.path + "/strict.tgz"))
    }

    /// An unsigned sign-off and one signed by a key the allowed-signers file does not list,
    /// under signing.required: the audit fails, and the recipe's steps for them confirm with git
    /// alone that one carries no signature and the other's does not verify.
    @Test func unsignedAndForeignSignoffsAreConfirmedByTheRecipe() throws {
        let (repo, _) = Self.signedYear(tsa: nil, unsignedQ2: true, strangerQ4: true)
        let e = repo.attest(["export", "--from", "2026-01-01", "--to", "2026-12-31", "--out", "packet.tgz"])
        #expect(e.status == 1 && e.stdout.contains("FAIL: 2 of 4 quarters"), "\(e)")
        let s = Scratch("export-unsigned")
        let folder = try Self.extract(repo.path + "/packet.tgz", into: s)
        let md = try String(contentsOfFile: folder + "/VERIFY.md", encoding: .utf8)
        let lines = md.split(separator: "\n").map(String.init)
        for (finding, title) in [("2026-Q2 unsigned", "2026-Q2: unsigned"), ("2026-Q4 bad-signature", "2026-Q4: bad signature")] {
            let row = try #require(lines.first { $0.hasPrefix("| \(finding) |") }, "\(md)")
            let step = try #require(Int(row.split(separator: "|").last!.trimmingCharacters(in: .whitespaces)))
            #expect(lines.contains("## Step \(step). \(title)"), "\(md)")
        }
        let results = try Self.runRecipe(in: folder, home: s.path)
        let q2 = repo.revParse(":/Q2 2026"), q4 = repo.revParse(":/Q4 2026")
        #expect(results.contains { $0.stdout.contains("confirmed: \(q2.prefix(12)) carries no signature") }, "\(results)")
        #expect(results.contains { $0.stdout.contains("confirmed: the signature of \(q4.prefix(12)) does not verify") }, "\(results)")
        // The other quarters' signer steps still verify nina's signature.
        #expect(results.filter { $0.stdout.contains("Good \"git\" signature for nina@raxx.example") }.count == 2)
        // Every format says bad signature for Q4.
        let doc = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: folder + "/audit.json"))) as? [String: Any])
        let q4JSON = try #require(AuditCLITests.quarters(doc)["2026-Q4"])
        #expect((q4JSON["signedBy"] as? [String: Any])?["state"] as? String == "bad-signature" && q4JSON["flags"] as? [String] == ["bad-signature"])
        for f in ["audit.md", "audit.html"] {
            #expect(try String(contentsOfFile: folder + "/" + f, encoding: .utf8).contains("bad signature: the key ssh-ed25519 SHA256:"), "\(f)")
        }
    }

    /// Sealed evidence refs (issue #18's layout: `refs/attest/evidence/YYYY-QN`, a commit whose
    /// tree holds the sealed blob) travel in the bundle, and the reports say which quarters have one.
    @Test func evidenceRefsTravelInTheBundle() throws {
        let (repo, _) = Self.signedYear(tsa: nil)
        let blob = repo.git(["hash-object", "-w", "--stdin"], stdin: Data((0..<600).map { UInt8(($0 * 37) & 0xff) }))
            .stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let tree = repo.git(["mktree"], stdin: Data("100644 blob \(blob)\t2026-Q1.p7m\n".utf8)).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let sealed = repo.git(["commit-tree", tree, "-m", "evidence: 2026-Q1 sealed"], env: ["GIT_AUTHOR_DATE": "2026-01-02T10:05:00Z", "GIT_COMMITTER_DATE": "2026-01-02T10:05:00Z"])
            .stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        repo.git(["update-ref", "refs/attest/evidence/2026-Q1", sealed])
        let e = repo.attest(["export", "--from", "2026-01-01", "--to", "2026-12-31", "--out", "packet.tgz"])
        #expect(e.status == 0, "\(e)")
        let s = Scratch("export-evidence")
        let folder = try Self.extract(repo.path + "/packet.tgz", into: s)
        let heads = run("git", ["bundle", "list-heads", folder + "/packet.bundle"], cwd: repo.path, environment: repo.environment)
        #expect(heads.stdout.contains("\(sealed) refs/attest/evidence/2026-Q1"), "\(heads)")
        let doc = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: folder + "/audit.json"))) as? [String: Any])
        let qs = AuditCLITests.quarters(doc)
        #expect((qs["2026-Q1"]?["evidence"] as? [String: Any])?["sealed"] as? String == "sealed-unopened")
        #expect((qs["2026-Q2"]?["evidence"] as? [String: Any])?["sealed"] as? String == "not-sealed")
        let results = try Self.runRecipe(in: folder, home: s.path)
        #expect(results.contains { $0.stdout.contains("\(sealed) commit\trefs/attest/evidence/2026-Q1") }, "\(results)")
        #expect(run("git", ["-C", folder + "/work/repo", "cat-file", "-e", blob]).status == 0)
    }

    /// A year signed with sealed evidence (issue #18): VERIFY.md gains, per quarter, the step that
    /// checks without a key that the bundle's evidence ref holds the signed blob, and the step
    /// that opens it with the auditor's key (`openssl cms -decrypt … | tar -x && sha256sum -c
    /// SHA256SUMS`, then SHA256SUMS against Attest-Evidence). Run verbatim in a fresh folder, no
    /// attest, no network, the auditor's key copied there; a stranger's key fails that step.
    @Test func sealedEvidenceOpensWithTheAuditorsKeyInTheRecipe() throws {
        let w = EvidenceCLITests.World()
        for y in EvidenceCLITests.year { #expect(w.sign(y.q, render: y.render, sign: y.sign).status == 0, "\(y.q)") }
        let e = w.c.attest(["export", "--from", "2026-01-01", "--to", "2026-12-31", "--out", "packet.tgz"], at: "2027-01-15 10:00:00")
        #expect(e.status == 0, "\(e)")
        let s = Scratch("export-sealed")
        let folder = try Self.extract(w.c.path + "/packet.tgz", into: s)
        let md = try String(contentsOfFile: folder + "/VERIFY.md", encoding: .utf8)
        let blocks = Self.recipeBlocks(md)
        for y in EvidenceCLITests.year {
            #expect(md.contains("## Step") && md.contains(". \(y.q): the sealed evidence is the one signed\n"), "\(md)")
            #expect(blocks.contains { $0.contains("openssl cms -decrypt -inform DER -in work/evidence/\(y.q).p7m -recip \"$AUDITOR_CERT\" -inkey \"$AUDITOR_KEY\" | tar -x -C work/evidence/\(y.q) && (cd work/evidence/\(y.q) && sha256sum -c SHA256SUMS)") }, "\(y.q)")
        }
        // The auditor's key and certificate, in the auditor's own folder (never in the packet).
        let mine = s.path + "/mine"
        try FileManager.default.createDirectory(atPath: mine, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: w.keys.key("auditor"), toPath: mine + "/auditor.key")
        try FileManager.default.copyItem(atPath: w.keys.cert("auditor"), toPath: mine + "/auditor.pem")
        let results = try Self.runRecipe(in: folder, home: s.path, env: ["AUDITOR_KEY": mine + "/auditor.key", "AUDITOR_CERT": mine + "/auditor.pem"])
        let out = results.map(\.stdout).joined()
        for y in EvidenceCLITests.year {
            #expect(out.contains("refs/attest/evidence/\(y.q) holds the sealed blob the sign-off names"), "\(y.q): \(out)")
            let opened = folder + "/work/evidence/\(y.q)/SHA256SUMS"
            #expect(w.c.sha256(opened) == w.c.sha256(w.c.path + "/evidence/\(y.q)/SHA256SUMS"), "\(y.q)")
        }
        #expect(out.components(separatedBy: "CC6.7-rbac-grants-audit.csv: OK").count - 1 == 4, "\(out)")
        #expect(out.components(separatedBy: "SHA256SUMS is the one the sign-off's Attest-Evidence names").count - 1 == 4, "\(out)")
        #expect(!out.contains("MISMATCH"))

        // A stranger's key: the decrypting steps fail; without a key they say what to set.
        let t = Scratch("export-sealed-stranger")
        let again = try Self.extract(w.c.path + "/packet.tgz", into: t)
        let stranger = try Self.runRecipe(in: again, home: t.path, env: ["AUDITOR_KEY": w.keys.key("stranger"), "AUDITOR_CERT": w.keys.cert("stranger")], expectSuccess: false)
        let decrypting = blocks.indices.filter { blocks[$0].contains("openssl cms -decrypt") }
        #expect(decrypting.count == 4)
        #expect(decrypting.allSatisfy { stranger[$0].status != 0 }, "\(decrypting.map { stranger[$0] })")
        #expect(stranger.indices.filter { !decrypting.contains($0) }.allSatisfy { stranger[$0].status == 0 })
        let u = Scratch("export-sealed-nokey")
        let third = try Self.extract(w.c.path + "/packet.tgz", into: u)
        let noKey = try Self.runRecipe(in: third, home: u.path, expectSuccess: false)
        #expect(noKey[decrypting[0]].status != 0 && noKey[decrypting[0]].stderr.contains("set AUDITOR_KEY to your private key"), "\(noKey[decrypting[0]])")
    }

    @Test func usageErrors() {
        let repo = AuditCLITests.baseRepository()
        let noOut = repo.attest(["export", "--from", "2026-01-01", "--to", "2026-12-31"])
        #expect(noOut.status == 2 && noOut.stderr.contains("--out FILE.tar.gz is required"), "\(noOut)")
        let zip = repo.attest(["export", "--from", "2026-01-01", "--to", "2026-12-31", "--out", "p.zip"])
        #expect(zip.status == 2 && zip.stderr.contains("name it FILE.tar.gz"), "\(zip)")
        let fmt = repo.attest(["export", "--from", "2026-01-01", "--to", "2026-12-31", "--format", "html", "--out", "p.tgz"])
        #expect(fmt.status == 2 && fmt.stderr.contains("unknown option '--format'"), "\(fmt)")
        #expect(!FileManager.default.fileExists(atPath: repo.path + "/p.tgz"))
    }
}
