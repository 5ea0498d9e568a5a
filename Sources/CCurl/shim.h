// libcurl, opened when first used. Only a time-stamp request and the fetching of revocation
// data speak HTTP; linked at start-up, libcurl and what it needs (nghttp2, LDAP, Kerberos,
// GnuTLS, RTMP, ...) cost every command about 2 ms, and the push hooks start on every push
// (docs/hook.md, "Start-up"). attest_curl_open() opens it (once) and says why it could not
// be; every other attest_curl function calls libcurl, and may be called only once it is open.
#include <curl/curl.h>
#include <dlfcn.h>
#include <stddef.h>
#include <stdio.h>

static inline void *attest_curl_library(void) {
    static void *handle;
    void *h = __atomic_load_n(&handle, __ATOMIC_ACQUIRE);
    if (!h) {
        h = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
        if (h) __atomic_store_n(&handle, h, __ATOMIC_RELEASE);
    }
    return h;
}

/// NULL once libcurl is open and has every function the shim calls, else why not
/// (dlopen's reason, or the function it lacks): a missing one is never called.
static inline const char *attest_curl_open(void) {
    void *h = attest_curl_library();
    if (!h) {
        const char *why = dlerror();
        return why ? why : "libcurl.so.4 could not be opened";
    }
    static const char *const used[] = {
        "curl_global_init", "curl_easy_init", "curl_easy_cleanup", "curl_easy_perform",
        "curl_easy_strerror", "curl_slist_append", "curl_slist_free_all",
        "curl_easy_setopt", "curl_easy_getinfo"
    };
    for (size_t k = 0; k < sizeof used / sizeof used[0]; k++) {
        if (!dlsym(h, used[k])) {
            static char missing[128];
            snprintf(missing, sizeof missing, "libcurl.so.4 has no %s", used[k]);
            return missing;
        }
    }
    return NULL;
}

#define ATTEST_CURL_FN(ret, name, params) \
    static inline ret (*attest_curl_fn_##name(void)) params { \
        static ret (*fn) params; \
        ret (*f) params = __atomic_load_n(&fn, __ATOMIC_ACQUIRE); \
        if (!f) { f = (ret (*) params)dlsym(attest_curl_library(), #name); __atomic_store_n(&fn, f, __ATOMIC_RELEASE); } \
        return f; \
    }

ATTEST_CURL_FN(CURLcode, curl_global_init, (long flags))
ATTEST_CURL_FN(CURL *, curl_easy_init, (void))
ATTEST_CURL_FN(void, curl_easy_cleanup, (CURL *curl))
ATTEST_CURL_FN(CURLcode, curl_easy_perform, (CURL *curl))
ATTEST_CURL_FN(const char *, curl_easy_strerror, (CURLcode code))
ATTEST_CURL_FN(struct curl_slist *, curl_slist_append, (struct curl_slist *list, const char *data))
ATTEST_CURL_FN(void, curl_slist_free_all, (struct curl_slist *list))
ATTEST_CURL_FN(CURLcode, curl_easy_setopt, (CURL *curl, CURLoption option, ...))
ATTEST_CURL_FN(CURLcode, curl_easy_getinfo, (CURL *curl, CURLINFO info, ...))

static inline CURLcode attest_curl_global_init(long flags) { return attest_curl_fn_curl_global_init()(flags); }
static inline CURL *attest_curl_easy_init(void) { return attest_curl_fn_curl_easy_init()(); }
static inline void attest_curl_easy_cleanup(CURL *c) { attest_curl_fn_curl_easy_cleanup()(c); }
static inline CURLcode attest_curl_easy_perform(CURL *c) { return attest_curl_fn_curl_easy_perform()(c); }
static inline const char *attest_curl_easy_strerror(CURLcode code) { return attest_curl_fn_curl_easy_strerror()(code); }
static inline struct curl_slist *attest_curl_slist_append(struct curl_slist *l, const char *d) { return attest_curl_fn_curl_slist_append()(l, d); }
static inline void attest_curl_slist_free_all(struct curl_slist *l) { attest_curl_fn_curl_slist_free_all()(l); }

// curl_easy_setopt and curl_easy_getinfo are variadic, which Swift cannot call: one typed
// wrapper per argument type.
static inline CURLcode attest_curl_long(CURL *c, CURLoption o, long v) { return attest_curl_fn_curl_easy_setopt()(c, o, v); }
static inline CURLcode attest_curl_off(CURL *c, CURLoption o, curl_off_t v) { return attest_curl_fn_curl_easy_setopt()(c, o, v); }
static inline CURLcode attest_curl_pointer(CURL *c, CURLoption o, const void *v) { return attest_curl_fn_curl_easy_setopt()(c, o, v); }
typedef size_t (*attest_curl_callback)(char *, size_t, size_t, void *);
static inline CURLcode attest_curl_callback_set(CURL *c, CURLoption o, attest_curl_callback f) { return attest_curl_fn_curl_easy_setopt()(c, o, f); }
static inline CURLcode attest_curl_info_long(CURL *c, CURLINFO i, long *v) { return attest_curl_fn_curl_easy_getinfo()(c, i, v); }
static inline CURLcode attest_curl_info_string(CURL *c, CURLINFO i, char **v) { return attest_curl_fn_curl_easy_getinfo()(c, i, v); }
