// core/condition.cc — Condition: a queue of waiters in shared memory, guarded by the user's lock.
//
// Each waiter takes a slot (a futex word of its own) and a ticket while it holds the lock;
// notify(n), also under the lock, marks the n oldest waiting slots notified and wakes each one.
// Because a waiter's wake-up is addressed to its slot, a thread that starts waiting after a
// notify can never take that notify from one that was already waiting (the "stolen wake-up" that
// a shared counter of wake-ups allows), and a waiter that times out just gives its slot back, so
// no notify is spent on it. Every slot transition happens under the lock except the waiter's own
// read of its word.
#include "mproc/condition.h"

#include <atomic>
#include <climits>
#include <memory>

#include "backends/backend.h"
#include "core/deadline.h"
#include "core/lock.h"
#include "core/object.h"
#include "core/options.h"
#include "core/status.h"

namespace {

constexpr uint32_t kDefaultMaxWaiters = 128;
constexpr uint32_t kFree = 0, kWaiting = 1, kNotified = 2;

struct cond_header {
  uint64_t lock_uid;     // the uid of the lock the condition was created with
  uint32_t capacity;     // slots
  uint32_t in_use;       // slots not free (waiting or notified)
  uint64_t next_ticket;  // arrival order of waiters
  uint64_t reserved[5];
};
static_assert(sizeof(cond_header) == 64, "the slots start 64-byte aligned");

struct cond_slot {
  std::atomic<uint32_t> word;  // kFree, kWaiting, kNotified; the waiter sleeps on it
  uint32_t reserved;
  uint64_t ticket;
  int64_t pid;  // the waiter's process, so that a notify can skip a waiter that was killed
  uint64_t reserved2;
};

}  // namespace

struct mproc_condition {
  ~mproc_condition() { mproc_lock_destroy(lock); }
  std::unique_ptr<mproc__object> obj;
  cond_header* h = nullptr;
  cond_slot* slots = nullptr;
  mproc_lock* lock = nullptr;  // the condition's own handle onto its lock
  std::string what;
};

namespace {

mproc_condition* wrap(mproc__object* raw, mproc_lock* lock) {
  auto* c = new mproc_condition;
  c->obj.reset(raw);
  c->h = static_cast<cond_header*>(raw->payload());
  c->slots = reinterpret_cast<cond_slot*>(c->h + 1);
  c->lock = mproc__lock_make(lock->obj, lock->block, lock->what);
  c->what = raw->describe();
  return c;
}

bool held_by_caller(const mproc_condition* c) {
  return c->lock->tail->owner.load(std::memory_order_relaxed) == mproc__thread_identity();
}

mproc_status need_lock(const char* where, const mproc_condition* c, const char* call) {
  return mproc__failf(MPROC_E_NOT_OWNER, "%s: %s() on %s needs the caller to hold %s", where, call,
                      c->what, c->lock->what);
}

bool dead(const cond_slot& s, int64_t my_pid) {
  return s.pid != my_pid && !mproc__process_alive(s.pid);
}

void free_slot(mproc_condition* c, cond_slot* s) {
  s->word.store(kFree, std::memory_order_relaxed);
  c->h->in_use -= 1;
}

// Under the lock: a free slot, after reclaiming those of processes that died waiting.
cond_slot* take_slot(mproc_condition* c, int64_t my_pid) {
  for (int pass = 0; pass < 2; ++pass) {
    for (uint32_t i = 0; i < c->h->capacity; ++i) {
      cond_slot* s = &c->slots[i];
      if (s->word.load(std::memory_order_relaxed) == kFree) return s;
    }
    for (uint32_t i = 0; i < c->h->capacity; ++i) {
      cond_slot* s = &c->slots[i];
      if (s->word.load(std::memory_order_relaxed) != kFree && dead(*s, my_pid)) free_slot(c, s);
    }
  }
  return nullptr;
}

// Under the lock: notifies up to n waiting slots, oldest first, skipping waiters whose process
// died. Returns how many were notified.
int64_t notify_slots(mproc_condition* c, int64_t n) {
  const int64_t my_pid = static_cast<int64_t>(mproc__thread_identity() >> 32);
  int64_t done = 0;
  if (n >= static_cast<int64_t>(c->h->in_use)) {  // everyone: order does not matter
    for (uint32_t i = 0; i < c->h->capacity; ++i) {
      cond_slot* s = &c->slots[i];
      if (s->word.load(std::memory_order_relaxed) != kWaiting) continue;
      if (dead(*s, my_pid)) {
        free_slot(c, s);
        continue;
      }
      s->word.store(kNotified, std::memory_order_release);
      mproc__word_wake(mproc__word_use(*c->obj, &s->word).get(), 1);
      ++done;
    }
    return done;
  }
  while (done < n && c->h->in_use > 0) {
    cond_slot* oldest = nullptr;
    for (uint32_t i = 0; i < c->h->capacity; ++i) {
      cond_slot* s = &c->slots[i];
      if (s->word.load(std::memory_order_relaxed) == kWaiting &&
          (oldest == nullptr || s->ticket < oldest->ticket)) {
        oldest = s;
      }
    }
    if (oldest == nullptr) break;
    if (dead(*oldest, my_pid)) {
      free_slot(c, oldest);
      continue;
    }
    oldest->word.store(kNotified, std::memory_order_release);
    mproc__word_wake(mproc__word_use(*c->obj, &oldest->word).get(), 1);
    ++done;
  }
  return done;
}

}  // namespace

extern "C" {

MPROC_API mproc_status mproc_condition_create(mproc_lock* lock, const mproc_condition_options* opts,
                                              mproc_condition** out) {
  const char* where = "mproc_condition_create";
  if (out == nullptr) return mproc__failf(MPROC_E_INVAL, "%s: out is NULL", where);
  *out = nullptr;
  mproc_condition_options o;
  mproc_status st = mproc__read_options(where, opts, &o);
  if (st != MPROC_OK) return st;
  uint32_t capacity = o.max_waiters != 0 ? o.max_waiters : kDefaultMaxWaiters;
  if (capacity > (1u << 20)) {
    return mproc__failf(MPROC_E_INVAL, "%s: max_waiters %u is more than 1048576", where, capacity);
  }
  std::unique_ptr<mproc_lock, void (*)(mproc_lock*)> own_lock(nullptr, &mproc_lock_destroy);
  if (lock == nullptr) {
    mproc_lock_options lo = MPROC_LOCK_OPTIONS_INIT;
    lo.recursive = 1;
    mproc_lock* made = nullptr;
    st = mproc_lock_create(&lo, &made);
    if (st != MPROC_OK) return st;
    own_lock.reset(made);
    lock = made;
  }
  mproc__object* raw = nullptr;
  st = mproc__object::create(MPROC__OBJ_CONDITION, 0, 0,
                             sizeof(cond_header) + capacity * sizeof(cond_slot), o.name, &raw);
  if (st != MPROC_OK) return st;
  auto* h = static_cast<cond_header*>(raw->payload());
  h->lock_uid = lock->tail->uid;
  h->capacity = capacity;
  *out = wrap(raw, lock);
  return MPROC_OK;
}

MPROC_API mproc_status mproc_condition_open(intptr_t handle, mproc_lock* lock,
                                            mproc_condition** out) {
  const char* where = "mproc_condition_open";
  if (out == nullptr) return mproc__failf(MPROC_E_INVAL, "%s: out is NULL", where);
  *out = nullptr;
  if (lock == nullptr) {
    return mproc__failf(
        MPROC_E_INVAL, "%s: lock is NULL (open the condition's lock from its handle first)", where);
  }
  mproc__object* raw = nullptr;
  mproc_status st = mproc__object::open(handle, MPROC__OBJ_CONDITION, 0, &raw);
  if (st != MPROC_OK) return st;
  std::unique_ptr<mproc__object> obj(raw);
  auto* h = static_cast<cond_header*>(obj->payload());
  if (obj->payload_size() < sizeof(cond_header) ||
      h->capacity > (obj->payload_size() - sizeof(cond_header)) / sizeof(cond_slot)) {
    return mproc__failf(MPROC_E_TYPE_MISMATCH, "%s: %s is damaged (too small)", where,
                        obj->describe());
  }
  if (h->lock_uid != lock->tail->uid) {
    return mproc__failf(MPROC_E_TYPE_MISMATCH,
                        "%s: %s was opened with %s, which is not the lock it was created with",
                        where, obj->describe(), lock->what);
  }
  *out = wrap(obj.release(), lock);
  return MPROC_OK;
}

MPROC_API mproc_status mproc_condition_handle(const mproc_condition* c, intptr_t* out) {
  if (c == nullptr || out == nullptr) {
    return mproc__fail(MPROC_E_INVAL, "mproc_condition_handle: NULL argument");
  }
  *out = c->obj->handle();
  return MPROC_OK;
}

MPROC_API mproc_status mproc_condition_get_lock(const mproc_condition* c, mproc_lock** out) {
  if (c == nullptr || out == nullptr) {
    return mproc__fail(MPROC_E_INVAL, "mproc_condition_get_lock: NULL argument");
  }
  *out = mproc__lock_make(c->lock->obj, c->lock->block, c->lock->what);
  return MPROC_OK;
}

MPROC_API mproc_status mproc_condition_acquire(mproc_condition* c, int64_t timeout_ms) {
  if (c == nullptr) return mproc__fail(MPROC_E_INVAL, "mproc_condition_acquire: condition is NULL");
  return mproc__lock_acquire(c->lock, timeout_ms, "mproc_condition_acquire");
}

MPROC_API mproc_status mproc_condition_release(mproc_condition* c) {
  if (c == nullptr) return mproc__fail(MPROC_E_INVAL, "mproc_condition_release: condition is NULL");
  return mproc__lock_release(c->lock, "mproc_condition_release");
}

MPROC_API mproc_status mproc_condition_wait(mproc_condition* c, int64_t timeout_ms) {
  const char* where = "mproc_condition_wait";
  if (c == nullptr) return mproc__failf(MPROC_E_INVAL, "%s: condition is NULL", where);
  mproc_status st = mproc__check_timeout(where, timeout_ms);
  if (st != MPROC_OK) return st;
  if (!held_by_caller(c)) return need_lock(where, c, "wait");
  const int64_t my_pid = static_cast<int64_t>(mproc__thread_identity() >> 32);
  cond_slot* slot = take_slot(c, my_pid);
  if (slot == nullptr) {
    return mproc__failf(MPROC_E_FULL,
                        "%s: %s already has %u waiting threads, the most it was created for "
                        "(mproc_condition_options.max_waiters)",
                        where, c->what, c->h->capacity);
  }
  slot->ticket = c->h->next_ticket++;
  slot->pid = my_pid;
  slot->word.store(kWaiting, std::memory_order_relaxed);
  c->h->in_use += 1;

  uint32_t depth = 0;
  st = mproc__lock_release_all(c->lock, where, "wait() needs the caller to hold it", &depth);
  if (st != MPROC_OK) {
    free_slot(c, slot);
    return st;
  }
  mproc__deadline deadline(timeout_ms);
  mproc_status wait_error = MPROC_OK;
  std::string wait_error_text;
  for (;;) {
    if (slot->word.load(std::memory_order_acquire) == kNotified) break;
    int64_t left = deadline.remaining_ms();
    if (left == 0) break;
    mproc_status w = mproc__word_wait(mproc__word_use(*c->obj, &slot->word).get(), kWaiting, left);
    if (w != MPROC_OK && w != MPROC_E_TIMEOUT) {
      wait_error = w;
      wait_error_text = mproc_last_error();
      break;
    }
  }
  mproc_status back = mproc__lock_restore(c->lock, where, depth);
  // Under the lock again (unless it became unusable): the slot's final word says whether a notify
  // reached this waiter, even one that came just as the timeout expired.
  bool notified = slot->word.load(std::memory_order_acquire) == kNotified;
  free_slot(c, slot);
  if (back != MPROC_OK) return back;  // OWNER_DIED (held) or an error (not held); text is set
  if (wait_error != MPROC_OK) {
    return mproc__failf(wait_error, "%s: %s: %s", where, c->what, wait_error_text);
  }
  if (notified) return MPROC_OK;
  return mproc__failf(MPROC_E_TIMEOUT, "%s: %s was not notified within %d ms", where, c->what,
                      timeout_ms);
}

MPROC_API mproc_status mproc_condition_wait_for(mproc_condition* c, int (*predicate)(void* arg),
                                                void* arg, int64_t timeout_ms) {
  const char* where = "mproc_condition_wait_for";
  if (c == nullptr || predicate == nullptr) {
    return mproc__failf(MPROC_E_INVAL, "%s: NULL argument", where);
  }
  mproc_status st = mproc__check_timeout(where, timeout_ms);
  if (st != MPROC_OK) return st;
  if (!held_by_caller(c)) return need_lock(where, c, "wait_for");
  mproc__deadline deadline(timeout_ms);
  while (predicate(arg) == 0) {
    int64_t left = deadline.remaining_ms();
    if (left == 0) {
      return mproc__failf(MPROC_E_TIMEOUT, "%s: the predicate on %s was still false after %d ms",
                          where, c->what, timeout_ms);
    }
    st = mproc_condition_wait(c, left);
    if (st != MPROC_OK && st != MPROC_E_TIMEOUT) return st;
  }
  return MPROC_OK;
}

MPROC_API mproc_status mproc_condition_notify(mproc_condition* c, int64_t n) {
  const char* where = "mproc_condition_notify";
  if (c == nullptr) return mproc__failf(MPROC_E_INVAL, "%s: condition is NULL", where);
  if (n < 0)
    return mproc__failf(MPROC_E_INVAL, "%s: %s: n must be 0 or more, not %d", where, c->what, n);
  if (!held_by_caller(c)) return need_lock(where, c, "notify");
  if (n > 0 && c->h->in_use > 0) notify_slots(c, n);
  return MPROC_OK;
}

MPROC_API mproc_status mproc_condition_notify_all(mproc_condition* c) {
  const char* where = "mproc_condition_notify_all";
  if (c == nullptr) return mproc__failf(MPROC_E_INVAL, "%s: condition is NULL", where);
  if (!held_by_caller(c)) return need_lock(where, c, "notify_all");
  if (c->h->in_use > 0) notify_slots(c, INT64_MAX);
  return MPROC_OK;
}

MPROC_API const char* mproc_condition_describe(const mproc_condition* c) {
  return c != nullptr ? c->what.c_str() : "";
}

MPROC_API void mproc_condition_destroy(mproc_condition* c) { delete c; }

}  // extern "C"
