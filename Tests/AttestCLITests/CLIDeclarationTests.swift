import Foundation
import Testing
import AttestCore
import AttestTestSupport
@testable import AttestCLI

/// Each option is declared once: `attest help <command>`, the usage line, the parser,
/// docs/<command>.md and the behaviour the declaration claims (required, goes with) all agree,
/// for every command.
@Suite struct CLIDeclarationTests {
    let scratch = Scratch("cli-decl")

    /// The option names of the Options block of a help text (`  --evidence DIR   …` → `evidence`).
    static func helpOptions(_ help: String) -> [String] {
        guard let block = help.components(separatedBy: "\nOptions:\n").dropFirst().first else { return [] }
        return block.components(separatedBy: "\n\n")[0].split(separator: "\n").compactMap { line in
            line.hasPrefix("  --") ? String(line.dropFirst(4).prefix { $0 != " " }) : nil
        }
    }

    /// Every `--name` of a text, in order, once each.
    static func mentioned(_ text: some StringProtocol) -> [String] {
        var seen: [String] = []
        var rest = Substring(text)
        while let r = rest.range(of: "--") {
            let name = rest[r.upperBound...].prefix { $0.isLowercase || $0 == "-" || $0.isNumber }
            if let first = name.first, first.isLowercase, !seen.contains(String(name)) { seen.append(String(name)) }
            rest = rest[r.upperBound...]
        }
        return seen
    }

    /// A value the parser and the command's first checks accept for an option.
    static func sample(_ o: OptionDeclaration) -> [String] {
        switch o.valueName {
        case nil: return ["--\(o.name)"]
        case "DATE": return ["--\(o.name)", "2026-01-01"]
        case "YYYY-QN": return ["--\(o.name)", "2026-Q1"]
        case "FILE.tar.gz": return ["--\(o.name)", "packet.tar.gz"]
        default: return ["--\(o.name)", "x"]
        }
    }

    static var allOptionNames: Set<String> { Set(CLI.commands.flatMap { $0.spec.options.map(\.name) }) }

    @Test func helpListsExactlyTheOptionsTheParserAccepts() throws {
        for cmd in CLI.commands {
            let help = cli(["help", cmd.name], in: scratch.path).stdout
            let listed = Self.helpOptions(help)
            #expect(listed == cmd.spec.options.map(\.name), "attest help \(cmd.name): \(listed)")
            #expect(Set(Self.mentioned(cmd.usageLine)) == Set(listed), "\(cmd.usageLine) vs \(listed)")
            #expect(help.contains("\nOptions:\n") == !listed.isEmpty, "\(cmd.name)")
            // The parser, asked about every option any command has: it accepts exactly the listed ones.
            for name in Self.allOptionNames.union(["no-such-option"]) {
                let declared = cmd.spec.option(named: name)
                let args = firstForm(cmd).dropFirst() + (declared.map(Self.sample) ?? ["--\(name)"])
                do {
                    _ = try ParsedArguments.parse(Array(args), spec: cmd.spec)
                    #expect(listed.contains(name), "\(cmd.name) accepts --\(name), which its help does not list")
                } catch {
                    #expect(!listed.contains(name), "\(cmd.name) lists --\(name) but the parser says: \(error.description)")
                    #expect(error.description == "unknown option '--\(name)'", "\(cmd.name) --\(name): \(error.description)")
                }
            }
            // Each entry shows the value name the parser asks for.
            for o in cmd.spec.options { #expect(help.contains("\n  \(o.tag)  "), "\(cmd.name): \(o.tag)") }
        }
    }

    /// The two drifts of issue #14, and their kind: a help text that lists what a command prints
    /// or judges, written beside the code, and no longer what it does.
    @Test func auditHelpNamesEveryFlagTheAuditRaises() {
        let help = cli(["help", "audit"], in: scratch.path).stdout.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        for flag in AuditFlag.allCases {
            let named = help.contains(flag.rawValue)
            #expect(named, "attest help audit does not name the flag \(flag.rawValue)")
        }
    }

    /// The top-level keys of a `{a, b, c: {x, y} or null, d: [{…}]}` shape in an option's help.
    static func shapeKeys(_ help: String) -> [String] {
        guard let start = help.firstIndex(of: "{") else { return [] }
        var keys: [String] = [], key = "", depth = 0, inKey = true
        for ch in help[start...] {
            if ch == "{" || ch == "[" { depth += 1; if depth == 1 { continue } }
            if ch == "}" || ch == "]" { depth -= 1 }
            if depth == 0 { keys.append(key.trimmingCharacters(in: .whitespaces)); break }
            guard depth == 1 else { continue }
            if ch == "," { keys.append(key.trimmingCharacters(in: .whitespaces)); key = ""; inKey = true } else if ch == ":" { inKey = false } else if inKey { key.append(ch) }
        }
        return keys
    }

    @Test func theJSONShapesInTheHelpAreTheKeysTheCommandsPrint() throws {
        #expect(Self.shapeKeys("{a, b: {x, y} or null, c: [{d, e}], f}") == ["a", "b", "c", "f"])
        let c = ComplianceRepo("cli-json")
        c.evidence()
        #expect(c.attest(["render", "--quarter", "2026-Q4"], at: "2026-10-02 09:30:00").status == 0)
        func keys(_ args: [String], at time: String) throws -> Set<String> {
            let r = c.attest(args, at: time)
            let value = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8))
            let object = try #require((value as? [String: Any]) ?? (value as? [[String: Any]])?.first, "\(args): \(r)")
            return Set(object.keys)
        }
        let cases: [(any Command.Type, Flag, [String])] = [
            (SignCommand.self, SignCommand.json, ["sign", "--quarter", "2026-Q4", "--json"]),
            (VerifyCommand.self, VerifyCommand.json, ["verify", "--json"]),
            (StatusCommand.self, StatusCommand.json, ["status", "--json"]),
            (ScheduleCommand.self, ScheduleCommand.json, ["schedule", "--json"]),
        ]
        for (cmd, flag, args) in cases {
            let documented = Set(Self.shapeKeys(flag.declaration.help))
            let printed = try keys(args, at: "2026-10-03 12:00:00")
            #expect(documented == printed, "attest help \(cmd.name): --json lists \(documented.sorted()), it prints \(printed.sorted())")
        }
    }

    /// The options table of docs/<command>.md and its synopsis name every declared option, and
    /// the table nothing else.
    @Test func everyDeclaredOptionIsDocumentedOnItsCommandsPage() throws {
        for cmd in CLI.commands {
            let page = try String(contentsOfFile: packageRoot + "/docs/\(cmd.name).md", encoding: .utf8)
            let sections = page.components(separatedBy: "\n## ")
            let table = sections.first { $0.hasPrefix("Options\n") } ?? ""
            let rows = table.split(separator: "\n").filter { $0.hasPrefix("| `--") }.compactMap { Self.mentioned($0).first }
            let declared = cmd.spec.options.map(\.name)
            #expect(Set(rows) == Set(declared), "docs/\(cmd.name).md's options table lists \(rows), the parser declares \(declared)")
            #expect(rows.count == Set(rows).count, "docs/\(cmd.name).md lists an option twice: \(rows)")
            let synopsis = sections.first { $0.hasPrefix("Synopsis\n") } ?? ""
            #expect(!synopsis.isEmpty, "docs/\(cmd.name).md has no Synopsis")
            for name in declared { #expect(Self.mentioned(synopsis).contains(name), "docs/\(cmd.name).md: the synopsis lacks --\(name)") }
        }
    }

    /// `required:` and `goesWith:` shape the usage line; the commands enforce them with their
    /// own messages. Each one claimed is refused, with exit 2, naming the options concerned.
    @Test func everyRequiredOptionAndEveryCompanionIsEnforcedAsDeclared() {
        var checked = 0
        for cmd in CLI.commands {
            let options = cmd.spec.options
            let required = options.filter { $0.required && $0.parent == nil }
            let base = firstForm(cmd) + required.flatMap(Self.sample)
            func refused(_ args: [String], naming names: [String]) {
                let r = cli(args, in: scratch.path)
                #expect(r.status == 2, "\(args): \(r)")
                for n in names { #expect(r.stderr.hasPrefix("error: ") && r.stderr.split(separator: "\n")[0].contains("--\(n)"), "\(args): \(r)") }
                checked += 1
            }
            for o in required {
                refused(firstForm(cmd) + required.filter { $0 != o }.flatMap(Self.sample), naming: [o.name])
            }
            for o in options {
                guard let parentName = o.parent, let parent = cmd.spec.option(named: parentName) else { continue }
                refused(base + Self.sample(o), naming: [parentName])
                if o.required { refused(base + Self.sample(parent), naming: [o.name]) }
            }
        }
        #expect(checked >= 8)
    }
}
