import Foundation
import Testing
@testable import AttestCrypto
import AttestTestSupport

/// The bounded HTTP exchange used for the TSA, CRLs and OCSP: redirects followed only to the
/// same host (a CRL or OCSP URL comes from a certificate), answers larger than the bound
/// refused. The test TSA's server redirects to itself (127.0.0.1) or to 127.0.0.2.
@Suite struct HTTPExchangeTests {
    @Test func redirectsStayOnTheSameHostAndSizeIsBounded() throws {
        let tsa = try TestTSA(label: "Redirecting CA", at: "2026-10-03 12:00:00")
        defer { tsa.stop() }
        func get(_ path: String, max: Int = 1 << 20) throws(HTTPExchange.Failure) -> HTTPExchange.Answer {
            try HTTPExchange(url: URL(string: "http://127.0.0.1:\(tsa.port)\(path)")!, timeout: 10, maxBytes: max).send(method: "GET", accept: "*/*")
        }
        let same = try get("/redirect-same")
        #expect(same.status == 200 && same.body.first == 0x30, "\(same.status)")   // the CRL, DER
        do { _ = try get("/redirect-other"); Issue.record("a redirect to another host was followed") } catch {
            guard case .unreachable(let why) = error else { Issue.record("\(error)"); return }
            #expect(why.contains("redirects to another host (http://127.0.0.2:\(tsa.port)/ca.crl); not followed"), "\(why)")
        }
        do { _ = try get("/ca.crl", max: 100); Issue.record("an answer above the bound was accepted") } catch {
            guard case .tooLarge(let n) = error else { Issue.record("\(error)"); return }
            #expect(n > 100)
        }
    }
}
