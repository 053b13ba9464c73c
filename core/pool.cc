// core/pool.cc — mproc_pool and mproc_result: the parent side of a process pool.
//
// Each worker has its own shared segment with a task stream and a result stream (core/pool_wire.h),
// so the pool always knows exactly which tasks a worker holds. One thread per pool (the "pool
// thread") reads results, runs callbacks, keeps the workers fed, and watches the workers'
// sentinels: when a worker dies, the task it was running fails with MPROC_E_WORKER_LOST, the tasks
// queued behind it go back to the front of the queue, and a replacement starts. Submitting threads
// write tasks into the streams themselves when there is room, so a task costs no thread hop.
//
// Everything below is guarded by the pool's one mutex (mu); the streams are shared memory and
// touched only under it on this side.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <cstring>
#include <deque>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "backends/backend.h"
#include "core/children.h"
#include "core/deadline.h"
#include "core/object.h"
#include "core/options.h"
#include "core/pool_wire.h"
#include "core/registry.h"
#include "core/status.h"
#include "mproc/pool.h"
#include "mproc/process.h"

namespace {

// std::mutex rather than absl::Mutex for everything a pool shares between threads:
// ThreadSanitizer intercepts pthread mutexes, but cannot see into an Abseil that was not built
// with it (the distribution's), and would report every access as a race.
class pool_mutex {
 public:
  void Lock() { m_.lock(); }
  void Unlock() { m_.unlock(); }
  std::mutex& native() { return m_; }

 private:
  std::mutex m_;
};

class pool_lock {
 public:
  explicit pool_lock(pool_mutex* m) : m_(m) { m_->Lock(); }
  ~pool_lock() { m_->Unlock(); }
  pool_lock(const pool_lock&) = delete;
  pool_lock& operator=(const pool_lock&) = delete;

 private:
  pool_mutex* m_;
};

using pool_clock = std::chrono::steady_clock;

// The deadline timeout_ms from now; negative: none.
std::optional<pool_clock::time_point> deadline_after(int64_t timeout_ms) {
  if (timeout_ms < 0) return std::nullopt;
  return mproc__steady_after(timeout_ms);  // saturated: INT64_MAX ms must not wrap into the past
}

class pool_cv {
 public:
  // m is held; released while waiting.
  void Wait(pool_mutex* m) {
    std::unique_lock<std::mutex> lock(m->native(), std::adopt_lock);
    cv_.wait(lock);
    lock.release();
  }
  // True when the deadline passed.
  bool WaitWithDeadline(pool_mutex* m, const std::optional<pool_clock::time_point>& deadline) {
    if (!deadline) {
      Wait(m);
      return false;
    }
    std::unique_lock<std::mutex> lock(m->native(), std::adopt_lock);
    bool timed_out = cv_.wait_until(lock, *deadline) == std::cv_status::timeout;
    lock.release();
    return timed_out;
  }
  void SignalAll() { cv_.notify_all(); }

 private:
  std::condition_variable cv_;
};

// Stream sizes per worker. Memory is touched only as far as the streams are used.
constexpr uint32_t kTaskStreamBytes = 1u << 20;
constexpr uint32_t kResultStreamBytes = 1u << 20;
// Tasks sent ahead to one worker, so that it never waits for the pool thread between two short
// tasks. A worker that goes idle takes back ("steals") a task queued behind a busy one, so a
// long task does not hold up those queued after it.
constexpr size_t kDepth = 8;
// terminate(): SIGTERM first, SIGKILL for workers still running after this long.
constexpr int64_t kTerminateGraceMs = 500;
// Rounds of yielding before the pool thread sleeps.
constexpr int kYieldsBeforeSleep = 50;
// Handles sent to one worker and not yet taken by it (tasks carrying shared objects): a task with
// handles goes to a worker only while this holds, or to one with none in flight, so the worker's
// control socket never fills with handles for tasks it has not reached.
constexpr size_t kMaxHandlesInFlight = 256;
// Handles one submission may carry.
constexpr size_t kMaxTaskHandles = 65536;
// Workers that die before they are ready, one after another, break the pool (instead of starting
// new ones forever, as CPython's Pool does when an initializer crashes).
constexpr int kMaxStartupFailures = 3;

std::atomic<int> g_pool_counter{0};

class buffer_cache;

// Bytes of a task message or a result body. Large ones come from and go back to a cache: a map
// over a million elements would otherwise spend much of its time having the kernel hand out (and
// zero) fresh pages for its chunks.
class buffer {
 public:
  buffer() = default;
  buffer(buffer&& o) noexcept { *this = std::move(o); }
  buffer& operator=(buffer&& o) noexcept;
  ~buffer() { reset(); }

  char* data() const { return data_.get(); }
  size_t size = 0;  // bytes in use

  void reset();

 private:
  friend class buffer_cache;
  std::unique_ptr<char[]> data_;
  size_t capacity_ = 0;
  std::shared_ptr<buffer_cache> home_;
};

class buffer_cache : public std::enable_shared_from_this<buffer_cache> {
 public:
  // Below this, malloc is fast and reuses memory by itself.
  static constexpr size_t kMinBytes = size_t{64} << 10;
  static constexpr size_t kMaxBytes = size_t{64} << 20;  // kept in all
  static constexpr size_t kMaxEntries = 32;

  buffer get(size_t n) {
    buffer b;
    b.size = n;
    if (n < kMinBytes) {
      b.data_.reset(new char[n > 0 ? n : 1]);  // default-initialised: nothing is zeroed
      b.capacity_ = n;
      return b;
    }
    b.home_ = shared_from_this();
    {
      pool_lock lock(&mu_);
      size_t best = free_.size();
      for (size_t i = 0; i < free_.size(); ++i) {
        const size_t cap = free_[i].first;
        if (cap >= n && cap / 2 <= n && (best == free_.size() || cap < free_[best].first)) best = i;
      }
      if (best != free_.size()) {
        b.capacity_ = free_[best].first;
        b.data_ = std::move(free_[best].second);
        bytes_ -= b.capacity_;
        free_.erase(free_.begin() + static_cast<std::ptrdiff_t>(best));
        return b;
      }
    }
    b.data_.reset(new char[n]);
    b.capacity_ = n;
    return b;
  }

  void put(std::unique_ptr<char[]> data, size_t capacity) {
    pool_lock lock(&mu_);
    if (bytes_ + capacity > kMaxBytes || free_.size() >= kMaxEntries) return;  // freed
    bytes_ += capacity;
    free_.emplace_back(capacity, std::move(data));
  }

 private:
  pool_mutex mu_;
  std::vector<std::pair<size_t, std::unique_ptr<char[]>>> free_;
  size_t bytes_ = 0;
};

buffer& buffer::operator=(buffer&& o) noexcept {
  if (this != &o) {
    reset();
    data_ = std::move(o.data_);
    capacity_ = o.capacity_;
    size = o.size;
    home_ = std::move(o.home_);
    o.capacity_ = o.size = 0;
  }
  return *this;
}

void buffer::reset() {
  if (home_ && data_) home_->put(std::move(data_), capacity_);
  data_.reset();
  home_.reset();
  capacity_ = size = 0;
}

bool seq_at_or_after(uint32_t a, uint32_t b) { return static_cast<int32_t>(a - b) >= 0; }

std::string exit_description(mproc_process* p) {
  return mproc__exit_status_describe(mproc__process_exit_status(p));
}

}  // namespace

struct mproc__pool_result {
  size_t count = 0;                 // values, known at submission
  std::vector<size_t> part_first;   // first value of each part, then count
  // Guarded by the pool's mu.
  size_t parts_done = 0, values_done = 0;
  std::vector<buffer> parts;                 // each an encoded batch
  std::vector<std::vector<size_t>> offsets;  // per part, built on first random access
  bool finished = false;  // outcome final (a callback may still be running)
  bool ready = false;     // visible to waiters
  mproc_status status = MPROC_OK;
  std::string type, message, text;  // text: the whole description, for mproc_last_error
  int64_t pid = 0;
  int exitcode = 0;
  uint64_t stamp = 0;  // completion order within the pool
  mproc_result_callback cb = nullptr;
  void* cb_data = nullptr;
  bool cb_set = false;
  // A map submitted part by part (mproc_pool_map_begin): the parts given so far.
  size_t parts_given = 0, parts_expected = 0;
  bool open = false;
  std::string fn;  // the function, for the parts still to come

  size_t parts_total() const { return parts.size(); }

  // mproc_result_wait_handle: a notifier made on request, signalled when the result is ready.
  intptr_t wait_notifier = 0;
  bool has_wait_notifier = false;
  ~mproc__pool_result() {
    if (has_wait_notifier) mproc__handle_close(wait_notifier);
  }
};

namespace {

// Duplicates of the OS handles a submission carries, shared by its tasks (a map's chunks) and
// closed when the last of them completes.
struct handle_list {
  handle_list() = default;
  handle_list(const handle_list&) = delete;
  handle_list& operator=(const handle_list&) = delete;
  ~handle_list() {
    for (intptr_t h : handles) mproc__handle_close(h);
  }
  std::vector<intptr_t> handles;
};

struct task_rec {
  std::shared_ptr<mproc__pool_result> result;
  size_t part = 0;
  uint32_t count = 0;
  buffer msg;  // header, body, padding: written to a worker's stream as is
  std::shared_ptr<const handle_list> handles;  // null for most tasks

  size_t handle_count() const { return handles ? handles->handles.size() : 0; }
};

// Where the first handle token goes in a task message that carries handles (see pool_wire.h).
size_t token_offset(size_t fn_len) {
  return sizeof(mproc__msg_header) + mproc__pad8(sizeof(uint32_t) + fn_len);
}

struct sent_task {
  std::unique_ptr<task_rec> task;
  uint64_t seq = 0;
  uint32_t ring_pos = 0;  // where its header is in the worker's task stream
  size_t written = 0;
};

struct worker_slot {
  ~worker_slot() { mproc_process_destroy(proc); }

  int number = 0;
  mproc_process* proc = nullptr;
  std::unique_ptr<mproc__object> seg;
  mproc__worker_ctl* ctl = nullptr;
  mproc__ring tasks, results;
  int64_t pid = 0;
  intptr_t sentinel = MPROC__NO_HANDLE;
  std::string describe;  // "worker PoolWorker-3 (pid 1234)"
  std::string where;     // " (in PoolWorker-3, pid 1234)"

  uint64_t next_seq = 1;
  uint64_t tasks_sent = 0;           // claimed or not yet revoked
  std::deque<sent_task> outstanding;  // sent, no result yet, in stream order
  size_t write_index = 0;             // first entry not completely written
  bool quitting = false;              // a QUIT is queued: no more tasks
  bool lost = false;                  // handles could not reach it (it ended): no more tasks
  size_t quit_written = 0;
  bool got_result = false;            // it completed a task: it was ready
  std::string init_type, init_message;  // its INIT_FAILED report

  // The result being read.
  bool have_header = false;
  mproc__msg_header rhdr{};
  buffer rbody;
  size_t rgot = 0;

  bool has_unwritten() const {
    return write_index < outstanding.size() ||
           (quitting && quit_written < sizeof(mproc__msg_header));
  }
};

}  // namespace

struct mproc__pool_state {
  ~mproc__pool_state() {
    mproc__handle_close(wake);
    mproc__handle_close(event);
    for (intptr_t h : init_handles) mproc__handle_close(h);
  }

  pool_mutex mu;
  pool_cv cv;  // a result became ready; the pool thread ended
  std::weak_ptr<mproc__pool_state> self;  // for the result handles callbacks receive

  std::string name;
  std::string describe;  // "Pool 'Pool-1'"
  int processes = 0;
  mproc_start_method method = MPROC_START_DEFAULT;
  std::string initializer, initargs;
  std::vector<intptr_t> init_handles;  // duplicates, passed to every worker at its start
  uint64_t maxtasks = 0;
  intptr_t wake = -1;   // workers and callers wake the pool thread
  intptr_t event = -1;  // the user's "a result completed" handle
  std::atomic<bool> event_set{false};  // signalled since the user last cleared it: no more writes

  bool closed = false;
  bool terminate_requested = false;
  std::string broken;  // why, once broken
  bool thread_done = false;
  std::thread::id thread_id;

  std::vector<std::unique_ptr<worker_slot>> workers;  // serving
  std::vector<std::unique_ptr<worker_slot>> exiting;  // told to quit or retiring: reaped at exit
  std::deque<std::unique_ptr<task_rec>> pending;
  uint64_t stamp = 0;
  int worker_counter = 0;
  int startup_failures = 0;
  std::vector<std::shared_ptr<mproc__pool_result>> to_call;  // finished, callback to run
  std::vector<std::shared_ptr<mproc__pool_result>> open_maps;  // begun, parts still to come
  std::string last_registered;  // the last name found registered: most tasks repeat it
  std::shared_ptr<buffer_cache> buffers = std::make_shared<buffer_cache>();
};

struct mproc_pool {
  std::shared_ptr<mproc__pool_state> s;
  pool_mutex thread_mu;  // serialises joining `thread`
  std::thread thread;
};

struct mproc_result {
  std::shared_ptr<mproc__pool_state> pool;
  std::shared_ptr<mproc__pool_result> r;
};

namespace {

using state = mproc__pool_state;
using result = mproc__pool_result;

// ---- completing results ---------------------------------------------------------------------

void mark_ready(state& s, result& r) {
  r.ready = true;
  s.cv.SignalAll();
  if (r.has_wait_notifier) mproc__notifier_signal(r.wait_notifier);
  if (!s.event_set.exchange(true)) mproc__notifier_signal(s.event);
}

void finish(state& s, const std::shared_ptr<result>& r) {
  r->finished = true;
  r->stamp = ++s.stamp;
  if (r->cb != nullptr) {
    s.to_call.push_back(r);  // the pool thread runs it, then marks the result ready
  } else {
    mark_ready(s, *r);
  }
}

void fail(state& s, const std::shared_ptr<result>& r, mproc_status status, std::string type,
          std::string message, std::string text, int64_t pid, int exitcode) {
  if (r->finished) return;
  r->status = status;
  r->type = std::move(type);
  r->message = std::move(message);
  r->text = std::move(text);
  r->pid = pid;
  r->exitcode = exitcode;
  finish(s, r);
}

void fail_closed(state& s, const std::shared_ptr<result>& r) {
  fail(s, r, MPROC_E_CLOSED, "mproc::closed", s.describe + " was terminated before the task finished",
       s.describe + " was terminated before the task finished", 0, 0);
}

void fail_broken(state& s, const std::shared_ptr<result>& r) {
  fail(s, r, MPROC_E_CHILD, "mproc::broken_pool", s.broken, s.broken, 0, 0);
}

// ---- workers --------------------------------------------------------------------------------

mproc_status start_worker(state& s, std::unique_ptr<worker_slot>* out) {
  auto w = std::make_unique<worker_slot>();
  w->number = ++s.worker_counter;
  const std::string pname = "PoolWorker-" + std::to_string(w->number);
  mproc__worker_layout l = mproc__worker_layout_for(kTaskStreamBytes, kResultStreamBytes);
  mproc__object* obj = nullptr;
  mproc_status st = mproc__object::create(MPROC__OBJ_POOL_WORKER, 0, 0, l.total, nullptr, &obj);
  if (st != MPROC_OK) return st;
  w->seg.reset(obj);
  char* base = static_cast<char*>(obj->payload());
  w->ctl = reinterpret_cast<mproc__worker_ctl*>(base + l.ctl);
  w->ctl->task_cap = l.task_cap;
  w->ctl->result_cap = l.result_cap;
  w->tasks = mproc__ring(obj->shm(), reinterpret_cast<mproc__ring_ctl*>(base + l.task_ctl), base + l.task_data,
                         l.task_cap);
  w->results = mproc__ring(obj->shm(), reinterpret_cast<mproc__ring_ctl*>(base + l.result_ctl),
                           base + l.result_data, l.result_cap);

  mproc__worker_config cfg;
  cfg.pool_name = s.name;
  cfg.initializer = s.initializer;
  cfg.initargs = s.initargs;
  cfg.maxtasks = s.maxtasks;
  cfg.init_handles = s.init_handles.size();
  std::string args = mproc__worker_config_encode(cfg);
  mproc_process_options o = MPROC_PROCESS_OPTIONS_INIT;
  o.name = pname.c_str();
  o.daemon = 1;  // as Python's pool workers: ended when the program exits
  o.start_method = s.method;
  st = mproc_process_create(kMprocPoolWorkerName, args.data(), args.size(), &o, &w->proc);
  if (st == MPROC_OK) st = mproc_process_add_handle(w->proc, obj->handle(), nullptr);
  if (st == MPROC_OK) st = mproc_process_add_handle(w->proc, s.wake, nullptr);
  // From kPoolFirstInitHandle on: every worker, replacements too, gets the initializer's handles.
  for (size_t i = 0; st == MPROC_OK && i < s.init_handles.size(); ++i) {
    st = mproc_process_add_handle(w->proc, s.init_handles[i], nullptr);
  }
  if (st == MPROC_OK) {
    // Python flushes before starting a process; the pool thread may start one at any time, so
    // mproc_process_start does it.
    st = mproc_process_start(w->proc);
  }
  if (st != MPROC_OK) {
    std::string why = mproc_last_error();
    return mproc__failf(st, "%s: starting %s: %s", s.describe, pname, why);
  }
  mproc_process_pid(w->proc, &w->pid);
  mproc_process_sentinel(w->proc, &w->sentinel);
  w->describe = "worker " + pname + " (pid " + std::to_string(w->pid) + ")";
  w->where = " (in " + pname + ", pid " + std::to_string(w->pid) + ")";
  *out = std::move(w);
  return MPROC_OK;
}

// Writes as much of w's queued messages as its task stream takes. True if anything was written.
bool pump_writes(worker_slot& w) {
  bool wrote = false;
  while (w.write_index < w.outstanding.size()) {
    sent_task& t = w.outstanding[w.write_index];
    if (t.written == 0) t.ring_pos = w.tasks.tail();
    size_t n = w.tasks.write(t.task->msg.data() + t.written, t.task->msg.size - t.written);
    t.written += n;
    wrote = wrote || n > 0;
    if (t.written < t.task->msg.size) break;
    ++w.write_index;
  }
  if (w.quitting && w.write_index == w.outstanding.size() &&
      w.quit_written < sizeof(mproc__msg_header)) {
    mproc__msg_header q{};
    q.type = MPROC__MSG_QUIT;
    const char* p = reinterpret_cast<const char*>(&q);
    size_t n = w.tasks.write(p + w.quit_written, sizeof q - w.quit_written);
    w.quit_written += n;
    wrote = wrote || n > 0;
  }
  if (wrote) w.tasks.wake_consumer();
  return wrote;
}

// Sends the task's handles to w ahead of the task and writes their first token into the task.
// MPROC_E_CHILD when w has ended.
mproc_status export_handles(state& s, worker_slot& w, task_rec& t) {
  const std::vector<intptr_t>& hs = t.handles->handles;
  uint64_t first = 0;
  mproc_status st = mproc__process_export_handles(w.proc, hs.data(), hs.size(), &first);
  if (st != MPROC_OK) {
    return mproc__failf(st, "%s: sending a task's %d handles to %s: %s", s.describe, hs.size(),
                        w.describe, std::string(mproc_last_error()));
  }
  uint32_t name_len = 0;
  std::memcpy(&name_len, t.msg.data() + sizeof(mproc__msg_header), sizeof name_len);
  std::memcpy(t.msg.data() + token_offset(name_len), &first, sizeof first);
  return MPROC_OK;
}

// Gives t to w. A task with handles first sends them; when that fails, the task goes back to the
// front of the queue (w ended: another worker runs it) or fails. False when t was not given to w.
bool send(state& s, worker_slot& w, std::unique_ptr<task_rec> t) {
  if (t->handles) {
    mproc_status st = export_handles(s, w, *t);
    if (st == MPROC_E_CHILD) {
      w.lost = true;  // its sentinel fires soon; until then it takes nothing
      s.pending.push_front(std::move(t));
      return false;
    }
    if (st != MPROC_OK) {
      const std::string text = mproc_last_error();
      fail(s, t->result, st, "mproc::error", text, text, w.pid, 0);
      return false;
    }
  }
  sent_task st;
  st.seq = w.next_seq++;
  mproc__msg_header h;
  std::memcpy(&h, t->msg.data(), sizeof h);
  h.state = MPROC__TASK_PENDING;
  h.seq = st.seq;
  std::memcpy(t->msg.data(), &h, sizeof h);
  st.task = std::move(t);
  w.outstanding.push_back(std::move(st));
  ++w.tasks_sent;
  pump_writes(w);
  return true;
}

bool accepts_tasks(const state& s, const worker_slot& w) {
  return !w.quitting && !w.lost && w.outstanding.size() < kDepth &&
         (s.maxtasks == 0 || w.tasks_sent < s.maxtasks);
}

// Whether w can take a task carrying n handles now (see kMaxHandlesInFlight).
bool has_room_for_handles(const worker_slot& w, size_t n) {
  size_t in_flight = 0;
  for (const sent_task& t : w.outstanding) in_flight += t.task->handle_count();
  return in_flight == 0 || in_flight + n <= kMaxHandlesInFlight;
}

worker_slot* pick_worker(state& s, const task_rec& t) {
  worker_slot* best = nullptr;
  for (auto& w : s.workers) {
    if (!accepts_tasks(s, *w)) continue;
    if (t.handles && !has_room_for_handles(*w, t.handle_count())) continue;
    if (best == nullptr || w->outstanding.size() < best->outstanding.size()) best = w.get();
  }
  return best;
}

// Takes back the last task queued at w if w has not started it. The task's header is still in
// the stream when its position is at or after the stream's head; the worker claims a task with a
// compare-and-swap on its state word before consuming the header, so exactly one side wins.
std::unique_ptr<task_rec> revoke_last(worker_slot& w) {
  if (w.outstanding.size() < 2) return nullptr;  // the first one is running
  sent_task& t = w.outstanding.back();
  if (t.task->handles) return nullptr;  // its handles went to w: w runs it
  bool taken = false;
  if (t.written == 0) {
    taken = true;
  } else if (t.written == t.task->msg.size && seq_at_or_after(t.ring_pos, w.tasks.head())) {
    uint32_t expected = MPROC__TASK_PENDING;
    taken = __atomic_compare_exchange_n(w.tasks.word_at(t.ring_pos), &expected,
                                        uint32_t{MPROC__TASK_REVOKED}, false, __ATOMIC_SEQ_CST,
                                        __ATOMIC_SEQ_CST);
  }
  if (!taken) return nullptr;
  std::unique_ptr<task_rec> task = std::move(t.task);
  w.outstanding.pop_back();
  if (w.write_index > w.outstanding.size()) w.write_index = w.outstanding.size();
  --w.tasks_sent;
  return task;
}

// Gives each idle worker a task queued behind a busy one.
void steal(state& s) {
  for (auto& idle : s.workers) {
    if (!idle->outstanding.empty() || !accepts_tasks(s, *idle)) continue;
    std::vector<worker_slot*> victims;
    for (auto& w : s.workers) {
      if (w->outstanding.size() >= 2) victims.push_back(w.get());
    }
    std::sort(victims.begin(), victims.end(), [](worker_slot* a, worker_slot* b) {
      return a->outstanding.size() > b->outstanding.size();
    });
    for (worker_slot* v : victims) {
      std::unique_ptr<task_rec> t = revoke_last(*v);
      if (t) {
        send(s, *idle, std::move(t));
        break;
      }
    }
  }
}

void dispatch(state& s) {
  while (!s.pending.empty()) {
    if (s.pending.front()->result->finished) {  // a failed map's other chunks need not run
      s.pending.pop_front();
      continue;
    }
    worker_slot* w = pick_worker(s, *s.pending.front());
    if (w == nullptr) break;
    std::unique_ptr<task_rec> t = std::move(s.pending.front());
    s.pending.pop_front();
    send(s, *w, std::move(t));  // if it failed, the task is back in front or has failed
  }
  if (s.pending.empty()) steal(s);
}

void handle_result(state& s, worker_slot& w, const mproc__msg_header& h, buffer body) {
  auto it = std::find_if(w.outstanding.begin(), w.outstanding.end(),
                         [&](const sent_task& t) { return t.seq == h.seq; });
  if (it == w.outstanding.end()) return;  // cannot happen: results come for claimed tasks
  std::unique_ptr<task_rec> t = std::move(it->task);
  size_t index = static_cast<size_t>(it - w.outstanding.begin());
  w.outstanding.erase(it);
  if (w.write_index > index) --w.write_index;
  w.got_result = true;
  s.startup_failures = 0;
  const std::shared_ptr<result>& r = t->result;
  if (r->finished) return;
  if (h.status == MPROC_OK) {
    if (h.count != t->count) {
      fail(s, r, MPROC_E_INTERNAL, "mproc::error", "a worker returned the wrong number of results",
           s.describe + ": " + w.describe + " returned " + std::to_string(h.count) +
               " results for a task of " + std::to_string(t->count),
           w.pid, 0);
      return;
    }
    body.size = static_cast<size_t>(h.size);
    r->parts[t->part] = std::move(body);
    ++r->parts_done;
    r->values_done += t->count;
    if (r->parts_done == r->parts_total()) finish(s, r);
    return;
  }
  std::string type, message;
  if (!mproc__get_error_body(body.data(), static_cast<size_t>(h.size), &type, &message)) {
    type = "mproc::error";
    message = "(the failure's description was malformed)";
  }
  const std::string& where = w.where;
  std::string text;
  if (h.status == MPROC_E_REMOTE) {
    text = s.describe + ": the task raised " + type + ": " + message + where;
  } else if (h.status == MPROC_E_DECODE) {
    text = s.describe + ": the task's arguments failed to decode: " + message + where;
  } else if (h.status == MPROC_E_ENCODE) {
    text = s.describe + ": the task's result failed to encode: " + message + where;
  } else {
    text = s.describe + ": " + message + where;
  }
  fail(s, r, h.status, std::move(type), std::move(message), std::move(text), w.pid, 0);
}

// Reads every complete message from w's result stream. True if anything was read.
bool pump_reads(state& s, worker_slot& w) {
  bool progress = false;
  for (;;) {
    if (!w.have_header) {
      if (w.results.readable() < sizeof(mproc__msg_header)) break;
      w.results.read(&w.rhdr, sizeof w.rhdr);
      w.have_header = true;
      w.rbody = s.buffers->get(mproc__pad8(static_cast<size_t>(w.rhdr.size)));
      w.rgot = 0;
      progress = true;
    }
    size_t n = w.results.read(w.rbody.data() + w.rgot, w.rbody.size - w.rgot);
    w.rgot += n;
    progress = progress || n > 0;
    if (w.rgot < w.rbody.size) break;
    w.have_header = false;
    if (w.rhdr.type == MPROC__MSG_RESULT) {
      handle_result(s, w, w.rhdr, std::move(w.rbody));
    } else if (w.rhdr.type == MPROC__MSG_INIT_FAILED) {
      if (!mproc__get_error_body(w.rbody.data(), static_cast<size_t>(w.rhdr.size),
                                 &w.init_type, &w.init_message)) {
        w.init_type = "mproc::error";
      }
    }
  }
  if (progress) w.results.wake_producer();
  return progress;
}

void break_pool(state& s, const std::string& why) {
  if (s.broken.empty()) s.broken = why;
  for (auto& t : s.pending) fail_broken(s, t->result);
  s.pending.clear();
  for (auto& r : s.open_maps) {
    r->open = false;
    fail_broken(s, r);
  }
  s.open_maps.clear();
  for (auto* list : {&s.workers, &s.exiting}) {
    for (auto& w : *list) {
      for (auto& t : w->outstanding) fail_broken(s, t.task->result);
    }
  }
}

bool work_remains(const state& s) {
  if (!s.pending.empty() || !s.open_maps.empty()) return true;
  for (auto& w : s.workers) {
    if (!w->outstanding.empty()) return true;
  }
  return false;
}

// Keeps `processes` workers serving while there is (or may be) work for them.
void replenish(state& s) {
  while (s.broken.empty() && !s.terminate_requested &&
         static_cast<int>(s.workers.size()) < s.processes && (!s.closed || work_remains(s))) {
    std::unique_ptr<worker_slot> w;
    if (start_worker(s, &w) != MPROC_OK) {
      break_pool(s, mproc_last_error());
      return;
    }
    s.workers.push_back(std::move(w));
  }
}

// A worker that reached maxtasksperchild and returned every result exits by itself.
void retire_finished_workers(state& s) {
  if (s.maxtasks == 0) return;
  for (size_t i = 0; i < s.workers.size();) {
    worker_slot& w = *s.workers[i];
    if (w.tasks_sent >= s.maxtasks && w.outstanding.empty()) {
      s.exiting.push_back(std::move(s.workers[i]));
      s.workers.erase(s.workers.begin() + static_cast<std::ptrdiff_t>(i));
    } else {
      ++i;
    }
  }
}

// w's sentinel fired: reap it, read what it wrote before dying, fail the task it was running,
// queue again the ones it had not started, and start a replacement.
void handle_exit(state& s, worker_slot* w) {
  const mproc_status joined = mproc_process_join(w->proc, 0);
  const std::string join_error = joined == MPROC_OK ? std::string() : mproc_last_error();
  // Its sentinel fired but its end is unknown (the forkserver died): make sure it is gone.
  if (joined != MPROC_OK && joined != MPROC_E_NO_INIT) mproc_process_kill(w->proc);
  int ended = 0, exitcode = 0;
  mproc_process_exitcode(w->proc, &ended, &exitcode);
  while (pump_reads(s, *w)) {
  }
  const uint64_t current = __atomic_load_n(&w->ctl->current_seq, __ATOMIC_ACQUIRE);
  const uint32_t wstate = __atomic_load_n(&w->ctl->state, __ATOMIC_ACQUIRE);
  const std::string how = exit_description(w->proc);

  if (wstate == MPROC__WORKER_INIT_FAILED || !w->init_type.empty()) {
    break_pool(s, s.describe + ": the initializer '" + s.initializer + "' failed in " +
                      w->describe + ": " + w->init_type + ": " + w->init_message);
  } else {
    std::vector<std::unique_ptr<task_rec>> requeue;
    for (auto& t : w->outstanding) {
      if (t.seq <= current) {
        std::string message = w->describe + " died while running the task: " + how;
        fail(s, t.task->result, MPROC_E_WORKER_LOST, "mproc::worker_lost", message,
             s.describe + ": " + message, w->pid, exitcode);
      } else if (!t.task->result->finished) {
        requeue.push_back(std::move(t.task));
      }
    }
    w->outstanding.clear();
    for (auto it = requeue.rbegin(); it != requeue.rend(); ++it) s.pending.push_front(std::move(*it));

    const bool expected_exit = w->quitting || (s.maxtasks != 0 && w->tasks_sent >= s.maxtasks);
    if (!expected_exit && !w->got_result && wstate == MPROC__WORKER_STARTING) {
      std::string detail;
      if (const char* f = mproc_process_failure(w->proc)) detail = std::string(": ") + f;
      if (joined == MPROC_E_NO_INIT) detail = ": " + join_error;
      if (joined == MPROC_E_NO_INIT || ++s.startup_failures >= kMaxStartupFailures) {
        break_pool(s, s.describe + ": workers keep dying before they are ready; the last one, " +
                          w->describe + ", " + how + detail);
      }
    }
  }
  for (auto* list : {&s.workers, &s.exiting}) {
    list->erase(std::remove_if(list->begin(), list->end(),
                               [w](const std::unique_ptr<worker_slot>& p) { return p.get() == w; }),
                list->end());
  }
}

// close(): once every task is done, every worker is told to quit.
void quit_if_done(state& s) {
  if (!s.closed || work_remains(s)) return;
  for (auto& w : s.workers) {
    w->quitting = true;
    pump_writes(*w);
    s.exiting.push_back(std::move(w));
  }
  s.workers.clear();
}

void run_callbacks(state& s) {
  while (!s.to_call.empty()) {
    std::vector<std::shared_ptr<result>> calls;
    calls.swap(s.to_call);
    s.mu.Unlock();
    for (auto& r : calls) {
      mproc_result handle{s.self.lock(), r};
      r->cb(&handle, r->cb_data);
    }
    s.mu.Lock();
    for (auto& r : calls) mark_ready(s, *r);
  }
}

void terminate_now(state& s) {
  for (auto& t : s.pending) fail_closed(s, t->result);
  s.pending.clear();
  for (auto& r : s.open_maps) {
    r->open = false;
    fail_closed(s, r);
  }
  s.open_maps.clear();
  std::vector<std::unique_ptr<worker_slot>> all;
  for (auto* list : {&s.workers, &s.exiting}) {
    for (auto& w : *list) {
      for (auto& t : w->outstanding) fail_closed(s, t.task->result);
      w->outstanding.clear();
      all.push_back(std::move(w));
    }
    list->clear();
  }
  run_callbacks(s);
  for (auto& w : all) mproc_process_terminate(w->proc);
  // Wait (without the lock: callers may be waiting on results) for the grace period, then kill.
  s.mu.Unlock();
  const pool_clock::time_point deadline =
      pool_clock::now() + std::chrono::milliseconds(kTerminateGraceMs);
  for (;;) {
    std::vector<intptr_t> sentinels;
    for (auto& w : all) {
      int ended = 0, code = 0;
      if (mproc_process_exitcode(w->proc, &ended, &code) == MPROC_OK && !ended) {
        sentinels.push_back(w->sentinel);
      }
    }
    int64_t left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline -
                                                                         pool_clock::now())
                       .count();
    if (sentinels.empty() || left <= 0) break;
    std::vector<uint8_t> ready(sentinels.size());
    size_t count = 0;
    mproc__handles_wait(sentinels.data(), sentinels.size(), left, "pool: joining workers",
                        ready.data(), &count);
  }
  for (auto& w : all) {
    mproc_process_kill(w->proc);
    mproc_process_join(w->proc, MPROC_INFINITE);
  }
  all.clear();
  s.mu.Lock();
}

// The pool thread.
void run(std::shared_ptr<state> sp) {
  state& s = *sp;
  s.mu.Lock();
  std::vector<intptr_t> handles;
  std::vector<worker_slot*> owners;
  std::vector<uint8_t> ready;
  int idle_rounds = 0;
  for (;;) {
    if (s.terminate_requested) {
      terminate_now(s);
      break;
    }
    bool progress = false;
    for (auto* list : {&s.workers, &s.exiting}) {
      for (auto& w : *list) progress = pump_reads(s, *w) || progress;
    }
    retire_finished_workers(s);
    replenish(s);
    if (!s.broken.empty()) break_pool(s, s.broken);
    dispatch(s);
    for (auto& w : s.workers) progress = pump_writes(*w) || progress;
    for (auto& w : s.exiting) progress = pump_writes(*w) || progress;
    quit_if_done(s);
    if (!s.to_call.empty()) {
      run_callbacks(s);
      continue;
    }
    if (s.closed && s.workers.empty() && s.exiting.empty() && s.pending.empty()) break;
    if (progress) {
      idle_rounds = 0;
      continue;
    }
    // Results of short tasks follow each other within microseconds: yielding a few times before
    // sleeping saves a wake-up per result (the workers do the same).
    if (idle_rounds < kYieldsBeforeSleep) {
      ++idle_rounds;
      s.mu.Unlock();
      std::this_thread::yield();
      s.mu.Lock();
      continue;
    }
    idle_rounds = 0;

    // Sleep until a worker has news, dies, or a caller wakes us. Workers look at
    // parent_sleeping after each step, so raise it before the last look at the streams.
    handles.assign(1, s.wake);
    owners.assign(1, nullptr);
    bool more = false;
    for (auto* list : {&s.workers, &s.exiting}) {
      for (auto& w : *list) {
        __atomic_store_n(&w->ctl->parent_sleeping, 1u, __ATOMIC_SEQ_CST);
        if (w->results.readable() > 0 || (w->has_unwritten() && w->tasks.writable() > 0)) {
          more = true;
        }
        handles.push_back(w->sentinel);
        owners.push_back(w.get());
      }
    }
    if (more) continue;
    ready.assign(handles.size(), 0);
    s.mu.Unlock();
    size_t count = 0;
    mproc_status st = mproc__handles_wait(handles.data(), handles.size(), MPROC_INFINITE,
                                          "pool: watching workers", ready.data(), &count);
    mproc__notifier_clear(s.wake);
    s.mu.Lock();
    if (st != MPROC_OK) continue;
    for (size_t i = 1; i < handles.size(); ++i) {
      if (ready[i]) handle_exit(s, owners[i]);
    }
  }
  s.thread_done = true;
  s.cv.SignalAll();
  s.mu.Unlock();
}

bool on_pool_thread(const state& s) { return std::this_thread::get_id() == s.thread_id; }

// ---- submitting -----------------------------------------------------------------------------

mproc_status check_open(state& s, const char* where, const char* fn_name) {
  if (s.closed || s.terminate_requested) {
    return mproc__failf(MPROC_E_CLOSED, "%s: %s is %s: it takes no new tasks", where, s.describe,
                        s.terminate_requested ? "terminated" : "closed");
  }
  if (!s.broken.empty()) {
    return mproc__failf(MPROC_E_CHILD, "%s: %s is broken: %s", where, s.describe, s.broken);
  }
  // Under the pool's lock, so the pool thread never forks a worker while this thread holds the
  // registry's lock (the child would inherit it locked).
  if (s.last_registered != fn_name) {
    if (!mproc_is_registered(fn_name)) {
      return mproc__failf(MPROC_E_NOT_REGISTERED,
                          "%s: no function is registered under the name '%s' (register it with "
                          "mproc_register before mproc_init, or use mproc::fn<&f> in C++)",
                          where, fn_name);
    }
    s.last_registered = fn_name;
  }
  return MPROC_OK;
}

// A task message for `count` argument packs already framed as an encoded batch.
std::unique_ptr<task_rec> make_task(buffer_cache& cache, const std::string& fn, const char* items,
                                    size_t items_len, uint32_t count, const char* single,
                                    size_t single_len,
                                    std::shared_ptr<const handle_list> handles = nullptr) {
  // A task with handles has room for their first token after the name (written at send).
  const size_t token_part = handles ? sizeof(uint64_t) : 0;
  const size_t name_part = mproc__pad8(sizeof(uint32_t) + fn.size()) + token_part;
  const size_t body = name_part + (single != nullptr ? sizeof(uint32_t) + single_len : items_len);
  const size_t total = sizeof(mproc__msg_header) + mproc__pad8(body);
  auto t = std::make_unique<task_rec>();
  t->count = count;
  t->msg = cache.get(total);
  t->handles = std::move(handles);
  char* p = t->msg.data();
  std::memset(p, 0, sizeof(mproc__msg_header) + name_part);
  std::memset(p + total - 8, 0, 8);  // padding (the body overwrites what it covers)
  mproc__msg_header h{};
  h.type = MPROC__MSG_TASK;
  h.size = body;
  h.count = count;
  h.status = static_cast<int32_t>(t->handle_count());
  std::memcpy(p, &h, sizeof h);
  p += sizeof h;
  uint32_t n = static_cast<uint32_t>(fn.size());
  std::memcpy(p, &n, sizeof n);
  std::memcpy(p + sizeof n, fn.data(), fn.size());
  p += name_part;
  if (single != nullptr) {
    n = static_cast<uint32_t>(single_len);
    std::memcpy(p, &n, sizeof n);
    if (single_len > 0) std::memcpy(p + sizeof n, single, single_len);
  } else if (items_len > 0) {
    std::memcpy(p, items, items_len);
  }
  return t;
}

mproc_status new_handle(const std::shared_ptr<state>& s, std::shared_ptr<result> r,
                        mproc_result** out) {
  *out = new mproc_result{s, std::move(r)};
  return MPROC_OK;
}

// Queues the tasks and sends what the workers can take now.
void submit(state& s, std::vector<std::unique_ptr<task_rec>> tasks) {
  for (auto& t : tasks) s.pending.push_back(std::move(t));
  dispatch(s);
}

// Counts the items of an encoded batch; MPROC_E_DECODE naming the fault when it is malformed.
mproc_status scan_batch(const char* where, const char* p, size_t batch_len, size_t* count) {
  size_t pos = 0, n = 0;
  while (pos < batch_len) {
    uint32_t len = 0;
    if (batch_len - pos < sizeof len) {
      return mproc__failf(MPROC_E_DECODE,
                          "%s: the batch is malformed: item %d at byte %d has %d bytes, too few "
                          "for its 4-byte length",
                          where, n, pos, batch_len - pos);
    }
    std::memcpy(&len, p + pos, sizeof len);
    if (batch_len - pos - sizeof len < len) {
      return mproc__failf(MPROC_E_DECODE,
                          "%s: the batch is malformed: item %d at byte %d says %d bytes, %d remain",
                          where, n, pos, len, batch_len - pos - sizeof len);
    }
    pos += sizeof len + len;
    ++n;
  }
  *count = n;
  return MPROC_OK;
}

// Duplicates a submission's handles (the caller keeps its own). *out stays null for none.
mproc_status dup_handles(const char* where, const intptr_t* handles, size_t n,
                         std::shared_ptr<const handle_list>* out) {
  if (n == 0) return MPROC_OK;
  if (handles == nullptr) {
    return mproc__failf(MPROC_E_INVAL, "%s: handles is NULL but handle_count is %d", where, n);
  }
  if (n > kMaxTaskHandles) {
    return mproc__failf(MPROC_E_RANGE, "%s: %d handles; a submission carries at most %d", where, n,
                        kMaxTaskHandles);
  }
  auto list = std::make_shared<handle_list>();
  list->handles.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    intptr_t dup = MPROC__NO_HANDLE;
    const std::string what = std::string(where) + ": handle " + std::to_string(i);
    mproc_status st = mproc__handle_dup(handles[i], what.c_str(), &dup);
    if (st != MPROC_OK) return st;
    list->handles.push_back(dup);
  }
  *out = std::move(list);
  return MPROC_OK;
}

mproc_status require_pool(const mproc_pool* pool, const char* where) {
  if (pool == nullptr) return mproc__failf(MPROC_E_INVAL, "%s: pool is NULL", where);
  return MPROC_OK;
}

mproc_status require_result(const mproc_result* r, const char* where) {
  if (r == nullptr) return mproc__failf(MPROC_E_INVAL, "%s: result is NULL", where);
  return MPROC_OK;
}

// The result's failure as the thread's last error. Not prefixed by the call's name: the failure
// is the task's, and its text names the pool.
mproc_status report_failure(const result& r, const char* where) {
  (void)where;
  return mproc__fail(r.status, r.text);
}

mproc_status wait_ready(state& s, result& r, int64_t timeout_ms) {
  // A short task's result is often microseconds away: yield a few times before sleeping.
  for (int i = 0; i < kYieldsBeforeSleep && !r.ready && timeout_ms != 0; ++i) {
    s.mu.Unlock();
    std::this_thread::yield();
    s.mu.Lock();
  }
  if (timeout_ms < 0) {
    while (!r.ready) s.cv.Wait(&s.mu);
    return MPROC_OK;
  }
  const auto deadline = deadline_after(timeout_ms);
  while (!r.ready) {
    if (s.cv.WaitWithDeadline(&s.mu, deadline) && !r.ready) return MPROC_E_TIMEOUT;
  }
  return MPROC_OK;
}

const std::vector<size_t>& part_offsets(result& r, size_t part) {
  if (r.offsets.empty()) r.offsets.resize(r.parts_total());
  std::vector<size_t>& offs = r.offsets[part];
  if (offs.empty()) {
    const size_t n = r.part_first[part + 1] - r.part_first[part];
    const char* p = r.parts[part].data();
    size_t pos = 0;
    offs.reserve(n);
    for (size_t i = 0; i < n; ++i) {
      uint32_t len;
      std::memcpy(&len, p + pos, sizeof len);
      offs.push_back(pos);
      pos += sizeof len + len;
    }
  }
  return offs;
}

}  // namespace

extern "C" {

MPROC_API mproc_status mproc_pool_create(const mproc_pool_options* opts, mproc_pool** out) {
  const char* where = "mproc_pool_create";
  if (out == nullptr) return mproc__failf(MPROC_E_INVAL, "%s: out is NULL", where);
  *out = nullptr;
  mproc_pool_options o;
  mproc_status st = mproc__read_options(where, opts, &o);
  if (st != MPROC_OK) return st;
  std::string name = o.name != nullptr ? std::string(o.name)
                                       : "Pool-" + std::to_string(++g_pool_counter);
  std::string describe = "Pool '" + name + "'";
  if (o.processes < 0) {
    return mproc__failf(MPROC_E_INVAL,
                        "%s: %s: processes is %d; a pool needs at least 1 worker (0 means one per "
                        "CPU)",
                        where, describe, o.processes);
  }
  if (o.processes > MPROC_POOL_MAX_PROCESSES) {
    return mproc__failf(MPROC_E_INVAL,
                        "%s: %s: processes is %d, above the limit of %d workers a pool may have "
                        "(MPROC_POOL_MAX_PROCESSES)",
                        where, describe, o.processes, MPROC_POOL_MAX_PROCESSES);
  }
  if (o.maxtasksperchild < 0) {
    return mproc__failf(MPROC_E_INVAL,
                        "%s: %s: maxtasksperchild is %d; use 0 (no limit) or a positive count",
                        where, describe, o.maxtasksperchild);
  }
  if (o.initargs == nullptr && o.initargs_len > 0) {
    return mproc__failf(MPROC_E_INVAL, "%s: %s: initargs is NULL but initargs_len is %d", where,
                        describe, o.initargs_len);
  }
  st = mproc__check_count(where, "initargs_len", o.initargs_len);
  if (st != MPROC_OK) return st;
  if (o.initializer != nullptr && !mproc_is_registered(o.initializer)) {
    return mproc__failf(MPROC_E_NOT_REGISTERED,
                        "%s: %s: no function is registered under the initializer's name '%s'",
                        where, describe, o.initializer);
  }
  if (o.start_method < MPROC_START_DEFAULT || o.start_method > MPROC_START_FORKSERVER) {
    return mproc__failf(MPROC_E_INVAL, "%s: %s: %d is not a start method", where, describe,
                        static_cast<int>(o.start_method));
  }
  if (o.init_handles == nullptr && o.init_handle_count > 0) {
    return mproc__failf(MPROC_E_INVAL, "%s: %s: init_handles is NULL but init_handle_count is %d",
                        where, describe, o.init_handle_count);
  }
  if (o.init_handle_count > MPROC_POOL_MAX_INIT_HANDLES) {
    return mproc__failf(MPROC_E_RANGE, "%s: %s: %d initializer handles; a worker takes at most %d",
                        where, describe, o.init_handle_count, MPROC_POOL_MAX_INIT_HANDLES);
  }
  auto s = std::make_shared<state>();
  for (size_t i = 0; i < o.init_handle_count; ++i) {
    intptr_t dup = MPROC__NO_HANDLE;
    const std::string what =
        std::string(where) + ": " + describe + ": init_handles[" + std::to_string(i) + "]";
    st = mproc__handle_dup(o.init_handles[i], what.c_str(), &dup);
    if (st != MPROC_OK) return st;  // the state closes those duplicated so far
    s->init_handles.push_back(dup);
  }
  s->self = s;
  s->name = name;
  s->describe = describe;
  s->processes = o.processes == 0 ? mproc__cpu_count() : o.processes;
  s->method = o.start_method;
  if (o.initializer != nullptr) s->initializer = o.initializer;
  if (o.initargs_len > 0) {
    s->initargs.assign(static_cast<const char*>(o.initargs), o.initargs_len);
  }
  s->maxtasks = static_cast<uint64_t>(o.maxtasksperchild);
  std::string what = describe;
  st = mproc__notifier_create(what.c_str(), &s->wake);
  if (st == MPROC_OK) st = mproc__notifier_create(what.c_str(), &s->event);
  if (st != MPROC_OK) return st;

  {
    pool_lock lock(&s->mu);
    // Started here, before the pool thread exists: under the fork method this thread forks
    // while no other thread of the pool holds a lock.
    for (int i = 0; i < s->processes; ++i) {
      std::unique_ptr<worker_slot> w;
      st = start_worker(*s, &w);
      if (st != MPROC_OK) break;
      s->workers.push_back(std::move(w));
    }
    if (st != MPROC_OK) {
      std::string why = mproc_last_error();
      for (auto& w : s->workers) {
        mproc_process_kill(w->proc);
        mproc_process_join(w->proc, MPROC_INFINITE);
      }
      return mproc__fail(st, why);
    }
  }
  auto* pool = new mproc_pool;
  pool->s = s;
  {
    pool_lock lock(&s->mu);
    pool->thread = std::thread(run, s);
    s->thread_id = pool->thread.get_id();
  }
  *out = pool;
  return MPROC_OK;
}

MPROC_API mproc_status mproc_pool_apply_async(mproc_pool* pool, const char* fn_name,
                                              const void* args, size_t args_len,
                                              mproc_result** out) {
  return mproc_pool_apply_async_v2(pool, fn_name, args, args_len, nullptr, 0, out);
}

MPROC_API mproc_status mproc_pool_apply_async_v2(mproc_pool* pool, const char* fn_name,
                                                 const void* args, size_t args_len,
                                                 const intptr_t* handles, size_t handle_count,
                                                 mproc_result** out) {
  const char* where = "mproc_pool_apply_async";
  mproc_status st = require_pool(pool, where);
  if (st != MPROC_OK) return st;
  if (out == nullptr || fn_name == nullptr || (args == nullptr && args_len > 0)) {
    return mproc__failf(MPROC_E_INVAL, "%s: NULL out or fn_name, or NULL args with args_len %d",
                        where, args_len);
  }
  *out = nullptr;
  if (args_len > UINT32_MAX) {
    return mproc__failf(MPROC_E_TOO_BIG, "%s: %d bytes of arguments; a task's are at most 4 GiB",
                        where, args_len);
  }
  state& s = *pool->s;
  std::shared_ptr<const handle_list> hs;
  st = dup_handles(where, handles, handle_count, &hs);
  if (st != MPROC_OK) return st;
  auto r = std::make_shared<result>();
  r->count = 1;
  r->part_first = {0, 1};
  r->parts.resize(1);
  std::vector<std::unique_ptr<task_rec>> tasks;
  tasks.push_back(make_task(*s.buffers, fn_name, nullptr, 0, 1,
                            args != nullptr ? static_cast<const char*>(args) : "", args_len,
                            std::move(hs)));
  tasks.back()->result = r;
  pool_lock lock(&s.mu);
  st = check_open(s, where, fn_name);
  if (st != MPROC_OK) return st;
  submit(s, std::move(tasks));
  return new_handle(pool->s, std::move(r), out);
}

MPROC_API mproc_status mproc_pool_map_async(mproc_pool* pool, const char* fn_name,
                                            const void* batch, size_t batch_len, size_t chunksize,
                                            mproc_result** out) {
  return mproc_pool_map_async_v2(pool, fn_name, batch, batch_len, chunksize, nullptr, 0, out);
}

MPROC_API mproc_status mproc_pool_map_async_v2(mproc_pool* pool, const char* fn_name,
                                               const void* batch, size_t batch_len,
                                               size_t chunksize, const intptr_t* handles,
                                               size_t handle_count, mproc_result** out) {
  const char* where = "mproc_pool_map_async";
  mproc_status st = require_pool(pool, where);
  if (st != MPROC_OK) return st;
  if (out == nullptr || fn_name == nullptr || (batch == nullptr && batch_len > 0)) {
    return mproc__failf(MPROC_E_INVAL, "%s: NULL out or fn_name, or NULL batch with batch_len %d",
                        where, batch_len);
  }
  *out = nullptr;
  st = mproc__check_count(where, "batch_len", batch_len);
  if (st != MPROC_OK) return st;
  state& s = *pool->s;
  const char* p = static_cast<const char*>(batch);
  size_t count = 0;
  st = scan_batch(where, p, batch_len, &count);  // a malformed batch fails before anything runs
  if (st != MPROC_OK) return st;
  std::shared_ptr<const handle_list> hs;
  st = dup_handles(where, handles, handle_count, &hs);
  if (st != MPROC_OK) return st;
  if (chunksize == 0) {
    size_t per = 4 * static_cast<size_t>(s.processes);
    chunksize = count == 0 ? 1 : (count + per - 1) / per;
  }
  if (chunksize > UINT32_MAX) chunksize = UINT32_MAX;
  auto r = std::make_shared<result>();
  r->count = count;
  std::vector<std::unique_ptr<task_rec>> tasks;
  size_t pos = 0;
  for (size_t first = 0; first < count; first += chunksize) {
    const size_t n = std::min(count - first, chunksize);
    const size_t begin = pos;
    for (size_t i = 0; i < n; ++i) {
      uint32_t len;
      std::memcpy(&len, p + pos, sizeof len);
      pos += sizeof len + len;
    }
    r->part_first.push_back(first);
    tasks.push_back(make_task(*s.buffers, fn_name, p + begin, pos - begin, static_cast<uint32_t>(n),
                              nullptr, 0, hs));
    tasks.back()->result = r;
    tasks.back()->part = tasks.size() - 1;
  }
  r->part_first.push_back(count);
  r->parts.resize(tasks.size());
  pool_lock lock(&s.mu);
  st = check_open(s, where, fn_name);
  if (st != MPROC_OK) return st;
  if (tasks.empty()) {
    finish(s, r);
  } else {
    submit(s, std::move(tasks));
  }
  return new_handle(pool->s, std::move(r), out);
}

MPROC_API mproc_status mproc_pool_map_begin(mproc_pool* pool, const char* fn_name, size_t count,
                                            size_t parts, mproc_result** out) {
  const char* where = "mproc_pool_map_begin";
  mproc_status st = require_pool(pool, where);
  if (st != MPROC_OK) return st;
  if (out == nullptr || fn_name == nullptr) {
    return mproc__failf(MPROC_E_INVAL, "%s: NULL out or fn_name", where);
  }
  *out = nullptr;
  state& s = *pool->s;
  if ((count == 0) != (parts == 0) || parts > count) {
    return mproc__failf(MPROC_E_INVAL,
                        "%s: %s: %d values cannot come in %d parts (each part holds at least one "
                        "value; no values, no parts)",
                        where, s.describe, count, parts);
  }
  st = mproc__check_count(where, "parts", parts, sizeof(size_t));
  if (st != MPROC_OK) return st;
  auto r = std::make_shared<result>();
  r->count = count;
  try {  // sized by the caller: no exception may cross the C ABI
    r->parts.resize(parts);
    r->part_first.assign(parts + 1, 0);
  } catch (...) {
    return mproc__status_from_exception(where);
  }
  r->part_first[parts] = count;
  r->parts_expected = parts;
  r->fn = fn_name;
  pool_lock lock(&s.mu);
  st = check_open(s, where, fn_name);
  if (st != MPROC_OK) return st;
  if (parts == 0) {
    finish(s, r);
  } else {
    r->open = true;
    s.open_maps.push_back(r);
  }
  return new_handle(pool->s, std::move(r), out);
}

MPROC_API mproc_status mproc_pool_map_part(mproc_result* r, const void* batch, size_t batch_len) {
  return mproc_pool_map_part_v2(r, batch, batch_len, nullptr, 0);
}

MPROC_API mproc_status mproc_pool_map_part_v2(mproc_result* r, const void* batch, size_t batch_len,
                                              const intptr_t* handles, size_t handle_count) {
  const char* where = "mproc_pool_map_part";
  mproc_status st = require_result(r, where);
  if (st != MPROC_OK) return st;
  if (batch == nullptr && batch_len > 0) {
    return mproc__failf(MPROC_E_INVAL, "%s: batch is NULL but batch_len is %d", where, batch_len);
  }
  state& s = *r->pool;
  result& res = *r->r;
  const char* p = static_cast<const char*>(batch);
  size_t n = 0;
  st = scan_batch(where, p, batch_len, &n);
  if (st != MPROC_OK) return st;
  if (n == 0 || n > UINT32_MAX) {
    return mproc__failf(MPROC_E_INVAL, "%s: a part holds 1 to 2^32-1 values, this one %d", where,
                        n);
  }
  std::shared_ptr<const handle_list> hs;
  st = dup_handles(where, handles, handle_count, &hs);
  if (st != MPROC_OK) return st;
  std::unique_ptr<task_rec> t = make_task(*s.buffers, res.fn, p, batch_len,
                                          static_cast<uint32_t>(n), nullptr, 0, std::move(hs));
  pool_lock lock(&s.mu);
  if (!res.open) {
    return mproc__failf(MPROC_E_STATE,
                        "%s: this map of %s takes no more parts (it has all %d, or it failed)",
                        where, s.describe, res.parts_expected);
  }
  const size_t index = res.parts_given;
  const size_t first = res.part_first[index];
  const size_t left_parts = res.parts_expected - index - 1;
  if (first + n + left_parts > res.count || (left_parts == 0 && first + n != res.count)) {
    return mproc__failf(MPROC_E_INVAL,
                        "%s: part %d of %d holds %d values, but the map has %d values and %d came "
                        "before it",
                        where, index + 1, res.parts_expected, n, res.count, first);
  }
  if (s.terminate_requested || !s.broken.empty()) {
    return mproc__failf(s.terminate_requested ? MPROC_E_CLOSED : MPROC_E_CHILD, "%s: %s is %s",
                        where, s.describe, s.terminate_requested ? "terminated" : "broken");
  }
  res.part_first[index + 1] = first + n;
  ++res.parts_given;
  if (res.parts_given == res.parts_expected) {
    res.open = false;
    s.open_maps.erase(std::find(s.open_maps.begin(), s.open_maps.end(), r->r));
  }
  t->result = r->r;
  t->part = index;
  std::vector<std::unique_ptr<task_rec>> tasks;
  tasks.push_back(std::move(t));
  submit(s, std::move(tasks));
  return MPROC_OK;
}

MPROC_API mproc_status mproc_pool_close(mproc_pool* pool) {
  mproc_status st = require_pool(pool, "mproc_pool_close");
  if (st != MPROC_OK) return st;
  pool_lock lock(&pool->s->mu);
  pool->s->closed = true;
  mproc__notifier_signal(pool->s->wake);
  return MPROC_OK;
}

namespace {

void join_thread(mproc_pool* pool) {
  pool_lock lock(&pool->thread_mu);
  if (pool->thread.joinable()) pool->thread.join();
}

}  // namespace

MPROC_API mproc_status mproc_pool_terminate(mproc_pool* pool) {
  const char* where = "mproc_pool_terminate";
  mproc_status st = require_pool(pool, where);
  if (st != MPROC_OK) return st;
  state& s = *pool->s;
  {
    pool_lock lock(&s.mu);
    if (on_pool_thread(s)) {
      return mproc__failf(MPROC_E_STATE,
                          "%s: %s: called from a result callback, which runs on the pool's own "
                          "thread; terminate from another thread",
                          where, s.describe);
    }
    s.terminate_requested = true;
    mproc__notifier_signal(s.wake);
    while (!s.thread_done) s.cv.Wait(&s.mu);
  }
  join_thread(pool);
  return MPROC_OK;
}

MPROC_API mproc_status mproc_pool_join(mproc_pool* pool, int64_t timeout_ms) {
  const char* where = "mproc_pool_join";
  mproc_status st = require_pool(pool, where);
  if (st != MPROC_OK) return st;
  st = mproc__check_timeout(where, timeout_ms);
  if (st != MPROC_OK) return st;
  state& s = *pool->s;
  {
    pool_lock lock(&s.mu);
    if (!s.closed && !s.terminate_requested) {
      return mproc__failf(MPROC_E_STATE,
                          "%s: %s is still running: call close() or terminate() before join()",
                          where, s.describe);
    }
    if (on_pool_thread(s)) {
      return mproc__failf(MPROC_E_STATE, "%s: %s: called from a result callback", where,
                          s.describe);
    }
    const auto deadline = deadline_after(timeout_ms);
    while (!s.thread_done) {
      if (s.cv.WaitWithDeadline(&s.mu, deadline) && !s.thread_done) {
        return mproc__failf(MPROC_E_TIMEOUT, "%s: %s still has work after %d ms", where,
                            s.describe, timeout_ms);
      }
    }
  }
  join_thread(pool);
  return MPROC_OK;
}

MPROC_API void mproc_pool_destroy(mproc_pool* pool) {
  if (pool == nullptr) return;
  state& s = *pool->s;
  bool detach = false;
  {
    pool_lock lock(&s.mu);
    s.terminate_requested = s.terminate_requested || !s.thread_done;
    mproc__notifier_signal(s.wake);
    if (on_pool_thread(s)) {
      detach = true;  // from a callback: the thread finishes the termination by itself
    } else {
      while (!s.thread_done) s.cv.Wait(&s.mu);
    }
  }
  if (detach) {
    pool->thread.detach();
  } else {
    join_thread(pool);
  }
  delete pool;
}

MPROC_API int mproc_pool_processes(const mproc_pool* pool) {
  return pool == nullptr ? 0 : pool->s->processes;
}

MPROC_API const char* mproc_pool_name(const mproc_pool* pool) {
  return pool == nullptr ? "" : pool->s->name.c_str();
}

MPROC_API mproc_status mproc_pool_worker_pids(mproc_pool* pool, int64_t* out, size_t cap,
                                              size_t* count) {
  const char* where = "mproc_pool_worker_pids";
  mproc_status st = require_pool(pool, where);
  if (st != MPROC_OK) return st;
  if (count == nullptr || (out == nullptr && cap > 0)) {
    return mproc__failf(MPROC_E_INVAL, "%s: NULL output", where);
  }
  state& s = *pool->s;
  pool_lock lock(&s.mu);
  size_t n = 0;
  for (auto* list : {&s.workers, &s.exiting}) {
    for (auto& w : *list) {
      if (n < cap) out[n] = w->pid;
      ++n;
    }
  }
  *count = n;
  return MPROC_OK;
}

MPROC_API mproc_status mproc_pool_event_handle(const mproc_pool* pool, intptr_t* out) {
  mproc_status st = require_pool(pool, "mproc_pool_event_handle");
  if (st != MPROC_OK) return st;
  if (out == nullptr) return mproc__fail(MPROC_E_INVAL, "mproc_pool_event_handle: out is NULL");
  *out = pool->s->event;
  return MPROC_OK;
}

MPROC_API mproc_status mproc_pool_event_clear(mproc_pool* pool) {
  mproc_status st = require_pool(pool, "mproc_pool_event_clear");
  if (st != MPROC_OK) return st;
  // Cleared before the flag drops: a completion after this re-signals.
  mproc__notifier_clear(pool->s->event);
  pool->s->event_set.store(false);
  return MPROC_OK;
}

// ---- results --------------------------------------------------------------------------------

MPROC_API mproc_status mproc_result_on_ready(mproc_result* r, mproc_result_callback cb,
                                             void* userdata) {
  const char* where = "mproc_result_on_ready";
  mproc_status st = require_result(r, where);
  if (st != MPROC_OK) return st;
  if (cb == nullptr) return mproc__failf(MPROC_E_INVAL, "%s: callback is NULL", where);
  bool call_now = false;
  {
    pool_lock lock(&r->pool->mu);
    if (r->r->cb_set) {
      return mproc__failf(MPROC_E_STATE, "%s: the result of %s already has a callback", where,
                          r->pool->describe);
    }
    r->r->cb_set = true;
    if (r->r->finished) {
      call_now = true;
    } else {
      r->r->cb = cb;
      r->r->cb_data = userdata;
    }
  }
  if (call_now) cb(r, userdata);
  return MPROC_OK;
}

MPROC_API mproc_status mproc_result_wait(mproc_result* r, int64_t timeout_ms) {
  const char* where = "mproc_result_wait";
  mproc_status st = require_result(r, where);
  if (st != MPROC_OK) return st;
  st = mproc__check_timeout(where, timeout_ms);
  if (st != MPROC_OK) return st;
  pool_lock lock(&r->pool->mu);
  st = wait_ready(*r->pool, *r->r, timeout_ms);
  if (st == MPROC_E_TIMEOUT) {
    return mproc__failf(MPROC_E_TIMEOUT, "%s: a task of %s is not done after %d ms", where,
                        r->pool->describe, timeout_ms);
  }
  return st;
}

MPROC_API mproc_status mproc_result_wait_handle(mproc_result* r, intptr_t* out) {
  const char* where = "mproc_result_wait_handle";
  mproc_status st = require_result(r, where);
  if (st != MPROC_OK) return st;
  if (out == nullptr) return mproc__failf(MPROC_E_INVAL, "%s: out is NULL", where);
  pool_lock lock(&r->pool->mu);
  result& res = *r->r;
  if (!res.has_wait_notifier) {
    std::string what = "a result of " + r->pool->describe;
    st = mproc__notifier_create(what.c_str(), &res.wait_notifier);
    if (st != MPROC_OK) return st;
    res.has_wait_notifier = true;
    if (res.ready) mproc__notifier_signal(res.wait_notifier);
  }
  *out = res.wait_notifier;
  return MPROC_OK;
}

MPROC_API int mproc_result_ready(const mproc_result* r) {
  if (r == nullptr) return 0;
  pool_lock lock(&r->pool->mu);
  return r->r->ready ? 1 : 0;
}

MPROC_API mproc_status mproc_result_wait_any(mproc_result* const* results, size_t count,
                                             int64_t timeout_ms, size_t* index) {
  const char* where = "mproc_result_wait_any";
  if (results == nullptr || count == 0 || index == nullptr) {
    return mproc__failf(MPROC_E_INVAL, "%s: no results, or index is NULL", where);
  }
  mproc_status st = mproc__check_count(where, "count", count, sizeof(mproc_result*));
  if (st == MPROC_OK) st = mproc__check_timeout(where, timeout_ms);
  if (st != MPROC_OK) return st;
  state* s = nullptr;
  for (size_t i = 0; i < count; ++i) {
    if (results[i] == nullptr) return mproc__failf(MPROC_E_INVAL, "%s: result %d is NULL", where, i);
    if (s == nullptr) s = results[i]->pool.get();
    if (results[i]->pool.get() != s) {
      return mproc__failf(MPROC_E_INVAL, "%s: the results belong to different pools", where);
    }
  }
  pool_lock lock(&s->mu);
  const auto deadline = deadline_after(timeout_ms);
  for (bool timed_out = false;; timed_out = s->cv.WaitWithDeadline(&s->mu, deadline)) {
    size_t best = count;
    for (size_t i = 0; i < count; ++i) {
      const result& r = *results[i]->r;
      if (r.ready && (best == count || r.stamp < results[best]->r->stamp)) best = i;
    }
    if (best != count) {
      *index = best;
      return MPROC_OK;
    }
    if (timed_out) {
      return mproc__failf(MPROC_E_TIMEOUT, "%s: none of %d tasks of %s is done after %d ms", where,
                          count, s->describe, timeout_ms);
    }
  }
}

MPROC_API mproc_status mproc_result_get(mproc_result* r, size_t index, int64_t timeout_ms,
                                        const void** data, size_t* len) {
  const char* where = "mproc_result_get";
  mproc_status st = require_result(r, where);
  if (st != MPROC_OK) return st;
  if (data == nullptr || len == nullptr) return mproc__failf(MPROC_E_INVAL, "%s: NULL output", where);
  st = mproc__check_timeout(where, timeout_ms);
  if (st != MPROC_OK) return st;
  pool_lock lock(&r->pool->mu);
  result& res = *r->r;
  // The callback reads its result before waiters see it ready.
  if (!res.finished && wait_ready(*r->pool, res, timeout_ms) == MPROC_E_TIMEOUT) {
    return mproc__failf(MPROC_E_TIMEOUT, "%s: a task of %s is not done after %d ms", where,
                        r->pool->describe, timeout_ms);
  }
  if (res.status != MPROC_OK) return report_failure(res, where);
  if (index >= res.count) {
    return mproc__failf(MPROC_E_RANGE, "%s: value %d asked of a result of %s with %d values",
                        where, index, r->pool->describe, res.count);
  }
  size_t part = static_cast<size_t>(
      std::upper_bound(res.part_first.begin(), res.part_first.end(), index) -
      res.part_first.begin() - 1);
  // The first value of a part starts it: an apply result (one value) needs no offset table.
  const size_t in_part = index - res.part_first[part];
  const char* p = res.parts[part].data() + (in_part == 0 ? 0 : part_offsets(res, part)[in_part]);
  uint32_t n;
  std::memcpy(&n, p, sizeof n);
  *data = p + sizeof n;
  *len = n;
  return MPROC_OK;
}

MPROC_API size_t mproc_result_count(const mproc_result* r) { return r == nullptr ? 0 : r->r->count; }

MPROC_API size_t mproc_result_parts(const mproc_result* r) {
  return r == nullptr ? 0 : r->r->parts_total();
}

MPROC_API mproc_status mproc_result_part(mproc_result* r, size_t part, const void** batch,
                                         size_t* batch_len, size_t* count) {
  const char* where = "mproc_result_part";
  mproc_status st = require_result(r, where);
  if (st != MPROC_OK) return st;
  if (batch == nullptr || batch_len == nullptr || count == nullptr) {
    return mproc__failf(MPROC_E_INVAL, "%s: NULL output", where);
  }
  pool_lock lock(&r->pool->mu);
  result& res = *r->r;
  if (!res.finished) {
    return mproc__failf(MPROC_E_STATE, "%s: the task of %s is not done (wait first)", where,
                        r->pool->describe);
  }
  if (res.status != MPROC_OK) return report_failure(res, where);
  if (part >= res.parts_total()) {
    return mproc__failf(MPROC_E_RANGE, "%s: part %d asked of a result with %d parts", where, part,
                        res.parts_total());
  }
  *batch = res.parts[part].data();
  *batch_len = res.parts[part].size;
  *count = res.part_first[part + 1] - res.part_first[part];
  return MPROC_OK;
}

MPROC_API mproc_status mproc_result_progress(const mproc_result* r, size_t* done, size_t* total) {
  const char* where = "mproc_result_progress";
  mproc_status st = require_result(r, where);
  if (st != MPROC_OK) return st;
  if (done == nullptr || total == nullptr) return mproc__failf(MPROC_E_INVAL, "%s: NULL output", where);
  pool_lock lock(&r->pool->mu);
  *done = r->r->values_done;
  *total = r->r->count;
  return MPROC_OK;
}

MPROC_API mproc_status mproc_result_error(const mproc_result* r, mproc_task_error* out) {
  const char* where = "mproc_result_error";
  mproc_status st = require_result(r, where);
  if (st != MPROC_OK) return st;
  if (out == nullptr || out->size < sizeof(size_t)) {
    return mproc__failf(MPROC_E_INVAL, "%s: out is NULL or its size is not set (use the _INIT "
                                       "macro)", where);
  }
  pool_lock lock(&r->pool->mu);
  const result& res = *r->r;
  if (!res.finished) {
    return mproc__failf(MPROC_E_STATE, "%s: the task of %s is not done (wait first)", where,
                        r->pool->describe);
  }
  mproc_task_error e{};
  e.size = out->size;
  e.status = res.status;
  e.type = res.type.c_str();
  e.message = res.message.c_str();
  e.pid = res.pid;
  e.exitcode = res.exitcode;
  // A caller built against an older, shorter struct gets the fields it knows.
  std::memcpy(static_cast<void*>(out), &e, std::min(out->size, sizeof e));
  return MPROC_OK;
}

MPROC_API void mproc_result_destroy(mproc_result* r) {
  if (r == nullptr) return;
  if (r->pool) {
    state& s = *r->pool;
    {
      pool_lock lock(&s.mu);
      if (r->r->open) {  // a map abandoned before all its parts came: nothing may wait for it
        r->r->open = false;
        s.open_maps.erase(std::find(s.open_maps.begin(), s.open_maps.end(), r->r));
        fail(s, r->r, MPROC_E_STATE, "mproc::abandoned",
             "the map was abandoned before all its parts were given",
             s.describe + ": the map was abandoned before all its parts were given", 0, 0);
        mproc__notifier_signal(s.wake);  // its callback runs on the pool thread
      }
    }
  }
  delete r;
}

}  // extern "C"
