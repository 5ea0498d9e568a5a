import Foundation
import AttestCore
import AttestSystem
import AttestGit
import AttestVerification
import AttestCrypto

/// Sealed evidence (issue #18, docs/evidence.md): the quarter's evidence folder packed into a
/// deterministic ustar, sealed as CMS AuthEnvelopedData (AES-256-GCM) to the recipient
/// certificates of `evidence.recipients`, kept as a blob under `refs/attest/evidence/YYYY-QN`
/// and bound to the sign-off by the `Attest-Sealed-Evidence` trailer.
///
/// Every command that touches sealed evidence (`sign`, `evidence seal|open|reseal|dispose`,
/// `verify`, `audit`) goes through this type; the commands only parse options, call it through
/// `reporting { }` and print.
extension EvidenceVault {
    /// Files in an evidence archive are at most this big (the 10 GiB header is refused).
    public static let maxFileSize = 1 << 30

    // MARK: recipients

    /// The certificates `evidence.recipients` names, read from the working tree, sorted by file
    /// name; empty when the setting is empty or its glob matches nothing. A file that holds a
    /// private key, or a certificate attest cannot seal to, is an error naming the file.
    public func recipients() throws(EvidenceVaultError) -> [RecipientCertificate] {
        let pattern = policy.evidenceRecipients
        guard !pattern.isEmpty else { return [] }
        let dir = (pattern as NSString).deletingLastPathComponent, base = (pattern as NSString).lastPathComponent
        var paths: [String] = []
        if base.contains(where: { "*?[".contains($0) }) {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: root + "/" + dir)) ?? []
            paths = names.filter { fnmatch(base, $0, 0) == 0 }.sorted().map { dir.isEmpty ? $0 : dir + "/" + $0 }
        } else {
            guard FileManager.default.fileExists(atPath: root + "/" + pattern) else {
                throw .recipientsMissing(pattern: pattern)
            }
            paths = [pattern]
        }
        var out: [RecipientCertificate] = []
        for p in paths {
            let data: Data
            do { data = try RegularFile.contents(root + "/" + p, what: "the recipient certificate", maxBytes: RegularFile.Limit.text) } catch { throw .unreadableFile(error) }
            do { out.append(try RecipientCertificate.load(pem: data, name: p)) } catch { throw .certificate(error) }
        }
        var seen = Set<String>()
        return out.filter { seen.insert($0.fingerprint).inserted }
    }

    public static func loadCertificate(_ path: String) throws(EvidenceVaultError) -> RecipientCertificate {
        let data: Data
        do { data = try RegularFile.contents(path, what: "the certificate", maxBytes: RegularFile.Limit.text) } catch { throw .unreadableFile(error) }
        do { return try RecipientCertificate.load(pem: data, name: path) } catch { throw .certificate(error) }
    }

    /// The file name a recipient certificate gets in the evidence tree.
    public static func treeName(_ r: RecipientCertificate) -> String { "\(r.fingerprint.prefix(16)).pem" }

    // MARK: signing the evidence commits

    /// How `git commit` would sign (the sign-off's configuration), or nil when it would not.
    public func signer() throws(EvidenceVaultError) -> ((Data) throws(CommitSignerError) -> String)? {
        let signing: SigningConfig
        do { signing = try repository.signingConfig() } catch { throw .signing(error) }
        if policy.signatureRequired && !signing.enabled {
            throw .signingNotEnabled
        }
        guard signing.enabled else { return nil }
        let who = try identity()
        let env = environment
        let scratch = TempFolders.repositoryBase(gitDir: repository.gitDir)
        return { (payload: Data) throws(CommitSignerError) -> String in
            try CommitSigner.sign(payload, config: signing, committer: "\(who.name) <\(who.email)>", environment: env, scratch: scratch)
        }
    }


    public static func folderFiles(_ folder: String) throws(EvidenceVaultError) -> [String: Data] {
        let archive: Data
        do { archive = try EvidenceArchive.pack(folder: folder) } catch { throw .archive(error) }
        do { return Dictionary(uniqueKeysWithValues: try TarReader.files(archive).map { ($0.path, $0.data) }) } catch { throw .archive(error) }
    }

    // MARK: seal

    /// A sealed archive written as an evidence commit, its ref not moved yet.
    public struct Prepared {
        public let evidence: SealedEvidence
        public let parent: ObjectID?
        public let recipients: [RecipientCertificate]
        public var blob: ObjectID { evidence.blob! }
    }

    /// Checks the evidence folder against `evidenceSHA256` (the sign-off's, or the
    /// document's when signing), packs and seals it, and writes the first commit of the
    /// quarter's evidence ref (not moved: call `move`). Refused when the ref already exists.
    public func prepareSeal(_ q: Quarter, folder: String, evidenceSHA256: String, signoff: ObjectID?, recipients: [RecipientCertificate],
                     at now: Date) throws(EvidenceVaultError) -> Prepared {
        guard !recipients.isEmpty else {
            throw .noRecipients(pattern: policy.evidenceRecipients)
        }
        if let tip = try gitRead({ () throws(GitError) in try repository.evidenceTip(q) }) {
            throw .alreadySealed(q, tip: tip)
        }
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDir), isDir.boolValue else {
            throw .folderMissing(q, folder: folder)
        }
        // Only what the sign-off attests: SHA256SUMS and the files it lists.
        var files = try Self.folderFiles(folder)
        let listed = Self.listedNames(files[EvidenceFolderName.sums] ?? Data())
        files = files.filter { $0.key == EvidenceFolderName.sums || listed.contains($0.key) }
        let problems = Self.digestProblems(files, evidenceSHA256: evidenceSHA256, where: folder)
        guard problems.isEmpty else {
            throw .folderMismatch(q, problems: problems)
        }
        var tar = TarArchive(mtime: 0)
        for (name, data) in files { tar.add(name, data) }
        let archive: Data
        do { archive = try tar.tarBytes() } catch { throw .archive(error) }
        return try writeCommit(q, archive: archive, recipients: recipients, parent: nil, action: "seal",
                               evidenceSHA256: evidenceSHA256, signoff: signoff, previousBlob: nil, at: now)
    }

    private func writeCommit(_ q: Quarter, archive: Data, recipients: [RecipientCertificate], parent: ObjectID?, action: String,
                             evidenceSHA256: String, signoff: ObjectID?, previousBlob: ObjectID?, at now: Date) throws(EvidenceVaultError) -> Prepared {
        let sealed: Data
        do { sealed = try EvidenceSeal.seal(archive, to: recipients) } catch { throw .sealFailed(q, error) }
        let blob = try gitRead({ () throws(GitError) in try repository.blobID(of: sealed) })
        var lines = ["attest evidence: \(q) \(action == "seal" ? "sealed" : "resealed") for \(recipients.count) recipient\(recipients.count == 1 ? "" : "s")", "",
                     "Attest-Evidence-Quarter: \(q)",
                     "Attest-Evidence-Action: \(action)",
                     "Attest-Evidence: \(evidenceSHA256)",
                     "Attest-Archive-SHA256: \(try Self.sha256(archive))",
                     "Attest-Sealed-Blob: \(blob.hex)"]
        if let previousBlob { lines.append("Attest-Previous-Blob: \(previousBlob.hex)") }
        if let signoff { lines.append("Attest-Signoff: \(signoff.hex)") }
        for r in recipients { lines.append("Attest-Recipient: \(Trailers.oneLine(r.subject)) (\(r.keyType), sha256 \(r.fingerprint))") }
        let sign = try signer()
        let evidence: SealedEvidence
        do {
            evidence = try repository.writeEvidenceCommit(q, sealed: sealed, recipients: recipients.map { (Self.treeName($0), Data($0.pem.utf8)) },
                                               parent: parent, message: lines.joined(separator: "\n") + "\n", at: now, sign: sign)
        } catch { throw .ref(error) }
        return Prepared(evidence: evidence, parent: parent, recipients: recipients)
    }

    public static func trailerLine(_ p: Prepared) -> String { "\(sealedTrailer): \(p.blob.hex)\n" }

    /// After the sign-off commit: moves the evidence ref to the prepared commit.
    public func finishSign(_ p: Prepared, signoff: ObjectID) throws(EvidenceVaultError) {
        do { try repository.moveEvidenceRef(p.evidence.quarter, to: p.evidence.commit, from: p.parent, reason: "attest sign: sealed evidence") } catch {
            throw .refNotSet(signoff: signoff, blob: p.blob, quarter: p.evidence.quarter, commit: p.evidence.commit, error)
        }
    }

    public func move(_ p: Prepared, reason: String) throws(EvidenceVaultError) {
        do { try repository.moveEvidenceRef(p.evidence.quarter, to: p.evidence.commit, from: p.parent, reason: reason) } catch { throw .ref(error) }
    }

    // MARK: open

    public struct Opened {
        public let quarter: Quarter
        public let commit: ObjectID
        public let blob: ObjectID
        public let files: [TarReader.File]
        /// Digest problems (empty: every file matches SHA256SUMS and SHA256SUMS the sign-off).
        public let problems: [String]
    }

    /// The key (and certificate) of a recipient, read from files outside the repository.
    public struct Key {
        public let pem: Data
        public let name: String
        public let certificate: RecipientCertificate?

        public static func load(key: String, cert: String?) throws(EvidenceVaultError) -> Key {
            guard let pem = FileManager.default.contents(atPath: key) else { throw .keyUnreadable(path: key) }
            return Key(pem: pem, name: key, certificate: try cert.map { (c: String) throws(EvidenceVaultError) in try EvidenceVault.loadCertificate(c) })
        }

    }

    /// Decrypts the sealed blob at `commit` (default: the ref's tip) and checks its files.
    public func open(_ q: Quarter, key: Key, evidenceSHA256: String, commit: ObjectID? = nil) throws(EvidenceVaultError) -> Opened {
        let tip = try gitRead({ () throws(GitError) in try repository.evidenceTip(q) })
        guard let at = commit ?? tip else {
            throw .notSealedHere(q)
        }
        let sealed = try gitRead({ () throws(GitError) in try repository.sealedEvidence(q, commit: at) })
        guard let blob = sealed.blob, let data = try gitRead({ () throws(GitError) in try repository.blobData(blob) }) else {
            throw .blobMissing(q, commit: at)
        }
        let archive: Data
        do { archive = try EvidenceSeal.open(data, keyPEM: key.pem, keyName: key.name, certificate: key.certificate) } catch {
            throw .openRefused(q, error)
        }
        let files: [TarReader.File]
        do { files = try TarReader.files(archive, maxFileSize: Self.maxFileSize) } catch {
            throw .archiveRefused(q, blob: blob, error)
        }
        if let nested = files.first(where: { $0.path.contains("/") }) {
            throw .nestedPath(q, path: nested.path)
        }
        var problems = Self.digestProblems(Dictionary(uniqueKeysWithValues: files.map { ($0.path, $0.data) }),
                                           evidenceSHA256: evidenceSHA256, where: "the sealed archive \(blob.short)")
        if let expected = Self.trailer("Attest-Archive-SHA256", try rawMessage(at)), try Self.sha256(archive) != expected {
            problems.append("the sealed archive is not the one its evidence commit \(at.short) records (Attest-Archive-SHA256)")
        }
        return Opened(quarter: q, commit: at, blob: blob, files: files, problems: problems)
    }

    /// Writes opened files into `out` (created 0700; it must not exist or be empty), each 0600,
    /// never following a link and never outside `out`.
    public static func write(_ opened: Opened, to out: String) throws(EvidenceVaultError) {
        var isDir: ObjCBool = false
        if FileManager.default.fileExists(atPath: out, isDirectory: &isDir) {
            guard isDir.boolValue, (try? FileManager.default.contentsOfDirectory(atPath: out))?.isEmpty == true else {
                throw .outNotEmpty(path: out)
            }
            chmod(out, 0o700)
        } else {
            guard mkdir(out, 0o700) == 0 else { throw .cannotCreate(path: out, errno: errno) }
        }
        for f in opened.files {
            let path = out + "/" + f.path
            let fd = Glibc.open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
            guard fd >= 0 else { throw .cannotCreate(path: path, errno: errno) }
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
            guard ok else { throw .cannotWrite(path: path, errno: errno) }
        }
    }

    // MARK: reseal

    /// Opens the tip with a current recipient's key, seals the same archive to the stored
    /// recipients plus `add`, and appends the commit to the ref.
    public func reseal(_ q: Quarter, key: Key, add: RecipientCertificate, evidenceSHA256: String, at now: Date) throws(EvidenceVaultError) -> Prepared {
        guard let tip = try gitRead({ () throws(GitError) in try repository.evidenceTip(q) }) else {
            throw .nothingToReseal(q)
        }
        let current = try gitRead({ () throws(GitError) in try repository.sealedEvidence(q, commit: tip) })
        var recipients: [RecipientCertificate] = []
        for r in current.recipients {
            do { recipients.append(try RecipientCertificate.load(pem: r.pem, name: "\(EvidenceRef.recipientsFolder)/\(r.name)")) } catch {
                throw .recipientUnreadable(q, error)
            }
        }
        guard !recipients.contains(where: { $0.fingerprint == add.fingerprint }) else {
            throw .alreadyRecipient(q, name: add.name, subject: add.subject)
        }
        let opened = try open(q, key: key, evidenceSHA256: evidenceSHA256, commit: tip)
        guard opened.problems.isEmpty else {
            throw .resealMismatch(q, problems: opened.problems)
        }
        var tar = TarArchive(mtime: 0)
        for f in opened.files { tar.add(f.path, f.data) }
        let archive: Data
        do { archive = try tar.tarBytes() } catch { throw .archive(error) }
        let p = try writeCommit(q, archive: archive, recipients: recipients + [add], parent: tip, action: "reseal",
                                evidenceSHA256: evidenceSHA256, signoff: nil, previousBlob: opened.blob, at: now)
        try move(p, reason: "attest evidence reseal: add \(add.subject)")
        return p
    }


    public struct Disposed { public let commit: ObjectID; public let path: String; public let blob: ObjectID?; public let branch: String }

    /// After retention: commits the disposition record on the branch, then deletes the ref.
    public func dispose(_ q: Quarter, at now: Date) throws(EvidenceVaultError) -> Disposed {
        let ends = retentionEnds(q)
        guard now >= ends else {
            throw .retentionNotOver(q, ends: ends, years: policy.evidenceRetentionYears, now: now)
        }
        guard let tip = try gitRead({ () throws(GitError) in try repository.evidenceTip(q) }) else {
            throw .nothingToDispose(q)
        }
        let blob = try gitRead({ () throws(GitError) in try repository.sealedEvidence(q, commit: tip) }).blob
        let preflight: SignoffPreflight
        do { preflight = try repository.signoffPreflight() } catch { throw .signoff(error) }
        let who = try identity()
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
        let unpublished: Repository.UnpublishedSignoff
        do { unpublished = try repository.writeSignoffObject(preflight, path: path, contents: Data(record.utf8), message: message, at: now, sign: sign) } catch { throw .signoff(error) }
        let full = root + "/" + path
        let existed = FileManager.default.fileExists(atPath: full)
        try? FileManager.default.createDirectory(atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        do { try AtomicFile(mode: 0o644, createsFolder: true).write(record, to: full) } catch { throw .recordUnwritable(error) }
        do { try repository.publishSignoff(unpublished) } catch {
            if !existed { try? FileManager.default.removeItem(atPath: full) }
            throw .signoff(error)
        }
        let id = unpublished.id
        do { try repository.deleteEvidenceRef(q, expected: tip) } catch {
            throw .refNotDeleted(q, record: id, branch: preflight.branchName, tip: tip, error)
        }
        return Disposed(commit: id, path: path, blob: blob, branch: preflight.branchName)
    }



    func identity() throws(EvidenceVaultError) -> (name: String, email: String) {
        do { return try repository.committerIdentity() } catch { throw .signoff(error) }
    }

    static func sha256(_ data: Data) throws(EvidenceVaultError) -> String {
        do { return try SHA256.hex(of: data) } catch { throw .digestFailed(error) }
    }
}
