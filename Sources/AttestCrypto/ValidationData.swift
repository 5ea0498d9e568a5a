import Foundation

/// What a token needs, besides the CA file, to be checked years later without the network:
/// the TSA certificate's chain and revocation data (CRLs, OCSP responses) for each certificate
/// of that chain, as fetched when the token was obtained (docs/tsa.md, "Validation data").
public struct ValidationData: Sendable, Equatable {
    /// PEM certificates: the TSA's certificate first, then each issuer up to the CA.
    public var chainPEM: Data
    /// CRLs, each PEM (`-----BEGIN X509 CRL-----`) or DER.
    public var crls: [Data]
    /// OCSP responses, each DER (`OCSPResponse`).
    public var ocspResponses: [Data]

    public init(chainPEM: Data, crls: [Data] = [], ocspResponses: [Data] = []) {
        self.chainPEM = chainPEM
        self.crls = crls
        self.ocspResponses = ocspResponses
    }

    /// The CRLs as one PEM text (what `openssl ts -verify -CAfile` reads beside the CA).
    public var crlPEM: Data { crls.reduce(into: Data()) { $0.append($1) } }
}

/// How one certificate of a token's chain stood at the token's `genTime`, and what said so.
public struct CertificateStanding: Sendable, Equatable {
    /// The certificate's subject (RFC 2253).
    public let subject: String
    /// Its serial number, hex.
    public let serial: String
    /// The revocation data that spoke for `genTime`: "CRL by CN=… issued 2026-10-07T12:00:00Z"
    /// or "OCSP response by CN=… produced …".
    public let sources: [String]
    /// A revocation dated after `genTime` (it does not invalidate the token), with its reason.
    public let revokedAfter: Revocation?
}

/// A revocation found in stored data.
public struct Revocation: Sendable, Equatable {
    public let time: Date
    /// The CRL reason (RFC 5280 §5.3.1) as a word, "unspecified" when the entry names none.
    public let reason: String
}

/// A token checked with its stored validation data: the stamp, and each certificate's standing.
public struct LongTermStamp: Sendable, Equatable {
    public let stamp: TimeStamp
    /// The chain's subjects, the TSA's certificate first, the trust anchor last.
    public let chain: [String]
    /// One entry per certificate of the chain except the trust anchor.
    public let standings: [CertificateStanding]

    /// One line for reports: which data was used, and any revocation dated after genTime.
    public var summary: String {
        var parts: [String] = []
        for s in standings {
            var text = "\(s.subject) not revoked at \(ISO.text(stamp.time)) per " + s.sources.joined(separator: " and ")
            if let r = s.revokedAfter {
                text += "; revoked \(ISO.text(r.time)) (\(r.reason)), after the token's time, which does not invalidate it"
            }
            parts.append(text)
        }
        return "chain " + chain.joined(separator: " → ") + "; " + parts.joined(separator: "; ")
    }
}

enum ISO {
    static func text(_ d: Date) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime]
        f.timeZone = TimeZone(identifier: "UTC")
        return f.string(from: d)
    }
}
