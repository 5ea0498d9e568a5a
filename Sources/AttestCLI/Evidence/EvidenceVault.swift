import Foundation
import AttestCore
import AttestSystem
import AttestGit
import AttestVerification
import AttestCrypto
import AttestEvidence

/// Sealed evidence (issue #18, docs/evidence.md): the quarter's evidence folder packed into a
/// deterministic ustar, sealed as CMS AuthEnvelopedData (AES-256-GCM) to the recipient
/// certificates of `evidence.recipients`, kept as a blob under `refs/attest/evidence/YYYY-QN`
/// and bound to the sign-off by the `Attest-Sealed-Evidence` trailer.
///
/// Every command that touches sealed evidence (`sign`, `evidence seal|open|reseal|dispose`,
/// `verify`, `audit`) goes through this type; the commands only parse options and print.
extension EvidenceVault {
    /// Files in an evidence archive are at most this big (the 10 GiB header is refused).
    static let maxFileSize = 1 << 30

    // MARK: recipients

    /// The certificates `evidence.recipients` names, read from the working tree, sorted by file
    /// name; empty when the setting is empty or its glob matches nothing. A file that holds a
    /// private key, or a certificate attest cannot seal to, is an error naming the file.
    func recipients() throws(AttestError) -> [RecipientCertificate] {
        let pattern = policy.evidenceRecipients
        guard !pattern.isEmpty else { return [] }
        let dir = (pattern as NSString).deletingLastPathComponent, base = (pattern as NSString).lastPathComponent
        var paths: [String] = []
        if base.contains(where: { "*?[".contains($0) }) {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: root + "/" + dir)) ?? []
            paths = names.filter { fnmatch(base, $0, 0) == 0 }.sorted().map { dir.isEmpty ? $0 : dir + "/" + $0 }
        } else {
            guard FileManager.default.fileExists(atPath: root + "/" + pattern) else {
                throw .config("evidence.recipients is '\(pattern)', which does not exist; add the certificate or change the setting")
            }
            paths = [pattern]
        }
        var out: [RecipientCertificate] = []
        for p in paths {
            let data: Data
            do { data = try RegularFile.contents(root + "/" + p, what: "the recipient certificate", maxBytes: RegularFile.Limit.text) } catch { throw AttestError(error) }
            do { out.append(try RecipientCertificate.load(pem: data, name: p)) } catch { throw .failed("\(error.operation): \(error.message)") }
        }
        var seen = Set<String>()
        return out.filter { seen.insert($0.fingerprint).inserted }
    }

    static func loadCertificate(_ path: String) throws(AttestError) -> RecipientCertificate {
        let data: Data
        do { data = try RegularFile.contents(path, what: "the certificate", maxBytes: RegularFile.Limit.text) } catch { throw AttestError(error) }
        do { return try RecipientCertificate.load(pem: data, name: path) } catch { throw .failed("\(error.operation): \(error.message)") }
    }

    /// The file name a recipient certificate gets in the evidence tree.
    static func treeName(_ r: RecipientCertificate) -> String { "\(r.fingerprint.prefix(16)).pem" }

    // MARK: signing the evidence commits

    /// How `git commit` would sign (the sign-off's configuration), or nil when it would not.
    func signer() throws(AttestError) -> ((Data) throws(CommitSignerError) -> String)? {
        let signing = try reporting { try repository.signingConfig() }
        if policy.signatureRequired && !signing.enabled {
            throw .failed("signing.required is true but git's commit.gpgSign is not; configure signing (git config commit.gpgSign true, gpg.format, user.signingKey) and run the command again")
        }
        guard signing.enabled else { return nil }
        let who = try reporting { try repository.committerIdentity() }
        let env = environment
        let scratch = TempFolders.repositoryBase(gitDir: repository.gitDir)
        return { (payload: Data) throws(CommitSignerError) -> String in
            try CommitSigner.sign(payload, config: signing, committer: "\(who.name) <\(who.email)>", environment: env, scratch: scratch)
        }
    }


    static func folderFiles(_ folder: String) throws(AttestError) -> [String: Data] {
        let archive: Data
        do { archive = try EvidenceArchive.pack(folder: folder) } catch { throw .failed(error.description) }
        do { return Dictionary(uniqueKeysWithValues: try TarReader.files(archive).map { ($0.path, $0.data) }) } catch { throw .failed(error.description) }
    }

    // MARK: seal

    /// A sealed archive written as an evidence commit, its ref not moved yet.
    struct Prepared {
        let evidence: SealedEvidence
        let parent: ObjectID?
        let recipients: [RecipientCertificate]
        var blob: ObjectID { evidence.blob! }
    }

    /// Checks the evidence folder against `evidenceSHA256` (the sign-off's, or the
    /// document's when signing), packs and seals it, and writes the first commit of the
    /// quarter's evidence ref (not moved: call `move`). Refused when the ref already exists.
    func prepareSeal(_ q: Quarter, folder: String, evidenceSHA256: String, signoff: ObjectID?, recipients: [RecipientCertificate],
                     at now: Date) throws(AttestError) -> Prepared {
        guard !recipients.isEmpty else {
            throw .failed("no recipient certificates: evidence.recipients ('\(policy.evidenceRecipients)') matches no file; add the operators' and auditors' X.509 certificates (PEM) there")
        }
        if let tip = try gitCall({ () throws(GitError) in try repository.evidenceTip(q) }) {
            throw .failed("\(EvidenceRef.name(q)) already exists (\(tip.short)): \(q)'s evidence is sealed; to add a recipient run 'attest evidence reseal --quarter \(q) --key KEY --add-recipient CERT'")
        }
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDir), isDir.boolValue else {
            throw .failed("the evidence folder \(folder) is not there, so \(q)'s evidence cannot be sealed; pass the folder collect wrote with --evidence DIR")
        }
        // Only what the sign-off attests: SHA256SUMS and the files it lists.
        var files = try Self.folderFiles(folder)
        let listed = Self.listedNames(files[EvidenceFolderName.sums] ?? Data())
        files = files.filter { $0.key == EvidenceFolderName.sums || listed.contains($0.key) }
        let problems = Self.digestProblems(files, evidenceSHA256: evidenceSHA256, where: folder)
        guard problems.isEmpty else {
            throw .failed("\(q): the evidence folder does not match what is signed; nothing was sealed:\n  " + problems.joined(separator: "\n  "))
        }
        var tar = TarArchive(mtime: 0)
        for (name, data) in files { tar.add(name, data) }
        let archive: Data
        do { archive = try tar.tarBytes() } catch { throw .failed(error.description) }
        return try writeCommit(q, archive: archive, recipients: recipients, parent: nil, action: "seal",
                               evidenceSHA256: evidenceSHA256, signoff: signoff, previousBlob: nil, at: now)
    }

    private func writeCommit(_ q: Quarter, archive: Data, recipients: [RecipientCertificate], parent: ObjectID?, action: String,
                             evidenceSHA256: String, signoff: ObjectID?, previousBlob: ObjectID?, at now: Date) throws(AttestError) -> Prepared {
        let sealed: Data
        do { sealed = try EvidenceSeal.seal(archive, to: recipients) } catch { throw .environment("sealing \(q)'s evidence: \(error)") }
        let blob = try gitCall({ () throws(GitError) in try repository.blobID(of: sealed) })
        var lines = ["attest evidence: \(q) \(action == "seal" ? "sealed" : "resealed") for \(recipients.count) recipient\(recipients.count == 1 ? "" : "s")", "",
                     "Attest-Evidence-Quarter: \(q)",
                     "Attest-Evidence-Action: \(action)",
                     "Attest-Evidence: \(evidenceSHA256)",
                     "Attest-Archive-SHA256: \(try QuarterFiles.sha256(archive))",
                     "Attest-Sealed-Blob: \(blob.hex)"]
        if let previousBlob { lines.append("Attest-Previous-Blob: \(previousBlob.hex)") }
        if let signoff { lines.append("Attest-Signoff: \(signoff.hex)") }
        for r in recipients { lines.append("Attest-Recipient: \(Trailers.oneLine(r.subject)) (\(r.keyType), sha256 \(r.fingerprint))") }
        let sign = try signer()
        let evidence = try reporting {
            try repository.writeEvidenceCommit(q, sealed: sealed, recipients: recipients.map { (Self.treeName($0), Data($0.pem.utf8)) },
                                               parent: parent, message: lines.joined(separator: "\n") + "\n", at: now, sign: sign)
        }
        return Prepared(evidence: evidence, parent: parent, recipients: recipients)
    }

    /// For `attest sign`: nil when `evidence.recipients` names no certificate; otherwise the
    /// sealed evidence commit, written but not referenced, whose blob the sign-off will name
    /// (`trailerLine`); `attest sign` moves the ref once the sign-off commit is made.
    static func prepareForSign(_ files: QuarterFiles, context: Context, evidenceSHA256: String, at now: Date) throws(AttestError) -> (vault: EvidenceVault, prepared: Prepared)? {
        let vault = EvidenceVault(repository: files.repository, root: files.root, policy: files.policy, environment: context.environment)
        let recipients = try vault.recipients()
        guard !recipients.isEmpty else { return nil }
        return (vault, try vault.prepareSeal(files.quarter, folder: files.evidenceFolder, evidenceSHA256: evidenceSHA256, signoff: nil,
                                             recipients: recipients, at: now))
    }

    static func trailerLine(_ p: Prepared) -> String { "\(sealedTrailer): \(p.blob.hex)\n" }

    /// After the sign-off commit: moves the evidence ref to the prepared commit.
    func finishSign(_ p: Prepared, signoff: ObjectID) throws(AttestError) {
        do { try move(p, reason: "attest sign: sealed evidence") } catch {
            throw .environment("the sign-off \(signoff.short) is made and names the sealed blob \(p.blob.short), but \(EvidenceRef.name(p.evidence.quarter)) could not be set (\(error)); run 'git update-ref \(EvidenceRef.name(p.evidence.quarter)) \(p.evidence.commit.hex)'")
        }
    }

    func move(_ p: Prepared, reason: String) throws(AttestError) {
        try reporting { try repository.moveEvidenceRef(p.evidence.quarter, to: p.evidence.commit, from: p.parent, reason: reason) }
    }

    // MARK: open

    struct Opened {
        let quarter: Quarter
        let commit: ObjectID
        let blob: ObjectID
        let files: [TarReader.File]
        /// Digest problems (empty: every file matches SHA256SUMS and SHA256SUMS the sign-off).
        let problems: [String]
    }

    /// The key (and certificate) of a recipient, read from files outside the repository.
    struct Key {
        let pem: Data
        let name: String
        let certificate: RecipientCertificate?

        static func load(key: String, cert: String?) throws(AttestError) -> Key {
            guard let pem = FileManager.default.contents(atPath: key) else { throw .environment("cannot read the key \(key)") }
            return Key(pem: pem, name: key, certificate: try cert.map { (c: String) throws(AttestError) in try EvidenceVault.loadCertificate(c) })
        }

        /// `--key KEY [--cert CERT]` of a command line, relative to the working directory; nil without `--key`.
        static func load(_ arguments: ParsedArguments, key: Option, cert: Option, context: Context) throws(AttestError) -> Key? {
            func abs(_ p: String) -> String { Paths.resolve(p, against: context.workingDirectory) }
            guard let k = arguments[key] else {
                if arguments[cert] != nil { throw .usage("--cert goes with --key") }
                return nil
            }
            return try load(key: abs(k), cert: arguments[cert].map(abs))
        }
    }

    /// Decrypts the sealed blob at `commit` (default: the ref's tip) and checks its files.
    func open(_ q: Quarter, key: Key, evidenceSHA256: String, commit: ObjectID? = nil) throws(AttestError) -> Opened {
        let tip = try gitCall({ () throws(GitError) in try repository.evidenceTip(q) })
        guard let at = commit ?? tip else {
            throw .failed("\(q) has no sealed evidence here (no \(EvidenceRef.name(q))); fetch it: git fetch origin '\(EvidenceRef.prefix)*:\(EvidenceRef.prefix)*'")
        }
        let sealed = try gitCall({ () throws(GitError) in try repository.sealedEvidence(q, commit: at) })
        guard let blob = sealed.blob, let data = try gitCall({ () throws(GitError) in try repository.blobData(blob) }) else {
            throw .failed("\(EvidenceRef.name(q)) (\(at.short)) has no \(EvidenceRef.blobPath(q)) blob in this repository; fetch the evidence refs again")
        }
        let archive: Data
        do { archive = try EvidenceSeal.open(data, keyPEM: key.pem, keyName: key.name, certificate: key.certificate) } catch {
            throw .failed("\(q): \(error.message)")
        }
        let files: [TarReader.File]
        do { files = try TarReader.files(archive, maxFileSize: Self.maxFileSize) } catch {
            throw .failed("\(q): the sealed archive in \(blob.short) is refused: \(error.description); nothing was written")
        }
        if let nested = files.first(where: { $0.path.contains("/") }) {
            throw .failed("\(q): the sealed archive holds '\(nested.path)' in a subfolder; an evidence archive is flat; nothing was written")
        }
        var problems = Self.digestProblems(Dictionary(uniqueKeysWithValues: files.map { ($0.path, $0.data) }),
                                           evidenceSHA256: evidenceSHA256, where: "the sealed archive \(blob.short)")
        if let expected = Self.trailer("Attest-Archive-SHA256", try reporting { try rawMessage(at) }), try QuarterFiles.sha256(archive) != expected {
            problems.append("the sealed archive is not the one its evidence commit \(at.short) records (Attest-Archive-SHA256)")
        }
        return Opened(quarter: q, commit: at, blob: blob, files: files, problems: problems)
    }

    /// Writes opened files into `out` (created 0700; it must not exist or be empty), each 0600,
    /// never following a link and never outside `out`.
    static func write(_ opened: Opened, to out: String) throws(AttestError) {
        var isDir: ObjCBool = false
        if FileManager.default.fileExists(atPath: out, isDirectory: &isDir) {
            guard isDir.boolValue, (try? FileManager.default.contentsOfDirectory(atPath: out))?.isEmpty == true else {
                throw .failed("--out \(out) exists and is not an empty folder; give a new folder")
            }
            chmod(out, 0o700)
        } else {
            guard mkdir(out, 0o700) == 0 else { throw .environment("cannot create \(out): \(String(cString: strerror(errno)))") }
        }
        for f in opened.files {
            let path = out + "/" + f.path
            let fd = Glibc.open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
            guard fd >= 0 else { throw .environment("cannot create \(path): \(String(cString: strerror(errno)))") }
            defer { close(fd) }
            let ok = f.data.withUnsafeBytes { p -> Bool in
                var done = 0
                while done < p.count {
                    let n = Glibc.write(fd, p.baseAddress! + done, p.count - done)
                    if n <= 0 { return false }
                    done += n
                }
                return true
            }
            guard ok else { throw .environment("cannot write \(path): \(String(cString: strerror(errno)))") }
        }
    }

    // MARK: reseal

    /// Opens the tip with a current recipient's key, seals the same archive to the stored
    /// recipients plus `add`, and appends the commit to the ref.
    func reseal(_ q: Quarter, key: Key, add: RecipientCertificate, evidenceSHA256: String, at now: Date) throws(AttestError) -> Prepared {
        guard let tip = try gitCall({ () throws(GitError) in try repository.evidenceTip(q) }) else {
            throw .failed("\(q) has no sealed evidence (no \(EvidenceRef.name(q))) to reseal; seal it first: attest evidence seal --quarter \(q)")
        }
        let current = try gitCall({ () throws(GitError) in try repository.sealedEvidence(q, commit: tip) })
        var recipients: [RecipientCertificate] = []
        for r in current.recipients {
            do { recipients.append(try RecipientCertificate.load(pem: r.pem, name: "\(EvidenceRef.recipientsFolder)/\(r.name)")) } catch {
                throw .failed("\(EvidenceRef.name(q)) holds an unreadable recipient certificate: \(error.message)")
            }
        }
        guard !recipients.contains(where: { $0.fingerprint == add.fingerprint }) else {
            throw .failed("\(add.name) (\(add.subject)) is already a recipient of \(q)'s sealed evidence; nothing was changed")
        }
        let opened = try open(q, key: key, evidenceSHA256: evidenceSHA256, commit: tip)
        guard opened.problems.isEmpty else {
            throw .failed("\(q): the sealed evidence does not match the sign-off, so it is not resealed:\n  " + opened.problems.joined(separator: "\n  "))
        }
        var tar = TarArchive(mtime: 0)
        for f in opened.files { tar.add(f.path, f.data) }
        let archive: Data
        do { archive = try tar.tarBytes() } catch { throw .failed(error.description) }
        let p = try writeCommit(q, archive: archive, recipients: recipients + [add], parent: tip, action: "reseal",
                                evidenceSHA256: evidenceSHA256, signoff: nil, previousBlob: opened.blob, at: now)
        try move(p, reason: "attest evidence reseal: add \(add.subject)")
        return p
    }


    struct Disposed { let commit: ObjectID; let path: String; let blob: ObjectID?; let branch: String }

    /// After retention: commits the disposition record on the branch, then deletes the ref.
    func dispose(_ q: Quarter, at now: Date) throws(AttestError) -> Disposed {
        let ends = retentionEnds(q)
        guard now >= ends else {
            throw .failed("\(q)'s sealed evidence is kept until \(UTC.human(ends)) (evidence.retentionYears = \(policy.evidenceRetentionYears) from the hard close, runbook §5), \(UTC.span(ends.timeIntervalSince(now))) from now; nothing was disposed of")
        }
        guard let tip = try gitCall({ () throws(GitError) in try repository.evidenceTip(q) }) else {
            throw .failed("\(q) has no sealed evidence here (no \(EvidenceRef.name(q))); nothing to dispose of (fetch the evidence refs if it is on the server)")
        }
        let blob = try gitCall({ () throws(GitError) in try repository.sealedEvidence(q, commit: tip) }).blob
        let preflight = try reporting { try repository.signoffPreflight() }
        let who = try reporting { try repository.committerIdentity() }
        let path = dispositionPath(q)
        let record = """
        # \(q) sealed evidence: disposition

        - Quarter: \(q)
        - Evidence ref: \(EvidenceRef.name(q)), last commit \(tip.hex)
        - Sealed blob: \(blob?.hex ?? "none")
        - Retention rule: evidence.retentionYears = \(policy.evidenceRetentionYears), counted from the hard close \(UTC.iso(Schedule(policy: policy).window(for: q).closes))
        - Retention ended: \(UTC.iso(ends))
        - Disposed: \(UTC.iso(now)) by \(who.name) <\(who.email)>

        """
        let message = """
        ops(compliance): \(q) sealed evidence disposed of under policy

        Attest-Disposed: \(q)
        Attest-Disposed-Blob: \(blob?.hex ?? "none")
        Attest-Disposed-Commit: \(tip.hex)

        """
        // The commit first, in the object store only (signing may fail: then nothing changed);
        // then the record in the working tree and the branch; the ref last.
        let sign = try signer()
        let unpublished = try reporting { try repository.writeSignoffObject(preflight, path: path, contents: Data(record.utf8), message: message, at: now, sign: sign) }
        let full = root + "/" + path
        let existed = FileManager.default.fileExists(atPath: full)
        try? FileManager.default.createDirectory(atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try QuarterFiles.writeAtomically(record, to: full)
        do { try repository.publishSignoff(unpublished) } catch {
            if !existed { try? FileManager.default.removeItem(atPath: full) }
            throw AttestError(reporting: error)
        }
        let id = unpublished.id
        do { try repository.deleteEvidenceRef(q, expected: tip) } catch {
            throw .environment("the disposition record of \(q) is committed (\(id.short) on \(preflight.branchName)), but \(EvidenceRef.name(q)) could not be deleted (\(AttestError(reporting: error))); run 'git update-ref -d \(EvidenceRef.name(q)) \(tip.hex)'")
        }
        return Disposed(commit: id, path: path, blob: blob, branch: preflight.branchName)
    }


    func gitCall<T>(_ body: () throws(GitError) -> T) throws(AttestError) -> T {
        do { return try body() } catch { throw .environment("git: \(error.description)") }
    }
}
