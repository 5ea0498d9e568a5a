import AttestCore
import AttestSystem

/// How the command layer states an error of AttestSystem (a file that cannot be read or written,
/// a program that cannot be started, a temporary folder that cannot be made): an environment
/// error, exit 3, in the error's own sentence. A caller with a remedy or a domain word to add
/// catches the case itself (`--pgaudit-log`'s "or '-' to read the log from standard input").
extension AttestError {
    init(_ error: some SystemError) { self = .environment(error.description) }
}
