// core/barrier.cc — Barrier: Python's threading.Barrier state machine, in shared memory, guarded by
// an internal robust mutex, with waiters sleeping on a sequence word bumped at every change.
#include "mproc/barrier.h"

#include <atomic>
#include <climits>
#include <cstring>
#include <memory>
#include <string>

#include "backends/backend.h"
#include "core/deadline.h"
#include "core/object.h"
#include "core/options.h"
#include "core/registry.h"
#include "core/status.h"

namespace {

// Python's states.
constexpr int32_t kFilling = 0, kDraining = 1, kResetting = -1, kBroken = -2;

struct barrier_state {
  std::atomic<uint32_t> seq;  // futex word, bumped at every state change
  std::atomic<int32_t> state;
  std::atomic<uint32_t> count;     // threads inside wait()
  std::atomic<uint32_t> sleepers;  // threads asleep on seq, so that changes skip the wake call
  uint32_t parties;
  uint32_t reserved;
  int64_t default_timeout_ms;  // MPROC_INFINITE: none
  char action[256];            // registered name; "" when none
};

size_t state_offset() { return (mproc__mutex_size() + 63) & ~size_t{63}; }

uint32_t* futex_word(std::atomic<uint32_t>* a) { return reinterpret_cast<uint32_t*>(a); }

}  // namespace

struct mproc_barrier {
  std::unique_ptr<mproc__object> obj;
  void* mutex = nullptr;
  barrier_state* st = nullptr;
  std::string what;
};

namespace {

mproc_barrier* wrap(mproc__object* raw) {
  auto* b = new mproc_barrier;
  b->obj.reset(raw);
  b->mutex = raw->payload();
  b->st = reinterpret_cast<barrier_state*>(static_cast<char*>(raw->payload()) + state_offset());
  b->what = raw->describe();
  return b;
}

// Under the mutex: wakes every sleeper to look at the new state.
void changed(mproc_barrier* b) {
  b->st->seq.fetch_add(1, std::memory_order_seq_cst);
  if (b->st->sleepers.load(std::memory_order_seq_cst) > 0) {
    mproc__word_wake(futex_word(&b->st->seq), INT32_MAX);
  }
}

void break_barrier(mproc_barrier* b) {
  b->st->state.store(kBroken, std::memory_order_relaxed);
  changed(b);
}

// A process that died holding the mutex was in the middle of a state change (or of the action):
// nobody can vouch for the round, so the barrier breaks, and the mutex is usable again.
mproc_status lock(mproc_barrier* b, const char* where) {
  mproc_status st = mproc__mutex_lock(b->mutex, MPROC_INFINITE);
  if (st == MPROC_OK) return MPROC_OK;
  if (st == MPROC_E_OWNER_DIED) {
    break_barrier(b);
    mproc__mutex_consistent(b->mutex);
    return MPROC_OK;
  }
  return mproc__failf(st, "%s: %s: its internal lock failed: %s", where, b->what,
                      mproc_last_error());
}

void unlock(mproc_barrier* b) { mproc__mutex_unlock(b->mutex); }

// Under the mutex: sleeps until the state changes or the deadline passes; the mutex is held again
// on return. MPROC_E_TIMEOUT when the deadline had passed.
mproc_status await_change(mproc_barrier* b, const mproc__deadline& deadline, const char* where) {
  int64_t left = deadline.remaining_ms();
  if (left == 0) return MPROC_E_TIMEOUT;
  uint32_t seen = b->st->seq.load(std::memory_order_relaxed);
  b->st->sleepers.fetch_add(1, std::memory_order_seq_cst);
  unlock(b);
  mproc_status w = mproc__word_wait(futex_word(&b->st->seq), seen, left);
  b->st->sleepers.fetch_sub(1, std::memory_order_relaxed);
  mproc_status st = lock(b, where);
  if (st != MPROC_OK) return st;
  if (w != MPROC_OK && w != MPROC_E_TIMEOUT) {
    return mproc__failf(w, "%s: %s: %s", where, b->what, mproc_last_error());
  }
  return MPROC_OK;
}

// Under the mutex: the last to arrive runs the action. Returns "" or why it failed.
std::string run_action(mproc_barrier* b) {
  const char* name = b->st->action;
  if (name[0] == '\0') return std::string();
  mproc__registered reg;
  if (!mproc__registry_find(name, &reg)) {
    return absl::StrFormat("its action '%s' is not registered in this process (pid %d)", name,
                           mproc__current_pid());
  }
  mproc_call call;
  int rc = reg.fn(nullptr, 0, &call, reg.userdata);
  if (call.failed) {
    return absl::StrFormat("its action '%s' failed: %s: %s", name, call.fail_type,
                           call.fail_message);
  }
  if (rc != 0) return absl::StrFormat("its action '%s' returned %d", name, rc);
  return std::string();
}

// Under the mutex, when a waiter leaves: the last one out of a released or reset round makes the
// barrier ready for the next.
void leave(mproc_barrier* b) {
  barrier_state* s = b->st;
  uint32_t left = s->count.load(std::memory_order_relaxed) - 1;
  s->count.store(left, std::memory_order_relaxed);
  int32_t state = s->state.load(std::memory_order_relaxed);
  if (left == 0 && (state == kResetting || state == kDraining)) {
    s->state.store(kFilling, std::memory_order_relaxed);
    changed(b);
  }
}

}  // namespace

extern "C" {

MPROC_API mproc_status mproc_barrier_create(uint32_t parties, const mproc_barrier_options* opts,
                                            mproc_barrier** out) {
  const char* where = "mproc_barrier_create";
  if (out == nullptr) return mproc__failf(MPROC_E_INVAL, "%s: out is NULL", where);
  *out = nullptr;
  mproc_barrier_options o;
  mproc_status st = mproc__read_options(where, opts, &o);
  if (st != MPROC_OK) return st;
  if (parties == 0) {
    return mproc__failf(MPROC_E_INVAL, "%s: a Barrier needs at least 1 party, not 0", where);
  }
  st = mproc__check_timeout(where, o.timeout_ms);
  if (st != MPROC_OK) return st;
  std::string action = o.action != nullptr ? std::string(o.action) : std::string();
  if (action.size() >= sizeof(barrier_state::action)) {
    return mproc__failf(MPROC_E_INVAL, "%s: the action's name is longer than 255 bytes", where);
  }
  mproc__registered reg;
  if (!action.empty() && !mproc__registry_find(action, &reg)) {
    return mproc__failf(MPROC_E_NOT_REGISTERED,
                        "%s: no function is registered under the name '%s' (the Barrier's action)",
                        where, action);
  }
  mproc__object* raw = nullptr;
  st = mproc__object::create(MPROC__OBJ_BARRIER, 0, 0, state_offset() + sizeof(barrier_state),
                             o.name, &raw);
  if (st != MPROC_OK) return st;
  std::unique_ptr<mproc__object> obj(raw);
  st = mproc__mutex_init(obj->payload(), false);
  if (st != MPROC_OK) return st;
  mproc_barrier* b = wrap(obj.release());
  b->st->parties = parties;
  b->st->default_timeout_ms = o.timeout_ms > 0 ? o.timeout_ms : MPROC_INFINITE;
  std::memcpy(b->st->action, action.c_str(), action.size() + 1);
  *out = b;
  return MPROC_OK;
}

MPROC_API mproc_status mproc_barrier_open(intptr_t handle, mproc_barrier** out) {
  const char* where = "mproc_barrier_open";
  if (out == nullptr) return mproc__failf(MPROC_E_INVAL, "%s: out is NULL", where);
  *out = nullptr;
  mproc__object* raw = nullptr;
  mproc_status st = mproc__object::open(handle, MPROC__OBJ_BARRIER, 0, &raw);
  if (st != MPROC_OK) return st;
  if (raw->payload_size() < state_offset() + sizeof(barrier_state)) {
    std::string got = raw->describe();
    delete raw;
    return mproc__failf(MPROC_E_TYPE_MISMATCH, "%s: %s is damaged (too small)", where, got);
  }
  *out = wrap(raw);
  return MPROC_OK;
}

MPROC_API mproc_status mproc_barrier_handle(const mproc_barrier* b, intptr_t* out) {
  if (b == nullptr || out == nullptr) {
    return mproc__fail(MPROC_E_INVAL, "mproc_barrier_handle: NULL argument");
  }
  *out = b->obj->handle();
  return MPROC_OK;
}

MPROC_API mproc_status mproc_barrier_wait(mproc_barrier* b, int64_t timeout_ms, uint32_t* index) {
  const char* where = "mproc_barrier_wait";
  if (b == nullptr) return mproc__failf(MPROC_E_INVAL, "%s: barrier is NULL", where);
  barrier_state* s = b->st;
  if (timeout_ms == MPROC_BARRIER_DEFAULT_TIMEOUT) timeout_ms = s->default_timeout_ms;
  mproc_status st = mproc__check_timeout(where, timeout_ms);
  if (st != MPROC_OK) return st;
  mproc__deadline deadline(timeout_ms);
  st = lock(b, where);
  if (st != MPROC_OK) return st;

  // Python's _enter: wait while the previous round drains or resets.
  for (;;) {
    int32_t state = s->state.load(std::memory_order_relaxed);
    if (state != kDraining && state != kResetting) break;
    st = await_change(b, deadline, where);
    if (st == MPROC_E_TIMEOUT) {
      unlock(b);
      return mproc__failf(MPROC_E_TIMEOUT,
                          "%s: %s: the previous round was still leaving the barrier after %d ms",
                          where, b->what, timeout_ms);
    }
    if (st != MPROC_OK) return st;  // could not relock: the text is set
  }
  if (s->state.load(std::memory_order_relaxed) == kBroken) {
    unlock(b);
    return mproc__failf(MPROC_E_BROKEN, "%s: %s is broken (reset it to use it again)", where,
                        b->what);
  }
  uint32_t arrived = s->count.load(std::memory_order_relaxed);
  s->count.store(arrived + 1, std::memory_order_relaxed);
  if (index != nullptr) *index = arrived;

  mproc_status result = MPROC_OK;
  std::string why;
  if (arrived + 1 == s->parties) {
    why = run_action(b);
    if (why.empty()) {
      s->state.store(kDraining, std::memory_order_relaxed);
      changed(b);
    } else {
      break_barrier(b);
      result = MPROC_E_BROKEN;
    }
  } else {
    while (s->state.load(std::memory_order_relaxed) == kFilling) {
      st = await_change(b, deadline, where);
      if (st == MPROC_E_TIMEOUT) {
        break_barrier(b);
        why = absl::StrFormat(
            "this wait timed out after %d ms with %u of %u parties there, "
            "which breaks the barrier",
            timeout_ms, s->count.load(std::memory_order_relaxed), s->parties);
        break;
      }
      if (st != MPROC_OK) return st;  // could not relock: the text is set
    }
    if (s->state.load(std::memory_order_relaxed) < 0) result = MPROC_E_BROKEN;
  }
  int32_t final_state = s->state.load(std::memory_order_relaxed);
  leave(b);
  unlock(b);
  if (result == MPROC_OK) return MPROC_OK;
  if (!why.empty()) return mproc__failf(MPROC_E_BROKEN, "%s: %s: %s", where, b->what, why);
  return mproc__failf(MPROC_E_BROKEN, "%s: %s was %s while this thread waited", where, b->what,
                      final_state == kResetting ? "reset" : "broken");
}

MPROC_API mproc_status mproc_barrier_reset(mproc_barrier* b) {
  const char* where = "mproc_barrier_reset";
  if (b == nullptr) return mproc__failf(MPROC_E_INVAL, "%s: barrier is NULL", where);
  mproc_status st = lock(b, where);
  if (st != MPROC_OK) return st;
  barrier_state* s = b->st;
  if (s->count.load(std::memory_order_relaxed) > 0) {
    int32_t state = s->state.load(std::memory_order_relaxed);
    // Waiters still inside: they see "resetting" (broken, to them) and the last one out makes the
    // barrier ready. A draining round just finishes.
    if (state == kFilling || state == kBroken)
      s->state.store(kResetting, std::memory_order_relaxed);
  } else {
    s->state.store(kFilling, std::memory_order_relaxed);
  }
  changed(b);
  unlock(b);
  return MPROC_OK;
}

MPROC_API mproc_status mproc_barrier_abort(mproc_barrier* b) {
  const char* where = "mproc_barrier_abort";
  if (b == nullptr) return mproc__failf(MPROC_E_INVAL, "%s: barrier is NULL", where);
  mproc_status st = lock(b, where);
  if (st != MPROC_OK) return st;
  break_barrier(b);
  unlock(b);
  return MPROC_OK;
}

MPROC_API uint32_t mproc_barrier_parties(const mproc_barrier* b) {
  return b != nullptr ? b->st->parties : 0;
}

MPROC_API uint32_t mproc_barrier_n_waiting(const mproc_barrier* b) {
  if (b == nullptr) return 0;
  // Python: the waiters of a round still filling; none while it drains.
  return b->st->state.load(std::memory_order_relaxed) == kFilling
             ? b->st->count.load(std::memory_order_relaxed)
             : 0;
}

MPROC_API int mproc_barrier_broken(const mproc_barrier* b) {
  return b != nullptr && b->st->state.load(std::memory_order_relaxed) == kBroken ? 1 : 0;
}

MPROC_API const char* mproc_barrier_describe(const mproc_barrier* b) {
  return b != nullptr ? b->what.c_str() : "";
}

MPROC_API void mproc_barrier_destroy(mproc_barrier* b) { delete b; }

}  // extern "C"
