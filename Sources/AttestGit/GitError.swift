internal import CGit2

/// A libgit2 failure, carrying libgit2's own message read at the failure site
/// (`git_error_last()` is per thread and overwritten by the next call).
public struct GitError: Error, Sendable, CustomStringConvertible {
    /// What attest was doing: "open repository at /tmp/x".
    public let operation: String
    /// libgit2's return code (`GIT_ENOTFOUND` is -3, …).
    public let code: Int32
    /// libgit2's message, or "unknown error".
    public let message: String

    public var description: String { "\(operation): \(message)" }

    public var isNotFound: Bool { code == GIT_ENOTFOUND.rawValue }

    /// Not a libgit2 failure: attest refused what it found (a blob over its cap, a symbolic
    /// link where a file belongs; docs/limits.md).
    public static let refusedCode: Int32 = -10_000
    public var isRefusal: Bool { code == Self.refusedCode }
}

/// Initialises libgit2 once per process.
let libgit2Initialized: Bool = {
    git_libgit2_init()
    return true
}()

/// Turns a libgit2 return code into a `GitError` carrying `git_error_last()`. Call it in the
/// same synchronous expression as the failing call.
@discardableResult
func check(_ code: Int32, _ operation: @autoclosure () -> String) throws(GitError) -> Int32 {
    guard code < 0 else { return code }
    var message = "unknown error"
    if let e = git_error_last(), let m = e.pointee.message { message = String(cString: m) }
    throw GitError(operation: operation(), code: code, message: message)
}
