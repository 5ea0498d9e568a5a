import Foundation

/// An error of the operating system's side of attest: a file that cannot be read or written, a
/// program that cannot be started, a temporary folder that cannot be made.
///
/// Each type says what failed and where, with `description` the sentence the user sees. AttestSystem
/// knows nothing of exit codes or of what to do next in a command: the command layer maps every
/// `SystemError` to its environment error (exit 3, `AttestCLI/ErrorReport.swift`), and a caller
/// that has something to add (a remedy, a domain word) catches the case and says it.
public protocol SystemError: Error, Sendable, CustomStringConvertible {}

/// `strerror(errno)`, as the messages quote it.
func reason(_ code: Int32 = errno) -> String { String(cString: strerror(code)) }
