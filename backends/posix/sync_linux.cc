// backends/posix/sync_linux.cc — the sync facet on Linux: cross-process wait/wake on a word in
// shared memory (futex), and the robust process-shared mutex (a robust futex: the kernel walks a
// dead thread's robust list, marks the lock's word FUTEX_OWNER_DIED and wakes the next waiter).
// Where the thread's robust list is not laid out the way this file expects (another libc), a
// mutex is made a process-shared robust pthread mutex instead (sync_pthread.cc): the method is
// chosen when the mutex is initialised and recorded beside it, so every process uses the same.
#include <errno.h>
#include <linux/futex.h>
#include <signal.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <climits>
#include <cstddef>
#include <cstdlib>
#include <new>

#include "backends/backend.h"
#include "backends/posix/fd.h"
#include "backends/posix/sync_pthread.h"
#include "core/status.h"

// A futex word is its address: opening a word or a mutex in a process needs no object of its own.
mproc__word* mproc__word_open(mproc__shm* /*shm*/, uint32_t* word) {
  return reinterpret_cast<mproc__word*>(word);
}
void mproc__word_close(mproc__word* /*w*/) {}

mproc_status mproc__word_wait(mproc__word* w, uint32_t expected, int64_t timeout_ms) {
  auto* word = reinterpret_cast<uint32_t*>(w);
  timespec ts{};
  timespec* tsp = nullptr;
  if (timeout_ms >= 0) {
    ts.tv_sec = static_cast<time_t>(timeout_ms / 1000);
    ts.tv_nsec = static_cast<long>((timeout_ms % 1000) * 1000000);
    tsp = &ts;
  }
  // Shared (not FUTEX_PRIVATE): the word lives in memory mapped by several processes.
  long r = ::syscall(SYS_futex, word, FUTEX_WAIT, expected, tsp, nullptr, 0);
  if (r == 0 || errno == EAGAIN || errno == EINTR) return MPROC_OK;
  if (errno == ETIMEDOUT) return MPROC_E_TIMEOUT;
  return mproc__fail_os(errno, "futex wait");
}

void mproc__word_wake(mproc__word* w, int32_t count) {
  auto* word = reinterpret_cast<uint32_t*>(w);
  ::syscall(SYS_futex, word, FUTEX_WAKE, count, nullptr, nullptr, 0);
}

// ---- The robust mutex ----------------------------------------------------------------------------
// Our own robust futex, not a pthread mutex: an uncontended lock + unlock is then one compare-and-
// swap, one exchange and a few plain stores, with no type dispatch and no PLT hops (glibc's robust
// path costs about twice that). Robustness comes from the kernel's robust-futex protocol
// (set_robust_list(2)): the lock word holds the owner's kernel tid, and every mutex a thread holds
// sits on the thread's robust list, so when the thread dies the kernel sets FUTEX_OWNER_DIED in the
// word and wakes one waiter. A thread has one robust list and glibc registers it at thread start
// for its own robust mutexes, so ours join that list. Its entries are glibc's {prev, next} pairs
// (the kernel reads only `next`; glibc also keeps `prev`, pointing at the predecessor's `next` or
// at the head, and follows it when it unlinks one of its own mutexes), so ours keep the same shape
// and keep their neighbours' prev pointers right. Only the head's kernel-defined fields (list,
// list_op_pending) are touched. The kernel finds the word at entry + head->futex_offset; glibc
// sets that from its own mutex layout (-32 on 64-bit), so `next` sits at that distance from `word`.

namespace {

struct RobustMutex {
  std::atomic<uint32_t> word;   // 0 free; else the owner's tid | FUTEX_WAITERS | FUTEX_OWNER_DIED
  std::atomic<uint32_t> state;  // kConsistent, kInconsistent, kUnrecoverable
  uint64_t reserved[2];
  void* prev;  // the predecessor's `next`, or the list head (glibc's convention)
  void* next;  // the robust-list entry: the successor's `next`, or the head
};
static_assert(offsetof(RobustMutex, next) == 32 && offsetof(RobustMutex, prev) == 24,
              "the robust-list entry must sit where the kernel looks (head->futex_offset)");
static_assert(sizeof(std::atomic<uint32_t>) == 4 && std::atomic<uint32_t>::is_always_lock_free,
              "the futex word must be a plain 32-bit word");

// The mutex in shared memory: the robust futex or, for the fallback, a pthread mutex in the same
// bytes, and which of the two it is.
constexpr size_t kMethodOffset = 40;
constexpr uint32_t kMethodFutex = 0;
constexpr uint32_t kMethodPthread = 1;
constexpr size_t kSharedMutexSize = 48;
static_assert(sizeof(RobustMutex) <= kMethodOffset &&
                  mproc_posix::kPthreadMutexBytes <= kMethodOffset,
              "both methods fit before the method word");

// The pthread fallback's holder, beside the method word (see sync_pthread.h).
constexpr size_t kOwnerOffset = 44;
static_assert(kOwnerOffset + 4 <= kSharedMutexSize, "the owner word fits");
inline uint32_t* owner_of(void* mem) {
  return reinterpret_cast<uint32_t*>(static_cast<char*>(mem) + kOwnerOffset);
}

inline uint32_t method_of(const void* mem) {
  return __atomic_load_n(
      reinterpret_cast<const uint32_t*>(static_cast<const char*>(mem) + kMethodOffset),
      __ATOMIC_RELAXED);
}

constexpr uint32_t kConsistent = 0;
constexpr uint32_t kInconsistent = 1;   // acquired after the owner died; not yet marked consistent
constexpr uint32_t kUnrecoverable = 2;  // released while inconsistent: refuses every acquire

// The calling thread's robust-list head (registered by glibc; the same address in the child of a
// fork, where glibc re-registers it). Looked up once per thread.
__attribute__((tls_model("initial-exec"))) thread_local robust_list_head* t_head = nullptr;

__attribute__((noinline)) robust_list_head* fetch_head() {
  robust_list_head* head = nullptr;
  size_t len = 0;
  if (::syscall(SYS_get_robust_list, 0, &head, &len) != 0 || head == nullptr ||
      len != sizeof(robust_list_head) || head->list.next == nullptr ||
      head->futex_offset != -static_cast<long>(offsetof(RobustMutex, next))) {
    return nullptr;
  }
  t_head = head;
  return head;
}

inline robust_list_head* self_head() {
  robust_list_head* h = t_head;
  if (__builtin_expect(h != nullptr, 1)) return h;
  return fetch_head();
}

inline uint32_t self_tid() {
  return static_cast<uint32_t>(mproc__thread_identity_inline() & FUTEX_TID_MASK);
}

// The kernel walks the list only after the thread is gone, on this same thread's behalf, so
// program order (kept from the compiler) is all the ordering these plain stores need.
inline void compiler_barrier() { std::atomic_signal_fence(std::memory_order_seq_cst); }

inline void* entry_of(RobustMutex* m) { return &m->next; }

// The list's pointers are read and written with relaxed atomic accesses: plain moves, but a mutex
// whose holder died changes hands through the kernel, which ThreadSanitizer cannot see, so plain
// accesses to its links would look like a race between the dead thread and the next holder.
inline void* load_ptr(void* const* p) { return __atomic_load_n(p, __ATOMIC_RELAXED); }
inline void store_ptr(void** p, void* v) { __atomic_store_n(p, v, __ATOMIC_RELAXED); }
inline void set_pending(robust_list_head* head, void* entry) {
  __atomic_store_n(&head->list_op_pending, static_cast<robust_list*>(entry), __ATOMIC_RELAXED);
}

// The prev field of the entry `e` points at (e is a `next` field or the head, low bit = PI flag).
inline void** prev_field(void* e) {
  return reinterpret_cast<void**>((reinterpret_cast<uintptr_t>(e) & ~uintptr_t{1}) - sizeof(void*));
}

// Pushes m at the front of the calling thread's list.
inline void enqueue(robust_list_head* head, RobustMutex* m) {
  void* first = load_ptr(reinterpret_cast<void* const*>(&head->list.next));
  store_ptr(&m->next, first);
  store_ptr(&m->prev, head);  // the head's `list.next` is at the head's address
  if ((reinterpret_cast<uintptr_t>(first) & ~uintptr_t{1}) != reinterpret_cast<uintptr_t>(head)) {
    store_ptr(prev_field(first), entry_of(m));
  }
  compiler_barrier();
  store_ptr(reinterpret_cast<void**>(&head->list.next), entry_of(m));
}

// Unlinks m (held by the calling thread, so on its list).
inline void dequeue(robust_list_head* head, RobustMutex* m) {
  void* next = load_ptr(&m->next);
  void* prev = load_ptr(&m->prev);
  if ((reinterpret_cast<uintptr_t>(next) & ~uintptr_t{1}) != reinterpret_cast<uintptr_t>(head)) {
    store_ptr(prev_field(next), prev);
  }
  store_ptr(static_cast<void**>(prev), next);  // the predecessor's `next`, or head->list.next
  compiler_barrier();
}

long futex_wait_until(std::atomic<uint32_t>* word, uint32_t expected, const timespec* deadline) {
  // FUTEX_WAIT_BITSET takes an absolute CLOCK_MONOTONIC deadline. Shared: the word is mapped by
  // several processes (and the kernel's owner-died wake-up is a shared one).
  return ::syscall(SYS_futex, reinterpret_cast<uint32_t*>(word), FUTEX_WAIT_BITSET, expected,
                   deadline, nullptr, FUTEX_BITSET_MATCH_ANY);
}

void futex_wake(std::atomic<uint32_t>* word, int count) {
  ::syscall(SYS_futex, reinterpret_cast<uint32_t*>(word), FUTEX_WAKE, count, nullptr, nullptr, 0);
}

timespec monotonic_after(int64_t timeout_ms) {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  ts.tv_sec += static_cast<time_t>(timeout_ms / 1000);
  ts.tv_nsec += static_cast<long>((timeout_ms % 1000) * 1000000);
  if (ts.tv_nsec >= 1000000000) {
    ts.tv_sec += 1;
    ts.tv_nsec -= 1000000000;
  }
  return ts;
}

// Releases the word (m already off the list) and wakes: one waiter, or all of them when the mutex
// became unrecoverable (each must see that and fail).
inline void release_word(RobustMutex* m, bool all) {
  uint32_t old = m->word.exchange(0, std::memory_order_release);
  if (__builtin_expect((old & FUTEX_WAITERS) != 0, 0)) futex_wake(&m->word, all ? INT32_MAX : 1);
}

__attribute__((noinline)) mproc_status not_supported() {
  return mproc__fail(MPROC_E_NOT_SUPPORTED,
                     "this thread has no robust futex list registered in the kernel the way this "
                     "build expects (get_robust_list), so a lock could not report its holder's "
                     "death");
}

// Just acquired m (on the list, pending cleared) but it is unrecoverable: give it back.
__attribute__((noinline)) mproc_status refuse_unrecoverable(robust_list_head* head,
                                                            RobustMutex* m) {
  set_pending(head, entry_of(m));
  compiler_barrier();
  dequeue(head, m);
  release_word(m, true);
  set_pending(head, nullptr);
  return mproc__fail(MPROC_E_STATE,
                     "the lock's owner died and the next owner released it without marking it "
                     "consistent: it can never be acquired again");
}

// Every acquire that the first compare-and-swap did not settle. list_op_pending is set to m.
__attribute__((noinline)) mproc_status lock_slow(robust_list_head* head, RobustMutex* m,
                                                 uint32_t tid, uint32_t seen, int64_t timeout_ms) {
  bool slept = false;
  bool have_deadline = false;
  timespec deadline{};
  int spins = 100;  // a holder on another CPU usually lets go within a few hundred ns
  for (;;) {
    uint32_t w = seen;
    if ((w & FUTEX_TID_MASK) == 0) {  // free, or its owner died
      // After sleeping, others may sleep too: keep FUTEX_WAITERS so our unlock wakes one.
      uint32_t want = tid | (w & FUTEX_WAITERS) | (slept ? FUTEX_WAITERS : 0);
      if (m->word.compare_exchange_weak(seen, want, std::memory_order_acquire,
                                        std::memory_order_relaxed)) {
        enqueue(head, m);
        compiler_barrier();
        set_pending(head, nullptr);
        // Unrecoverable stays so even if a thread died while giving it back.
        if (m->state.load(std::memory_order_relaxed) == kUnrecoverable) {
          return refuse_unrecoverable(head, m);
        }
        if ((w & FUTEX_OWNER_DIED) != 0) {
          m->state.store(kInconsistent, std::memory_order_relaxed);
          return MPROC_E_OWNER_DIED;
        }
        return MPROC_OK;
      }
      continue;
    }
    if ((w & FUTEX_TID_MASK) == tid) {
      set_pending(head, nullptr);
      if (timeout_ms == 0) return MPROC_E_TIMEOUT;
      return mproc__fail(MPROC_E_STATE,
                         "the calling thread already holds this (non-recursive) lock");
    }
    if (timeout_ms == 0) {
      set_pending(head, nullptr);
      return MPROC_E_TIMEOUT;
    }
    if (spins > 0 && (w & FUTEX_WAITERS) == 0) {
      --spins;
      __builtin_ia32_pause();
      seen = m->word.load(std::memory_order_relaxed);
      continue;
    }
    if ((w & FUTEX_WAITERS) == 0 &&
        !m->word.compare_exchange_weak(seen, w | FUTEX_WAITERS, std::memory_order_relaxed,
                                       std::memory_order_relaxed)) {
      continue;
    }
    if (timeout_ms > 0 && !have_deadline) {
      deadline = monotonic_after(timeout_ms);
      have_deadline = true;
    }
    long r = futex_wait_until(&m->word, w | FUTEX_WAITERS, have_deadline ? &deadline : nullptr);
    if (r != 0 && errno == ETIMEDOUT) {
      set_pending(head, nullptr);
      return MPROC_E_TIMEOUT;
    }
    slept = true;
    seen = m->word.load(std::memory_order_relaxed);
  }
}

}  // namespace

size_t mproc__mutex_size() { return kSharedMutexSize; }

mproc__mutex* mproc__mutex_open(mproc__shm* /*shm*/, void* mem) {
  return static_cast<mproc__mutex*>(mem);
}
void mproc__mutex_close(mproc__mutex* /*m*/) {}

mproc_status mproc__mutex_init(mproc__shm* /*shm*/, void* mem, bool recursive) {
  if (recursive) {
    return mproc__fail(MPROC_E_NOT_SUPPORTED,
                       "the backend's robust mutex is not recursive (the core counts RLock depth)");
  }
  // The fallback where our futex cannot join this thread's robust list, and in tests that force it
  // (MPROC_TEST_MUTEX_FALLBACK=1, read once).
  static const bool forced = [] {
    const char* v = ::getenv("MPROC_TEST_MUTEX_FALLBACK");
    return v != nullptr && v[0] == '1';
  }();
  auto* method = reinterpret_cast<uint32_t*>(static_cast<char*>(mem) + kMethodOffset);
  if (forced || self_head() == nullptr) {
    *method = kMethodPthread;
    *owner_of(mem) = 0;
    return mproc_posix::pthread_mutex_init_shared(mem);
  }
  *method = kMethodFutex;
  new (mem) RobustMutex();
  return MPROC_OK;
}

mproc_status mproc__mutex_lock(mproc__mutex* mem, int64_t timeout_ms) {
  if (__builtin_expect(method_of(mem) != kMethodFutex, 0)) {
    return mproc_posix::pthread_mutex_lock_shared(mem, owner_of(mem), self_tid(), timeout_ms);
  }
  auto* m = reinterpret_cast<RobustMutex*>(mem);
  robust_list_head* head = self_head();
  if (__builtin_expect(head == nullptr, 0)) return not_supported();
  const uint32_t tid = self_tid();
  // Announce the operation first: if the thread dies between the swap and the link, the kernel
  // still finds the mutex through list_op_pending.
  set_pending(head, entry_of(m));
  compiler_barrier();
  uint32_t seen = 0;
  if (__builtin_expect(m->word.compare_exchange_strong(seen, tid, std::memory_order_acquire,
                                                       std::memory_order_relaxed),
                       1)) {
    enqueue(head, m);
    compiler_barrier();
    set_pending(head, nullptr);
    if (__builtin_expect(m->state.load(std::memory_order_relaxed) == kConsistent, 1)) {
      return MPROC_OK;
    }
    // Not the owner-died state (that comes with FUTEX_OWNER_DIED in the word, never a free word).
    return refuse_unrecoverable(head, m);
  }
  return lock_slow(head, m, tid, seen, timeout_ms);
}

mproc_status mproc__mutex_unlock(mproc__mutex* mem) {
  if (__builtin_expect(method_of(mem) != kMethodFutex, 0)) {
    return mproc_posix::pthread_mutex_unlock_shared(mem, owner_of(mem), self_tid());
  }
  auto* m = reinterpret_cast<RobustMutex*>(mem);
  const uint32_t tid = self_tid();
  if (__builtin_expect((m->word.load(std::memory_order_relaxed) & FUTEX_TID_MASK) != tid, 0)) {
    return MPROC_E_NOT_OWNER;
  }
  robust_list_head* head = t_head;  // set by the lock that made this thread the owner
  if (__builtin_expect(head == nullptr, 0)) return MPROC_E_NOT_OWNER;
  bool unrecoverable = false;
  if (__builtin_expect(m->state.load(std::memory_order_relaxed) == kInconsistent, 0)) {
    m->state.store(kUnrecoverable, std::memory_order_relaxed);
    unrecoverable = true;
  }
  set_pending(head, entry_of(m));
  compiler_barrier();
  dequeue(head, m);
  release_word(m, unrecoverable);
  compiler_barrier();
  set_pending(head, nullptr);
  return MPROC_OK;
}

mproc_status mproc__mutex_consistent(mproc__mutex* mem) {
  if (method_of(mem) != kMethodFutex) {
    return mproc_posix::pthread_mutex_consistent_shared(mem, owner_of(mem), self_tid());
  }
  auto* m = reinterpret_cast<RobustMutex*>(mem);
  if ((m->word.load(std::memory_order_relaxed) & FUTEX_TID_MASK) != self_tid() ||
      m->state.load(std::memory_order_relaxed) != kInconsistent) {
    return MPROC_E_STATE;
  }
  m->state.store(kConsistent, std::memory_order_relaxed);
  return MPROC_OK;
}
