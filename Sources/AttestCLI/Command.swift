import Foundation
import AttestCore
import AttestGit

/// One attest command: one type, one file under `Commands/`, registered in `CLI.commands`.
///
/// `init(arguments:)` validates everything the user typed before any work starts;
/// `run(_:)` does the work and returns the exit code.
public protocol Command {
    static var name: String { get }
    /// One line for `attest help`.
    static var summary: String { get }
    /// What `attest help <command>` says before the Options block: what the command does.
    static var help: String { get }
    /// What it says after the Options block: exit codes and examples.
    static var helpFooter: String { get }
    /// The options (each with its help, see `Option`) and positionals: the parser, the usage
    /// line, the Options block and the shell completions all read this one declaration.
    static var spec: ArgumentSpec { get }

    init(arguments: ParsedArguments, context: Context) throws(AttestError)
    func run(_ context: Context) throws(AttestError) -> Int32
}

extension Command {
    /// The synopsis after `attest `, generated: `schedule [--year YYYY] [--json]`.
    static var usage: String { [name, spec.synopsis].filter { !$0.isEmpty }.joined(separator: " ") }
    static var usageLine: String { "usage: attest \(usage)" }
    /// `attest help <command>`: the usage line, the description, the generated Options block,
    /// exit codes and examples.
    static var helpText: String {
        [usageLine, help, spec.optionsBlock(), helpFooter]
            .map { $0.trimmingCharacters(in: .newlines) }.filter { !$0.isEmpty }.joined(separator: "\n\n") + "\n"
    }
}

/// Where a command writes and what it knows of its surroundings.
public final class Context: @unchecked Sendable {
    public let environment: [String: String]
    public let workingDirectory: String
    /// `-c key=value` overrides, in order.
    public let overrides: [Policy.Entry]
    public let out: Output
    public let err: Output

    public init(environment: [String: String], workingDirectory: String, overrides: [Policy.Entry], out: Output, err: Output) {
        self.environment = environment; self.workingDirectory = workingDirectory; self.overrides = overrides
        self.out = out; self.err = err
    }

    /// The system clock. There is no flag or variable to change it (DESIGN.md §4.5):
    /// tests and the demo run the binary under `faketime`.
    public var now: Date { Date() }

    /// The policy of the repository around the working directory, or the defaults plus `-c`
    /// when there is no repository (for commands that do not need one).
    public func policy(requireRepository: Bool = false) throws(AttestError) -> Policy {
        let repo: AttestGit.Repository
        do { repo = try repository() } catch {
            if requireRepository { throw error }
            return try Policy(entries: overrides)
        }
        return try reporting { try repo.loadPolicy(overrides: overrides) }
    }

    private var cachedRepository: AttestGit.Repository?

    /// The repository around the working directory; an environment error when there is none.
    public func repository() throws(AttestError) -> AttestGit.Repository {
        if let r = cachedRepository { return r }
        do {
            let r = try AttestGit.Repository.discover(from: workingDirectory)
            cachedRepository = r
            return r
        } catch {
            throw .environment("not in a git repository (\(error.message)); run attest inside your compliance repository, or 'git init' one")
        }
    }

}


/// A line-oriented writer to a file descriptor; colour only when it is a TTY and `NO_COLOR`
/// is unset.
public final class Output: @unchecked Sendable {
    private let handle: FileHandle?
    private var buffer: [String]?
    public let colour: Bool

    public init(fileDescriptor: Int32, environment: [String: String]) {
        handle = FileHandle(fileDescriptor: fileDescriptor, closeOnDealloc: false)
        colour = isatty(fileDescriptor) == 1 && environment["NO_COLOR"] == nil && environment["TERM"] != "dumb"
    }

    /// An in-memory output, for tests.
    public init() { handle = nil; buffer = []; colour = false }

    public var isTerminal: Bool { colour }

    public func write(_ s: String) {
        if buffer != nil { buffer!.append(s); return }
        handle?.write(Data(s.utf8))
    }

    public func line(_ s: String = "") { write(s + "\n") }

    /// The text written so far (in-memory outputs only).
    public var text: String { buffer?.joined() ?? "" }

    public enum Style: String { case bold = "1", red = "31", green = "32", yellow = "33", dim = "2" }

    public func styled(_ s: String, _ style: Style) -> String {
        colour ? "\u{1B}[\(style.rawValue)m\(s)\u{1B}[0m" : s
    }
}
