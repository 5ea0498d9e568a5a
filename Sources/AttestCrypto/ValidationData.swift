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
    /// The CRL reason (RFC 5280 §5.3.1) as a word, "no reason given" when the entry names none.
    public let reason: String

    /// RFC 3161 §4: a TSA certificate revoked for a compromised key (or with no reason code)
    /// makes every token of that key doubtful, whenever it was made; other reasons leave the
    /// tokens made before the revocation valid.
    public var compromisesKey: Bool {
        ["keyCompromise", "cACompromise", "aACompromise", "no reason given"].contains(reason)
    }
}

/// A token checked with its stored validation data: the stamp, and each certificate's standing.
public struct LongTermStamp: Sendable, Equatable {
    public let stamp: TimeStamp
    /// The chain's subjects, the TSA's certificate first, the trust anchor last.
    public let chain: [String]
    /// One entry per certificate of the chain except the trust anchor.
    public let standings: [CertificateStanding]

    /// A revocation after genTime that compromises the key (RFC 3161 §4): the token then stands
    /// only as far as a renewal made before that time covers it.
    public var compromise: Revocation? {
        standings.compactMap(\.revokedAfter).filter(\.compromisesKey).min { $0.time < $1.time }
    }

    /// One line for reports: which data was used, and any revocation dated after genTime.
    public var summary: String {
        var parts: [String] = []
        for s in standings {
            var text = "\(s.subject) not revoked at \(ISO.text(stamp.time)) per " + s.sources.joined(separator: " and ")
            if let r = s.revokedAfter {
                text += "; revoked \(ISO.text(r.time)) (\(r.reason)), after the token's time, "
                    + (r.compromisesKey ? "for a compromised key: the token stands as far as a renewal made before then covers it (RFC 3161 §4)"
                                        : "which does not invalidate it")
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

/// How validation data is stored beside a sign-off (docs/tsa.md, "Validation data"): in the
/// folder `<attestation folder>/.ltv/YYYY-QN/`, files named by the SHA-256 (hex) of the
/// token's DER:
///
/// | file | holds |
/// |---|---|
/// | `<digest>.tst` | the token (DER) |
/// | `<digest>.chain.pem` | the TSA certificate's chain, TSA first, PEM |
/// | `<digest>.crl.pem` | the CRLs, PEM, one after the other |
/// | `<digest>.ocsp`, `<digest>.2.ocsp`, … | the OCSP responses, DER, one a file |
public enum ValidationLayout {
    /// The folder for a quarter's validation data, beside the attestation file.
    public static func folder(documentPath: String, quarter: String) -> String {
        let dir = (documentPath as NSString).deletingLastPathComponent
        return (dir.isEmpty ? "" : dir + "/") + ".ltv/" + quarter
    }

    /// The `.ltv` folder itself (what a sign-off adds to, and its imprint leaves out).
    public static func root(documentPath: String) -> String {
        let dir = (documentPath as NSString).deletingLastPathComponent
        return (dir.isEmpty ? "" : dir + "/") + ".ltv"
    }

    public static func digest(of token: Data) -> String { (try? SHA256.hex(of: token)) ?? "" }

    /// The files for one token: names relative to the quarter's folder.
    public static func files(token: Data, data: ValidationData) -> [(name: String, contents: Data)] {
        let d = digest(of: token)
        var out: [(String, Data)] = [(d + ".tst", token), (d + ".chain.pem", data.chainPEM)]
        if !data.crls.isEmpty { out.append((d + ".crl.pem", data.crlPEM)) }
        for (i, r) in data.ocspResponses.enumerated() { out.append((d + (i == 0 ? "" : ".\(i + 1)") + ".ocsp", r)) }
        return out
    }

    /// The validation data of a token from the files of its quarter's folder (name to bytes);
    /// nil when no chain file is stored for that token.
    public static func data(token: Data, files: [String: Data]) -> ValidationData? {
        let d = digest(of: token)
        guard let chain = files[d + ".chain.pem"] else { return nil }
        let crls = files[d + ".crl.pem"].map(splitPEM) ?? []
        var ocsp: [Data] = []
        if let first = files[d + ".ocsp"] { ocsp.append(first) }
        var i = 2
        while let more = files[d + ".\(i).ocsp"] { ocsp.append(more); i += 1 }
        return ValidationData(chainPEM: chain, crls: crls, ocspResponses: ocsp)
    }

    /// PEM blocks of a text, each with its BEGIN and END lines (a damaged text stays one block,
    /// so the reader reports it).
    static func splitPEM(_ text: Data) -> [Data] {
        let s = String(decoding: text, as: UTF8.self)
        var blocks: [Data] = []
        var current = ""
        for line in s.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("-----BEGIN") { current = "" }
            current += line + "\n"
            if line.hasPrefix("-----END") { blocks.append(Data(current.utf8)); current = "" }
        }
        if blocks.isEmpty && !s.isEmpty { blocks.append(text) }
        return blocks
    }
}
