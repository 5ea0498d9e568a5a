import AttestCore

/// `attest completion bash|zsh|fish`: the shell completion script, generated from the same
/// option declarations the parser reads (docs/completion.md, `ShellCompletion`).
struct CompletionCommand: Command {
    static let name = "completion"
    static let summary = "print the bash, zsh or fish completion script for attest"
    static let help = """
    Prints a completion script for the shell: the commands, each command's options and
    subcommands, the policy keys after -c, and for an option's value what it takes: quarters
    (YYYY-QN of the previous, the current and the next UTC year) for --quarter, folders, files,
    or the fixed choices of --format. It is generated from the declarations the parser reads,
    so it offers exactly the options attest accepts. 'make install' installs all three where
    bash-completion, zsh and fish look for them under PREFIX.
    """
    static let helpFooter = """
    Exit codes: 0 printed; 2 usage error (no shell, or one attest does not know).

    Examples:
      source <(attest completion bash)
      attest completion zsh > ~/.zfunc/_attest        # a folder on $fpath, before compinit
      attest completion fish > ~/.config/fish/completions/attest.fish
    """
    static let spec = ArgumentSpec(positionals: .subcommands(ShellCompletion.Shell.allCases.map { .init($0.rawValue) }))

    let shell: ShellCompletion.Shell

    init(arguments: ParsedArguments, context: Context) throws(AttestError) {
        guard let s = ShellCompletion.Shell(rawValue: arguments.positionals[0]) else {
            throw .usage("'completion \(arguments.positionals[0])': attest completes bash, zsh or fish")
        }
        shell = s
    }

    func run(_ context: Context) throws(AttestError) -> Int32 {
        context.out.write(ShellCompletion.script(shell, commands: CLI.commands))
        return 0
    }
}
