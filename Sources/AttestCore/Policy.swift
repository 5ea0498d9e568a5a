import Foundation

/// Every policy value attest reads from `.attestconfig` (git-config syntax) or `-c key=value`.
///
/// Each key is declared once in `Policy.keys`, with its default, its accepted values and a
/// line of documentation; `attest init` writes the same table, commented, into `.attestconfig`.
public struct Policy: Sendable, Equatable {
    // Schedule (runbook §2, DESIGN.md §4.1)
    public var windowOpenDaysBefore = 5
    public var windowCloseDaysAfter = 5
    public var windowTargetHour = 10
    // Where things live in the repository
    public var attestationFolder = "docs/attestation-log"
    public var templatePath = "templates/attestation.md.mustache"
    public var evidenceRoot = "evidence"
    // The seven controls (runbook §3)
    public var complianceRole = "raptor-audit-compliance"
    public var adminRole = "raptor-audit-admin"
    public var auditorGroup = "raxx-compliance-auditors"
    public var auditorEngaged = false
    public var auditorMemoFolder = "docs/attestation-log"
    public var changeWindowsFile = "docs/ops/runbooks/deploy-freeze.md"
    public var maintenanceWindowsFile = "docs/ops/maintenance-windows.md"
    public var glacierPrefix = "s3://raxx-audit-glacier"
    public var lookbackDays = 90
    public var retentionYears = 7
    public var auditedTable = "customer_audit_events"
    public var maxLogGapHours = 24
    public var statementTimeoutSeconds = 60
    // Step 6 on real log-drain exports and log sinks (issue 16)
    public var pgauditMaxUnreadablePercent = 1
    public var sinkTable = "postgres_log"
    public var sinkTimeColumn = "log_time"
    public var sinkMessageColumn = "message"
    public var sinkClassColumn = ""
    public var sinkObjectColumn = ""
    // Signatures, hooks, audit, trusted time
    public var signatureRequired = false
    public var allowedSignersFile = ".attest/allowed_signers"
    public var hookMaxSkewMinutes = 5
    public var hookMaxSignoffAgeHours = 48
    public var auditMaxDateSkewHours = 24
    public var tsaURL = ""
    public var tsaCAFile = ""
    public var tsaRequired = false
    public var tsaMinTokens = 1
    public var statusWarnDays = 3
    // Sealed evidence (issue #18, docs/evidence.md)
    public var evidenceRecipients = ".attest/recipients/*.pem"
    public var evidenceRetentionYears = 7
    // The record against an adversary with push access (issue #15, docs/server-hooks.md)
    public var controlsFolder = "controls"
    public var hookPolicyRef = ""
    // Controls as SQL files and the built-in CC6.3 check (issue #20, docs/controls.md)
    public var departuresFile = "docs/ops/departures.md"
    public var deprovisioningHours = 24
    public var removalQuery = "SELECT u.email, max(r.revoked_at) AS removed_at FROM rbac_revocations r JOIN users u ON u.id = r.user_id WHERE r.revoked_at <= :as_of GROUP BY u.email"

    public init() {}

    /// One policy key: its git-config name, its section in `.attestconfig`, and how to read it.
    public struct Key: Sendable {
        public let name: String
        public let help: String
        public let kind: Kind
        let apply: @Sendable (inout Policy, String) -> Bool
        public let current: @Sendable (Policy) -> String

        public enum Kind: Sendable, Equatable {
            case integer(ClosedRange<Int>)
            case boolean
            case path
            case text

            public var accepted: String {
                switch self {
                case .integer(let r): return "a whole number from \(r.lowerBound) to \(r.upperBound)"
                case .boolean: return "true or false"
                case .path: return "a path relative to the repository root"
                case .text: return "any text"
                }
            }
        }

        public var section: String { String(name.split(separator: ".").first!) }
    }

    private static func int(_ name: String, _ range: ClosedRange<Int>, _ kp: WritableKeyPath<Policy, Int> & Sendable, _ help: String) -> Key {
        Key(name: name, help: help, kind: .integer(range),
            apply: { p, v in guard let n = Int(v.trimmingCharacters(in: .whitespaces)), range.contains(n) else { return false }; p[keyPath: kp] = n; return true },
            current: { String($0[keyPath: kp]) })
    }
    private static func bool(_ name: String, _ kp: WritableKeyPath<Policy, Bool> & Sendable, _ help: String) -> Key {
        Key(name: name, help: help, kind: .boolean,
            apply: { p, v in
                switch v.trimmingCharacters(in: .whitespaces).lowercased() {
                case "true", "yes", "on", "1": p[keyPath: kp] = true
                case "false", "no", "off", "0": p[keyPath: kp] = false
                default: return false
                }
                return true
            },
            current: { $0[keyPath: kp] ? "true" : "false" })
    }
    private static func path(_ name: String, _ kp: WritableKeyPath<Policy, String> & Sendable, _ help: String, allowEmpty: Bool = false) -> Key {
        Key(name: name, help: help, kind: .path,
            apply: { p, v in
                var s = v.trimmingCharacters(in: .whitespaces)
                while s.hasSuffix("/") && s.count > 1 { s.removeLast() }
                if s.isEmpty { guard allowEmpty else { return false }; p[keyPath: kp] = ""; return true }
                guard !s.hasPrefix("/"), !s.split(separator: "/").contains(".."), !s.contains("\0") else { return false }
                p[keyPath: kp] = s
                return true
            },
            current: { $0[keyPath: kp] })
    }
    private static func text(_ name: String, _ kp: WritableKeyPath<Policy, String> & Sendable, _ help: String) -> Key {
        Key(name: name, help: help, kind: .text,
            apply: { p, v in guard !v.contains("\0"), !v.contains("\n") else { return false }; p[keyPath: kp] = v; return true },
            current: { $0[keyPath: kp] })
    }

    /// Every key, in the order `attest init` writes them.
    public static let keys: [Key] = [
        int("window.openDaysBefore", 0...31, \.windowOpenDaysBefore, "the window opens at 00:00:00 UTC this many days before the target date"),
        int("window.closeDaysAfter", 0...31, \.windowCloseDaysAfter, "the window hard-closes at 23:59:59 UTC this many days after the target date"),
        int("window.targetHour", 0...23, \.windowTargetHour, "the target hour (UTC) on the first day of the quarter"),
        path("attest.folder", \.attestationFolder, "the attestation log folder, one YYYY-QN.md per quarter"),
        path("attest.template", \.templatePath, "the Mustache template that attest render fills"),
        path("attest.evidenceRoot", \.evidenceRoot, "where collect writes YYYY-QN evidence folders (kept out of git)"),
        text("controls.complianceRole", \.complianceRole, "step 1 and 7: the compliance role"),
        text("controls.adminRole", \.adminRole, "step 7: the admin role"),
        text("controls.auditorGroup", \.auditorGroup, "steps 1 and 2: the auditors' group"),
        bool("controls.auditorEngaged", \.auditorEngaged, "step 1: an external auditor is engaged, so the group may have members"),
        path("controls.auditorMemoFolder", \.auditorMemoFolder, "step 2: folder of auditor-authorization-YYYY-MM-DD.md memos"),
        path("controls.changeWindows", \.changeWindowsFile, "step 7: the change-management log (markdown table id | start | end)"),
        path("controls.maintenanceWindows", \.maintenanceWindowsFile, "step 6: maintenance windows (markdown table id | start | end | reason)"),
        text("controls.glacierPrefix", \.glacierPrefix, "step 5: destination prefix of cold-storage archive runs"),
        int("controls.lookbackDays", 1...3660, \.lookbackDays, "steps 3, 4, 5, 6, 7: the span looked back from as-of, in days"),
        int("controls.retentionYears", 1...100, \.retentionYears, "step 5: the retention bound, in years"),
        text("controls.auditedTable", \.auditedTable, "steps 5 and 6: the audited table"),
        int("controls.maxLogGapHours", 1...720, \.maxLogGapHours, "step 6: the longest gap between DML events that needs no explanation"),
        int("controls.pgauditMaxUnreadablePercent", 0...100, \.pgauditMaxUnreadablePercent, "step 6: an export whose unreadable share of AUDIT: lines is above this percentage is an error"),
        text("sink.table", \.sinkTable, "step 6 with --pgaudit-sink: the table (or schema.table) holding the log lines"),
        text("sink.timeColumn", \.sinkTimeColumn, "step 6 with --pgaudit-sink: the timestamptz column of each log line"),
        text("sink.messageColumn", \.sinkMessageColumn, "step 6 with --pgaudit-sink: the column with the message (AUDIT: SESSION,...)"),
        text("sink.classColumn", \.sinkClassColumn, "step 6 with --pgaudit-sink: a column with pgaudit's class (WRITE); empty: read from the message"),
        text("sink.objectColumn", \.sinkObjectColumn, "step 6 with --pgaudit-sink: a column with pgaudit's object name; empty: read from the message"),
        int("database.statementTimeout", 1...86400, \.statementTimeoutSeconds, "collect: statement timeout, in seconds"),
        bool("signing.required", \.signatureRequired, "verify, hooks, audit: a sign-off must carry a valid signature"),
        path("signing.allowedSigners", \.allowedSignersFile, "SSH allowed-signers file (OpenSSH format)"),
        int("hook.maxSkewMinutes", 0...1440, \.hookMaxSkewMinutes, "hooks: how far in the future a committer date may be"),
        int("hook.maxSignoffAgeHours", 1...8760, \.hookMaxSignoffAgeHours, "hooks: how old a new sign-off may be when pushed"),
        int("audit.maxDateSkewHours", 1...8760, \.auditMaxDateSkewHours, "audit: author/committer dates further apart than this are a date anomaly"),
        text("tsa.url", \.tsaURL, "RFC 3161 time-stamping authority URL, or several separated by spaces (empty: none)"),
        path("tsa.caFile", \.tsaCAFile, "the TSA's CA certificate (PEM), kept in the repository", allowEmpty: true),
        bool("tsa.required", \.tsaRequired, "a sign-off must carry a valid timestamp token"),
        int("tsa.minTokens", 1...16, \.tsaMinTokens, "sign: how many of the TSAs in tsa.url must give a token"),
        int("status.warnDays", 0...31, \.statusWarnDays, "status: an unsigned quarter is due-soon this many days before its hard close"),
        path("evidence.recipients", \.evidenceRecipients, "recipient certificates (PEM, RSA or EC P-256) sealed evidence is encrypted to; a '*' in the file name is a glob; none: not sealed", allowEmpty: true),
        int("evidence.retentionYears", 1...100, \.evidenceRetentionYears, "years after a quarter's hard close before its sealed evidence may be disposed of"),
        // issue #15: the control-files folder (policy by history) and where the server reads policy.
        path("controls.folder", \.controlsFolder, "the folder of control files, one .sql per control beyond the runbook's seven (docs/controls.md); adding or removing one changes the attestation's scope (a policy change)"),
        text("hook.policyRef", \.hookPolicyRef, "pre-receive: the ref whose .attestconfig is the server's policy (empty: the branch being updated, as it stood before the push); set on the server with git config"),
        // Issue #20: controls as SQL files, and the built-in CC6.3 deprovisioning check.
        path("controls.departures", \.departuresFile, "CC6.3: the departures list (markdown table email | notice | ticket, or .csv); while it exists, CC6.3 is step 8"),
        int("controls.deprovisioningHours", 1...720, \.deprovisioningHours, "CC6.3: access must be removed within this many hours of notice"),
        text("controls.removalQuery", \.removalQuery, "CC6.3: a query returning email, removed_at (when access was removed; :as_of and control parameters may be used); empty: removal times are not known"),
    ]

    /// The keys that decide the windows; `audit` reports a change to any of them.
    public static let windowKeys = ["window.openDaysBefore", "window.closeDaysAfter", "window.targetHour"]

    public static func key(named name: String) -> Key? {
        keys.first { $0.name.caseInsensitiveCompare(name) == .orderedSame }
    }

    /// One setting as read: the key as written, its value, and where it came from
    /// (`.attestconfig:12` or `-c`).
    public struct Entry: Sendable, Equatable {
        public let name: String
        public let value: String
        public let origin: String
        public init(name: String, value: String, origin: String) { self.name = name; self.value = value; self.origin = origin }
    }

    /// Applies settings in order (later ones win). An unknown key or a bad value is an error
    /// naming the key, where it came from and the accepted values.
    public mutating func apply(_ entries: [Entry]) throws(AttestError) {
        for e in entries {
            guard let key = Policy.key(named: e.name) else {
                throw .config("unknown policy key '\(e.name)' in \(e.origin); run 'attest help config' for the list of keys")
            }
            guard key.apply(&self, e.value) else {
                throw .config("invalid value '\(e.value)' for \(key.name) in \(e.origin); expected \(key.kind.accepted)")
            }
        }
    }

    public init(entries: [Entry]) throws(AttestError) {
        self.init()
        try apply(entries)
    }

    public static func == (a: Policy, b: Policy) -> Bool {
        keys.allSatisfy { $0.current(a) == $0.current(b) }
    }

    /// `.attestconfig` with every key at its default, commented, for `attest init`.
    public static func defaultConfigFile() -> String {
        var out = "# attest policy, git-config syntax. Every key is shown at its default.\n"
        out += "# Uncomment a line to change it; `attest -c section.key=value <command>` overrides for one run.\n"
        let defaults = Policy()
        var section = ""
        for key in keys {
            if key.section != section {
                section = key.section
                out += "\n[\(section)]\n"
            }
            let field = String(key.name.dropFirst(section.count + 1))
            out += "\t# \(key.help)\n\t# \(field) = \(key.current(defaults))\n"
        }
        return out
    }
}
