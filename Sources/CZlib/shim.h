#include <zlib.h>

// inflateInit is a macro, which Swift cannot call.
static inline int attest_inflate_init(z_stream *strm) { return inflateInit(strm); }
