#ifndef ATTEST_CNOGITTLS_H
#define ATTEST_CNOGITTLS_H
/* See no_git_tls.c. */

/* The address of attest's own mbedtls_x509_crt_parse_file, for the test that checks it is
   the definition the process binds to. */
const void *attest_no_git_tls_parse_file(void);

#endif
