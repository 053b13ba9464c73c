// core/lock.cc — Lock and RLock over the backend's robust mutex. The mutex itself is never
// recursive: an RLock's depth is counted here, so its re-acquire by the holder costs no call into
// the backend, and a Condition can release every level at once and restore them.
#include "core/lock.h"

#include <chrono>
#include <random>
#include <thread>
#include <string>
#include <vector>

#include "backends/backend.h"
#include "core/compiler.h"
#include "core/mutex.h"
#include "core/options.h"
#include "core/status.h"

namespace {

constexpr uint32_t kLockMagic = 0x4c4f434b;  // "LOCK"

size_t tail_offset() { return (mproc__mutex_size() + 15) & ~size_t{15}; }

mproc__lock_tail* tail_of(void* block) {
  return reinterpret_cast<mproc__lock_tail*>(static_cast<char*>(block) + tail_offset());
}

int64_t pid_of(uint64_t identity) { return static_cast<int64_t>(identity >> 32); }
int64_t tid_of(uint64_t identity) { return static_cast<int64_t>(identity & 0xffffffffu); }

// "process 1234" or "thread 1240 of this process": who an identity is, from the caller's view.
std::string who(uint64_t identity) {
  if (pid_of(identity) == pid_of(mproc__thread_identity_inline())) {
    return absl::StrFormat("thread %d of this process", tid_of(identity));
  }
  return absl::StrFormat("process %d", pid_of(identity));
}

// The wait handle's predicate (core/watch.h): not held, or held by a process that died (an acquire
// would then succeed with MPROC_E_OWNER_DIED). The holder's thread identity is stored just after
// it takes the mutex and cleared just before it lets go, so "not held" is as exact as a look at a
// lock other processes take can be.
bool lock_free(const void* ctx) {
  uint64_t owner = static_cast<const mproc__lock_tail*>(ctx)->owner.load(std::memory_order_seq_cst);
  return owner == 0 || !mproc__process_alive(pid_of(owner));
}

uint64_t random_uid() {
  std::random_device rd;
  uint64_t uid = 0;
  while (uid == 0) uid = (static_cast<uint64_t>(rd()) << 32) ^ rd();
  return uid;
}

mproc_status bad_args(const char* where, const mproc_lock* l, int64_t timeout_ms) {
  if (l == nullptr) return mproc__failf(MPROC_E_INVAL, "%s: lock is NULL", where);
  return mproc__check_timeout(where, timeout_ms);
}

// Everything but a plain success: kept out of line so the fast path stays small.
MPROC__NOINLINE mproc_status acquire_slow(mproc_lock* l, mproc_status st, uint64_t me,
                                          int64_t timeout_ms, const char* where) {
  mproc__lock_tail* t = l->tail;
  switch (st) {
    case MPROC_E_OWNER_DIED: {
      uint64_t dead = t->owner.load(std::memory_order_relaxed);
      t->dead_owner.store(dead, std::memory_order_relaxed);
      t->owner.store(me, std::memory_order_relaxed);
      t->count.store(1, std::memory_order_relaxed);
      std::string holder =
          dead == 0 ? std::string("its holder")
                    : (pid_of(dead) == pid_of(me) ? "its holder (" + who(dead) + ")"
                                                  : "the " + who(dead) + " that held it");
      return mproc__failf(MPROC_E_OWNER_DIED,
                          "%s: %s: %s died holding it. The caller now holds the lock, and what it "
                          "protects may be half-updated: repair that, then call "
                          "mproc_lock_consistent() (C++: mark_consistent()); released without it, "
                          "the lock becomes unusable",
                          where, l->what, holder);
    }
    case MPROC_E_TIMEOUT: {
      uint64_t holder = t->owner.load(std::memory_order_relaxed);
      std::string by = holder == 0 ? std::string() : " (held by " + who(holder) + ")";
      if (holder == me) by = " (held by the calling thread; a Lock is not recursive)";
      if (timeout_ms == 0)
        return mproc__failf(MPROC_E_TIMEOUT, "%s: %s is held%s", where, l->what, by);
      return mproc__failf(MPROC_E_TIMEOUT, "%s: %s was not acquired within %d ms%s", where, l->what,
                          timeout_ms, by);
    }
    case MPROC_E_STATE: {
      if (t->owner.load(std::memory_order_relaxed) == me) {
        if (timeout_ms == 0) {  // Python's acquire(False) by the holder: False, not an error
          return mproc__failf(MPROC_E_TIMEOUT,
                              "%s: %s is held by the calling thread (a Lock is not recursive)",
                              where, l->what);
        }
        if (timeout_ms > 0) {
          // Python's acquire(timeout=t) by the holder waits t and returns False. Nothing can free
          // the lock meanwhile (only its holder may release it, and it is here), so the wait is a
          // sleep; only a wait without a timeout, which would never end, is refused.
          std::this_thread::sleep_for(std::chrono::milliseconds(timeout_ms));
          return mproc__failf(MPROC_E_TIMEOUT,
                              "%s: %s was not acquired within %d ms (held by the calling thread; a "
                              "Lock is not recursive)",
                              where, l->what, timeout_ms);
        }
        return mproc__failf(MPROC_E_STATE,
                            "%s: the calling thread already holds %s and would wait for itself "
                            "forever (a Lock is not recursive: use an RLock)",
                            where, l->what);
      }
      uint64_t dead = t->dead_owner.load(std::memory_order_relaxed);
      std::string died = dead == 0 ? std::string("a holder") : "its holder (" + who(dead) + ")";
      return mproc__failf(MPROC_E_STATE,
                          "%s: %s is unusable: %s died holding it, and the next holder released "
                          "it without calling mproc_lock_consistent(); create a new lock",
                          where, l->what, died);
    }
    default:
      return mproc__failf(st, "%s: %s: %s", where, l->what, mproc_last_error());
  }
}

MPROC__NOINLINE mproc_status not_owner(const mproc_lock* l, const char* where, const char* what) {
  uint64_t holder = l->tail->owner.load(std::memory_order_relaxed);
  if (holder == 0) {
    return mproc__failf(MPROC_E_NOT_OWNER, "%s: %s is not held: %s", where, l->what, what);
  }
  return mproc__failf(MPROC_E_NOT_OWNER, "%s: %s is held by %s, not by the caller: %s", where,
                      l->what, who(holder), what);
}

}  // namespace

size_t mproc__lock_block_size() {
  return (tail_offset() + sizeof(mproc__lock_tail) + 63) & ~size_t{63};
}

mproc_status mproc__lock_block_init(mproc__shm* shm, void* block, bool recursive) {
  mproc_status st = mproc__mutex_init(shm, block, false);
  if (st != MPROC_OK) return st;
  mproc__lock_tail* t = tail_of(block);
  t->recursive = recursive ? 1 : 0;
  t->uid = random_uid();
  t->magic = kLockMagic;
  return MPROC_OK;
}

bool mproc__lock_block_present(const void* block) {
  return tail_of(const_cast<void*>(block))->magic == kLockMagic;
}

namespace {

// Mappings of locks dropped while this process still held them. The backend links the robust
// mutexes a thread holds through their own memory, so unmapping one would crash a later unlock of another:
// they stay mapped for the life of the process. Kept reachable here, on purpose, so leak checkers
// see a deliberate keep, not a leak.
struct KeptLocks {
  mproc__thread_mutex mu;
  std::vector<mproc__object*> objects ABSL_GUARDED_BY(mu);
};
KeptLocks* g_kept_locks = new KeptLocks;

}  // namespace

std::shared_ptr<mproc__object> mproc__lock_holder(mproc__object* obj) {
  return std::shared_ptr<mproc__object>(obj, [](mproc__object* o) {
    void* block = o->payload();
    if (o->payload_size() >= mproc__lock_block_size() && mproc__lock_block_present(block)) {
      uint64_t holder = tail_of(block)->owner.load(std::memory_order_relaxed);
      if (holder != 0 && pid_of(holder) == pid_of(mproc__thread_identity_inline())) {
        mproc__thread_lock lock(&g_kept_locks->mu);
        g_kept_locks->objects.push_back(o);
        return;
      }
    }
    delete o;
  });
}

mproc_lock* mproc__lock_make(std::shared_ptr<mproc__object> obj, void* block, std::string what) {
  auto* l = new mproc_lock;
  l->obj = std::move(obj);
  l->block = block;
  l->mutex = mproc__mutex_open(l->obj->shm(), block);
  l->tail = tail_of(block);
  l->recursive = l->tail->recursive != 0;
  l->what = std::move(what);
  return l;
}

namespace {

MPROC__NOINLINE mproc_status too_deep(const mproc_lock* l, const char* where) {
  return mproc__failf(MPROC_E_RANGE, "%s: %s is already held %u times by the caller", where,
                      l->what, UINT32_MAX);
}

MPROC__NOINLINE mproc_status unlock_refused(const mproc_lock* l, mproc_status st,
                                            const char* where) {
  return mproc__failf(st, "%s: %s: the backend refused to unlock it (%s)", where, l->what,
                      mproc_strerror(st));
}

// The hot paths, inlined into the public functions (an uncontended acquire + release is a robust
// mutex's lock + unlock plus a few loads and stores).
MPROC__ALWAYS_INLINE mproc_status acquire(mproc_lock* l, int64_t timeout_ms, const char* where) {
  if (MPROC__UNLIKELY(l == nullptr || timeout_ms < MPROC_INFINITE)) {
    return bad_args(where, l, timeout_ms);
  }
  mproc__lock_tail* t = l->tail;
  const uint64_t me = mproc__thread_identity_inline();
  if (l->recursive && t->owner.load(std::memory_order_relaxed) == me) {
    uint32_t depth = t->count.load(std::memory_order_relaxed);
    if (MPROC__UNLIKELY(depth == UINT32_MAX)) return too_deep(l, where);
    t->count.store(depth + 1, std::memory_order_relaxed);
    return MPROC_OK;
  }
  mproc_status st = mproc__mutex_lock(l->mutex, timeout_ms);
  if (MPROC__LIKELY(st == MPROC_OK)) {
    t->owner.store(me, std::memory_order_relaxed);
    t->count.store(1, std::memory_order_relaxed);
    return MPROC_OK;
  }
  return acquire_slow(l, st, me, timeout_ms, where);
}

MPROC__ALWAYS_INLINE mproc_status release(mproc_lock* l, const char* where) {
  if (MPROC__UNLIKELY(l == nullptr)) {
    return mproc__failf(MPROC_E_INVAL, "%s: lock is NULL", where);
  }
  mproc__lock_tail* t = l->tail;
  if (MPROC__UNLIKELY(t->owner.load(std::memory_order_relaxed) !=
                      mproc__thread_identity_inline())) {
    return not_owner(l, where, "release() needs a matching acquire() by the same thread");
  }
  uint32_t depth = t->count.load(std::memory_order_relaxed);
  if (depth > 1) {
    t->count.store(depth - 1, std::memory_order_relaxed);
    return MPROC_OK;
  }
  t->count.store(0, std::memory_order_relaxed);
  t->owner.store(0, std::memory_order_relaxed);
  mproc_status st = mproc__mutex_unlock(l->mutex);
  if (MPROC__UNLIKELY(st != MPROC_OK)) return unlock_refused(l, st, where);
  mproc__watch_notify(l->obj->header());
  return MPROC_OK;
}

}  // namespace

mproc_status mproc__lock_acquire(mproc_lock* l, int64_t timeout_ms, const char* where) {
  return acquire(l, timeout_ms, where);
}

mproc_status mproc__lock_release(mproc_lock* l, const char* where) { return release(l, where); }

mproc_status mproc__lock_release_all(mproc_lock* l, const char* where, const char* what,
                                     uint32_t* depth) {
  mproc__lock_tail* t = l->tail;
  if (t->owner.load(std::memory_order_relaxed) != mproc__thread_identity_inline()) {
    return not_owner(l, where, what);
  }
  *depth = t->count.load(std::memory_order_relaxed);
  t->count.store(0, std::memory_order_relaxed);
  t->owner.store(0, std::memory_order_relaxed);
  mproc_status st = mproc__mutex_unlock(l->mutex);
  if (st != MPROC_OK) {
    return mproc__failf(st, "%s: %s: the backend refused to unlock it (%s)", where, l->what,
                        mproc_strerror(st));
  }
  mproc__watch_notify(l->obj->header());
  return MPROC_OK;
}

mproc_status mproc__lock_restore(mproc_lock* l, const char* where, uint32_t depth) {
  mproc_status st = mproc__lock_acquire(l, MPROC_INFINITE, where);
  if (st == MPROC_OK || st == MPROC_E_OWNER_DIED) {
    l->tail->count.store(depth, std::memory_order_relaxed);
  }
  return st;
}

extern "C" {

MPROC_API mproc_status mproc_lock_create(const mproc_lock_options* opts, mproc_lock** out) {
  const char* where = "mproc_lock_create";
  if (out == nullptr) return mproc__failf(MPROC_E_INVAL, "%s: out is NULL", where);
  *out = nullptr;
  mproc_lock_options o;
  mproc_status st = mproc__read_options(where, opts, &o);
  if (st != MPROC_OK) return st;
  uint32_t kind = o.recursive != 0 ? MPROC__OBJ_RLOCK : MPROC__OBJ_LOCK;
  mproc__object* raw = nullptr;
  st = mproc__object::create(kind, 0, 0, mproc__lock_block_size(), o.name, &raw);
  if (st != MPROC_OK) return st;
  std::shared_ptr<mproc__object> obj = mproc__lock_holder(raw);
  st = mproc__lock_block_init(obj->shm(), obj->payload(), o.recursive != 0);
  if (st != MPROC_OK) return st;
  std::string what = obj->describe();
  *out = mproc__lock_make(std::move(obj), raw->payload(), std::move(what));
  return MPROC_OK;
}

MPROC_API mproc_status mproc_lock_open(intptr_t handle, mproc_lock** out) {
  const char* where = "mproc_lock_open";
  if (out == nullptr) return mproc__failf(MPROC_E_INVAL, "%s: out is NULL", where);
  *out = nullptr;
  mproc__object* raw = nullptr;
  mproc_status st = mproc__object::open_any(handle, "lock", &raw);
  if (st != MPROC_OK) return st;
  std::shared_ptr<mproc__object> obj = mproc__lock_holder(raw);
  uint32_t kind = obj->header()->kind;
  std::string what;
  switch (kind) {
    case MPROC__OBJ_LOCK:
    case MPROC__OBJ_RLOCK:
      what = obj->describe();
      break;
    case MPROC__OBJ_VALUE:
    case MPROC__OBJ_ARRAY:
      what = "the lock of " + obj->describe();
      break;
    default:
      return mproc__failf(MPROC_E_TYPE_MISMATCH,
                          "%s: %s was opened as a lock (a lock opens from a Lock, an RLock, or a "
                          "Value or Array created with a lock)",
                          where, obj->describe());
  }
  if (obj->payload_size() < mproc__lock_block_size() ||
      !mproc__lock_block_present(obj->payload())) {
    return mproc__failf(MPROC_E_TYPE_MISMATCH,
                        "%s: %s was created without a lock (raw), so it has none to open", where,
                        obj->describe());
  }
  void* block = obj->payload();
  *out = mproc__lock_make(std::move(obj), block, std::move(what));
  return MPROC_OK;
}

MPROC_API mproc_status mproc_lock_handle(const mproc_lock* lock, intptr_t* out) {
  if (lock == nullptr || out == nullptr) {
    return mproc__fail(MPROC_E_INVAL, "mproc_lock_handle: NULL argument");
  }
  *out = lock->obj->handle();
  return MPROC_OK;
}

MPROC_API mproc_status mproc_lock_wait_handle(mproc_lock* lock, intptr_t* out) {
  const char* where = "mproc_lock_wait_handle";
  if (lock == nullptr) return mproc__failf(MPROC_E_INVAL, "%s: lock is NULL", where);
  if (out == nullptr) return mproc__failf(MPROC_E_INVAL, "%s: %s: out is NULL", where, lock->what);
  mproc_status st = lock->obj->wait_handle(0, lock_free, lock->tail, out, /*recheck=*/true);
  if (st != MPROC_OK) return mproc__failf(st, "%s: %s", where, mproc_last_error());
  return MPROC_OK;
}

MPROC_API mproc_status mproc_lock_acquire(mproc_lock* lock, int64_t timeout_ms) {
  return acquire(lock, timeout_ms, "mproc_lock_acquire");
}

MPROC_API mproc_status mproc_lock_release(mproc_lock* lock) {
  return release(lock, "mproc_lock_release");
}

MPROC_API mproc_status mproc_lock_consistent(mproc_lock* lock) {
  const char* where = "mproc_lock_consistent";
  if (lock == nullptr) return mproc__failf(MPROC_E_INVAL, "%s: lock is NULL", where);
  if (lock->tail->owner.load(std::memory_order_relaxed) != mproc__thread_identity_inline()) {
    return not_owner(lock, where,
                     "call it while holding the lock, after the acquire that reported that its "
                     "owner died");
  }
  mproc_status st = mproc__mutex_consistent(lock->mutex);
  if (st == MPROC_E_STATE) {
    return mproc__failf(MPROC_E_STATE,
                        "%s: %s is not in the owner-died state: there is nothing to mark "
                        "consistent",
                        where, lock->what);
  }
  if (st != MPROC_OK) return mproc__failf(st, "%s: %s: %s", where, lock->what, mproc_last_error());
  return MPROC_OK;
}

MPROC_API int mproc_lock_is_recursive(const mproc_lock* lock) {
  return lock != nullptr && lock->recursive ? 1 : 0;
}

MPROC_API int mproc_lock_held_by_caller(const mproc_lock* lock) {
  return lock != nullptr &&
                 lock->tail->owner.load(std::memory_order_relaxed) == mproc__thread_identity_inline()
             ? 1
             : 0;
}

MPROC_API const char* mproc_lock_describe(const mproc_lock* lock) {
  return lock != nullptr ? lock->what.c_str() : "";
}

MPROC_API void mproc_lock_destroy(mproc_lock* lock) { delete lock; }

}  // extern "C"
