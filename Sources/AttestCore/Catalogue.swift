import Foundation

/// What a finding of a control needs before signing: a linked issue (as step 6), or to be
/// resolved (as step 7).
public enum OnFinding: String, Codable, Sendable, CaseIterable { case issue, block }

/// One control beyond the runbook's seven (issue #20, docs/controls.md): the built-in CC6.3
/// deprovisioning check (step 8) or a control file of the repository (steps 9 and on).
public struct CatalogueControl: Sendable, Equatable, Codable {
    /// Its step number in the quarter's document: 8 for CC6.3, 9 and on for control files in
    /// byte order of their file names.
    public var step: Int
    /// The control's id (`X1.1`; `CC6.3` for the built-in).
    public var id: String
    /// The AICPA criterion (`CC6.1`).
    public var criterion: String
    public var title: String
    /// The evidence file in the quarter's evidence folder.
    public var evidenceFile: String
    public var onFinding: OnFinding
    /// `built-in`, or the control file's path in the repository (`controls/x-stale.sql`).
    public var source: String
    /// SHA-256 of the control file as committed, lowercase hex; empty for the built-in.
    public var sqlSHA256: String

    public init(step: Int, id: String, criterion: String, title: String, evidenceFile: String, onFinding: OnFinding,
                source: String, sqlSHA256: String) {
        self.step = step; self.id = id; self.criterion = criterion; self.title = title; self.evidenceFile = evidenceFile
        self.onFinding = onFinding; self.source = source; self.sqlSHA256 = sqlSHA256
    }

    public static let builtInSource = "built-in"
    public var isBuiltIn: Bool { source == Self.builtInSource }
    /// The steps table's Control column: the built-in's name, a file's title.
    public var name: String { isBuiltIn ? Catalogue.deprovisioningName : title }
}

/// The controls in force at a commit beyond the runbook's seven: CC6.3 when the departures list
/// exists, and one control per `.sql` file of the controls folder. A repository with neither has
/// the runbook's seven only (every quarter signed before issue #20 was).
public struct Catalogue: Sendable, Equatable {
    public var controls: [CatalogueControl]
    public init(controls: [CatalogueControl] = []) { self.controls = controls }

    /// CC6.3's step number.
    public static let deprovisioningStep = 8
    /// The first control file's step number.
    public static let firstFileStep = 9
    /// The highest step number a document may hold.
    public static let maxStep = 99

    /// The built-in CC6.3 control, step 8.
    public static let deprovisioning = CatalogueControl(
        step: deprovisioningStep, id: "CC6.3", criterion: "CC6.3", title: "Departing-employee deprovisioning within the deadline",
        evidenceFile: "CC6.3-deprovisioning.csv", onFinding: .issue, source: CatalogueControl.builtInSource, sqlSHA256: "")

    public var isRunbookOnly: Bool { controls.isEmpty }

    public func control(step: Int) -> CatalogueControl? { controls.first { $0.step == step } }

    /// The name the steps table's Control column holds for a step: the runbook's for 1–7, the
    /// title for the others.
    public static let deprovisioningName = "Logical access — deprovisioning"
}

extension Catalogue {
    /// How a document departs from this catalogue: a control in force that the document lacks,
    /// one it names differently (id, source, on-finding), one run from SQL other than the file
    /// as committed, and a control the catalogue does not hold. `render` prints these and the
    /// sign-off judge (`SignoffRules.check`) reports each as a `catalogue` violation. `at` names
    /// where the catalogue was read (`HEAD`, `the parent commit 1a2b3c4d5e6f`).
    public func problems(of doc: AttestationDocument, at: String) -> [String] {
        var out: [String] = []
        func line(_ step: Int) -> String { doc.lines.controls[step].map { "line \($0): " } ?? "" }
        for c in controls {
            guard let row = doc.controls.first(where: { $0.step == c.step }) else {
                out.append("control \(c.id) (\(c.source), step \(c.step)) is in the catalogue at \(at) but missing from the document")
                continue
            }
            if row.id != c.id || row.source != c.source || row.onFinding != c.onFinding {
                out.append("\(line(c.step))step \(c.step) is \(row.id) from \(row.source) (on finding \(row.onFinding.rawValue)) in the document; the catalogue at \(at) has \(c.id) from \(c.source) (on finding \(c.onFinding.rawValue))")
            } else if row.sqlSHA256 != c.sqlSHA256 {
                out.append("\(line(c.step))step \(c.step) (\(c.id)) ran SQL with SHA-256 \(row.sqlSHA256.isEmpty ? "(none)" : row.sqlSHA256), but \(c.source) at \(at) has SHA-256 \(c.sqlSHA256): the control was run from SQL other than the committed file")
            }
        }
        for row in doc.controls where control(step: row.step) == nil {
            out.append("\(line(row.step))step \(row.step) (\(row.id), \(row.source)) is not in the catalogue at \(at)")
        }
        return out
    }
}
