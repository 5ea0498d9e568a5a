#include <curl/curl.h>

// curl_easy_setopt and curl_easy_getinfo are variadic, which Swift cannot call: one typed
// wrapper per argument type.
static inline CURLcode attest_curl_long(CURL *c, CURLoption o, long v) { return curl_easy_setopt(c, o, v); }
static inline CURLcode attest_curl_off(CURL *c, CURLoption o, curl_off_t v) { return curl_easy_setopt(c, o, v); }
static inline CURLcode attest_curl_pointer(CURL *c, CURLoption o, const void *v) { return curl_easy_setopt(c, o, v); }
typedef size_t (*attest_curl_callback)(char *, size_t, size_t, void *);
static inline CURLcode attest_curl_callback_set(CURL *c, CURLoption o, attest_curl_callback f) { return curl_easy_setopt(c, o, f); }
static inline CURLcode attest_curl_info_long(CURL *c, CURLINFO i, long *v) { return curl_easy_getinfo(c, i, v); }
static inline CURLcode attest_curl_info_string(CURL *c, CURLINFO i, char **v) { return curl_easy_getinfo(c, i, v); }
