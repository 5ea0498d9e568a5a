import Foundation
import AttestCore
import AttestMarkdown

/// The entry point: global options, dispatch to a command, errors to exit codes.
public enum CLI {
    /// Every command, in the order `attest help` lists them. An immutable list of metatypes:
    /// nothing in it can change after start-up, so reading it from any thread is safe.
    nonisolated(unsafe) public static let commands: [any Command.Type] = [
        ScheduleCommand.self,
        StatusCommand.self,
        InitCommand.self,
        CollectCommand.self,
        RenderCommand.self,
        SignCommand.self,
        VerifyCommand.self,
        HookCommand.self,
        AuditCommand.self,
        TimestampCommand.self,
        ExportCommand.self,
        EvidenceCommand.self,
        CompletionCommand.self,
        ControlsCommand.self,
    ]

    static let globalUsage = "usage: attest [-c key=value]... <command> [options]"

    /// Runs attest with `arguments` (without the program name) and returns the exit code.
    public static func main(_ arguments: [String], environment: [String: String] = ProcessInfo.processInfo.environment,
                            workingDirectory: String = FileManager.default.currentDirectoryPath,
                            out: Output? = nil, err: Output? = nil) -> Int32 {
        let out = out ?? Output(fileDescriptor: 1, environment: environment)
        let err = err ?? Output(fileDescriptor: 2, environment: environment)
        CommonMark.install() // attestation files are read as cmark-gfm renders them (issue #15)
        var args = arguments[...]
        var overrides: [Policy.Entry] = []

        func usageError(_ message: String, usage: String, helpHint: String) -> Int32 {
            err.line("\(err.styled("error:", .red)) \(message)")
            err.line(usage)
            err.line("  See '\(helpHint)'.")
            return 2
        }

        // Global options come before the command, as with git.
        while let a = args.first, a.hasPrefix("-") {
            args = args.dropFirst()
            switch a {
            case "--version":
                out.line("attest \(AttestVersion.current)")
                return 0
            case "-h", "--help":
                out.write(overview())
                return 0
            case "-c":
                guard let kv = args.first else { return usageError("option '-c' needs key=value", usage: globalUsage, helpHint: "attest help") }
                args = args.dropFirst()
                guard let eq = kv.firstIndex(of: "="), eq != kv.startIndex else {
                    return usageError("option '-c' needs key=value, got '\(kv)'", usage: globalUsage, helpHint: "attest help")
                }
                overrides.append(Policy.Entry(name: String(kv[..<eq]), value: String(kv[kv.index(after: eq)...]), origin: "-c"))
            default:
                return usageError("unknown option '\(a)'", usage: globalUsage, helpHint: "attest help")
            }
        }

        guard let name = args.first else {
            err.line("\(err.styled("error:", .red)) no command given")
            err.line(globalUsage)
            err.line("  See 'attest help'.")
            return 2
        }
        args = args.dropFirst()

        if name == "help" {
            guard let topic = args.first else { out.write(overview()); return 0 }
            if topic == "config" { out.write(configHelp()); return 0 }
            guard let cmd = command(named: topic) else {
                return usageError("unknown command '\(topic)'", usage: globalUsage, helpHint: "attest help")
            }
            out.write(helpText(cmd))
            return 0
        }

        guard let cmd = command(named: name) else {
            return usageError("unknown command '\(name)'", usage: globalUsage, helpHint: "attest help")
        }

        let context = Context(environment: environment, workingDirectory: workingDirectory, overrides: overrides, out: out, err: err)
        do {
            let parsed = try ParsedArguments.parse(Array(args), spec: cmd.spec)
            if parsed.helpRequested { out.write(helpText(cmd)); return 0 }
            let instance: any Command
            do { instance = try cmd.init(arguments: parsed, context: context) } catch AttestError.usage(let m) {
                return usageError(m, usage: cmd.usageLine, helpHint: "attest \(cmd.name) --help")
            }
            return try instance.run(context)
        } catch AttestError.usage(let m) {
            return usageError(m, usage: cmd.usageLine, helpHint: "attest \(cmd.name) --help")
        } catch {
            err.line("\(err.styled("error:", .red)) \(error.description)")
            return error.exitCode
        }
    }

    static func command(named name: String) -> (any Command.Type)? {
        commands.first { $0.name == name }
    }

    static func helpText(_ cmd: any Command.Type) -> String { cmd.helpText }

    static func overview() -> String {
        var s = """
        attest \(AttestVersion.current): SOC-2 quarterly attestation in git

        \(globalUsage)

        Commands:

        """
        let width = commands.map { $0.name.count }.max() ?? 0
        for c in commands { s += "  \(c.name.padding(toLength: width, withPad: " ", startingAt: 0))  \(c.summary)\n" }
        s += """

        Global options:
          -c key=value   override a policy key of .attestconfig for this run (see 'attest help config')
          --version      print the version
          -h, --help     this text; 'attest help <command>' for one command

        Exit codes: 0 success, 1 findings or verification failure, 2 usage error, 3 environment error.

        """
        return s
    }

    static func configHelp() -> String {
        var s = "Policy keys (.attestconfig at the repository root, git-config syntax; override with -c key=value):\n\n"
        let defaults = Policy()
        for k in Policy.keys {
            s += "  \(k.name) = \(k.current(defaults))\n      \(k.help); \(k.kind.accepted)\n"
        }
        return s
    }
}
