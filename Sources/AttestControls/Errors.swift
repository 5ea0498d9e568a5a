import Foundation

/// Why `EvidenceFolderWriter.write` wrote nothing (or, for `.cannotReplace`/`.cannotMove`, left
/// the target as it was). Each case is a fact with its path; the command layer
/// (AttestCLI/ErrorReport.swift) picks the exit code and adds the remedy (`--force`, `--out`):
/// docs/ARCHITECTURE.md, "Errors".
public enum EvidenceFolderError: Error, Sendable, CustomStringConvertible {
    /// The target folder exists and `force` was not given.
    case exists(path: String)
    /// The target folder appeared while the evidence was being written (another run).
    case appeared(path: String)
    /// A folder or file could not be created (the system's reason).
    case cannotCreate(path: String, reason: String)
    /// A file could not be written or fsynced.
    case cannotWrite(path: String, reason: String)
    /// The temporary folder could not be made (TempFolders' error).
    case scratch(any Error)
    /// The outcomes are not each step of the catalogue once: `steps` as collected, `expected` the catalogue's.
    case wrongSteps(steps: [Int], expected: [Int])
    /// SHA-256 failed (AttestCrypto's error).
    case digest(String)
    /// The folder exists and this system has no `renameat2` to swap it atomically.
    case noAtomicReplace(path: String)
    /// The swap with the existing folder failed.
    case cannotReplace(path: String, reason: String)
    /// The rename into place failed.
    case cannotMove(path: String, reason: String)

    public var description: String {
        switch self {
        case .exists(let path): return "evidence folder \(path) already exists"
        case .appeared(let path): return "evidence folder \(path) appeared while collecting"
        case .cannotCreate(let path, let reason): return "cannot create \(path): \(reason)"
        case .cannotWrite(let path, let reason): return "cannot write \(path): \(reason)"
        case .scratch(let e): return "\(e)"
        case .wrongSteps(let steps, let expected):
            return "the collected outcomes are for steps \(steps.map(String.init).joined(separator: ", ")), not each of steps 1 to \(expected.count) once; nothing was written"
        case .digest(let m): return "SHA-256 failed: \(m)"
        case .noAtomicReplace(let path): return "cannot replace \(path) atomically: renameat2 is not available on this system"
        case .cannotReplace(let path, let reason): return "cannot replace \(path): \(reason)"
        case .cannotMove(let path, let reason): return "cannot move the evidence into \(path): \(reason)"
        }
    }
}

/// Why the control files of a working tree could not be loaded (`ExtraControls.load`); nothing
/// was run. The command layer adds the remedy (ErrorReport.swift).
public enum ExtraControlsError: Error, Sendable, CustomStringConvertible {
    /// A control file (`<controls.folder>/NAME.sql`) could not be read.
    case unreadable(path: String)
    /// A control file does not parse, or the catalogue is inconsistent (naming the file and line).
    case controlFile(ControlFileError)
    /// The departures list (CC6.3) does not parse (naming the file and line).
    case departures(DocumentError)

    public var description: String {
        switch self {
        case .unreadable(let path): return "cannot read \(path)"
        case .controlFile(let e): return "control file \(e.description)"
        case .departures(let e): return "CC6.3: \(e.description)"
        }
    }
}
