import Foundation
import Testing
import AttestCore
@testable import AttestControls
import AttestTestSupport

/// `ExtraControls.load` throws facts: the control file or the departures list that does not
/// parse, as its own error naming the file; the CLI adds "fix it (docs/controls.md)".
@Suite struct ExtraControlsErrorTests {
    @Test func aControlFileThatDoesNotParseIsControlFileNamingIt() throws {
        let root = Scratch("extra-controls")
        root.write("controls/x1.sql", "-- control: X1.1\nSELECT 1\n")
        let e = #expect(throws: ExtraControlsError.self) { try ExtraControls.load(root: root.path, policy: Policy()) }
        guard case .controlFile(let file) = e else { Issue.record("\(String(describing: e))"); return }
        #expect(file.path == "controls/x1.sql")
        #expect(e?.description.hasPrefix("control file controls/x1.sql") == true, "\(e!)")
        #expect(e?.description.contains("fix it") == false && e?.description.contains("nothing was run") == false, "a fact, not advice: \(e!)")

        // Without control files, nothing to refuse.
        try FileManager.default.removeItem(atPath: root.path + "/controls/x1.sql")
        #expect(try ExtraControls.load(root: root.path, policy: Policy()).files.isEmpty)
    }
}
