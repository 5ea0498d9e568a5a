#include <git2.h>
#include <git2/sys/commit.h>

// git_libgit2_opts is variadic, which Swift cannot call: one fixed-argument wrapper per option used.
static inline int attest_git_opt_enable_caching(int enabled) { return git_libgit2_opts(GIT_OPT_ENABLE_CACHING, enabled); }
static inline int attest_git_opt_strict_hash_verification(int enabled) { return git_libgit2_opts(GIT_OPT_ENABLE_STRICT_HASH_VERIFICATION, enabled); }
