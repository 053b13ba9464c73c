// core/barrier.cc — Barrier: Python's threading.Barrier semantics in shared memory, guarded by an
// internal robust mutex, with waiters sleeping on a round counter.
//
// Python drains a released round (the next round waits until every released thread has left)
// and so does a reset; a party killed while asleep never leaves, and the barrier would drain
// forever. Here every round has a number instead: the round ends (released, or broken by a
// timeout, abort or reset) by moving to the next number, and each sleeper looks up how its own
// round ended. Nobody has to leave, so a dead party cannot wedge the barrier: it counts as having
// arrived, as it did. That holds also when it dies holding the internal mutex between changes
// (just after arriving, or just after waking): only a death in the middle of a change — ending a
// round, or running the action — breaks the barrier, which `changing` tells apart.
#include "mproc/barrier.h"

#include <atomic>
#include <chrono>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <thread>

#include "backends/backend.h"
#include "core/deadline.h"
#include "core/object.h"
#include "core/options.h"
#include "core/registry.h"
#include "core/status.h"

namespace {

constexpr uint32_t kHistory = 256;  // rounds whose outcome a late sleeper can still look up

struct barrier_state {
  std::atomic<uint32_t> round;     // futex word: the current round's number
  std::atomic<uint32_t> count;     // parties arrived in the current round
  std::atomic<uint32_t> broken;    // 1 after abort, a timeout or a failed action, until reset
  std::atomic<uint32_t> sleepers;  // threads asleep on round, so that a change skips the wake
  std::atomic<uint32_t> changing;  // 1 while a multi-step change (or the action) is under way
  uint32_t parties;
  int64_t default_timeout_ms;        // MPROC_INFINITE: none
  uint64_t released[kHistory / 64];  // bit (n % kHistory): round n ended released
  char action[256];                  // registered name; "" when none
};

size_t state_offset() { return (mproc__mutex_size() + 63) & ~size_t{63}; }


}  // namespace

struct mproc_barrier {
  ~mproc_barrier() {
    mproc__word_close(round);
    mproc__mutex_close(mutex);
  }
  std::unique_ptr<mproc__object> obj;
  mproc__mutex* mutex = nullptr;  // the internal mutex, opened in this process
  barrier_state* st = nullptr;
  mproc__word* round = nullptr;  // st->round as a wait word, opened in this process
  std::string what;
};

namespace {

mproc_barrier* wrap(mproc__object* raw) {
  auto* b = new mproc_barrier;
  b->obj.reset(raw);
  b->mutex = mproc__mutex_open(raw->shm(), raw->payload());
  b->st = reinterpret_cast<barrier_state*>(static_cast<char*>(raw->payload()) + state_offset());
  b->round = raw->open_word(&b->st->round);
  b->what = raw->describe();
  return b;
}

// Under the mutex: ends the current round, released or not, and wakes its sleepers.
void end_round(mproc_barrier* b, bool released) {
  barrier_state* s = b->st;
  s->changing.store(1, std::memory_order_relaxed);
  std::atomic_signal_fence(std::memory_order_seq_cst);  // marked before any part of the change
  uint32_t n = s->round.load(std::memory_order_relaxed);
  uint64_t bit = uint64_t{1} << (n % 64);
  uint64_t& word = s->released[(n % kHistory) / 64];
  word = released ? (word | bit) : (word & ~bit);
  s->count.store(0, std::memory_order_relaxed);
  s->round.store(n + 1, std::memory_order_seq_cst);
  s->changing.store(0, std::memory_order_relaxed);
  if (s->sleepers.load(std::memory_order_seq_cst) > 0) {
    mproc__word_wake(b->round, INT32_MAX);
  }
}

bool was_released(const mproc_barrier* b, uint32_t n) {
  uint32_t now = b->st->round.load(std::memory_order_relaxed);
  if (now - n > kHistory) return true;  // too long ago to know: it can only have passed
  return (b->st->released[(n % kHistory) / 64] >> (n % 64) & 1u) != 0;
}

// Under the mutex: breaks the barrier; the sleepers of the current round wake up broken.
void break_barrier(mproc_barrier* b) {
  b->st->changing.store(1, std::memory_order_relaxed);
  std::atomic_signal_fence(std::memory_order_seq_cst);
  b->st->broken.store(1, std::memory_order_relaxed);
  if (b->st->count.load(std::memory_order_relaxed) > 0) {
    end_round(b, false);  // clears changing
  } else {
    b->st->changing.store(0, std::memory_order_relaxed);
  }
}

// A process that died holding the mutex between changes left a consistent barrier (a party that
// arrived counts as arrived). One that died in the middle of a change or of the action leaves a
// round nobody can vouch for: the barrier breaks and that round ends, so its sleepers wake up
// (even if the count was already cleared). Either way the mutex is usable again.
mproc_status lock(mproc_barrier* b, const char* where) {
  mproc_status st = mproc__mutex_lock(b->mutex, MPROC_INFINITE);
  if (st == MPROC_OK) return MPROC_OK;
  if (st == MPROC_E_OWNER_DIED) {
    if (b->st->changing.load(std::memory_order_relaxed) != 0) {
      b->st->broken.store(1, std::memory_order_relaxed);
      end_round(b, false);
    }
    mproc__mutex_consistent(b->mutex);
    return MPROC_OK;
  }
  return mproc__failf(st, "%s: %s: its internal lock failed: %s", where, b->what,
                      mproc_last_error());
}

void unlock(mproc_barrier* b) { mproc__mutex_unlock(b->mutex); }

// MPROC_TEST_BARRIER_PAUSE (test only, see mproc/barrier.h): stops an arriving wait, lock held,
// so that the suite can kill the process at exactly that point. `last`: this arrival ends the
// round. Read on every wait: barrier waits sleep anyway, a getenv is nothing beside that.
void maybe_pause(bool last) {
  const char* v = std::getenv("MPROC_TEST_BARRIER_PAUSE");
  if (v == nullptr) return;
  const std::string s(v);
  const std::string want = last ? "last:" : "arrived:";
  if (s.rfind(want, 0) != 0) return;
  if (std::FILE* f = std::fopen(s.substr(want.size()).c_str(), "w")) std::fclose(f);
  for (;;) std::this_thread::sleep_for(std::chrono::hours(1));
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
  st = mproc__mutex_init(obj->shm(), obj->payload(), false);
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
  if (s->broken.load(std::memory_order_relaxed) != 0) {
    unlock(b);
    return mproc__failf(MPROC_E_BROKEN, "%s: %s is broken (reset it to use it again)", where,
                        b->what);
  }
  const uint32_t my_round = s->round.load(std::memory_order_relaxed);
  const uint32_t arrived = s->count.load(std::memory_order_relaxed);
  // The last arrival ends the round (and runs the action, user code, under the mutex): marked
  // before its count shows, so that dying anywhere from here on breaks the barrier.
  if (arrived + 1 == s->parties) s->changing.store(1, std::memory_order_relaxed);
  std::atomic_signal_fence(std::memory_order_seq_cst);
  s->count.store(arrived + 1, std::memory_order_relaxed);
  if (index != nullptr) *index = arrived;
  maybe_pause(arrived + 1 == s->parties);

  if (arrived + 1 == s->parties) {
    std::string why = run_action(b);
    if (why.empty()) {
      end_round(b, true);
      unlock(b);
      return MPROC_OK;
    }
    break_barrier(b);
    unlock(b);
    return mproc__failf(MPROC_E_BROKEN, "%s: %s: %s; the barrier is broken", where, b->what, why);
  }
  while (s->round.load(std::memory_order_relaxed) == my_round) {
    int64_t left = deadline.remaining_ms();
    if (left == 0) {
      uint32_t there = s->count.load(std::memory_order_relaxed);
      break_barrier(b);
      unlock(b);
      return mproc__failf(MPROC_E_BROKEN,
                          "%s: %s: this wait timed out after %d ms with %u of %u parties there, "
                          "which breaks the barrier",
                          where, b->what, timeout_ms, there, s->parties);
    }
    s->sleepers.fetch_add(1, std::memory_order_seq_cst);
    unlock(b);
    mproc_status w = mproc__word_wait(b->round, my_round, left);
    s->sleepers.fetch_sub(1, std::memory_order_relaxed);
    st = lock(b, where);
    if (st != MPROC_OK) return st;  // the mutex is unusable: the text is set
    if (w != MPROC_OK && w != MPROC_E_TIMEOUT) {
      std::string text = mproc_last_error();
      unlock(b);
      return mproc__failf(w, "%s: %s: %s", where, b->what, text);
    }
  }
  bool released = was_released(b, my_round);
  bool broken_now = s->broken.load(std::memory_order_relaxed) != 0;
  unlock(b);
  if (released) return MPROC_OK;
  return mproc__failf(MPROC_E_BROKEN, "%s: %s was %s while this thread waited", where, b->what,
                      broken_now ? "broken" : "reset");
}

MPROC_API mproc_status mproc_barrier_reset(mproc_barrier* b) {
  const char* where = "mproc_barrier_reset";
  if (b == nullptr) return mproc__failf(MPROC_E_INVAL, "%s: barrier is NULL", where);
  mproc_status st = lock(b, where);
  if (st != MPROC_OK) return st;
  // The current round's sleepers wake up broken; the barrier is empty and whole again.
  b->st->changing.store(1, std::memory_order_relaxed);
  std::atomic_signal_fence(std::memory_order_seq_cst);
  b->st->broken.store(0, std::memory_order_relaxed);
  if (b->st->count.load(std::memory_order_relaxed) > 0) {
    end_round(b, false);  // clears changing
  } else {
    b->st->changing.store(0, std::memory_order_relaxed);
  }
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
  return b != nullptr ? b->st->count.load(std::memory_order_relaxed) : 0;
}

MPROC_API int mproc_barrier_broken(const mproc_barrier* b) {
  return b != nullptr && b->st->broken.load(std::memory_order_relaxed) != 0 ? 1 : 0;
}

MPROC_API const char* mproc_barrier_describe(const mproc_barrier* b) {
  return b != nullptr ? b->what.c_str() : "";
}

MPROC_API void mproc_barrier_destroy(mproc_barrier* b) { delete b; }

}  // extern "C"
