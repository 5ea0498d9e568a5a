import Foundation
import AttestCore
import AttestCrypto
import AttestSystem
#if canImport(Glibc)
import Glibc
#endif

/// Writes a quarter's evidence folder so that it proves itself: the seven step files,
/// `results.json` and `SHA256SUMS` (`sha256sum -c` format, covering the other files).
///
/// Nothing is half-written: everything goes into a fresh temporary folder in the evidence
/// root's one place for them (`<root>/.attest-tmp/<name>.<pid>.XXXXXX`, TempFolders; mode
/// 0700, files 0600, each fsynced), which is then renamed into
/// place with `renameat2(RENAME_NOREPLACE)` (AtomicFolder.publish). An existing folder is refused unless `force`, which
/// swaps the new folder in with `renameat2(RENAME_EXCHANGE)` (AtomicFolder.exchange) — one atomic step — and then
/// removes the old one. On failure the temporary folder is removed and the target is untouched.
/// A run that is killed leaves its temporary folder (after an exchange, holding the old
/// evidence); the next run removes it (`TempFolders.sweep`).
public enum EvidenceFolderWriter {
    public static let sumsFile = "SHA256SUMS"
    public static let resultsFile = "results.json"

    /// Builds `results.json` from the outcomes and writes the folder; returns the results.
    public static func write(quarter: Quarter, asOf: Date, collected: Collector.Collected, to target: String,
                             force: Bool, tool: String) throws(EvidenceFolderError) -> EvidenceResults {
        let target = (target as NSString).standardizingPath
        let parent = (target as NSString).deletingLastPathComponent
        let name = (target as NSString).lastPathComponent
        if exists(target) && !force {
            throw .exists(path: target)
        }
        do { try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700]) } catch {
            throw .cannotCreate(path: parent, reason: error.localizedDescription)
        }
        let scratch = TempFolders.evidenceBase(root: parent)
        TempFolders.sweep(scratch)
        sweepLegacy(parent)
        let tmp: String
        do { tmp = try TempFolders.make(in: scratch, label: name.replacingOccurrences(of: ".", with: "_")) } catch { throw .scratch(error) }
        var keepTmp = false
        defer {
            if !keepTmp { try? FileManager.default.removeItem(atPath: tmp) }
            rmdir(scratch) // only when empty: no other run is using it
        }

        // Files are written first and fsynced together at the end: one journal commit carries
        // them all, instead of one commit per file.
        var open: [(fd: Int32, path: String)] = []
        defer { for f in open { close(f.fd) } }
        func writeFile(_ path: String, _ data: Data) throws(EvidenceFolderError) { open.append((try EvidenceFolderWriter.create(path, data), path)) }
        var steps: [StepResult] = []
        var sums: [(String, String)] = []
        // Each outcome names its step; the folder holds each step of the catalogue once.
        let numbers = collected.outcomes.map(\.step)
        guard numbers.sorted() == Controls.all.map(\.step) else {
            throw .wrongSteps(steps: numbers, expected: Controls.all.map(\.step))
        }
        for o in collected.outcomes.sorted(by: { $0.step < $1.step }) {
            guard let c = Controls.step(o.step) else { continue }
            try writeFile(tmp + "/" + c.evidenceFile, o.evidence)
            let digest = try sha(o.evidence)
            sums.append((digest, c.evidenceFile))
            steps.append(StepResult(step: c.step, criterion: c.criterion, name: c.name, status: o.status, summary: o.summary,
                                    findings: o.details, sql: o.sql, parameters: o.parameters,
                                    rowCount: o.rowCount, evidenceFile: c.evidenceFile, sha256: digest))
        }
        for x in collected.extras {
            let c = x.control, o = x.outcome
            try writeFile(tmp + "/" + c.evidenceFile, o.evidence)
            let digest = try sha(o.evidence)
            sums.append((digest, c.evidenceFile))
            var r = StepResult(step: c.step, criterion: c.criterion, name: c.name, status: o.status, summary: o.summary,
                               findings: o.findings.map { StepFinding(detail: $0) }, sql: o.sql, parameters: o.parameters,
                               rowCount: o.rowCount, evidenceFile: c.evidenceFile, sha256: digest)
            r.controlId = c.id; r.source = c.source; r.onFinding = c.onFinding
            if let copy = x.sqlCopy {
                // The file exactly as run: its SHA-256 is the committed file's.
                try writeFile(tmp + "/" + copy.name, copy.bytes)
                r.sqlFile = copy.name
                r.sqlSHA256 = try sha(copy.bytes)
                sums.append((r.sqlSHA256!, copy.name))
            }
            steps.append(r)
        }
        let results = EvidenceResults(schemaVersion: collected.extras.isEmpty ? 1 : EvidenceResults.currentSchemaVersion,
                                      quarter: quarter, asOf: UTC.iso(asOf), database: collected.database,
                                      snapshotId: collected.snapshotId, steps: steps, tool: tool)
        let json = results.encoded()
        try writeFile(tmp + "/" + resultsFile, json)
        sums.append((try sha(json), resultsFile))
        try writeFile(tmp + "/" + sumsFile, Data(sums.map { "\($0.0)  \($0.1)\n" }.joined().utf8))
        for f in open where fsync(f.fd) != 0 {
            throw .cannotWrite(path: f.path, reason: String(cString: strerror(errno)))
        }
        Descriptor.syncFolder(tmp)

        if exists(target) {
            guard force else { throw .exists(path: target) }
            do { try AtomicFolder.exchange(tmp, with: target) } catch {
                switch error {
                case .exchangeUnavailable: throw .noAtomicReplace(path: target)
                case .cannotExchange(_, let reason): throw .cannotReplace(path: target, reason: reason)
                default: throw .cannotReplace(path: target, reason: error.description)
                }
            }
            // tmp now holds the old folder; the defer removes it.
        } else {
            do { try AtomicFolder.publish(tmp, as: target) } catch {
                switch error {
                case .targetExists: throw .appeared(path: target)
                case .cannotMove(_, let reason): throw .cannotMove(path: target, reason: reason)
                default: throw .cannotMove(path: target, reason: error.description)
                }
            }
            keepTmp = true
        }
        Descriptor.syncFolder(parent)
        return results
    }

    /// Temporary folders of earlier versions (`.<name>.tmp-XXXXXX` beside the target), removed
    /// once they are an hour old: they name no process, so a younger one may still be in use.
    static func sweepLegacy(_ parent: String) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: parent) else { return }
        for name in names where name.hasPrefix(".") && name.range(of: #"^\..+\.tmp-[A-Za-z0-9]{6}$"#, options: .regularExpression) != nil {
            var st = stat()
            guard lstat(parent + "/" + name, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR, time(nil) - st.st_mtim.tv_sec > 3600 else { continue }
            try? FileManager.default.removeItem(atPath: parent + "/" + name)
        }
    }

    static func exists(_ path: String) -> Bool {
        var st = stat()
        return lstat(path, &st) == 0
    }

    static func sha(_ data: Data) throws(EvidenceFolderError) -> String {
        do { return try AttestCrypto.SHA256.hex(of: data) } catch { throw .digest("\(error)") }
    }

    /// Creates a new file 0600 (never following a symlink, never reusing a file) and writes it;
    /// returns the open descriptor, for the caller to fsync and close.
    static func create(_ path: String, _ data: Data) throws(EvidenceFolderError) -> Int32 {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw .cannotCreate(path: path, reason: String(cString: strerror(errno))) }
        let ok: Bool = Descriptor.writeAll(fd, data)
        guard ok else {
            let reason = String(cString: strerror(errno))
            close(fd)
            throw .cannotWrite(path: path, reason: reason)
        }
        return fd
    }
}
