import Foundation
import Testing
import AttestCore
@testable import AttestGit
import AttestTestSupport

@Suite struct RepositoryTests {
    @Test func notARepositoryCarriesLibgit2Message() {
        let s = Scratch("norepo")
        do {
            _ = try Repository.discover(from: s.path)
            Issue.record("expected an error")
        } catch {
            #expect(error.isNotFound)
            #expect(error.message.contains("could not find repository"), "\(error.message)")
            #expect(error.description.contains(s.path))
        }
    }

    @Test func discoverFromSubfolder() throws {
        let repo = ScratchRepository()
        repo.write("a/b/c.txt", "x")
        let r = try Repository.discover(from: repo.path + "/a/b")
        #expect(r.workdir == URL(fileURLWithPath: repo.path).resolvingSymlinksInPath().path || r.workdir == repo.path)
    }

    @Test func policyFromAttestconfigWithLine() throws {
        let repo = ScratchRepository()
        repo.write(".attestconfig", "# comment\n[controls]\n\tlookbackDays = 30\n[signing]\n\trequired = yes\n")
        let p = try Repository.discover(from: repo.path).loadPolicy()
        #expect(p.lookbackDays == 30 && p.signatureRequired)
        repo.write(".attestconfig", "[controls]\n\tlookbackDayz = 30\n")
        #expect(throws: ConfigError.invalid(AttestError.config("unknown policy key 'controls.lookbackdayz' in .attestconfig:2; run 'attest help config' for the list of keys"))) {
            try Repository.discover(from: repo.path).loadPolicy()
        }
    }

    @Test func missingAttestconfigIsDefaults() throws {
        let repo = ScratchRepository()
        #expect(try Repository.discover(from: repo.path).loadPolicy() == Policy())
    }
}
