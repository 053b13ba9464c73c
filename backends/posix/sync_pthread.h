// backends/posix/sync_pthread.h — the robust mutex on a process-shared robust pthread mutex: the
// fallback where the robust futex of sync_linux.cc cannot join the thread's robust list (a libc
// whose robust-list layout is not glibc's, checked at first use). Slower (glibc's robust path
// costs about twice our futex's) but with the same semantics: owner death reported to the next
// acquirer, unrecoverable after a release without mark-consistent, relock by the owner refused.
#ifndef MPROC_BACKENDS_POSIX_SYNC_PTHREAD_H
#define MPROC_BACKENDS_POSIX_SYNC_PTHREAD_H

#include <cstdint>

#include "mproc/mproc.h"

namespace mproc_posix {

constexpr unsigned kPthreadMutexBytes = 40;  // sizeof(pthread_mutex_t) on 64-bit glibc

// mem: kPthreadMutexBytes of zeroed shared memory, 8-byte aligned; owner: a shared word beside it
// where the holder's thread id is kept (0: none), so that a release by a thread that does not hold
// the mutex is refused here, before pthread_mutex_unlock (ThreadSanitizer reports such a call as a
// bug even when it fails cleanly with EPERM); self: the calling thread's id. Same results as the
// mproc__mutex_* functions of backends/sync.h.
mproc_status pthread_mutex_init_shared(void* mem);
mproc_status pthread_mutex_lock_shared(void* mem, uint32_t* owner, uint32_t self,
                                       int64_t timeout_ms);
mproc_status pthread_mutex_unlock_shared(void* mem, uint32_t* owner, uint32_t self);
mproc_status pthread_mutex_consistent_shared(void* mem, const uint32_t* owner, uint32_t self);

}  // namespace mproc_posix

#endif  // MPROC_BACKENDS_POSIX_SYNC_PTHREAD_H
