// core/memory.cc — releasing memory the library allocated for a caller. malloc/free, so that a
// caller never frees with an allocator other than the one that allocated.
#include <cstdlib>

#include "mproc/common.h"

extern "C" {

MPROC_API void mproc_free(void* p) { std::free(p); }

}  // extern "C"
