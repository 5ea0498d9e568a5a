/// The errors attest reports. Each case carries a message written for the person at the
/// terminal: what went wrong, where (quarter, step, file, line), and what to do next.
///
/// The command layer maps a case to an exit code (DESIGN.md §5: AttestCLI/ErrorReport.swift).
public enum AttestError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The command line is wrong (exit 2).
    case usage(String)
    /// A check failed: a finding, a refused sign-off, a verification failure (exit 1).
    case failed(String)
    /// The environment is wrong: database, repository, a missing tool, a file that cannot be read (exit 3).
    case environment(String)
    /// A policy value in `.attestconfig` or `-c` is invalid (exit 2).
    case config(String)

    public var description: String {
        switch self {
        case .usage(let m), .failed(let m), .environment(let m), .config(let m): return m
        }
    }
}
