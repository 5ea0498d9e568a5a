/// Why a timestamp token, or a time-stamping authority's answer, was not accepted.
///
/// Each case names its cause in `description` (for messages) and in `cause` (a stable word
/// for JSON reports and tests).
public enum TimeStampError: Error, Sendable, Equatable, CustomStringConvertible {
    /// No token where one is required.
    case missing(String)
    /// The bytes are not a well-formed TimeStampToken, or its signature does not verify over
    /// its own content: the token was damaged or altered.
    case corrupted(String)
    /// The token is well formed and signed, but its signer does not chain to the CA file
    /// (a token from another TSA or another CA), or the signer may not stamp time.
    case untrustedSigner(caFile: String, detail: String)
    /// The token stamps another imprint than the one expected (it belongs to other data).
    case imprintMismatch(expected: String, found: String)
    /// The stored revocation data says a certificate of the TSA's chain was revoked at or
    /// before the token's genTime (times as RFC 3339 text).
    case revoked(subject: String, revokedAt: String, reason: String, genTime: String, source: String)
    /// The chain or the revocation data that speaks for the token's genTime is missing,
    /// unreadable, stale or not signed by the certificate's issuer; or it could not be fetched.
    case validationData(String)
    /// The CA file cannot be read or holds no certificate.
    case caFile(path: String, detail: String)
    /// The TSA could not be reached (refused, timed out, bad URL).
    case unreachable(url: String, detail: String)
    /// The TSA answered with an HTTP status other than 200.
    case httpStatus(url: String, status: Int, body: String)
    /// The TSA answered a TimeStampResp whose status is not granted.
    case rejected(url: String, status: String, detail: String)
    /// The TSA answered 200 but the answer is not an acceptable response to our request.
    case badAnswer(url: String, detail: String)

    public var cause: String {
        switch self {
        case .missing: return "missing"
        case .corrupted: return "corrupted"
        case .untrustedSigner: return "other-ca"
        case .imprintMismatch: return "other-imprint"
        case .revoked: return "revoked"
        case .validationData: return "validation-data"
        case .caFile: return "ca-file"
        case .unreachable: return "tsa-unreachable"
        case .httpStatus: return "tsa-http-error"
        case .rejected: return "tsa-rejected"
        case .badAnswer: return "tsa-bad-answer"
        }
    }

    public var description: String {
        switch self {
        case .missing(let m):
            return "missing timestamp token: \(m)"
        case .corrupted(let m):
            return "corrupted timestamp token: \(m)"
        case .untrustedSigner(let ca, let d):
            return "timestamp token from another CA: its TSA certificate does not verify against \(ca) (\(d))"
        case .imprintMismatch(let expected, let found):
            return "timestamp token for another imprint: it stamps \(found), this sign-off's imprint is \(expected)"
        case .revoked(let subject, let at, let reason, let genTime, let source):
            return "timestamp token from a revoked TSA certificate: \(subject) was revoked \(at) (\(reason)), not after the token's time \(genTime) (\(source))"
        case .validationData(let d):
            return "timestamp validation data: \(d)"
        case .caFile(let path, let d):
            return "cannot use the TSA CA file \(path): \(d)"
        case .unreachable(let url, let d):
            return "TSA \(url) did not answer: \(d)"
        case .httpStatus(let url, let status, let body):
            return "TSA \(url) answered HTTP \(status)" + (body.isEmpty ? "" : ": \(body)")
        case .rejected(let url, let status, let d):
            return "TSA \(url) refused the request: status \(status)" + (d.isEmpty ? "" : ", \(d)")
        case .badAnswer(let url, let d):
            return "TSA \(url) gave an unusable answer: \(d)"
        }
    }
}
