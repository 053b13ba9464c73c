// backends/posix/thread.cc — who the calling thread is, cheaply: every lock acquire records it.
#include <pthread.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "backends/backend.h"

// Declared in backend.h, so that the lock paths read it inline.
__thread uint64_t mproc__identity_cache = 0;

namespace {

// In the child of a fork the forking thread lives on with a new pid and tid; every other thread's
// cache is gone with the thread.
void forget_identity() { mproc__identity_cache = 0; }

__attribute__((noinline)) uint64_t compute_identity() {
  static const int registered = ::pthread_atfork(nullptr, nullptr, &forget_identity);
  (void)registered;
  auto pid = static_cast<uint64_t>(static_cast<uint32_t>(::getpid()));
  auto tid = static_cast<uint64_t>(static_cast<uint32_t>(::syscall(SYS_gettid)));
  mproc__identity_cache = (pid << 32) | tid;
  return mproc__identity_cache;
}

}  // namespace

uint64_t mproc__thread_identity() {
  uint64_t id = mproc__identity_cache;
  if (__builtin_expect(id != 0, 1)) return id;
  return compute_identity();
}
