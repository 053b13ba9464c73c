// core/object.h — the common shape of every shared object (queue, value, array, lock, ...): one
// shared-memory segment that starts with a header naming what it is, so that a process opening a
// handle it received learns at once whether it holds the object it expects.
#ifndef MPROC_CORE_OBJECT_H
#define MPROC_CORE_OBJECT_H

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>

#include "backends/backend.h"

enum mproc__object_kind : uint32_t {
  MPROC__OBJ_QUEUE = 1,
  MPROC__OBJ_SIMPLE_QUEUE = 2,
  MPROC__OBJ_JOINABLE_QUEUE = 3,
  MPROC__OBJ_VALUE = 4,
  MPROC__OBJ_ARRAY = 5,
  MPROC__OBJ_LOCK = 6,
  MPROC__OBJ_RLOCK = 7,
  MPROC__OBJ_SEMAPHORE = 8,
  MPROC__OBJ_BOUNDED_SEMAPHORE = 9,
  MPROC__OBJ_EVENT = 10,
  MPROC__OBJ_CONDITION = 11,
  MPROC__OBJ_BARRIER = 12,
  // Library-internal segments, numbered apart from the user-visible kinds above.
  MPROC__OBJ_POOL_WORKER = 64,  // one pool worker's task and result streams (core/pool_wire.h)
};

// "Queue", "Value", ... for messages.
const char* mproc__object_kind_name(uint32_t kind);

// Waitable handles onto an object, across processes (core/watch.h): at most this many at once
// (each opened handle onto the object, mproc__object, that asks for a wait handle takes one per
// kind it asks for; a Queue's "get" and "put" handles are two).
constexpr int MPROC__WATCH_SLOTS = 16;

struct alignas(64) mproc__object_header {
  uint32_t magic;
  uint32_t kind;
  uint32_t type_code;  // element type for values and arrays (mproc_type), 0 otherwise
  uint32_t elem_size;
  uint64_t payload_size;  // bytes after the header
  int64_t creator_pid;
  // Keys registered in watch_keys. Every state change that can make the object ready reads it
  // (mproc__watch_notify) and signals only when it is not 0. It shares the first line with fields
  // that never change after creation, so the read is a hit in a clean line, never a miss on a
  // line another process writes while nobody watches.
  std::atomic<uint32_t> watchers;
  uint32_t reserved;
  char name[64];  // NUL-terminated
  // Keyed notifiers (backends/notify.h) of the processes waiting on the object through an OS
  // handle; 0 = free. Written only when a wait handle is made or closed, or its owner died.
  std::atomic<uint64_t> watch_keys[MPROC__WATCH_SLOTS];
};

// Called after every change that can make the object ready (a put, a get that frees room, set,
// release ...): one load while nobody watches; otherwise signals every watcher (core/watch.cc).
// The load is seq_cst so that, after the change's own store, either this sees a watcher that
// registered, or that watcher's re-check sees the change (a plain load on x86, ldar on ARM).
void mproc__watch_signal(mproc__object_header* h);
inline void mproc__watch_notify(mproc__object_header* h) {
  if (__builtin_expect(h->watchers.load(std::memory_order_seq_cst) != 0, 0)) {
    mproc__watch_signal(h);
  }
}

// The header of the object whose payload starts at `payload` (mproc__object::payload(): the
// payload always follows the header at once), for hot paths that hold only the payload: no load.
inline mproc__object_header* mproc__object_header_of(void* payload) {
  return reinterpret_cast<mproc__object_header*>(static_cast<char*>(payload) -
                                                 sizeof(mproc__object_header));
}

// Says whether the object is ready for what a wait handle waits for (a message to get, room to
// put, the event set, ...). Reads shared memory only; never blocks. ctx points into the object.
typedef bool (*mproc__ready_fn)(const void* ctx);

// One mapped shared object. The payload follows the header, 64-byte aligned.
class mproc__object {
 public:
  ~mproc__object();
  mproc__object(const mproc__object&) = delete;
  mproc__object& operator=(const mproc__object&) = delete;

  // Creates a zeroed object. name NULL: "<Kind>-<n>". MPROC_E_INVAL for a name over 63 bytes.
  // reserve: what the whole segment may grow to (mproc__shm_commit), 0 when it never grows.
  static mproc_status create(uint32_t kind, uint32_t type_code, uint32_t elem_size,
                             size_t payload_size, const char* name, mproc__object** out,
                             uint64_t reserve = 0);
  // Maps the object behind a handle and checks it is of the kind (and element type, when
  // type_code is not 0) expected: MPROC_E_TYPE_MISMATCH naming both otherwise, and also when the
  // handle is valid but not shared memory (a pipe, a file). The segment may be larger than
  // header + payload (queues grow theirs).
  static mproc_status open(intptr_t handle, uint32_t kind, uint32_t type_code, mproc__object** out);
  // Maps the object behind a handle whatever its kind (checking only that it is an mproc object),
  // for callers that accept several kinds (a lock opens from a Lock, an RLock, or a Value with
  // its lock). `expected` names what the caller wanted, for the message.
  static mproc_status open_any(intptr_t handle, const char* expected, mproc__object** out);

  mproc__object_header* header() const { return header_; }
  void* payload() const { return payload_; }
  size_t payload_size() const { return static_cast<size_t>(header_->payload_size); }
  intptr_t handle() const { return mproc__shm_handle(shm_); }
  // This process's mapping, for opening the object's wait words and mutexes (backends/sync.h).
  mproc__shm* shm() const { return shm_; }
  // Opens one of the object's wait words (an atomic inside its mapping) in this process; closed
  // with mproc__word_close.
  mproc__word* open_word(std::atomic<uint32_t>* word) const {
    static_assert(sizeof(std::atomic<uint32_t>) == sizeof(uint32_t), "a plain word");
    return mproc__word_open(shm_, reinterpret_cast<uint32_t*>(word));
  }
  const char* name() const { return header_->name; }
  // "Queue 'jobs'": how messages name the object.
  std::string describe() const;

  // This process's waitable handle `slot` (0 or 1: a queue's get and put handles) onto the object:
  // a keyed notifier registered in the header's watch list, made on the first call and kept until
  // the object is deleted, readable whenever ready(ctx) holds and maybe spuriously (core/watch.h).
  // ready and ctx must stay valid as long as the object. recheck: the object can become ready
  // with no process signalling (a lock whose holder dies), so mproc_wait looks again now and then.
  // Thread-safe. MPROC_E_RANGE naming the object when MPROC__WATCH_SLOTS handles already watch
  // it; MPROC_E_OS when the OS refuses.
  mproc_status wait_handle(int slot, mproc__ready_fn ready, const void* ctx, intptr_t* out,
                           bool recheck = false);

 private:
  struct watcher;
  mproc__object() = default;
  void close_watchers();  // core/watch.cc
  watcher* watchers_[2] = {nullptr, nullptr};
  mproc__shm* shm_ = nullptr;
  mproc__object_header* header_ = nullptr;
  void* payload_ = nullptr;
};

// A wait word opened for one wait or wake, for words picked at run time (a Condition's waiter
// slots, a Queue's wait list): opening is cheap (backends/sync.h), keeping one per slot is not.
class mproc__word_use {
 public:
  mproc__word_use(const mproc__object& obj, std::atomic<uint32_t>* word)
      : w_(obj.open_word(word)) {}
  ~mproc__word_use() { mproc__word_close(w_); }
  mproc__word_use(const mproc__word_use&) = delete;
  mproc__word_use& operator=(const mproc__word_use&) = delete;
  mproc__word* get() const { return w_; }

 private:
  mproc__word* w_;
};

#endif  // MPROC_CORE_OBJECT_H
