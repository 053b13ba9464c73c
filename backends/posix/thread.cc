// backends/posix/thread.cc — who the calling thread is, cheaply: every lock acquire records it.
#include <pthread.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "backends/backend.h"

namespace {

// initial-exec: a plain %fs-relative load, where the default model of a shared library calls
// __tls_get_addr on every access. The variable is tiny, so the static TLS it needs is always there.
__attribute__((tls_model("initial-exec"))) thread_local uint64_t t_identity = 0;

// In the child of a fork the forking thread lives on with a new pid and tid; every other thread's
// cache is gone with the thread.
void forget_identity() { t_identity = 0; }

__attribute__((noinline)) uint64_t compute_identity() {
  static const int registered = ::pthread_atfork(nullptr, nullptr, &forget_identity);
  (void)registered;
  auto pid = static_cast<uint64_t>(static_cast<uint32_t>(::getpid()));
  auto tid = static_cast<uint64_t>(static_cast<uint32_t>(::syscall(SYS_gettid)));
  t_identity = (pid << 32) | tid;
  return t_identity;
}

}  // namespace

uint64_t mproc__thread_identity() {
  uint64_t id = t_identity;
  if (__builtin_expect(id != 0, 1)) return id;
  return compute_identity();
}
