// core/watch.cc — watch lists in object headers, wait handles, and the per-process table that
// lets mproc_wait give exact answers over them (core/watch.h).
#include "core/watch.h"

#include <atomic>
#include <string>
#include <unordered_map>

#include "backends/backend.h"
#include "core/mutex.h"
#include "core/status.h"

struct mproc__object::watcher {
  intptr_t handle;
  uint64_t key;
  int64_t pid;  // the process that made it: a forked child inherits the wrapper, not the watch
};

namespace {

struct entry {
  mproc__ready_fn ready;
  const void* ctx;
  uint64_t key;
  bool recheck;
  int64_t pid;  // the process that made it (a forked child inherits this table)
};

// Every live wait handle of this process, by handle. Its mutex also orders making and closing
// wait handles against rearm, so an object cannot go while its predicate runs.
struct registry {
  mproc__thread_mutex mu;
  // A handful of entries per process; std::unordered_map keeps Abseil to what the build bundles
  // (str_format: scripts/absl), so no more of it is mapped into every forked child.
  std::unordered_map<intptr_t, entry> map ABSL_GUARDED_BY(mu);
};

registry& reg() {
  static registry* r = new registry;  // never destroyed: objects may outlive static destructors
  return *r;
}

void forget(mproc__object_header* h, std::atomic<uint64_t>& slot, uint64_t key) {
  if (slot.compare_exchange_strong(key, 0, std::memory_order_seq_cst)) {
    h->watchers.fetch_sub(1, std::memory_order_seq_cst);
  }
}

// Frees the slots of processes that died without closing their handles (killed).
void sweep(mproc__object_header* h) {
  for (auto& slot : h->watch_keys) {
    uint64_t k = slot.load(std::memory_order_acquire);
    if (k != 0 && !mproc__process_alive(static_cast<int64_t>(k >> 32))) forget(h, slot, k);
  }
}

// The key is stored before the count grows, so a notifier that sees the count finds the key; the
// caller re-checks the object after this, so a change that saw the count still 0 is not lost.
bool watch_register(mproc__object_header* h, uint64_t key) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    for (auto& slot : h->watch_keys) {
      uint64_t free_key = 0;
      if (slot.load(std::memory_order_relaxed) == 0 &&
          slot.compare_exchange_strong(free_key, key, std::memory_order_seq_cst)) {
        h->watchers.fetch_add(1, std::memory_order_seq_cst);
        return true;
      }
    }
    if (attempt == 0) sweep(h);
  }
  return false;
}

void watch_unregister(mproc__object_header* h, uint64_t key) {
  for (auto& slot : h->watch_keys) {
    if (slot.load(std::memory_order_relaxed) == key) forget(h, slot, key);
  }
}

}  // namespace

void mproc__watch_signal(mproc__object_header* h) {
  for (auto& slot : h->watch_keys) {
    uint64_t k = slot.load(std::memory_order_acquire);
    if (k != 0 && !mproc__keyed_notifier_signal(k)) forget(h, slot, k);  // its owner is gone
  }
}

mproc_status mproc__object::wait_handle(int slot, mproc__ready_fn ready, const void* ctx,
                                        intptr_t* out, bool recheck) {
  registry& r = reg();
  mproc__thread_lock l(&r.mu);
  watcher*& w = watchers_[slot];
  const int64_t me = mproc__current_pid();
  if (w != nullptr && w->pid != me) {
    // Inherited over fork: the parent's key stays registered (the parent still uses it), and the
    // inherited descriptor is left open, as the program may have reused its number since.
    r.map.erase(w->handle);
    delete w;
    w = nullptr;
  }
  if (w == nullptr) {
    intptr_t h = 0;
    uint64_t key = 0;
    std::string what = describe();
    mproc_status st = mproc__keyed_notifier_create(what.c_str(), &h, &key);
    if (st != MPROC_OK) return st;
    if (!watch_register(header_, key)) {
      mproc__handle_close(h);
      return mproc__failf(MPROC_E_RANGE,
                          "%s already has %d wait handles, the most an object can have (one per "
                          "process and kind of wait); destroy a handle onto it to free one",
                          what, MPROC__WATCH_SLOTS);
    }
    w = new watcher{h, key, me};
    r.map[h] = entry{ready, ctx, key, recheck, me};
    // Look at once: the object may be ready already, and a loop's first wait must not miss it.
    mproc__keyed_notifier_signal(key);
  }
  *out = w->handle;
  return MPROC_OK;
}

void mproc__object::close_watchers() {
  if (watchers_[0] == nullptr && watchers_[1] == nullptr) return;
  registry& r = reg();
  mproc__thread_lock l(&r.mu);
  const int64_t me = mproc__current_pid();
  for (watcher*& w : watchers_) {
    if (w == nullptr) continue;
    r.map.erase(w->handle);
    if (w->pid == me) {
      watch_unregister(header_, w->key);
      mproc__handle_close(w->handle);
    }
    delete w;
    w = nullptr;
  }
}

bool mproc__watch_rearm(intptr_t h, bool* ready, bool* recheck) {
  registry& r = reg();
  mproc__thread_lock l(&r.mu);
  auto it = r.map.find(h);
  // An entry inherited over fork is the parent's: draining its handle would steal the parent's
  // wake-ups, so the child treats it as a plain handle.
  if (it == r.map.end() || it->second.pid != mproc__current_pid()) return false;
  const entry& e = it->second;
  if (recheck != nullptr) *recheck = e.recheck;
  if (e.ready(e.ctx)) {  // ready: leave the handle readable for any other waiter on it
    *ready = true;
    return true;
  }
  mproc__keyed_notifier_drain(h);
  *ready = e.ready(e.ctx);
  // Became ready between the two looks: its signal may have been drained, so signal again.
  if (*ready) mproc__keyed_notifier_signal(e.key);
  return true;
}
