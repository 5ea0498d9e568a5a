import Foundation
import AttestCore

enum MarkdownReport {
    static func render(_ r: AuditReport) -> String { TextReport.render(r) }
}
