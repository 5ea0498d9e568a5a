#include <zlib.h>

// inflateInit is a macro, which Swift cannot call.
static inline int attest_inflate_init(z_stream *strm) { return inflateInit(strm); }

// glibc's memmem (two-way search), declared only under _GNU_SOURCE, which Swift's Glibc does
// not define; the fast path's scan of inflated commit messages uses it.
#include <stddef.h>
extern void *memmem(const void *haystack, size_t haystacklen, const void *needle, size_t needlelen);
static inline const void *attest_memmem(const void *h, size_t hl, const void *n, size_t nl) { return memmem(h, hl, n, nl); }
