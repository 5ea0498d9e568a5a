import Foundation
import AttestCore
import AttestGit
import AttestCrypto

/// The trusted time of one sign-off commit: its `Attest-Timestamp` token checked offline
/// against the TSA CA file named by the policy *at that commit* (`tsa.caFile` in its
/// `.attestconfig`, the file read from its tree), for the imprint recomputed from the commit
/// (AttestCore.TimestampImprint). `verify`, the hooks and `audit` all come here.
public enum TrustedTime {
    /// The imprint bytes of a sign-off as committed: its document blob, tree (without the
    /// validation files the sign-off adds under the `.ltv` folder), parents.
    public static func imprint(of raw: RawCommit, trailers t: SignoffTrailers, repository: Repository) throws(VerificationError) -> [UInt8] {
        let imprint = try imprintFields(of: raw, trailers: t, repository: repository)
        let bytes: Data
        do { bytes = try imprint.bytes() } catch { throw .imprintInvalid(error) }
        do { return try SHA256.digest(of: bytes) } catch { throw .digestFailed(of: nil, cause: error) }
    }

    /// The imprint's fields for a sign-off as committed (export writes its bytes beside the token).
    public static func imprintFields(of raw: RawCommit, trailers t: SignoffTrailers, repository: Repository) throws(VerificationError) -> TimestampImprint {
        let blob: ObjectID?, tree: ObjectID
        do {
            blob = try repository.blobID(at: t.documentPath, inCommit: raw.id)
            tree = try repository.imprintTree(of: raw.id, addedUnder: ValidationLayout.root(documentPath: t.documentPath))
        } catch {
            throw .documentUnreadable(path: t.documentPath, commit: raw.id, cause: error)
        }
        guard let blob else { throw .imprintDocumentMissing(path: t.documentPath, commit: raw.id) }
        return TimestampImprint(quarter: t.quarter, documentPath: t.documentPath, documentBlob: blob.hex,
                                tree: tree.hex, parents: raw.parents.map(\.hex), evidenceSHA256: t.evidenceSHA256,
                                renews: try renewed(inTree: tree, documentPath: t.documentPath, repository: repository))
    }

    /// The files under the `.ltv` folder of a tree, each with its SHA-256: what a token stamped
    /// over that tree renews (earlier tokens and their validation data).
    public static func renewed(inTree tree: ObjectID, documentPath: String, repository: Repository) throws(VerificationError) -> [TimestampImprint.Renewed] {
        try renewed(inTree: tree, root: ValidationLayout.root(documentPath: documentPath), repository: repository)
    }

    public static func renewed(inTree tree: ObjectID, root: String, repository: Repository) throws(VerificationError) -> [TimestampImprint.Renewed] {
        let files: [(path: String, contents: Data)]
        do { files = try repository.fileContents(inTree: tree, under: root) } catch {
            throw .treeUnreadable(path: root, tree: tree, cause: error)
        }
        var out: [TimestampImprint.Renewed] = []
        for f in files {
            do { out.append(TimestampImprint.Renewed(path: f.path, sha256: try SHA256.hex(of: f.contents))) } catch {
                throw .digestFailed(of: f.path, cause: error)
            }
        }
        return out
    }

    /// TSA times further apart than this are flagged (docs/tsa.md, "Several TSAs").
    public static let maxDisagreement: TimeInterval = 300

    /// The outcome for the rules. Never throws: whatever stops the check makes the token
    /// `invalid`, with the cause named.
    public static func outcome(of raw: RawCommit, repository: Repository) -> TimestampOutcome {
        check(raw, repository: repository).outcome
    }

    /// Which validation data each valid token was checked with (for verify's notes), or that
    /// none is stored, and how several tokens agree; empty without a valid token.
    public static func validationNotes(of raw: RawCommit, repository: Repository) -> [String] {
        check(raw, repository: repository).notes
    }

    /// The sign-off's tokens (the `Attest-Timestamp` trailer's, and any other the sign-off
    /// stores as `.tst` under its quarter's `.ltv` folder: several TSAs), each checked with the
    /// validation data stored for it (`.ltv/YYYY-QN/<token digest>.*`, docs/tsa.md) when there
    /// is some, and without any (tokens from before attest stored it) for the chain at genTime
    /// only, as the note says. The trusted time is the earliest of the tokens that verify.
    public static func check(_ raw: RawCommit, repository: Repository) -> (outcome: TimestampOutcome, notes: [String]) {
        let results = tokens(of: raw, repository: repository)
        guard let primary = results.first else { return (.absent, []) }
        guard let trailers = try? SignoffTrailers.parse(message: raw.message) else { return (.absent, []) }
        let folder = ValidationLayout.folder(documentPath: trailers.documentPath, quarter: trailers.quarter.description)
        var valid: [(time: Date, authority: String, longTerm: LongTermStamp?)] = []
        var failed: [String] = []
        for r in results {
            switch r {
            case .valid(let t, let a, let l): valid.append((t, a, l))
            case .other(.invalid(let why)): failed.append(why)
            case .other: break
            }
        }
        guard let earliest = valid.min(by: { $0.time < $1.time }) else {
            if case .other(let o) = primary { return (o, []) }
            return (.invalid(failed.joined(separator: "; ")), [])
        }
        var notes = valid.map { v in
            v.longTerm.map { "validation data \(folder)/\(ValidationLayout.digest(of: $0.stamp.token).prefix(12))…: \($0.summary)" }
                ?? "no validation data is stored for the timestamp token of TSA \(v.authority): its TSA certificate's chain was checked at the token's time, its revocation was not (docs/tsa.md)"
        }
        if results.count > 1 {
            let spread = valid.map(\.time).max()!.timeIntervalSince(earliest.time)
            var line = "\(valid.count) of \(results.count) timestamp tokens verify: " + valid.map { "TSA \($0.authority) at \(UTC.iso($0.time))" }.joined(separator: ", ")
                + "; the trusted time is the earliest"
            if spread > maxDisagreement {
                line += "; the TSAs disagree by \(Int(spread)) seconds (more than \(Int(maxDisagreement))): check their clocks"
            }
            if !failed.isEmpty { line += "; not verifying: " + failed.joined(separator: "; ") }
            notes.append(line)
        }
        return (.valid(time: earliest.time, authority: earliest.authority), notes)
    }

    public enum Checked { case valid(Date, String, LongTermStamp?), other(TimestampOutcome) }

    /// Each token of a sign-off, checked: the trailer's first, then those it stores as `.tst`
    /// under its quarter's folder; empty without a token.
    public static func tokens(of raw: RawCommit, repository: Repository) -> [Checked] {
        guard let trailers = try? SignoffTrailers.parse(message: raw.message),
              let text = trailers.timestamp else { return [] }
        guard let token = Data(base64Encoded: text), !token.isEmpty else {
            return [.other(.invalid("corrupted timestamp token: the Attest-Timestamp trailer is not base64"))]
        }
        let folder = ValidationLayout.folder(documentPath: trailers.documentPath, quarter: trailers.quarter.description)
        let others = ((try? repository.filesAdded(by: raw.id, under: folder)) ?? []).filter { $0.hasSuffix(".tst") && !$0.contains("/refreshed/") }
            .compactMap { try? repository.blob(at: $0, inCommit: raw.id) }.filter { $0 != token }
        return ([token] + others).map { checked(raw, trailers: trailers, token: $0, repository: repository) }
    }

    /// Validation data stored for a token by later renewals (a sign-off or `attest timestamp
    /// renew` refreshes the revocation data of every earlier token): every folder under `root`
    /// at HEAD but the token's own that holds `<token digest>.chain.pem`.
    public static func laterData(for token: Data, root: String, besides own: String, repository: Repository) -> [ValidationData] {
        guard let head = repository.headCommit, let tree = try? repository.commitLinks(head).tree,
              let all = try? repository.fileContents(inTree: tree, under: root) else { return [] }
        let prefix = ValidationLayout.digest(of: token) + "."
        var folders: [String: [String: Data]] = [:]
        for f in all {
            let folder = (f.path as NSString).deletingLastPathComponent, name = (f.path as NSString).lastPathComponent
            guard folder != own, name.hasPrefix(prefix) else { continue }
            folders[folder, default: [:]][name] = f.contents
        }
        return folders.keys.sorted().compactMap { ValidationLayout.data(token: token, files: folders[$0]!) }
    }

    /// The sign-off's own data with the later data added (nil when there is none at all).
    public static func merged(_ own: ValidationData?, _ later: [ValidationData]) -> ValidationData? {
        guard var out = own ?? later.first else { return nil }
        for l in later where l != out {
            out.chainPEM.append(l.chainPEM)
            out.crls += l.crls
            out.ocspResponses += l.ocspResponses
        }
        return out
    }

    public static func checked(_ raw: RawCommit, trailers: SignoffTrailers, token: Data, repository: Repository) -> Checked {
        verifyToken(raw, token: token, folder: ValidationLayout.folder(documentPath: trailers.documentPath, quarter: trailers.quarter.description),
                    root: ValidationLayout.root(documentPath: trailers.documentPath), repository: repository) {
            try imprint(of: raw, trailers: trailers, repository: repository)
        }
    }

    /// One token of commit `raw` against the CA file named by the policy at that commit (which
    /// the commit itself must not change), with the validation data stored for it in `folder`
    /// of the commit and anywhere under `root` at HEAD; `makeImprint` gives the imprint.
    public static func verifyToken(_ raw: RawCommit, token: Data, folder: String, root: String, repository: Repository,
                            imprint makeImprint: () throws -> [UInt8]) -> Checked {
        do {
            // The committed policy only (no -c): a trust anchor is what the history says.
            let files = PolicyFiles(repository: repository, overrides: [])
            let policy = try files.policy(at: raw.id)
            guard !policy.tsaCAFile.isEmpty else {
                return .other(.invalid("cannot check the timestamp token: tsa.caFile is not set in the .attestconfig of \(raw.id.short)"))
            }
            let pem: Data?
            do { pem = try repository.blob(at: policy.tsaCAFile, inCommit: raw.id) } catch {
                return .other(.invalid("cannot read the TSA CA file \(policy.tsaCAFile) in \(raw.id.short): \(error.message)"))
            }
            guard let pem else {
                return .other(.invalid("cannot check the timestamp token: the TSA CA file \(policy.tsaCAFile) (tsa.caFile) is not in commit \(raw.id.short)"))
            }
            // The trust anchor must predate the sign-off: `attest sign` changes only the
            // attestation file, so a sign-off that brings its own CA is not to be trusted.
            if let parent = raw.parents.first {
                let parentPolicy = try? files.policy(at: parent)
                let before = try? repository.blob(at: policy.tsaCAFile, inCommit: parent)
                if parentPolicy?.tsaCAFile != policy.tsaCAFile || before != pem {
                    return .other(.invalid("the sign-off commit \(raw.id.short) itself changes the TSA CA file \(policy.tsaCAFile) (or tsa.caFile); a token is trusted only against a CA committed before the sign-off"))
                }
            }
            let digest = try makeImprint()
            let caName = "\(policy.tsaCAFile)@\(raw.id.short)"
            let stored: [String: Data]
            do { stored = try repository.fileContents(under: folder, inCommit: raw.id) } catch {
                return .other(.invalid("cannot read the timestamp validation data in \(folder) of \(raw.id.short): \(error.message)"))
            }
            if let data = merged(ValidationLayout.data(token: token, files: stored),
                                 laterData(for: token, root: root, besides: folder, repository: repository)) {
                let long = try LongTermVerifier.verify(token: token, imprint: digest, caPEM: pem, caName: caName, data: data)
                return .valid(long.stamp.time, long.stamp.tsaSubject, long)
            }
            let stamp = try TimeStampVerifier.verify(token: token, imprint: digest, caPEM: pem, caName: caName)
            return .valid(stamp.time, stamp.tsaSubject, nil)
        } catch let e as TimeStampError {
            return .other(.invalid(e.description))
        } catch let e as VerificationError {
            return .other(.invalid("cannot check the timestamp token: \(e.description)"))
        } catch let e as AttestError {
            return .other(.invalid("cannot check the timestamp token: \(e.description)"))
        } catch {
            return .other(.invalid("cannot check the timestamp token: \(error)"))
        }
    }

    /// "TSA <subject> at <instant>" or "git dates only": which time a verdict rests on.
    public static func basis(_ outcome: TimestampOutcome) -> String {
        if case .valid(let time, let authority) = outcome { return "TSA \(authority) at \(UTC.iso(time))" }
        return "git dates only"
    }
}
