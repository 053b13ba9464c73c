// core/queue.cc — Queue, SimpleQueue and JoinableQueue (mproc/queue.h): messages of bytes between
// processes through a ring buffer in shared memory.
//
// Layout. One mproc__object segment: the object header, the control block below, and from
// kRingOffset a ring of `cap` bytes (a power of two). A message is a record: an 8-byte header
// (length in the low 56 bits, flags in the top 8, never 0) and its payload, padded to 8 bytes. A
// record may wrap around the end of the ring (it is copied in two pieces). Positions (head, tail)
// count bytes since creation and never wrap; the byte at position p lives at offset p & (cap - 1).
//
// Commit. A producer writes the payload, zeroes the header slot that follows its record, then
// publishes its own header (release): a non-zero header at head is a whole record, so consumers
// find messages by reading the ring itself, never the producers' tail. (The slot after a record
// is always zeroed before the record becomes visible, which is why a put reserves one header of
// slack; stale bytes of older laps are never read as headers.) tail is still published, after the
// header, for sleepers, qsize/empty and repair.
//
// Speed. Producers serialise on a robust "put" mutex and consumers on a robust "get" mutex, so one
// producer and one consumer run in parallel and meet only in the ring and, rarely, at head: the
// producer keeps head (and, for maxsize, the consumers' count) cached in its own line and re-reads
// it only when the cache says "full". A consumer that finds the queue empty spins a few µs with its
// lock held before it sleeps. No syscall per message: a side that must sleep takes a slot in a wait
// list (pid + a futex word) and counts itself in; the other side calls futex wake only when that
// count is not zero, and takes the sleeper it wakes off the count itself, so one sleeper costs one
// wake. A process killed in its sleep leaves a slot behind; it absorbs at most one wake-up and is
// swept when slots run short. putv copies a message from several pieces and get_visit lets the
// C++ facade decode straight from the ring, so a std::string or std::vector is copied once per
// side.
//
// Growth instead of blocking. put on an unbounded queue never blocks — a producer can put 50 MB and
// exit before anyone reads, so CPython's feeder-thread trap ("join the producer before get"
// deadlocks) does not exist here. When a record does not fit, the producer (holding the put lock)
// takes the get lock too, grows the segment (mproc__shm_commit, within the reservation made at creation: the other processes keep their
// handle and map the larger range when they next see the new capacity), moves the part of the data
// that had wrapped so that every byte sits at p & (new_cap - 1) again (the moved bytes only go to
// the new upper half, so nothing overlaps), and publishes the capacity last. Capacity doubles, so
// growth is rare, and a message larger than the ring simply makes it grow: a 64 MiB message goes
// through a 256 KiB queue in one copy each way, and a consumer that starts after the producer has
// exited still finds it. (Streaming large messages in chunks through a fixed ring was rejected: it
// makes put wait for a consumer, which is exactly the deadlock above.) Bounded queues count
// messages as Python does (maxsize) and block put on that count; their ring grows the same way.
// Memory taken by growth is kept until the queue is freed.
//
// Robustness. Before it touches the ring, each side records in its own control line what it is
// doing (state, start position, message count at the start). If a process dies holding a lock,
// the next process to take it gets MPROC_E_OWNER_DIED and repairs from that record before marking
// the lock consistent: a put whose header was not yet published is rolled back and a LOST record
// is committed in its place (one whose header was published is finished: tail and count); a get
// that had not advanced head turns the record it was reading into a LOST record, which drops the
// message (at most once: a message that killed its consumer is not handed to the next one); a get
// that had advanced head only has its count fixed. A LOST record reaches one consumer as
// MPROC_E_MESSAGE_LOST, at the position the message held, and is counted in lost(). Growth
// publishes the new capacity as its last step, so a producer killed in the middle of growing leaves
// the old layout intact. A consumer waiting on an empty queue while a put is in progress probes the
// put lock now and then (trylock), so a producer killed mid-put is noticed even if no other
// producer comes.
//
// MPROC_TEST_QUEUE_PAUSE (test only, see mproc/queue.h) stops a put or get in the middle of its
// copy so that the conformance suite can SIGKILL a process at exactly that point.
#include "mproc/queue.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <string>
#include <thread>
#include <vector>

#include "backends/backend.h"
#include "core/compiler.h"
#include "core/deadline.h"
#include "core/mutex.h"
#include "core/object.h"
#include "core/options.h"
#include "core/status.h"

namespace {

static_assert(std::atomic<uint64_t>::is_always_lock_free, "shared counters must be lock-free");
static_assert(std::atomic<uint32_t>::is_always_lock_free, "shared counters must be lock-free");
static_assert(sizeof(std::atomic<uint32_t>) == sizeof(uint32_t), "futex words are plain words");

constexpr uint32_t kVersion = 1;
constexpr uint64_t kRingOffset = MPROC__SHM_ALIGN;  // the ring starts on a mappable boundary
constexpr uint64_t kMinRing = MPROC__SHM_ALIGN;
constexpr uint64_t kDefaultRing = 256 * 1024;
constexpr uint64_t kMaxRing = uint64_t{1} << 46;  // 64 TiB: far beyond any memory, below overflow
constexpr uint64_t kHeaderBytes = 8;
constexpr uint64_t kLengthMask = (uint64_t{1} << 56) - 1;
constexpr uint64_t kRecord = uint64_t{1} << 63;         // set in every published header (0 = none)
constexpr uint64_t kFlagLostInPut = uint64_t{1} << 56;  // a put died: the record has no payload
constexpr uint64_t kFlagLostInGet = uint64_t{2} << 56;  // a get died: the payload is dropped
constexpr uint64_t kLossMask = kFlagLostInPut | kFlagLostInGet;
constexpr int64_t kSliceMs = 100;  // longest sleep between checks for a dead producer
constexpr int kSpins = 200;        // polls of the other side before sleeping (a few µs)
constexpr int kSlots = 60;
constexpr size_t kTypeNameBytes = 128;

uint64_t round8(uint64_t n) { return (n + 7) & ~uint64_t{7}; }
uint64_t record_bytes(uint64_t len) { return kHeaderBytes + round8(len); }

uint64_t fnv1a(const char* s) {
  uint64_t h = 1469598103934665603ull;
  for (; *s != '\0'; ++s) {
    h ^= static_cast<unsigned char>(*s);
    h *= 1099511628211ull;
  }
  return h | 1;  // never 0: 0 means "untyped"
}

inline void cpu_relax() { MPROC__CPU_RELAX(); }

// Threads (of any process) sleeping until something changes. Each sleeper holds a slot whose
// state word is also its futex word, so a waker hands a wake-up to one particular sleeper and
// takes it off the count at once: the next notify costs one load again, instead of another
// futex call while the woken process is still on its way back to user space.
enum : uint32_t { kSlotIdle = 0, kSlotArmed = 1, kSlotWoken = 2 };

struct wait_slot {
  std::atomic<uint32_t> pid;    // owner, 0 = free
  std::atomic<uint32_t> state;  // kSlot*; the owner sleeps while it is kSlotArmed
};

struct alignas(64) wait_list {
  std::atomic<uint32_t> armed;  // slots in kSlotArmed: what a notify checks
  uint32_t reserved[15];
  wait_slot slots[kSlots];
};

// One side's lock and its record of the operation in flight (read by a repairer).
struct alignas(64) side {
  alignas(64) unsigned char mutex[64];
  std::atomic<uint32_t> state;  // 0 idle, 1 in the middle of copying a message
  uint32_t reserved;
  uint64_t start_pos;    // tail (put) or head (get) when the operation started
  uint64_t start_count;  // msgs_put (put) or msgs_got (get) when the operation started
  uint64_t head_cache;   // put side: head and msgs_got as last read, so that a producer reads
  uint64_t got_cache;    // the consumers' line only when these say "full"
};

struct alignas(64) queue_control {
  // Fixed at creation.
  uint32_t version;
  uint32_t kind;
  uint64_t maxsize;
  uint64_t max_message;  // 0: no limit
  uint64_t type_hash;    // 0: untyped
  char type_name[kTypeNameBytes];

  side put;
  alignas(64) std::atomic<uint64_t> tail;  // published by producers
  std::atomic<uint64_t> msgs_put;          // messages committed (or being committed)
  side get;
  alignas(64) std::atomic<uint64_t> head;  // published by consumers
  std::atomic<uint64_t> msgs_got;

  alignas(64) std::atomic<uint64_t> cap;  // ring bytes; changes under both locks
  std::atomic<uint64_t> lost;
  std::atomic<uint32_t> shutdown;  // 1 once shut down

  alignas(64) std::atomic<uint64_t> done;  // task_done() calls (JoinableQueue)

  wait_list getters;  // consumers waiting for a message
  wait_list putters;  // producers waiting for room (bounded queues)
  wait_list joiners;  // join() callers
};

static_assert(sizeof(queue_control) + sizeof(mproc__object_header) <= kRingOffset,
              "the control block must end before the ring");

// This process's view of the ring: a mapping of [kRingOffset, kRingOffset + cap).
struct ring_map {
  char* base = nullptr;
  uint64_t cap = 0;
};

// The queue's waits: mproc__deadline, plus the rule for its internal locks.
using deadline = mproc__deadline;
// For taking an internal lock: a poll still waits for a copy in progress (see queue.h).
inline int64_t for_lock(const deadline& d) { return d.poll() ? MPROC_INFINITE : d.remaining_ms(); }

enum class hook_op : int { unknown = -1, none = 0, put = 1, get = 2 };

}  // namespace

struct mproc_queue {
  ~mproc_queue() {
    mproc__mutex_close(put_mu);
    mproc__mutex_close(get_mu);
    for (auto& m : maps) mproc__shm_unmap(m->base, m->cap);
    delete obj;
  }

  // Sets c and opens the two side mutexes in this process.
  void attach(queue_control* control) {
    c = control;
    put_mu = mproc__mutex_open(obj->shm(), c->put.mutex);
    get_mu = mproc__mutex_open(obj->shm(), c->get.mutex);
  }

  mproc__object* obj = nullptr;
  queue_control* c = nullptr;
  mproc__mutex* put_mu = nullptr;  // c->put.mutex, opened in this process
  mproc__mutex* get_mu = nullptr;  // c->get.mutex
  std::string what;                // "Queue 'jobs'"
  std::atomic<bool> closed{false};

  mproc__thread_mutex map_mu;
  std::atomic<ring_map*> ring{nullptr};
  // Every ring_map this handle made, so a pointer read by another thread stays valid; the
  // mappings of superseded ones are unmapped (base set to null) once no operation can use them.
  std::vector<std::unique_ptr<ring_map>> maps;

  std::atomic<int> hook{static_cast<int>(hook_op::unknown)};
  std::string hook_path;
};

namespace {

const char* kind_name(uint32_t kind) { return mproc__object_kind_name(kind); }

bool valid_kind(int kind) {
  return kind == MPROC_QUEUE_KIND_QUEUE || kind == MPROC_QUEUE_KIND_SIMPLE ||
         kind == MPROC_QUEUE_KIND_JOINABLE;
}

// ---- Ring mappings --------------------------------------------------------------------------------

mproc_status map_ring(mproc_queue* q, uint64_t cap, ring_map** out) {
  void* addr = nullptr;
  mproc_status st = mproc__shm_map(q->obj->handle(), kRingOffset, static_cast<size_t>(cap),
                                   q->what.c_str(), &addr);
  if (st != MPROC_OK) return st;
  auto m = std::make_unique<ring_map>();
  m->base = static_cast<char*>(addr);
  m->cap = cap;
  *out = m.get();
  mproc__thread_lock l(&q->map_mu);
  q->maps.push_back(std::move(m));
  return MPROC_OK;
}

// Makes `m` this handle's current view and unmaps the older ones. Only called with a lock of the
// queue held and the capacity already equal to m->cap: a thread of this process that is inside
// an operation then also sees that capacity, so none still uses an older mapping.
void install_ring(mproc_queue* q, ring_map* m) {
  mproc__thread_lock l(&q->map_mu);
  q->ring.store(m, std::memory_order_release);
  for (auto& old : q->maps) {
    if (old.get() != m && old->base != nullptr && old->cap != m->cap) {
      mproc__shm_unmap(old->base, old->cap);
      old->base = nullptr;
    }
  }
}

// After another process grew the ring.
[[gnu::noinline]] mproc_status ring_for_slow(mproc_queue* q, uint64_t cap, ring_map** out) {
  ring_map* r = nullptr;
  {
    mproc__thread_lock l(&q->map_mu);
    for (auto& m : q->maps) {
      if (m->cap == cap && m->base != nullptr) r = m.get();
    }
  }
  if (r == nullptr || r->cap != cap) {
    // Another process grew the ring: grow the file view too.
    mproc_status st = map_ring(q, cap, &r);
    if (st != MPROC_OK) return st;
  }
  install_ring(q, r);
  *out = r;
  return MPROC_OK;
}

// The mapping for the current capacity; call with a lock held (the capacity cannot change then).
inline mproc_status ring_for(mproc_queue* q, ring_map** out) {
  uint64_t cap = q->c->cap.load(std::memory_order_acquire);
  ring_map* r = q->ring.load(std::memory_order_acquire);
  if (r != nullptr && r->cap == cap) {
    *out = r;
    return MPROC_OK;
  }
  return ring_for_slow(q, cap, out);
}

// memcpy, with the small sizes most messages have copied inline (fixed-size pieces that overlap)
// instead of through a call.
inline void copy_bytes(void* dst, const void* src, uint64_t n) {
  auto* d = static_cast<char*>(dst);
  auto* s = static_cast<const char*>(src);
  if (n >= 8 && n <= 16) {
    std::memcpy(d, s, 8);
    std::memcpy(d + n - 8, s + n - 8, 8);
  } else if (n >= 4 && n < 8) {
    std::memcpy(d, s, 4);
    std::memcpy(d + n - 4, s + n - 4, 4);
  } else if (n > 16) {
    std::memcpy(d, s, static_cast<size_t>(n));
  } else {
    for (uint64_t i = 0; i < n; ++i) d[i] = s[i];
  }
}

void ring_write(const ring_map* r, uint64_t pos, const void* src, uint64_t n) {
  uint64_t off = pos & (r->cap - 1);
  uint64_t first = std::min(n, r->cap - off);
  copy_bytes(r->base + off, src, first);
  if (first < n) copy_bytes(r->base, static_cast<const char*>(src) + first, n - first);
}

void ring_read(const ring_map* r, uint64_t pos, void* dst, uint64_t n) {
  uint64_t off = pos & (r->cap - 1);
  uint64_t first = std::min(n, r->cap - off);
  copy_bytes(dst, r->base + off, first);
  if (first < n) copy_bytes(static_cast<char*>(dst) + first, r->base, n - first);
}

// Record headers are 8-byte aligned and the ring is a multiple of 8, so a header never wraps.
std::atomic<uint64_t>* header_at(const ring_map* r, uint64_t pos) {
  return reinterpret_cast<std::atomic<uint64_t>*>(r->base + (pos & (r->cap - 1)));
}

// ---- Wait lists ---------------------------------------------------------------------------------

// Frees slots whose owner died (killed while asleep). A dead armed sleeper may have taken one
// wake-up meant for a live one, whose sleep then ends at its next slice instead.
void sweep(wait_list& w) {
  for (auto& slot : w.slots) {
    uint32_t pid = slot.pid.load(std::memory_order_relaxed);
    if (pid == 0 || mproc__process_alive(pid)) continue;
    uint32_t armed = kSlotArmed;
    if (slot.state.compare_exchange_strong(armed, kSlotIdle)) {
      w.armed.fetch_sub(1, std::memory_order_seq_cst);
    }
    slot.state.store(kSlotIdle, std::memory_order_relaxed);
    slot.pid.compare_exchange_strong(pid, 0);
  }
}

wait_slot* claim_slot(wait_list& w, uint32_t pid) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    for (auto& slot : w.slots) {
      uint32_t expected = 0;
      if (slot.pid.load(std::memory_order_relaxed) == 0 &&
          slot.pid.compare_exchange_strong(expected, pid)) {
        return &slot;
      }
    }
    if (attempt == 0) sweep(w);
  }
  return nullptr;
}

// Sleeps (at most one slice of d, and only 1 ms without a slot) unless ready() already holds.
// The caller loops and re-checks its condition.
template <typename Ready>
void sleep_on(mproc_queue* q, wait_list& w, const deadline& d, Ready ready) {
  wait_slot* slot = claim_slot(w, static_cast<uint32_t>(mproc__current_pid()));
  if (slot == nullptr) {  // more sleepers than slots: poll every millisecond
    uint32_t armed = w.armed.load(std::memory_order_relaxed);
    if (!ready()) {
      mproc__word_wait(mproc__word_use(*q->obj, &w.armed).get(), armed,
                       std::min<int64_t>(d.slice_ms(kSliceMs), 1));
    }
    return;
  }
  slot->state.store(kSlotArmed, std::memory_order_seq_cst);
  w.armed.fetch_add(1, std::memory_order_seq_cst);
  if (!ready()) {
    mproc__word_wait(mproc__word_use(*q->obj, &slot->state).get(), kSlotArmed,
                     d.slice_ms(kSliceMs));
  }
  uint32_t armed = kSlotArmed;
  if (slot->state.compare_exchange_strong(armed, kSlotIdle, std::memory_order_seq_cst)) {
    w.armed.fetch_sub(1, std::memory_order_seq_cst);  // not woken: take ourselves off the count
  }
  slot->state.store(kSlotIdle, std::memory_order_relaxed);
  slot->pid.store(0, std::memory_order_release);
}

// Wakes up to `count` sleepers; one load when nobody sleeps.
void notify(mproc_queue* q, wait_list& w, int32_t count) {
  if (w.armed.load(std::memory_order_seq_cst) == 0) return;
  for (auto& slot : w.slots) {
    if (count == 0) break;
    uint32_t armed = kSlotArmed;
    if (slot.state.load(std::memory_order_relaxed) == kSlotArmed &&
        slot.state.compare_exchange_strong(armed, kSlotWoken, std::memory_order_seq_cst)) {
      w.armed.fetch_sub(1, std::memory_order_seq_cst);
      mproc__word_wake(mproc__word_use(*q->obj, &slot.state).get(), 1);
      --count;
    }
  }
}

// ---- Test hook ----------------------------------------------------------------------------------

hook_op read_hook(mproc_queue* q) {
  static mproc__thread_mutex mu;
  mproc__thread_lock l(&mu);
  int h = q->hook.load(std::memory_order_acquire);
  if (h != static_cast<int>(hook_op::unknown)) return static_cast<hook_op>(h);
  hook_op op = hook_op::none;
  const char* v = std::getenv("MPROC_TEST_QUEUE_PAUSE");
  if (v != nullptr) {
    std::string s(v);
    if (s.rfind("put:", 0) == 0) op = hook_op::put;
    if (s.rfind("get:", 0) == 0) op = hook_op::get;
    if (op != hook_op::none) q->hook_path = s.substr(4);
  }
  q->hook.store(static_cast<int>(op), std::memory_order_release);
  return op;
}

void maybe_pause(mproc_queue* q, hook_op op) {
  int h = q->hook.load(std::memory_order_acquire);
  hook_op cur = h == static_cast<int>(hook_op::unknown) ? read_hook(q) : static_cast<hook_op>(h);
  if (cur != op) return;
  if (std::FILE* f = std::fopen(q->hook_path.c_str(), "w")) std::fclose(f);
  for (;;) std::this_thread::sleep_for(std::chrono::hours(1));
}

// ---- Repair after a process died holding a lock -------------------------------------------------

// Holding the put lock. Returns true when a loss record was committed (consumers must be woken).
bool repair_put(mproc_queue* q) {
  queue_control* c = q->c;
  side& p = c->put;
  if (p.state.load(std::memory_order_relaxed) == 0) return false;  // died outside a copy
  bool committed_loss = false;
  const uint64_t start = p.start_pos;
  ring_map* r = nullptr;
  if (c->tail.load(std::memory_order_relaxed) != start) {
    c->msgs_put.store(p.start_count + 1, std::memory_order_relaxed);  // fully committed
  } else if (ring_for(q, &r) != MPROC_OK) {
    c->msgs_put.store(p.start_count, std::memory_order_relaxed);  // cannot see the ring: roll back
  } else if (uint64_t word = header_at(r, start)->load(std::memory_order_acquire); word != 0) {
    // Its header was published (consumers may have taken it already): finish the commit.
    c->msgs_put.store(p.start_count + 1, std::memory_order_relaxed);
    c->tail.store(start + record_bytes(word & kLengthMask), std::memory_order_seq_cst);
  } else {
    // Never published. Its space (record + one header of slack) is still reserved, and the
    // capacity it saw is the current one (growth needs this lock): a loss record takes its place.
    c->msgs_put.store(p.start_count + 1, std::memory_order_relaxed);
    header_at(r, start + kHeaderBytes)->store(0, std::memory_order_relaxed);
    header_at(r, start)->store(kRecord | kFlagLostInPut, std::memory_order_release);
    c->lost.fetch_add(1, std::memory_order_relaxed);
    c->tail.store(start + kHeaderBytes, std::memory_order_seq_cst);
    committed_loss = true;
  }
  p.state.store(0, std::memory_order_release);
  return committed_loss;
}

// Holding the get lock.
void repair_get(mproc_queue* q) {
  queue_control* c = q->c;
  side& g = c->get;
  if (g.state.load(std::memory_order_relaxed) == 0) return;
  uint64_t head = c->head.load(std::memory_order_relaxed);
  if (head == g.start_pos) {
    c->msgs_got.store(g.start_count, std::memory_order_relaxed);
    ring_map* r = nullptr;
    if (ring_for(q, &r) == MPROC_OK) {
      std::atomic<uint64_t>* h = header_at(r, head);
      uint64_t word = h->load(std::memory_order_relaxed);
      if ((word & kLossMask) == 0) {  // a message, not already a loss record
        h->store(word | kFlagLostInGet, std::memory_order_relaxed);
        c->lost.fetch_add(1, std::memory_order_relaxed);
      }
    }
  } else {
    c->msgs_got.store(g.start_count + 1, std::memory_order_relaxed);
  }
  g.state.store(0, std::memory_order_release);
}

enum class which { put, get };

// After mproc__thread_lock failed or found a dead owner.
[[gnu::noinline]] mproc_status lock_side_slow(mproc_queue* q, mproc__mutex* mu, which s,
                                              mproc_status st, bool* woke_consumers) {
  if (st == MPROC_E_OWNER_DIED) {
    if (s == which::put) {
      bool loss = repair_put(q);
      if (woke_consumers != nullptr) *woke_consumers = loss;
    } else {
      repair_get(q);
    }
    st = mproc__mutex_consistent(mu);
    if (st != MPROC_OK) {
      mproc__mutex_unlock(mu);
      return st;
    }
    return MPROC_OK;
  }
  if (st == MPROC_E_STATE) {
    return mproc__failf(MPROC_E_STATE, "%s: internal lock unusable: %s", q->what,
                        mproc_last_error());
  }
  return st;
}

// Takes one side's lock, repairing after a dead owner. MPROC_E_TIMEOUT when d passed.
inline mproc_status lock_side(mproc_queue* q, which s, const deadline& d, bool* woke_consumers) {
  mproc__mutex* mu = s == which::put ? q->put_mu : q->get_mu;
  mproc_status st = mproc__mutex_lock(mu, for_lock(d));
  if (st == MPROC_OK) return st;
  return lock_side_slow(q, mu, s, st, woke_consumers);
}

void unlock_side(mproc_queue* q, which s) {
  mproc__mutex_unlock(s == which::put ? q->put_mu : q->get_mu);
}

// A consumer found the queue empty while a put is in flight: if its producer died, repair now.
void probe_put(mproc_queue* q) {
  if (q->c->put.state.load(std::memory_order_acquire) == 0) return;
  mproc_status st = mproc__mutex_lock(q->put_mu, 0);
  if (st == MPROC_E_OWNER_DIED) {
    bool loss = repair_put(q);
    mproc__mutex_consistent(q->put_mu);
    mproc__mutex_unlock(q->put_mu);
    if (loss) {
      notify(q, q->c->getters, INT32_MAX);
      mproc__watch_notify(mproc__object_header_of(q->c));
    }
  } else if (st == MPROC_OK) {
    mproc__mutex_unlock(q->put_mu);
  }
}

// ---- Growth ---------------------------------------------------------------------------------------

// Holding the put lock; makes room for `need` more bytes. See the top of the file.
mproc_status grow(mproc_queue* q, uint64_t need, const deadline& d, const char* where) {
  queue_control* c = q->c;
  mproc_status st = lock_side(q, which::get, d, nullptr);
  if (st == MPROC_E_TIMEOUT) {
    return mproc__failf(MPROC_E_FULL,
                        "%s: %s: timed out after %d ms waiting for a consumer's copy to finish "
                        "before growing the buffer",
                        where, q->what, d.timeout_ms());
  }
  if (st != MPROC_OK) return st;
  uint64_t head = c->head.load(std::memory_order_acquire);
  uint64_t tail = c->tail.load(std::memory_order_relaxed);
  uint64_t cap = c->cap.load(std::memory_order_relaxed);
  uint64_t used = tail - head;
  c->put.head_cache = head;
  if (cap - used >= need) {  // a consumer made room meanwhile
    unlock_side(q, which::get);
    return MPROC_OK;
  }
  uint64_t new_cap = cap;
  while (new_cap - used < need && new_cap < kMaxRing) new_cap *= 2;
  if (new_cap - used < need) {
    unlock_side(q, which::get);
    return mproc__failf(MPROC_E_NOMEM, "%s: %s cannot hold %d more bytes (it holds %d)", where,
                        q->what, need, used);
  }
  ring_map* old_ring = nullptr;
  ring_map* r = nullptr;
  st = ring_for(q, &old_ring);
  if (st == MPROC_OK)
    st = mproc__shm_commit(q->obj->handle(), kRingOffset + new_cap, q->what.c_str());
  if (st == MPROC_OK) st = map_ring(q, new_cap, &r);
  if (st != MPROC_OK) {
    unlock_side(q, which::get);
    return st == MPROC_E_NOMEM
               ? mproc__failf(MPROC_E_NOMEM, "%s: %s: no memory to grow the buffer to %d bytes",
                              where, q->what, new_cap)
               : st;
  }
  // Move what wrapped: the byte at p goes from p & (cap-1) to p & (new_cap-1), which is either
  // the same place or one in the new upper part, which holds nothing yet.
  for (uint64_t p = head; p < tail;) {
    uint64_t from = p & (cap - 1);
    uint64_t to = p & (new_cap - 1);
    uint64_t n = std::min({tail - p, cap - from, new_cap - to});
    if (from != to) std::memcpy(r->base + to, r->base + from, static_cast<size_t>(n));
    p += n;
  }
  // The header slot at tail must read 0 until a put publishes it. A grower that died earlier may
  // have left bytes in the new part.
  header_at(r, tail)->store(0, std::memory_order_relaxed);
  c->cap.store(new_cap, std::memory_order_release);  // last: a death before this changes nothing
  install_ring(q, r);
  unlock_side(q, which::get);
  return MPROC_OK;
}

// ---- Helpers ---------------------------------------------------------------------------------------

mproc_status check_queue(const char* where, const mproc_queue* q) {
  if (q == nullptr) return mproc__failf(MPROC_E_INVAL, "%s: queue is NULL", where);
  return MPROC_OK;
}

mproc_status closed_error(const char* where, const mproc_queue* q) {
  return mproc__failf(MPROC_E_CLOSED, "%s: %s is closed in this process", where, q->what);
}

std::string timeout_text(const deadline& d) {
  return d.poll() ? std::string() : absl::StrFormat(" after %d ms", d.timeout_ms());
}

uint64_t qsize_of(const queue_control* c) {
  // got first: put can only have grown since, so the difference is never negative.
  uint64_t got = c->msgs_got.load(std::memory_order_seq_cst);
  uint64_t put = c->msgs_put.load(std::memory_order_seq_cst);
  return put >= got ? put - got : 0;
}

bool has_room(const queue_control* c) { return qsize_of(c) < c->maxsize; }

// Wait-handle predicates (core/watch.h): would a get, or a put, not wait now?
bool can_get(const void* ctx) {
  auto* c = static_cast<const queue_control*>(ctx);
  return c->tail.load(std::memory_order_seq_cst) != c->head.load(std::memory_order_seq_cst) ||
         c->shutdown.load(std::memory_order_seq_cst) != 0;
}
bool can_put(const void* ctx) {
  auto* c = static_cast<const queue_control*>(ctx);
  return has_room(c) || c->shutdown.load(std::memory_order_seq_cst) != 0;
}

// Where a get copies its message: a caller's buffer or memory from a callback.
struct sink {
  void* buf = nullptr;
  size_t cap = 0;
  mproc_queue_alloc_fn alloc = nullptr;
  mproc_queue_visit_fn visit = nullptr;
  void* userdata = nullptr;
};

// Waits (holding the get lock, a few µs) for the header at head to be published. True if it was.
bool spin_for_message(const ring_map* r, uint64_t head) {
  for (int i = 0; i < kSpins; ++i) {
    cpu_relax();
    if (header_at(r, head)->load(std::memory_order_relaxed) != 0) return true;
  }
  return false;
}

mproc_status do_get(const char* where, mproc_queue* q, const sink& out, size_t* len,
                    int64_t timeout_ms) {
  mproc_status st = check_queue(where, q);
  if (st != MPROC_OK) return st;
  if (len == nullptr) return mproc__failf(MPROC_E_INVAL, "%s: %s: len is NULL", where, q->what);
  *len = 0;
  if (timeout_ms < MPROC_INFINITE) return mproc__check_timeout(where, timeout_ms);
  if (q->closed.load(std::memory_order_relaxed)) return closed_error(where, q);
  queue_control* c = q->c;
  side& g = c->get;
  deadline d(timeout_ms);
  for (;;) {
    st = lock_side(q, which::get, d, nullptr);
    if (st == MPROC_E_TIMEOUT) {
      return mproc__failf(MPROC_E_EMPTY,
                          "%s: %s: no message%s (another consumer's copy was in "
                          "progress)",
                          where, q->what, timeout_text(d));
    }
    if (st != MPROC_OK) return st;
    ring_map* r = nullptr;
    st = ring_for(q, &r);
    if (st != MPROC_OK) {
      unlock_side(q, which::get);
      return st;
    }
    const uint64_t head = c->head.load(std::memory_order_relaxed);
    // Read before the header: a shutdown seen here came after every put that will ever commit.
    const bool shut = c->shutdown.load(std::memory_order_acquire) != 0;
    // The header is the commit: a producer publishes it (release) after the payload and after
    // zeroing the slot that follows, so a non-zero header at head is always a whole record.
    uint64_t word = header_at(r, head)->load(std::memory_order_acquire);
    if (word == 0 && !shut && !d.poll() && spin_for_message(r, head)) {
      word = header_at(r, head)->load(std::memory_order_acquire);
    }
    if (word == 0) {
      unlock_side(q, which::get);
      if (shut) {
        return mproc__failf(MPROC_E_EOF, "%s: %s was shut down and is empty", where, q->what);
      }
      probe_put(q);
      if (c->tail.load(std::memory_order_acquire) != head) continue;
      if (d.expired()) {
        return mproc__failf(MPROC_E_EMPTY, "%s: %s is empty%s", where, q->what, timeout_text(d));
      }
      sleep_on(q, c->getters, d, [&] {
        return c->tail.load(std::memory_order_seq_cst) != head ||
               c->shutdown.load(std::memory_order_relaxed) != 0;
      });
      continue;
    }
    const uint64_t n = word & kLengthMask;
    const uint64_t flags = word & kLossMask;
    const uint64_t next = head + record_bytes(n);
    const uint64_t count = c->msgs_got.load(std::memory_order_relaxed);
    if (flags != 0) {
      // A loss record: consumed like a message, reported instead of one.
      g.start_pos = head;
      g.start_count = count;
      g.state.store(1, std::memory_order_relaxed);
      c->head.store(next, std::memory_order_release);
      c->msgs_got.store(count + 1, std::memory_order_seq_cst);
      if (c->kind == MPROC_QUEUE_KIND_JOINABLE) c->done.fetch_add(1, std::memory_order_seq_cst);
      g.state.store(0, std::memory_order_release);
      unlock_side(q, which::get);
      notify(q, c->putters, 1);
      notify(q, c->joiners, INT32_MAX);
      mproc__watch_notify(mproc__object_header_of(q->c));
      return mproc__failf(
          MPROC_E_MESSAGE_LOST,
          "%s: %s: a message was lost because a process was killed while %s it (%d lost so far); "
          "the next get continues with the following message",
          where, q->what, flags == kFlagLostInPut ? "putting" : "getting",
          c->lost.load(std::memory_order_relaxed));
    }
    if (out.visit != nullptr) {
      g.start_pos = head;
      g.start_count = count;
      g.state.store(1, std::memory_order_relaxed);
      if (q->hook.load(std::memory_order_relaxed) != static_cast<int>(hook_op::none)) {
        maybe_pause(q, hook_op::get);
      }
      const uint64_t off = (head + kHeaderBytes) & (r->cap - 1);
      const uint64_t first = std::min(n, r->cap - off);
      out.visit(out.userdata, r->base + off, static_cast<size_t>(first),
                first < n ? r->base : nullptr, static_cast<size_t>(n - first));
      c->head.store(next, std::memory_order_release);
      c->msgs_got.store(count + 1, std::memory_order_seq_cst);
      g.state.store(0, std::memory_order_release);
      unlock_side(q, which::get);
      if (c->maxsize != 0) {
        notify(q, c->putters, 1);
        mproc__watch_notify(mproc__object_header_of(q->c));
      }
      *len = static_cast<size_t>(n);
      return MPROC_OK;
    }
    void* dst = out.buf;
    if (out.alloc != nullptr) {
      dst = out.alloc(out.userdata, static_cast<size_t>(n));
      if (dst == nullptr && n > 0) {
        unlock_side(q, which::get);
        *len = static_cast<size_t>(n);
        return mproc__failf(MPROC_E_NOMEM,
                            "%s: %s: the allocator returned no memory for a %d-byte "
                            "message (it stays in the queue)",
                            where, q->what, n);
      }
    } else if (n > out.cap) {
      unlock_side(q, which::get);
      *len = static_cast<size_t>(n);
      return mproc__failf(MPROC_E_BUFFER_TOO_SHORT,
                          "%s: %s: the next message is %d bytes, the buffer %d (it stays in the "
                          "queue)",
                          where, q->what, n, out.cap);
    }
    g.start_pos = head;
    g.start_count = count;
    g.state.store(1, std::memory_order_relaxed);
    if (q->hook.load(std::memory_order_relaxed) == static_cast<int>(hook_op::none)) {
      if (n > 0) ring_read(r, head + kHeaderBytes, dst, n);
    } else {
      const uint64_t half = n / 2;
      if (n > 0) ring_read(r, head + kHeaderBytes, dst, half);
      maybe_pause(q, hook_op::get);
      if (n > 0) ring_read(r, head + kHeaderBytes + half, static_cast<char*>(dst) + half, n - half);
    }
    c->head.store(next, std::memory_order_release);
    c->msgs_got.store(count + 1, std::memory_order_seq_cst);
    g.state.store(0, std::memory_order_release);
    unlock_side(q, which::get);
    if (c->maxsize != 0) {
      notify(q, c->putters, 1);
      mproc__watch_notify(mproc__object_header_of(q->c));
    }
    *len = static_cast<size_t>(n);
    return MPROC_OK;
  }
}

// Holding the put lock on a bounded queue: is there room for one more message?
bool room_locked(queue_control* c) {
  side& p = c->put;
  uint64_t count = c->msgs_put.load(std::memory_order_relaxed);
  if (count - p.got_cache < c->maxsize) return true;
  p.got_cache = c->msgs_got.load(std::memory_order_seq_cst);
  return count - p.got_cache < c->maxsize;
}

// Copies bytes [from, to) of the concatenated parts to the ring, the message starting at pos.
void write_parts(const ring_map* r, uint64_t pos, const mproc_queue_part* parts, size_t nparts,
                 uint64_t from, uint64_t to) {
  if (nparts == 1) {
    ring_write(r, pos + from, static_cast<const char*>(parts[0].data) + from, to - from);
    return;
  }
  uint64_t at = 0;  // offset of parts[i] in the message
  for (size_t i = 0; i < nparts && at < to; at += parts[i].len, ++i) {
    uint64_t begin = std::max(from, at), end = std::min(to, at + parts[i].len);
    if (begin < end) {
      ring_write(r, pos + begin, static_cast<const char*>(parts[i].data) + (begin - at),
                 end - begin);
    }
  }
}

mproc_status do_put(const char* where, mproc_queue* q, const mproc_queue_part* parts, size_t nparts,
                    int64_t timeout_ms) {
  mproc_status st = check_queue(where, q);
  if (st != MPROC_OK) return st;
  uint64_t len = 0;
  for (size_t i = 0; i < nparts; ++i) {
    if (parts[i].len > kLengthMask - len) {
      return mproc__failf(MPROC_E_TOO_BIG, "%s: %s: the message is more than %d bytes", where,
                          q->what, kLengthMask);
    }
    len += parts[i].len;
  }
  if (timeout_ms < MPROC_INFINITE) return mproc__check_timeout(where, timeout_ms);
  if (q->closed.load(std::memory_order_relaxed)) return closed_error(where, q);
  queue_control* c = q->c;
  if (c->max_message != 0 && len > c->max_message) {
    return mproc__failf(
        MPROC_E_TOO_BIG,
        "%s: %s: the message is %d bytes, more than the queue's maximum of %d bytes", where,
        q->what, len, c->max_message);
  }
  const uint64_t need = record_bytes(len);
  deadline d(timeout_ms);
  side& p = c->put;
  for (;;) {
    bool woke = false;
    st = lock_side(q, which::put, d, &woke);
    if (woke) {
      notify(q, c->getters, INT32_MAX);
      mproc__watch_notify(mproc__object_header_of(q->c));
    }
    if (st == MPROC_E_TIMEOUT) {
      return mproc__failf(MPROC_E_FULL,
                          "%s: %s: timed out%s waiting for another producer's copy "
                          "to finish",
                          where, q->what, timeout_text(d));
    }
    if (st != MPROC_OK) return st;
    if (c->shutdown.load(std::memory_order_acquire) != 0) {
      unlock_side(q, which::put);
      return mproc__failf(MPROC_E_CLOSED, "%s: %s was shut down", where, q->what);
    }
    if (c->maxsize != 0 && !room_locked(c)) {
      unlock_side(q, which::put);
      if (d.expired()) {
        return mproc__failf(MPROC_E_FULL, "%s: %s is full (maxsize %d)%s", where, q->what,
                            c->maxsize, timeout_text(d));
      }
      auto ready = [&] { return has_room(c) || c->shutdown.load(std::memory_order_relaxed) != 0; };
      bool room = false;
      for (int i = 0; i < kSpins && !room; ++i) {
        cpu_relax();
        room = ready();
      }
      if (!room) sleep_on(q, c->putters, d, ready);
      continue;
    }
    // One header of slack beyond the record: the slot after it is zeroed before the commit.
    const uint64_t tail = c->tail.load(std::memory_order_relaxed);
    if (c->cap.load(std::memory_order_relaxed) - (tail - p.head_cache) < need + kHeaderBytes) {
      p.head_cache = c->head.load(std::memory_order_acquire);
      if (c->cap.load(std::memory_order_relaxed) - (tail - p.head_cache) < need + kHeaderBytes) {
        st = grow(q, need + kHeaderBytes, d, where);
        if (st != MPROC_OK) {
          unlock_side(q, which::put);
          return st;
        }
      }
    }
    ring_map* r = nullptr;
    st = ring_for(q, &r);
    if (st != MPROC_OK) {
      unlock_side(q, which::put);
      return st;
    }
    const uint64_t count = c->msgs_put.load(std::memory_order_relaxed);
    p.start_pos = tail;
    p.start_count = count;
    p.state.store(1, std::memory_order_relaxed);
    // Counted before it is visible, so that task_done() for it can never run ahead of the count.
    c->msgs_put.store(count + 1, std::memory_order_release);
    if (q->hook.load(std::memory_order_relaxed) == static_cast<int>(hook_op::none)) {
      write_parts(r, tail + kHeaderBytes, parts, nparts, 0, len);
    } else {
      write_parts(r, tail + kHeaderBytes, parts, nparts, 0, len / 2);
      maybe_pause(q, hook_op::put);
      write_parts(r, tail + kHeaderBytes, parts, nparts, len / 2, len);
    }
    header_at(r, tail + need)->store(0, std::memory_order_relaxed);
    header_at(r, tail)->store(kRecord | len, std::memory_order_release);  // commit: visible now
    c->tail.store(tail + need, std::memory_order_seq_cst);  // for sleepers, qsize, repair
    p.state.store(0, std::memory_order_release);
    unlock_side(q, which::put);
    notify(q, c->getters, 1);
    mproc__watch_notify(mproc__object_header_of(q->c));
    return MPROC_OK;
  }
}

}  // namespace

extern "C" {

MPROC_API mproc_status mproc_queue_create(const mproc_queue_options* opts, mproc_queue** out) {
  const char* where = "mproc_queue_create";
  if (out == nullptr) return mproc__failf(MPROC_E_INVAL, "%s: out is NULL", where);
  *out = nullptr;
  mproc_queue_options o;
  mproc_status st = mproc__read_options(where, opts, &o);
  if (st != MPROC_OK) return st;
  int kind = o.kind == 0 ? MPROC_QUEUE_KIND_QUEUE : o.kind;
  if (!valid_kind(kind)) {
    return mproc__failf(MPROC_E_INVAL, "%s: %d is not a queue kind", where, o.kind);
  }
  if (kind == MPROC_QUEUE_KIND_SIMPLE && o.maxsize != 0) {
    return mproc__failf(MPROC_E_INVAL, "%s: a SimpleQueue is unbounded (maxsize %d given)", where,
                        o.maxsize);
  }
  if (o.buffer_size > MPROC_QUEUE_MAX_INITIAL_BUFFER) {
    return mproc__failf(MPROC_E_INVAL,
                        "%s: buffer_size %d is above the %d bytes a queue may start with "
                        "(MPROC_QUEUE_MAX_INITIAL_BUFFER; the buffer grows as messages need)",
                        where, o.buffer_size, MPROC_QUEUE_MAX_INITIAL_BUFFER);
  }
  uint64_t cap = o.buffer_size == 0 ? kDefaultRing : kMinRing;
  while (cap < o.buffer_size && cap < kMaxRing) cap *= 2;
  if (cap < o.buffer_size) {
    return mproc__failf(MPROC_E_INVAL, "%s: buffer_size %d is too large", where, o.buffer_size);
  }
  mproc__object* obj = nullptr;
  st =
      mproc__object::create(static_cast<uint32_t>(kind), 0, 0, sizeof(queue_control), o.name, &obj,
                            /*reserve=*/kRingOffset + kMaxRing);
  if (st != MPROC_OK) return st;
  auto q = std::make_unique<mproc_queue>();
  q->obj = obj;
  q->what = obj->describe();
  st = mproc__shm_commit(obj->handle(), kRingOffset + cap, q->what.c_str());
  if (st != MPROC_OK) return st;
  auto* c = new (obj->payload()) queue_control;  // the memory is zero: every field starts at 0
  c->version = kVersion;
  c->kind = static_cast<uint32_t>(kind);
  c->maxsize = o.maxsize;
  c->max_message = o.max_message_size;
  if (o.type_name != nullptr) {
    c->type_hash = fnv1a(o.type_name);
    std::snprintf(c->type_name, sizeof c->type_name, "%s", o.type_name);
  }
  st = mproc__mutex_init(obj->shm(), c->put.mutex, false);
  if (st == MPROC_OK) st = mproc__mutex_init(obj->shm(), c->get.mutex, false);
  if (st != MPROC_OK) return st;
  if (mproc__mutex_size() > sizeof c->put.mutex) {
    return mproc__failf(MPROC_E_INTERNAL, "%s: the backend's mutex (%d bytes) does not fit", where,
                        mproc__mutex_size());
  }
  c->cap.store(cap, std::memory_order_release);
  q->attach(c);
  ring_map* r = nullptr;
  st = map_ring(q.get(), cap, &r);
  if (st != MPROC_OK) return st;
  q->ring.store(r, std::memory_order_release);
  *out = q.release();
  return MPROC_OK;
}

MPROC_API mproc_status mproc_queue_open(intptr_t handle, int kind, const char* type_name,
                                        mproc_queue** out) {
  const char* where = "mproc_queue_open";
  if (out == nullptr) return mproc__failf(MPROC_E_INVAL, "%s: out is NULL", where);
  *out = nullptr;
  if (kind == 0) kind = MPROC_QUEUE_KIND_QUEUE;  // as mproc_queue_create takes it
  if (!valid_kind(kind))
    return mproc__failf(MPROC_E_INVAL, "%s: %d is not a queue kind", where, kind);
  mproc__object* obj = nullptr;
  mproc_status st = mproc__object::open(handle, static_cast<uint32_t>(kind), 0, &obj);
  if (st == MPROC_E_TYPE_MISMATCH && kind == MPROC_QUEUE_KIND_QUEUE) {
    // A JoinableQueue is a Queue (as in Python); keep the first message if it is not one either.
    std::string first = mproc_last_error();
    st = mproc__object::open(handle, MPROC_QUEUE_KIND_JOINABLE, 0, &obj);
    if (st == MPROC_E_TYPE_MISMATCH) st = mproc__fail(MPROC_E_TYPE_MISMATCH, first);
  }
  if (st != MPROC_OK) return mproc__failf(st, "%s: %s", where, mproc_last_error());
  auto q = std::make_unique<mproc_queue>();
  q->obj = obj;
  q->what = obj->describe();
  auto* c = static_cast<queue_control*>(obj->payload());
  if (obj->payload_size() < sizeof(queue_control) || c->version != kVersion) {
    return mproc__failf(MPROC_E_TYPE_MISMATCH, "%s: %s has layout version %d, this library %d",
                        where, q->what, c->version, kVersion);
  }
  q->attach(c);
  if (type_name != nullptr && c->type_hash != 0 && c->type_hash != fnv1a(type_name)) {
    return mproc__failf(MPROC_E_TYPE_MISMATCH, "%s: %s carries %s but was opened as a %s of %s",
                        where, q->what, c->type_name, kind_name(static_cast<uint32_t>(kind)),
                        type_name);
  }
  ring_map* r = nullptr;
  st = map_ring(q.get(), c->cap.load(std::memory_order_acquire), &r);
  if (st != MPROC_OK) return st;
  q->ring.store(r, std::memory_order_release);
  *out = q.release();
  return MPROC_OK;
}

MPROC_API mproc_status mproc_queue_handle(const mproc_queue* q, intptr_t* out) {
  mproc_status st = check_queue("mproc_queue_handle", q);
  if (st != MPROC_OK) return st;
  if (out == nullptr) return mproc__fail(MPROC_E_INVAL, "mproc_queue_handle: out is NULL");
  *out = q->obj->handle();
  return MPROC_OK;
}

MPROC_API mproc_status mproc_queue_put(mproc_queue* q, const void* data, size_t len,
                                       int64_t timeout_ms) {
  const char* where = "mproc_queue_put";
  mproc_status st = check_queue(where, q);
  if (st != MPROC_OK) return st;
  if (data == nullptr && len > 0) {
    return mproc__failf(MPROC_E_INVAL, "%s: %s: data is NULL but len is %d", where, q->what, len);
  }
  mproc_queue_part part{data, len};
  return do_put("mproc_queue_put", q, &part, 1, timeout_ms);
}

MPROC_API mproc_status mproc_queue_putv(mproc_queue* q, const mproc_queue_part* parts, size_t count,
                                        int64_t timeout_ms) {
  const char* where = "mproc_queue_putv";
  mproc_status st = check_queue(where, q);
  if (st != MPROC_OK) return st;
  if (parts == nullptr && count > 0) {
    return mproc__failf(MPROC_E_INVAL, "%s: %s: parts is NULL", where, q->what);
  }
  for (size_t i = 0; i < count; ++i) {
    if (parts[i].data == nullptr && parts[i].len > 0) {
      return mproc__failf(MPROC_E_INVAL, "%s: %s: part %d is NULL but its len is %d", where,
                          q->what, i, parts[i].len);
    }
  }
  return do_put("mproc_queue_putv", q, parts, count, timeout_ms);
}

MPROC_API mproc_status mproc_queue_get(mproc_queue* q, void* buf, size_t cap, size_t* len,
                                       int64_t timeout_ms) {
  if (buf == nullptr && cap > 0) {
    return mproc__failf(MPROC_E_INVAL, "mproc_queue_get: buf is NULL but cap is %d", cap);
  }
  sink s;
  s.buf = buf;
  s.cap = cap;
  return do_get("mproc_queue_get", q, s, len, timeout_ms);
}

MPROC_API mproc_status mproc_queue_get_alloc(mproc_queue* q, mproc_queue_alloc_fn alloc,
                                             void* userdata, size_t* len, int64_t timeout_ms) {
  if (alloc == nullptr) return mproc__fail(MPROC_E_INVAL, "mproc_queue_get_alloc: alloc is NULL");
  sink s;
  s.alloc = alloc;
  s.userdata = userdata;
  return do_get("mproc_queue_get_alloc", q, s, len, timeout_ms);
}

MPROC_API mproc_status mproc_queue_get_visit(mproc_queue* q, mproc_queue_visit_fn visit,
                                             void* userdata, size_t* len, int64_t timeout_ms) {
  if (visit == nullptr) return mproc__fail(MPROC_E_INVAL, "mproc_queue_get_visit: visit is NULL");
  sink s;
  s.visit = visit;
  s.userdata = userdata;
  return do_get("mproc_queue_get_visit", q, s, len, timeout_ms);
}

MPROC_API mproc_status mproc_queue_wait_handle(mproc_queue* q, int for_put, intptr_t* out) {
  const char* where = "mproc_queue_wait_handle";
  mproc_status st = check_queue(where, q);
  if (st != MPROC_OK) return st;
  if (out == nullptr) return mproc__failf(MPROC_E_INVAL, "%s: %s: out is NULL", where, q->what);
  if (for_put != 0 && q->c->maxsize == 0) {
    return mproc__failf(MPROC_E_INVAL,
                        "%s: %s is unbounded: a put never waits, so there is no put handle",
                        where, q->what);
  }
  st = for_put != 0 ? q->obj->wait_handle(1, can_put, q->c, out)
                    : q->obj->wait_handle(0, can_get, q->c, out);
  if (st != MPROC_OK) return mproc__failf(st, "%s: %s", where, mproc_last_error());
  return MPROC_OK;
}

MPROC_API mproc_status mproc_queue_qsize(const mproc_queue* q, size_t* out) {
  mproc_status st = check_queue("mproc_queue_qsize", q);
  if (st != MPROC_OK) return st;
  if (out == nullptr) return mproc__fail(MPROC_E_INVAL, "mproc_queue_qsize: out is NULL");
  *out = static_cast<size_t>(qsize_of(q->c));
  return MPROC_OK;
}

MPROC_API mproc_status mproc_queue_empty(const mproc_queue* q, int* out) {
  mproc_status st = check_queue("mproc_queue_empty", q);
  if (st != MPROC_OK) return st;
  if (out == nullptr) return mproc__fail(MPROC_E_INVAL, "mproc_queue_empty: out is NULL");
  uint64_t head = q->c->head.load(std::memory_order_acquire);
  *out = q->c->tail.load(std::memory_order_acquire) == head ? 1 : 0;
  return MPROC_OK;
}

MPROC_API mproc_status mproc_queue_full(const mproc_queue* q, int* out) {
  mproc_status st = check_queue("mproc_queue_full", q);
  if (st != MPROC_OK) return st;
  if (out == nullptr) return mproc__fail(MPROC_E_INVAL, "mproc_queue_full: out is NULL");
  *out = (q->c->maxsize != 0 && !has_room(q->c)) ? 1 : 0;
  return MPROC_OK;
}

MPROC_API size_t mproc_queue_maxsize(const mproc_queue* q) {
  return q == nullptr ? 0 : static_cast<size_t>(q->c->maxsize);
}

MPROC_API mproc_status mproc_queue_close(mproc_queue* q) {
  mproc_status st = check_queue("mproc_queue_close", q);
  if (st != MPROC_OK) return st;
  q->closed.store(true, std::memory_order_relaxed);
  return MPROC_OK;
}

MPROC_API mproc_status mproc_queue_shutdown(mproc_queue* q, int immediate) {
  const char* where = "mproc_queue_shutdown";
  mproc_status st = check_queue(where, q);
  if (st != MPROC_OK) return st;
  queue_control* c = q->c;
  deadline forever(MPROC_INFINITE);
  bool woke = false;
  st = lock_side(q, which::put, forever, &woke);
  if (st != MPROC_OK) return st;
  c->shutdown.store(1, std::memory_order_seq_cst);
  if (immediate != 0) {
    st = lock_side(q, which::get, forever, nullptr);
    if (st != MPROC_OK) {
      unlock_side(q, which::put);
      return st;
    }
    uint64_t dropped = qsize_of(c);
    c->head.store(c->tail.load(std::memory_order_relaxed), std::memory_order_release);
    c->msgs_got.store(c->msgs_put.load(std::memory_order_relaxed), std::memory_order_seq_cst);
    if (c->kind == MPROC_QUEUE_KIND_JOINABLE) c->done.fetch_add(dropped, std::memory_order_seq_cst);
    unlock_side(q, which::get);
  }
  unlock_side(q, which::put);
  notify(q, c->getters, INT32_MAX);
  notify(q, c->putters, INT32_MAX);
  notify(q, c->joiners, INT32_MAX);
  mproc__watch_notify(mproc__object_header_of(q->c));
  return MPROC_OK;
}

MPROC_API mproc_status mproc_queue_task_done(mproc_queue* q) {
  const char* where = "mproc_queue_task_done";
  mproc_status st = check_queue(where, q);
  if (st != MPROC_OK) return st;
  queue_control* c = q->c;
  if (c->kind != MPROC_QUEUE_KIND_JOINABLE) {
    return mproc__failf(MPROC_E_STATE, "%s: %s is not a JoinableQueue", where, q->what);
  }
  uint64_t done = c->done.load(std::memory_order_acquire);
  do {
    if (done >= c->msgs_put.load(std::memory_order_acquire)) {
      return mproc__failf(MPROC_E_RANGE, "%s: %s: task_done() called too many times", where,
                          q->what);
    }
  } while (!c->done.compare_exchange_weak(done, done + 1, std::memory_order_seq_cst));
  if (done + 1 >= c->msgs_put.load(std::memory_order_seq_cst)) notify(q, c->joiners, INT32_MAX);
  return MPROC_OK;
}

MPROC_API mproc_status mproc_queue_join(mproc_queue* q, int64_t timeout_ms) {
  const char* where = "mproc_queue_join";
  mproc_status st = check_queue(where, q);
  if (st != MPROC_OK) return st;
  st = mproc__check_timeout(where, timeout_ms);
  if (st != MPROC_OK) return st;
  queue_control* c = q->c;
  if (c->kind != MPROC_QUEUE_KIND_JOINABLE) {
    return mproc__failf(MPROC_E_STATE, "%s: %s is not a JoinableQueue", where, q->what);
  }
  auto finished = [c] {
    return c->done.load(std::memory_order_seq_cst) >= c->msgs_put.load(std::memory_order_seq_cst);
  };
  deadline d(timeout_ms);
  while (!finished()) {
    if (d.expired()) {
      uint64_t put = c->msgs_put.load(), done = c->done.load();
      return mproc__failf(MPROC_E_TIMEOUT, "%s: %s: %d task(s) still unfinished%s", where, q->what,
                          put > done ? put - done : 0, timeout_text(d));
    }
    sleep_on(q, c->joiners, d, finished);
  }
  return MPROC_OK;
}

MPROC_API mproc_status mproc_queue_lost(const mproc_queue* q, uint64_t* out) {
  mproc_status st = check_queue("mproc_queue_lost", q);
  if (st != MPROC_OK) return st;
  if (out == nullptr) return mproc__fail(MPROC_E_INVAL, "mproc_queue_lost: out is NULL");
  *out = q->c->lost.load(std::memory_order_acquire);
  return MPROC_OK;
}

MPROC_API const char* mproc_queue_name(const mproc_queue* q) {
  return q == nullptr ? "" : q->obj->name();
}

MPROC_API int mproc_queue_kind_of(const mproc_queue* q) {
  return q == nullptr ? 0 : static_cast<int>(q->c->kind);
}

MPROC_API void mproc_queue_destroy(mproc_queue* q) { delete q; }

}  // extern "C"
