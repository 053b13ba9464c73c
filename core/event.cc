// core/event.cc — Event: a flag in shared memory that waiters sleep on.
#include "mproc/event.h"

#include <atomic>
#include <climits>
#include <memory>

#include "backends/backend.h"
#include "core/deadline.h"
#include "core/object.h"
#include "core/options.h"
#include "core/status.h"

namespace {

struct event_state {
  // The futex word: bit 0 is the flag, the rest counts the times it was set. A waiter that sees
  // the count move knows the flag was set while it slept, even if it was cleared since.
  std::atomic<uint32_t> word;
  std::atomic<uint32_t> waiters;  // so that set() skips the wake system call when nobody waits
};


}  // namespace

struct mproc_event {
  ~mproc_event() { mproc__word_close(word); }
  std::unique_ptr<mproc__object> obj;
  event_state* st = nullptr;
  mproc__word* word = nullptr;  // st->word, opened in this process
  std::string what;
};

namespace {

mproc_event* wrap(mproc__object* raw) {
  auto* e = new mproc_event;
  e->obj.reset(raw);
  e->st = static_cast<event_state*>(raw->payload());
  e->word = raw->open_word(&e->st->word);
  e->what = raw->describe();
  return e;
}

// The wait handle's predicate (core/watch.h).
bool is_set(const void* ctx) {
  return (static_cast<const event_state*>(ctx)->word.load(std::memory_order_seq_cst) & 1u) != 0;
}

mproc_status null_event(const char* where) {
  return mproc__failf(MPROC_E_INVAL, "%s: event is NULL", where);
}

}  // namespace

extern "C" {

MPROC_API mproc_status mproc_event_create(const mproc_event_options* opts, mproc_event** out) {
  const char* where = "mproc_event_create";
  if (out == nullptr) return mproc__failf(MPROC_E_INVAL, "%s: out is NULL", where);
  *out = nullptr;
  mproc_event_options o;
  mproc_status st = mproc__read_options(where, opts, &o);
  if (st != MPROC_OK) return st;
  mproc__object* raw = nullptr;
  st = mproc__object::create(MPROC__OBJ_EVENT, 0, 0, sizeof(event_state), o.name, &raw);
  if (st != MPROC_OK) return st;
  *out = wrap(raw);
  return MPROC_OK;
}

MPROC_API mproc_status mproc_event_open(intptr_t handle, mproc_event** out) {
  const char* where = "mproc_event_open";
  if (out == nullptr) return mproc__failf(MPROC_E_INVAL, "%s: out is NULL", where);
  *out = nullptr;
  mproc__object* raw = nullptr;
  mproc_status st = mproc__object::open(handle, MPROC__OBJ_EVENT, 0, &raw);
  if (st != MPROC_OK) return st;
  if (raw->payload_size() < sizeof(event_state)) {
    std::string got = raw->describe();
    delete raw;
    return mproc__failf(MPROC_E_TYPE_MISMATCH, "%s: %s is damaged (too small)", where, got);
  }
  *out = wrap(raw);
  return MPROC_OK;
}

MPROC_API mproc_status mproc_event_handle(const mproc_event* e, intptr_t* out) {
  if (e == nullptr || out == nullptr) {
    return mproc__fail(MPROC_E_INVAL, "mproc_event_handle: NULL argument");
  }
  *out = e->obj->handle();
  return MPROC_OK;
}

MPROC_API mproc_status mproc_event_set(mproc_event* e) {
  if (e == nullptr) return null_event("mproc_event_set");
  event_state* p = e->st;
  uint32_t w = p->word.load(std::memory_order_relaxed);
  do {
    if ((w & 1u) != 0) return MPROC_OK;
  } while (!p->word.compare_exchange_weak(w, (w + 2u) | 1u, std::memory_order_seq_cst,
                                          std::memory_order_relaxed));
  if (p->waiters.load(std::memory_order_seq_cst) > 0)
    mproc__word_wake(e->word, INT32_MAX);
  mproc__watch_notify(e->obj->header());
  return MPROC_OK;
}

MPROC_API mproc_status mproc_event_wait_handle(mproc_event* e, intptr_t* out) {
  const char* where = "mproc_event_wait_handle";
  if (e == nullptr) return null_event(where);
  if (out == nullptr) return mproc__failf(MPROC_E_INVAL, "%s: %s: out is NULL", where, e->what);
  mproc_status st = e->obj->wait_handle(0, is_set, e->st, out);
  if (st != MPROC_OK) return mproc__failf(st, "%s: %s", where, mproc_last_error());
  return MPROC_OK;
}

MPROC_API mproc_status mproc_event_clear(mproc_event* e) {
  if (e == nullptr) return null_event("mproc_event_clear");
  e->st->word.fetch_and(~1u, std::memory_order_seq_cst);
  return MPROC_OK;
}

MPROC_API int mproc_event_is_set(const mproc_event* e) {
  return e != nullptr && (e->st->word.load(std::memory_order_acquire) & 1u) != 0 ? 1 : 0;
}

MPROC_API mproc_status mproc_event_wait(mproc_event* e, int64_t timeout_ms) {
  const char* where = "mproc_event_wait";
  if (e == nullptr) return null_event(where);
  mproc_status st = mproc__check_timeout(where, timeout_ms);
  if (st != MPROC_OK) return st;
  event_state* p = e->st;
  uint32_t w = p->word.load(std::memory_order_acquire);
  mproc__deadline deadline(timeout_ms);
  for (;;) {
    if ((w & 1u) != 0) return MPROC_OK;
    int64_t left = deadline.remaining_ms();
    if (left == 0) {
      return mproc__failf(MPROC_E_TIMEOUT, "%s: %s was not set within %d ms", where, e->what,
                          timeout_ms);
    }
    p->waiters.fetch_add(1, std::memory_order_seq_cst);
    st = mproc__word_wait(e->word, w, left);
    p->waiters.fetch_sub(1, std::memory_order_relaxed);
    if (st != MPROC_OK && st != MPROC_E_TIMEOUT) {
      return mproc__failf(st, "%s: %s: %s", where, e->what, mproc_last_error());
    }
    uint32_t now = p->word.load(std::memory_order_acquire);
    if ((now >> 1) != (w >> 1)) return MPROC_OK;  // set (and perhaps cleared) while we slept
    w = now;
  }
}

MPROC_API const char* mproc_event_describe(const mproc_event* e) {
  return e != nullptr ? e->what.c_str() : "";
}

MPROC_API void mproc_event_destroy(mproc_event* e) { delete e; }

}  // extern "C"
