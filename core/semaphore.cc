// core/semaphore.cc — Semaphore and BoundedSemaphore: a counter in shared memory that waiters
// sleep on (the counter is the futex word itself).
#include "mproc/semaphore.h"

#include <atomic>
#include <climits>
#include <memory>

#include "backends/backend.h"
#include "core/deadline.h"
#include "core/object.h"
#include "core/options.h"
#include "core/status.h"

namespace {

struct sem_state {
  std::atomic<uint32_t> value;    // the futex word: waiters sleep while it is 0
  std::atomic<uint32_t> waiters;  // threads in (or about to enter) the wait: release skips the
                                  // wake system call when there are none
  uint32_t max;                   // a BoundedSemaphore's initial value, else the value maximum
  uint32_t bounded;
};


// The wait handle's predicate (core/watch.h): would an acquire not wait?
bool can_acquire(const void* ctx) {
  return static_cast<const sem_state*>(ctx)->value.load(std::memory_order_seq_cst) > 0;
}

}  // namespace

struct mproc_semaphore {
  ~mproc_semaphore() { mproc__word_close(value); }
  std::unique_ptr<mproc__object> obj;
  sem_state* st = nullptr;
  mproc__word* value = nullptr;  // st->value as a wait word, opened in this process
  std::string what;
};

namespace {

mproc_semaphore* wrap(mproc__object* raw) {
  auto* s = new mproc_semaphore;
  s->obj.reset(raw);
  s->st = static_cast<sem_state*>(raw->payload());
  s->value = raw->open_word(&s->st->value);
  s->what = raw->describe();
  return s;
}

}  // namespace

extern "C" {

MPROC_API mproc_status mproc_semaphore_create(int64_t value, const mproc_semaphore_options* opts,
                                              mproc_semaphore** out) {
  const char* where = "mproc_semaphore_create";
  if (out == nullptr) return mproc__failf(MPROC_E_INVAL, "%s: out is NULL", where);
  *out = nullptr;
  mproc_semaphore_options o;
  mproc_status st = mproc__read_options(where, opts, &o);
  if (st != MPROC_OK) return st;
  const char* kind_name = o.bounded != 0 ? "BoundedSemaphore" : "Semaphore";
  if (value < 0 || value > MPROC_SEMAPHORE_VALUE_MAX) {
    return mproc__failf(MPROC_E_RANGE, "%s: a %s's initial value must be 0 to %d, not %d", where,
                        kind_name, MPROC_SEMAPHORE_VALUE_MAX, value);
  }
  mproc__object* raw = nullptr;
  st = mproc__object::create(o.bounded != 0 ? MPROC__OBJ_BOUNDED_SEMAPHORE : MPROC__OBJ_SEMAPHORE,
                             0, 0, sizeof(sem_state), o.name, &raw);
  if (st != MPROC_OK) return st;
  auto* s = static_cast<sem_state*>(raw->payload());
  s->value.store(static_cast<uint32_t>(value), std::memory_order_relaxed);
  s->max = o.bounded != 0 ? static_cast<uint32_t>(value)
                          : static_cast<uint32_t>(MPROC_SEMAPHORE_VALUE_MAX);
  s->bounded = o.bounded != 0 ? 1 : 0;
  *out = wrap(raw);
  return MPROC_OK;
}

MPROC_API mproc_status mproc_semaphore_open(intptr_t handle, mproc_semaphore** out) {
  const char* where = "mproc_semaphore_open";
  if (out == nullptr) return mproc__failf(MPROC_E_INVAL, "%s: out is NULL", where);
  *out = nullptr;
  mproc__object* raw = nullptr;
  mproc_status st = mproc__object::open_any(handle, "Semaphore", &raw);
  if (st != MPROC_OK) return st;
  uint32_t kind = raw->header()->kind;
  if ((kind != MPROC__OBJ_SEMAPHORE && kind != MPROC__OBJ_BOUNDED_SEMAPHORE) ||
      raw->payload_size() < sizeof(sem_state)) {
    std::string got = raw->describe();
    delete raw;
    return mproc__failf(MPROC_E_TYPE_MISMATCH, "%s: %s was opened as a Semaphore", where, got);
  }
  *out = wrap(raw);
  return MPROC_OK;
}

MPROC_API mproc_status mproc_semaphore_handle(const mproc_semaphore* s, intptr_t* out) {
  if (s == nullptr || out == nullptr) {
    return mproc__fail(MPROC_E_INVAL, "mproc_semaphore_handle: NULL argument");
  }
  *out = s->obj->handle();
  return MPROC_OK;
}

MPROC_API mproc_status mproc_semaphore_acquire(mproc_semaphore* s, int64_t timeout_ms) {
  const char* where = "mproc_semaphore_acquire";
  if (s == nullptr) return mproc__failf(MPROC_E_INVAL, "%s: semaphore is NULL", where);
  mproc_status st = mproc__check_timeout(where, timeout_ms);
  if (st != MPROC_OK) return st;
  sem_state* p = s->st;
  mproc__deadline deadline(timeout_ms);
  for (;;) {
    uint32_t v = p->value.load(std::memory_order_relaxed);
    while (v > 0) {
      if (p->value.compare_exchange_weak(v, v - 1, std::memory_order_acquire,
                                         std::memory_order_relaxed)) {
        return MPROC_OK;
      }
    }
    int64_t left = deadline.remaining_ms();
    if (left == 0) {
      if (timeout_ms == 0) return mproc__failf(MPROC_E_TIMEOUT, "%s: %s is 0", where, s->what);
      return mproc__failf(MPROC_E_TIMEOUT, "%s: %s stayed 0 for %d ms", where, s->what, timeout_ms);
    }
    // seq_cst on both sides (this increment, release's read of waiters after its increment of
    // the value): either release sees a waiter and wakes it, or the wait sees the new value.
    p->waiters.fetch_add(1, std::memory_order_seq_cst);
    st = mproc__word_wait(s->value, 0, left);
    p->waiters.fetch_sub(1, std::memory_order_relaxed);
    if (st != MPROC_OK && st != MPROC_E_TIMEOUT) {
      return mproc__failf(st, "%s: %s: %s", where, s->what, mproc_last_error());
    }
    // Woken, timed out or spurious: try again; the deadline decides when to stop.
  }
}

MPROC_API mproc_status mproc_semaphore_release(mproc_semaphore* s, int64_t n) {
  const char* where = "mproc_semaphore_release";
  if (s == nullptr) return mproc__failf(MPROC_E_INVAL, "%s: semaphore is NULL", where);
  if (n < 1) {
    return mproc__failf(MPROC_E_INVAL, "%s: %s: n must be 1 or more, not %d", where, s->what, n);
  }
  sem_state* p = s->st;
  uint32_t v = p->value.load(std::memory_order_relaxed);
  do {
    if (n > static_cast<int64_t>(p->max) - static_cast<int64_t>(v)) {
      if (p->bounded != 0) {
        return mproc__failf(MPROC_E_RANGE,
                            "%s: %s released too many times: releasing %d would take its value "
                            "from %u above its initial value %u",
                            where, s->what, n, v, p->max);
      }
      return mproc__failf(MPROC_E_RANGE,
                          "%s: %s: releasing %d would take its value from %u above %d", where,
                          s->what, n, v, MPROC_SEMAPHORE_VALUE_MAX);
    }
  } while (!p->value.compare_exchange_weak(v, v + static_cast<uint32_t>(n),
                                           std::memory_order_seq_cst, std::memory_order_relaxed));
  if (p->waiters.load(std::memory_order_seq_cst) > 0) {
    mproc__word_wake(s->value, n > INT32_MAX ? INT32_MAX : static_cast<int32_t>(n));
  }
  mproc__watch_notify(s->obj->header());
  return MPROC_OK;
}

MPROC_API mproc_status mproc_semaphore_wait_handle(mproc_semaphore* s, intptr_t* out) {
  const char* where = "mproc_semaphore_wait_handle";
  if (s == nullptr) return mproc__failf(MPROC_E_INVAL, "%s: semaphore is NULL", where);
  if (out == nullptr) return mproc__failf(MPROC_E_INVAL, "%s: %s: out is NULL", where, s->what);
  mproc_status st = s->obj->wait_handle(0, can_acquire, s->st, out);
  if (st != MPROC_OK) return mproc__failf(st, "%s: %s", where, mproc_last_error());
  return MPROC_OK;
}

MPROC_API mproc_status mproc_semaphore_get_value(const mproc_semaphore* s, int64_t* out) {
  if (s == nullptr || out == nullptr) {
    return mproc__fail(MPROC_E_INVAL, "mproc_semaphore_get_value: NULL argument");
  }
  *out = s->st->value.load(std::memory_order_relaxed);
  return MPROC_OK;
}

MPROC_API int mproc_semaphore_is_bounded(const mproc_semaphore* s) {
  return s != nullptr && s->st->bounded != 0 ? 1 : 0;
}

MPROC_API const char* mproc_semaphore_describe(const mproc_semaphore* s) {
  return s != nullptr ? s->what.c_str() : "";
}

MPROC_API void mproc_semaphore_destroy(mproc_semaphore* s) { delete s; }

}  // extern "C"
