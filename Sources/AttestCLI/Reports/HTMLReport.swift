import Foundation
import AttestCore

enum HTMLReport {
    static func render(_ r: AuditReport) -> String { TextReport.render(r) }
}
