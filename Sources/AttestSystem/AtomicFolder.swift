import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Why a complete folder could not be put in place; the target is as it was.
public enum AtomicFolderError: SystemError, Equatable {
    /// The target exists (it appeared after the caller looked).
    case targetExists(target: String)
    /// The kernel or libc has no `renameat2`, so an existing folder cannot be swapped in one step.
    case exchangeUnavailable(target: String)
    /// The exchange with the existing target failed.
    case cannotExchange(target: String, reason: String)
    /// The move onto the free target failed.
    case cannotMove(target: String, reason: String)

    public var description: String {
        switch self {
        case .targetExists(let target): return "\(target) already exists"
        case .exchangeUnavailable(let target):
            return "cannot replace \(target) atomically: renameat2 is not available on this system; remove the folder yourself"
        case .cannotExchange(let target, let reason): return "cannot replace \(target): \(reason)"
        case .cannotMove(let target, let reason): return "cannot move \(target) into place: \(reason)"
        }
    }
}

/// Publishes a folder that was assembled elsewhere on the same filesystem (a temporary folder,
/// TempFolders) in one step, with `renameat2(2)`: a reader sees no folder, the old one or the
/// new one, never a part.
public enum AtomicFolder {
    /// Moves `folder` to `target`, which must not exist (`RENAME_NOREPLACE`; a plain `rename`
    /// where `renameat2` is missing, which replaces only an empty folder).
    public static func publish(_ folder: String, as target: String) throws(AtomicFolderError) {
        let rc: Int32
        if let renameat2 = Renameat2.function {
            rc = renameat2(AT_FDCWD, folder, AT_FDCWD, target, Renameat2.noReplace)
        } else {
            rc = rename(folder, target)
        }
        guard rc == 0 else {
            if errno == EEXIST || errno == ENOTEMPTY { throw .targetExists(target: target) }
            throw .cannotMove(target: target, reason: reason())
        }
    }

    /// Swaps `folder` and the existing `target` in one step (`RENAME_EXCHANGE`): afterwards
    /// `target` holds the new folder and `folder` the old one, for the caller to remove.
    public static func exchange(_ folder: String, with target: String) throws(AtomicFolderError) {
        guard let renameat2 = Renameat2.function else { throw .exchangeUnavailable(target: target) }
        guard renameat2(AT_FDCWD, folder, AT_FDCWD, target, Renameat2.exchange) == 0 else {
            throw .cannotExchange(target: target, reason: reason())
        }
    }
}

/// `renameat2(2)`, which Swift's Glibc module does not declare; looked up once with `dlsym`.
enum Renameat2 {
    typealias Fn = @convention(c) (Int32, UnsafePointer<CChar>?, Int32, UnsafePointer<CChar>?, UInt32) -> Int32
    static let noReplace: UInt32 = 1 // RENAME_NOREPLACE
    static let exchange: UInt32 = 2  // RENAME_EXCHANGE
    static let function: Fn? = {
        guard let handle = dlopen(nil, RTLD_NOW), let sym = dlsym(handle, "renameat2") else { return nil }
        return unsafeBitCast(sym, to: Fn.self)
    }()
}
