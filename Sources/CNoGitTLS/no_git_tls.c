/*
 * Debian's libgit2 is built with mbedTLS, and git_libgit2_init() parses the whole system CA
 * bundle (/etc/ssl/certs/ca-certificates.crt, ~140 certificates) on every start: about 5 ms,
 * a third of what a push hook costs for a small push. attest never makes a network connection
 * through libgit2 (it opens local repositories only; AttestGitTests checks that no libgit2
 * remote, clone or transport call appears in Sources/), so the bundle is never needed.
 *
 * These two definitions take the place of libmbedx509's for the whole process: the executable
 * is searched before any shared library when libgit2's references are bound at load time.
 * They load nothing and report a file error, which libgit2 records and ignores at init. Were a
 * libgit2 TLS connection ever attempted, it would find no trusted certificate and fail: the
 * failure is closed, never open. Nothing else in attest uses mbedTLS (time-stamping and
 * signatures use OpenSSL).
 */
#include "CNoGitTLS.h"

#define ATTEST_MBEDTLS_ERR_X509_FILE_IO_ERROR (-0x2900)

int mbedtls_x509_crt_parse_file(void *chain, const char *path) {
    (void)chain;
    (void)path;
    return ATTEST_MBEDTLS_ERR_X509_FILE_IO_ERROR;
}

int mbedtls_x509_crt_parse_path(void *chain, const char *path) {
    (void)chain;
    (void)path;
    return ATTEST_MBEDTLS_ERR_X509_FILE_IO_ERROR;
}

const void *attest_no_git_tls_parse_file(void) { return (const void *)&mbedtls_x509_crt_parse_file; }
