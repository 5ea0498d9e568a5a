import Foundation
import Testing
@testable import AttestGit
import CNoGitTLS
import AttestTestSupport

/// libgit2 is kept from parsing the system CA bundle at init (Sources/CNoGitTLS): attest's
/// certificate loader is the one the process binds, and attest never asks libgit2 for a
/// network connection that would need one.
@Suite struct NoGitTLSTests {
    @Test func processBindsAttestsCertificateLoader() throws {
        _ = try Repository.discover(from: packageRoot)   // libgit2 initialised
        let bound = dlsym(dlopen(nil, RTLD_NOW), "mbedtls_x509_crt_parse_file")
        #expect(bound != nil)
        #expect(UnsafeRawPointer(bound) == attest_no_git_tls_parse_file())
    }

    @Test func noLibgit2NetworkCallInSources() throws {
        let network = ["git_remote_", "git_clone", "git_transport_", "git_fetch_", "git_push_", "git_credential_", "git_stream_"]
        let root = packageRoot + "/Sources"
        var found: [String] = []
        let files = FileManager.default.enumerator(atPath: root)?.compactMap { $0 as? String } ?? []
        #expect(files.contains { $0.hasSuffix("PushWalk.swift") })
        for file in files where file.hasSuffix(".swift") || file.hasSuffix(".h") || file.hasSuffix(".c") {
            let text = try String(contentsOfFile: root + "/" + file, encoding: .utf8)
            for (n, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                for name in network where line.contains(name) { found.append("Sources/\(file):\(n + 1): \(name)") }
            }
        }
        #expect(found.isEmpty, "libgit2 network calls need the CA bundle that Sources/CNoGitTLS keeps out: \(found)")
    }
}
