/// The seven control checks of the runbook's §3, in order. Each command and report that
/// speaks of a step reads its names from here.
public struct Control: Sendable, Hashable {
    /// The runbook step, 1 to 7.
    public let step: Int
    /// The AICPA trust services criterion: `CC6.1` (the attestation file's `AICPA ref` column).
    public let criterion: String
    /// The runbook's name for the control: `Logical access — least privilege` (the file's
    /// `Control` column).
    public let name: String
    /// What the step checks, in the runbook's words.
    public let title: String
    /// The evidence file, named as in the runbook's storage line.
    public let evidenceFile: String
    /// A finding in this step must be resolved (not merely linked) before signing: step 7.
    public let findingBlocksSigning: Bool
}

public enum Controls {
    public static let all: [Control] = [
        Control(step: 1, criterion: "CC6.1", name: "Logical access — least privilege",
                title: "Compliance role assignment", evidenceFile: "CC6.1-role-assignment.csv", findingBlocksSigning: false),
        Control(step: 2, criterion: "CC6.2", name: "Logical access — access review",
                title: "Auditor group membership review", evidenceFile: "CC6.2-group-membership.txt", findingBlocksSigning: false),
        Control(step: 3, criterion: "CC8.1", name: "Change management — audit trail integrity",
                title: "HMAC chain monthly verification", evidenceFile: "CC8.1-hmac-chain-monthly.csv", findingBlocksSigning: false),
        Control(step: 4, criterion: "A1.2", name: "Data retention",
                title: "Archiver manifest completeness", evidenceFile: "A1.2-archiver-manifest.csv", findingBlocksSigning: false),
        Control(step: 5, criterion: "A1.2", name: "Data retention",
                title: "7-year retention bounds", evidenceFile: "A1.2-retention-bounds.csv", findingBlocksSigning: false),
        Control(step: 6, criterion: "CC7.2", name: "Monitoring — log completeness",
                title: "pg_audit external log sink", evidenceFile: "CC7.2-pgaudit-sample.txt", findingBlocksSigning: false),
        Control(step: 7, criterion: "CC6.7", name: "Access change control",
                title: "Out-of-window RBAC grant review", evidenceFile: "CC6.7-rbac-grants-audit.csv", findingBlocksSigning: true),
    ]

    public static func step(_ n: Int) -> Control? { (1...7).contains(n) ? all[n - 1] : nil }
}
