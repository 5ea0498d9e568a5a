// swift-tools-version:6.0
import PackageDescription

// Library targets do the work; `attest` is one thin file. Only the C shims' direct
// dependents import C, and they do so with `internal import`.
let package = Package(
    name: "attest",
    products: [
        .executable(name: "attest", targets: ["attest"]),
    ],
    targets: [
        .systemLibrary(name: "CGit2", pkgConfig: "libgit2", providers: [.apt(["libgit2-dev"])]),
        // libpq and libcurl are opened when first used (their shims), not linked: see docs/hook.md, "Start-up".
        .systemLibrary(name: "CLibPQ", providers: [.apt(["libpq-dev"])]),
        .systemLibrary(name: "COpenSSL", pkgConfig: "openssl", providers: [.apt(["libssl-dev"])]),
        // zlib: gzip'd pg_audit exports and the packet's .tar.gz (AttestSystem), pack files in the audit's history walk (AttestGit).
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        // libcurl: bounded HTTP for the TSA, CRLs and OCSP (a write callback that stops at the bound; issue #15).
        .systemLibrary(name: "CCurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        // cmark-gfm: the attestation file is read as GitHub renders it (issue #15; AttestMarkdown).
        .systemLibrary(name: "CCmarkGFM", pkgConfig: "libcmark-gfm", providers: [.apt(["libcmark-gfm-dev", "libcmark-gfm-extensions-dev"])]),

        // Keeps libgit2 from parsing the system CA bundle at init (see its one C file).
        .target(name: "CNoGitTLS"),

        // What is neither domain nor a C library's wrapper: processes, files read and written
        // atomically, folders published in one step, paths, gzip. Throws its own errors.
        .target(name: "AttestSystem", dependencies: ["CZlib"]),
        .target(name: "AttestCore"),
        // The only importer of CCmarkGFM: markdown tables and HTML as plain values for AttestCore.
        .target(name: "AttestMarkdown", dependencies: ["CCmarkGFM", "AttestCore"]),
        .target(name: "AttestGit", dependencies: ["CGit2", "CNoGitTLS", "CZlib", "AttestCore", "AttestSystem"]),
        .target(name: "AttestPostgres", dependencies: ["CLibPQ"]),
        .target(name: "AttestCrypto", dependencies: ["COpenSSL", "CCurl", "AttestCore", "AttestSystem"]),
        // The runbook's seven evidence steps (one file per step), the evidence folder, the
        // repository documents and the pg_audit log reader.
        .target(name: "AttestControls", dependencies: ["AttestCore", "AttestPostgres", "AttestCrypto", "AttestSystem"]),
        // A sign-off's facts read from git and the files (signature, trusted time, evidence
        // digests, the policy in force, the control catalogue), and the push gate.
        .target(name: "AttestVerification", dependencies: ["AttestCore", "AttestGit", "AttestCrypto", "AttestControls", "AttestSystem"]),
        // Sealed evidence: seal, open, reseal, dispose; its state against the sign-off (audit,
        // verify), the evidence commits' signatures, the retention; the push gate's evidence rules.
        .target(name: "AttestEvidence", dependencies: ["AttestCore", "AttestGit", "AttestCrypto", "AttestSystem", "AttestVerification"]),
        .target(name: "AttestCLI", dependencies: ["AttestCore", "AttestGit", "AttestPostgres", "AttestCrypto", "AttestControls", "AttestMarkdown", "AttestVerification", "AttestSystem", "AttestEvidence"]),
        .executableTarget(name: "attest", dependencies: ["AttestCLI"]),

        // Fixtures shared by the test targets: scratch folders and repositories,
        // the throwaway PostgreSQL cluster, running the built binary.
        .target(name: "AttestTestSupport", dependencies: ["AttestCore", "AttestSystem"], path: "Tests/AttestTestSupport"),
        .testTarget(name: "AttestSystemTests", dependencies: ["AttestSystem", "AttestTestSupport"]),
        .testTarget(name: "AttestCoreTests", dependencies: ["AttestCore", "AttestMarkdown", "AttestTestSupport"]),
        .testTarget(name: "AttestGitTests", dependencies: ["AttestGit", "CNoGitTLS", "AttestTestSupport"]),
        .testTarget(name: "AttestPostgresTests", dependencies: ["AttestPostgres", "AttestTestSupport"]),
        .testTarget(name: "AttestCryptoTests", dependencies: ["AttestCrypto", "AttestTestSupport"]),
        .testTarget(name: "AttestControlsTests", dependencies: ["AttestControls", "AttestTestSupport"]),
        .testTarget(name: "AttestVerificationTests", dependencies: ["AttestVerification", "AttestGit", "AttestCore", "AttestTestSupport"]),
        .testTarget(name: "AttestCLITests", dependencies: ["AttestCLI", "AttestTestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)
