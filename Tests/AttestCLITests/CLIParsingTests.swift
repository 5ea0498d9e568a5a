import Foundation
import Testing
import AttestTestSupport
@testable import AttestCLI

/// One in-process run of `CLI.main`, as the binary's `main.swift` calls it.
struct InProcessRun: CustomStringConvertible {
    let status: Int32
    let stdout: String
    let stderr: String
    var description: String { "exit \(status)\nstdout: \(stdout)\nstderr: \(stderr)" }
}

func cli(_ arguments: [String], in directory: String) -> InProcessRun {
    let out = Output(), err = Output()
    let status = CLI.main(arguments, environment: testEnvironment(home: directory), workingDirectory: directory, out: out, err: err)
    return InProcessRun(status: status, stdout: out.text, stderr: err.text)
}

/// The words that put a command in a form its parser accepts: its first subcommand and that
/// form's positionals (`hook pre-push <remote> <url>`).
func firstForm(_ cmd: any Command.Type) -> [String] {
    guard let sub = cmd.spec.subcommands.first else { return [cmd.name] }
    return [cmd.name, sub.name] + sub.arguments.map { _ in "x" }
}

/// Parsing, usage errors and help through `CLI.main(…, out:, err:)`, in process, for every
/// command: nothing here needs the binary, a repository or a database, because every case is
/// decided before a command touches anything.
@Suite struct CLIParsingTests {
    let scratch = Scratch("cli-parse")

    func spec(_ options: [any DeclaredOption], _ positionals: ArgumentSpec.Positionals = .none) -> ArgumentSpec {
        ArgumentSpec(options: options, positionals: positionals)
    }

    @Test func valuesFlagsAndPositionalsParseEveryWayTheyAreWritten() throws {
        let quarter = Option("quarter", value: "YYYY-QN", help: "q")
        let issue = Option("issue", value: "STEP=REF", repeatable: true, help: "i")
        let json = Flag("json", help: "j")
        let force = Flag("force", help: "f")
        let s = spec([quarter, issue, json, force], .optional("REV"))
        let p = try ParsedArguments.parse(["--quarter=2026-Q1", "--issue", "6=#1", "--json", "--issue=7=#2", "HEAD~1"], spec: s)
        #expect(p[quarter] == "2026-Q1")
        #expect(p.all(issue) == ["6=#1", "7=#2"])
        #expect(p[json] && !p[force])
        #expect(p.given(quarter) && !p.given(force))
        #expect(p.positionals == ["HEAD~1"] && !p.helpRequested)
        // After `--` everything is a positional, even what looks like an option; `-` is one too.
        let dashed = try ParsedArguments.parse(["--", "--json"], spec: s)
        #expect(dashed.positionals == ["--json"] && !dashed[json])
        #expect(try ParsedArguments.parse(["-"], spec: s).positionals == ["-"])
        // An empty value is a value (the command decides whether it makes sense).
        #expect(try ParsedArguments.parse(["--quarter="], spec: s)[quarter] == "")
        // -h anywhere asks for help, and then neither positionals nor values are judged.
        #expect(try ParsedArguments.parse(["a", "b", "c", "--help"], spec: s).helpRequested)
    }

    @Test func theUsageLineIsGeneratedFromTheDeclarations() {
        let key = Option("key", value: "KEY", help: "k")
        let late = Flag("late", help: "l")
        let s = spec([Option("from", value: "DATE", required: true, help: "f"), late, Option("reason", value: "TEXT", required: true, goesWith: late, help: "r"),
                      Option("log", value: "FILE", repeatable: true, help: "l"), Option("format", value: "F", completion: .choices(["a", "b"]), help: "f"),
                      key, Option("cert", value: "CERT", goesWith: key, help: "c")],
                     .subcommands([.init("open"), .init("seal", arguments: ["<dir>"], options: [Flag("force", help: "f")])]))
        #expect(s.synopsis == "(open | seal <dir>) --from DATE [--late --reason TEXT] [--log FILE]... [--format a|b] [--key KEY [--cert CERT]]")
        #expect(SignCommand.usageLine == "usage: attest sign [--quarter YYYY-QN] [--evidence DIR] [--late --reason TEXT] [--amends TEXT] [--replace-unpushed] [--tsa URL] [--json]")
        #expect(HookCommand.usage == "hook (pre-push <remote> <url> | pre-receive | update <ref> <old> <new> | install [--force] | uninstall)")
        #expect(VerifyCommand.usage == "verify [REV] [--evidence DIR] [--key KEY [--cert CERT]] [--json]")
        #expect(InitCommand.usage == "init")
    }

    @Test func theOptionsBlockWrapsEachHelpBesideTheWidestTag() {
        let s = spec([Option("evidence", value: "DIR", help: String(repeating: "word ", count: 40)), Flag("json", help: "short")])
        let lines = s.optionsBlock(width: 60).split(separator: "\n").map(String.init)
        #expect(lines[0] == "Options:")
        #expect(lines[1].hasPrefix("  --evidence DIR   word word"))
        #expect(lines.allSatisfy { $0.count <= 60 }, "\(lines)")
        #expect(lines.dropFirst(2).dropLast().allSatisfy { $0.hasPrefix(String(repeating: " ", count: 19) + "word") }, "\(lines)")
        #expect(lines.last == "  --json           short")
        // 41 columns beside the tag hold eight 4-letter words: 40 words are five lines.
        #expect(lines.count == 1 + 5 + 1, "\(lines)")
    }

    /// The error form of STYLE.md: `error:` and the message, the usage line, the pointer to
    /// the help; exit 2, nothing on stdout.
    func expectUsageError(_ args: [String], _ message: String, usage: String, hint: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let r = cli(args, in: scratch.path)
        #expect(r.status == 2, "\(args): \(r)", sourceLocation: sourceLocation)
        #expect(r.stdout.isEmpty, "\(args): \(r)", sourceLocation: sourceLocation)
        #expect(r.stderr == "error: \(message)\n\(usage)\n  See '\(hint)'.\n", "\(args): \(r)", sourceLocation: sourceLocation)
    }

    @Test func everyCommandRefusesAnUnknownOptionWithItsUsageLine() {
        for cmd in CLI.commands {
            expectUsageError(firstForm(cmd) + ["--no-such-option"], "unknown option '--no-such-option'", usage: cmd.usageLine, hint: "attest \(cmd.name) --help")
            expectUsageError(firstForm(cmd) + ["-x"], "unknown option '-x'", usage: cmd.usageLine, hint: "attest \(cmd.name) --help")
        }
    }

    @Test func everyValueOptionNeedsItsValueAndIsGivenOnceUnlessRepeatable() {
        var checked = 0
        for cmd in CLI.commands {
            for o in cmd.spec.options {
                let flag = "--\(o.name)"
                guard let value = o.valueName else {
                    expectUsageError(firstForm(cmd) + ["\(flag)=yes"], "option '\(flag)' takes no value", usage: cmd.usageLine, hint: "attest \(cmd.name) --help")
                    continue
                }
                expectUsageError(firstForm(cmd) + [flag], "option '\(flag)' needs a value (\(value))", usage: cmd.usageLine, hint: "attest \(cmd.name) --help")
                if !o.repeatable {
                    expectUsageError(firstForm(cmd) + [flag, "a", "\(flag)=b"], "option '\(flag)' given more than once", usage: cmd.usageLine, hint: "attest \(cmd.name) --help")
                }
                checked += 1
            }
        }
        #expect(checked > 25)
    }

    @Test func everyCommandRefusesOnePositionalTooManyAndOneTooFew() {
        for cmd in CLI.commands {
            let spec = cmd.spec
            let most = spec.positionalRange.upperBound
            let args: [String]
            switch spec.positionals {
            case .subcommands(let subs):
                let longest = subs.max { $0.arguments.count < $1.arguments.count }!
                args = [cmd.name, longest.name] + Array(repeating: "x", count: longest.arguments.count) + ["extra"]
            default: args = [cmd.name] + Array(repeating: "x", count: most) + ["extra"]
            }
            expectUsageError(args, "unexpected argument 'extra'", usage: cmd.usageLine, hint: "attest \(cmd.name) --help")
            if spec.positionalRange.lowerBound > 0 {
                expectUsageError([cmd.name], "missing argument", usage: cmd.usageLine, hint: "attest \(cmd.name) --help")
            }
        }
    }

    @Test func theGlobalOptionsAndTheCommandWordAreCheckedFirst() {
        let global = "usage: attest [-c key=value]... <command> [options]"
        expectUsageError(["--nope"], "unknown option '--nope'", usage: global, hint: "attest help")
        expectUsageError(["-c"], "option '-c' needs key=value", usage: global, hint: "attest help")
        expectUsageError(["-c", "novalue", "status"], "option '-c' needs key=value, got 'novalue'", usage: global, hint: "attest help")
        expectUsageError(["bogus"], "unknown command 'bogus'", usage: global, hint: "attest help")
        expectUsageError(["help", "bogus"], "unknown command 'bogus'", usage: global, hint: "attest help")
        expectUsageError([], "no command given", usage: global, hint: "attest help")
    }

    @Test func helpIsTheSameThreeWaysForEveryCommand() {
        for cmd in CLI.commands {
            let a = cli([cmd.name, "--help"], in: scratch.path)
            let b = cli([cmd.name, "-h"], in: scratch.path)
            let c = cli(["help", cmd.name], in: scratch.path)
            #expect(a.status == 0 && b.status == 0 && c.status == 0, "\(cmd.name)")
            #expect(a.stderr.isEmpty && b.stderr.isEmpty && c.stderr.isEmpty, "\(cmd.name)")
            #expect(a.stdout == b.stdout && b.stdout == c.stdout, "\(cmd.name)")
            #expect(a.stdout.hasPrefix(cmd.usageLine + "\n\n"), "\(cmd.name): \(a.stdout.prefix(200))")
            #expect(a.stdout.contains("\nExit codes: "), "\(cmd.name)")
            // Help wins over a usage error on the same line.
            #expect(cli(firstForm(cmd) + ["--help", "extra", "extra", "extra", "extra"], in: scratch.path).stdout == a.stdout, "\(cmd.name)")
        }
        let overview = cli(["help"], in: scratch.path)
        #expect(overview.status == 0 && overview.stdout == cli(["--help"], in: scratch.path).stdout)
        for cmd in CLI.commands { #expect(overview.stdout.contains("\n  \(cmd.name) "), "\(cmd.name) is not in the overview") }
        #expect(cli(["help", "config"], in: scratch.path).stdout.contains("signing.required = false"))
    }

    @Test func aRunThatGetsPastParsingReachesTheCommand() {
        let r = cli(["schedule", "--year=2026", "--json"], in: scratch.path)
        #expect(r.status == 0 && r.stderr.isEmpty, "\(r)")
        #expect(r.stdout.contains("\"quarter\": \"2026-Q4\""), "\(r)")
        // The command's own validation: a usage error with the same form.
        expectUsageError(["schedule", "--year", "26"], "--year '26' is not a year; write four digits, for example 2026",
                         usage: ScheduleCommand.usageLine, hint: "attest schedule --help")
    }
}
