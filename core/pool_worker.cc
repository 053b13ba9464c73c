// core/pool_worker.cc — the loop every pool worker runs: read a task, claim it, call the
// registered function on each argument pack of its batch, write the results back.
//
// The loop is itself a registered function ("mproc.pool.worker"), registered when libmproc loads,
// so every run of every program that links mproc has it: a worker is an ordinary mproc process and
// starts the same way under fork, spawn and forkserver.
#include <cstring>
#include <exception>
#include <memory>
#include <string>
#include <thread>

#include "backends/backend.h"
#include "core/object.h"
#include "core/pool_wire.h"
#include "core/registry.h"
#include "core/status.h"

namespace {

// How often a waiting worker checks that its pool's process is still alive: a worker whose
// parent died (SIGKILL, no chance to stop it) must not linger.
constexpr int64_t kParentCheckMs = 500;
constexpr int kYieldsBeforeSleep = 50;

template <typename T>
void put(std::string& out, T v) {
  out.append(reinterpret_cast<const char*>(&v), sizeof v);
}

struct Worker {
  std::unique_ptr<mproc__object> seg;
  mproc__worker_ctl* ctl = nullptr;
  mproc__ring tasks, results;
  intptr_t notifier = MPROC__NO_HANDLE;
  mproc__worker_config cfg;
  std::string body;  // the current task's body, reused
  mproc__bytes out;  // the current result message, reused
  std::string cached_name;
  mproc__registered cached_fn;
  bool cached_found = false;
};

// The pool's thread sleeps on the notifier only after raising parent_sleeping, so a busy pool
// costs the worker one load per message.
void signal_parent(Worker& w) {
  if (__atomic_load_n(&w.ctl->parent_sleeping, __ATOMIC_SEQ_CST) != 0 &&
      __atomic_exchange_n(&w.ctl->parent_sleeping, 0u, __ATOMIC_SEQ_CST) != 0) {
    mproc__notifier_signal(w.notifier);
  }
}

// Waits until n bytes of the task stream are readable; false when the parent is gone.
bool wait_task_bytes(Worker& w, size_t n) {
  // A pool fed a stream of short tasks sends the next one within microseconds: yielding a few
  // times first saves the two system calls and context switches of a sleep and a wake-up.
  for (int i = 0; i < kYieldsBeforeSleep && w.tasks.readable() < n; ++i) {
    std::this_thread::yield();
  }
  while (w.tasks.readable() < n) {
    if (w.tasks.wait_readable(kParentCheckMs) == MPROC_E_TIMEOUT && !mproc__parent_alive()) {
      return false;
    }
  }
  return true;
}

bool read_task_bytes(Worker& w, char* out, size_t n) {
  while (n > 0) {
    if (!wait_task_bytes(w, 1)) return false;
    size_t got = w.tasks.read(out, n);
    signal_parent(w);  // the pool may be waiting for room to write more
    if (out != nullptr) out += got;
    n -= got;
  }
  return true;
}

bool skip_task_bytes(Worker& w, size_t n) {
  while (n > 0) {
    if (!wait_task_bytes(w, 1)) return false;
    size_t avail = w.tasks.readable();
    size_t take = avail < n ? avail : n;
    w.tasks.consume(take);
    signal_parent(w);
    n -= take;
  }
  return true;
}

bool write_results(Worker& w, const char* p, size_t n) {
  while (n > 0) {
    size_t put_n = w.results.write(p, n);
    if (put_n > 0) signal_parent(w);
    p += put_n;
    n -= put_n;
    if (n == 0) break;
    uint32_t want = n < w.results.capacity() ? static_cast<uint32_t>(n) : w.results.capacity();
    if (w.results.wait_writable(want, kParentCheckMs) == MPROC_E_TIMEOUT &&
        !mproc__parent_alive()) {
      return false;
    }
  }
  return true;
}

// Zero-pads w.out to a multiple of 8 bytes, as every message on a stream is.
void pad_out(Worker& w) {
  const size_t padded = mproc__pad8(w.out.size());
  const size_t extra = padded - w.out.size();
  if (extra > 0) std::memset(w.out.grow(extra), 0, extra);
}

// Builds a RESULT (or INIT_FAILED) message with an error body in w.out.
void error_message(Worker& w, uint32_t type, uint64_t seq, int status, const std::string& etype,
                   const std::string& message) {
  std::string body;
  mproc__put_error_body(body, etype, message);
  mproc__msg_header h{};
  h.type = type;
  h.seq = seq;
  h.size = body.size();
  h.status = status;
  w.out.clear();
  w.out.append(&h, sizeof h);
  w.out.append(body.data(), body.size());
  pad_out(w);
}

bool lookup(Worker& w, const std::string& name, mproc__registered* fn) {
  if (!w.cached_found || name != w.cached_name) {
    w.cached_found = mproc__registry_find(name, &w.cached_fn);
    w.cached_name = w.cached_found ? name : std::string();
    if (!w.cached_found) return false;
  }
  *fn = w.cached_fn;
  return true;
}

// Calls fn on one argument pack; false (with call->failed set) when it failed. With call->batch
// set, the result lands on the batch's end (an empty one when fn set none).
bool call_one(const mproc__registered& fn, const char* args, size_t len, mproc_call* call) {
  call->failed = false;
  call->has_result = false;
  call->result.clear();
  if (call->batch != nullptr) call->batch_mark = call->batch->size();
  int code = 0;
  try {
    code = fn.fn(len > 0 ? args : nullptr, len, call, fn.userdata);
  } catch (const std::exception& e) {
    mproc_call_fail(call, "unknown exception", e.what());
  } catch (...) {
    // A C function cannot throw; a C++ function registered through the C ABI might.
    mproc_call_fail(call, "unknown exception", "a C++ exception escaped the function");
  }
  if (!call->failed && code != 0) {
    call->failed = true;
    call->fail_type = "error";
    call->fail_message = "the function returned " + std::to_string(code) +
                         " without reporting a failure (mproc_call_fail)";
  }
  if (!call->failed && call->batch != nullptr && !call->has_result) {
    const uint32_t none = 0;  // a function returning nothing: an empty value
    call->batch->append(&none, sizeof none);
  }
  return !call->failed;
}

// Runs the task whose body is in w.body and leaves the RESULT message in w.out.
void run_task(Worker& w, const mproc__msg_header& task) {
  const char* p = w.body.data();
  const size_t n = static_cast<size_t>(task.size);
  uint32_t name_len = 0;
  if (n < sizeof name_len) {
    error_message(w, MPROC__MSG_RESULT, task.seq, MPROC_E_DECODE, "mproc::decode_error",
                  "malformed task (no function name)");
    return;
  }
  std::memcpy(&name_len, p, sizeof name_len);
  size_t pos = mproc__pad8(sizeof name_len + size_t{name_len});
  if (pos > n) {
    error_message(w, MPROC__MSG_RESULT, task.seq, MPROC_E_DECODE, "mproc::decode_error",
                  "malformed task (truncated function name)");
    return;
  }
  std::string name(p + sizeof name_len, name_len);
  mproc__registered fn;
  if (!lookup(w, name, &fn)) {
    error_message(w, MPROC__MSG_RESULT, task.seq, MPROC_E_NOT_REGISTERED, "mproc::error",
                  "no function is registered as '" + name + "' in worker pid " +
                      std::to_string(mproc__current_pid()) +
                      "; register it before mproc_init() so every process of the program has it");
    return;
  }
  w.out.clear();
  // Room for the usual small results, so that the appends below rarely grow the buffer.
  w.out.reserve(sizeof(mproc__msg_header) + size_t{task.count} * 16);
  w.out.grow(sizeof(mproc__msg_header));  // the header, written last
  mproc_call call;
  call.batch = &w.out;
  for (uint32_t i = 0; i < task.count; ++i) {
    uint32_t len = 0;
    if (n - pos < sizeof len) {
      error_message(w, MPROC__MSG_RESULT, task.seq, MPROC_E_DECODE, "mproc::decode_error",
                    "malformed task batch (item " + std::to_string(i) + " has no length)");
      return;
    }
    std::memcpy(&len, p + pos, sizeof len);
    pos += sizeof len;
    if (n - pos < len) {
      error_message(w, MPROC__MSG_RESULT, task.seq, MPROC_E_DECODE, "mproc::decode_error",
                    "malformed task batch (item " + std::to_string(i) + " is truncated)");
      return;
    }
    if (!call_one(fn, p + pos, len, &call)) {
      error_message(w, MPROC__MSG_RESULT, task.seq,
                    mproc__status_for_failure_type(call.fail_type), call.fail_type,
                    call.fail_message);
      return;
    }
    pos += len;
  }
  mproc__msg_header h{};
  h.type = MPROC__MSG_RESULT;
  h.seq = task.seq;
  h.size = w.out.size() - sizeof h;
  h.status = MPROC_OK;
  h.count = task.count;
  std::memcpy(w.out.data(), &h, sizeof h);
  pad_out(w);
}

int fail(mproc_call* call, const std::string& message) {
  mproc_call_fail(call, "mproc::error", message.c_str());
  return 1;
}

int worker_main(const void* args, size_t len, mproc_call* outer, void*) {
  Worker w;
  if (!mproc__worker_config_decode(args, len, &w.cfg)) {
    return fail(outer, "pool worker: malformed start record");
  }
  intptr_t seg_handle = MPROC__NO_HANDLE;
  if (mproc__inherited_handle(0, &seg_handle) != MPROC_OK ||
      mproc__inherited_handle(1, &w.notifier) != MPROC_OK) {
    return fail(outer, "pool worker: " + std::string(mproc_last_error()));
  }
  mproc__object* seg = nullptr;
  if (mproc__object::open(seg_handle, MPROC__OBJ_POOL_WORKER, 0, &seg) != MPROC_OK) {
    return fail(outer, "pool worker: " + std::string(mproc_last_error()));
  }
  w.seg.reset(seg);
  char* base = static_cast<char*>(seg->payload());
  w.ctl = reinterpret_cast<mproc__worker_ctl*>(base);
  mproc__worker_layout l = mproc__worker_layout_for(w.ctl->task_cap, w.ctl->result_cap);
  if (l.total > seg->payload_size()) return fail(outer, "pool worker: segment too small");
  w.tasks = mproc__ring(seg->shm(), reinterpret_cast<mproc__ring_ctl*>(base + l.task_ctl), base + l.task_data,
                        l.task_cap);
  w.results = mproc__ring(seg->shm(), reinterpret_cast<mproc__ring_ctl*>(base + l.result_ctl),
                          base + l.result_data, l.result_cap);
  __atomic_store_n(&w.ctl->pid, mproc__current_pid(), __ATOMIC_RELEASE);

  if (!w.cfg.initializer.empty()) {
    mproc__registered init;
    mproc_call call;
    std::string failure_type, failure;
    if (!mproc__registry_find(w.cfg.initializer, &init)) {
      failure_type = "mproc::error";
      failure = "no function is registered as '" + w.cfg.initializer + "' in the worker";
    } else if (!call_one(init, w.cfg.initargs.data(), w.cfg.initargs.size(), &call)) {
      failure_type = call.fail_type;
      failure = call.fail_message;
    }
    if (!failure_type.empty()) {
      error_message(w, MPROC__MSG_INIT_FAILED, 0, mproc__status_for_failure_type(failure_type),
                    failure_type, failure);
      __atomic_store_n(&w.ctl->state, uint32_t{MPROC__WORKER_INIT_FAILED}, __ATOMIC_RELEASE);
      write_results(w, w.out.data(), w.out.size());
      mproc_call_fail(outer, failure_type.c_str(),
                      ("the pool's initializer '" + w.cfg.initializer + "' failed: " + failure)
                          .c_str());
      return 1;
    }
  }
  __atomic_store_n(&w.ctl->state, uint32_t{MPROC__WORKER_READY}, __ATOMIC_RELEASE);

  for (;;) {
    if (!wait_task_bytes(w, sizeof(mproc__msg_header))) return 0;  // the pool's process is gone
    mproc__msg_header h;
    w.tasks.peek(0, &h, sizeof h);
    const size_t rest = mproc__pad8(static_cast<size_t>(h.size));
    if (h.type == MPROC__MSG_QUIT) {
      w.tasks.consume(sizeof h);
      signal_parent(w);
      return 0;
    }
    if (h.type != MPROC__MSG_TASK) return fail(outer, "pool worker: corrupt task stream");
    uint32_t expected = MPROC__TASK_PENDING;
    bool run = __atomic_compare_exchange_n(w.tasks.word_at_head(0), &expected,
                                           uint32_t{MPROC__TASK_CLAIMED}, false, __ATOMIC_SEQ_CST,
                                           __ATOMIC_SEQ_CST);
    if (run) __atomic_store_n(&w.ctl->current_seq, h.seq, __ATOMIC_RELEASE);
    w.tasks.consume(sizeof h);
    signal_parent(w);
    if (!run) {  // revoked: the pool gave it to another worker
      if (!skip_task_bytes(w, rest)) return 0;
      continue;
    }
    if (w.body.size() < rest) w.body.resize(rest);
    if (!read_task_bytes(w, &w.body[0], rest)) return 0;
    run_task(w, h);
    if (!write_results(w, w.out.data(), w.out.size())) return 0;
    uint64_t done = __atomic_add_fetch(&w.ctl->tasks_done, 1, __ATOMIC_RELEASE);
    if (w.cfg.maxtasks != 0 && done >= w.cfg.maxtasks) return 0;  // the pool starts a new one
  }
}

// Registered when the library loads, before any mproc_init.
const bool g_registered = [] {
  mproc__register_internal(kMprocPoolWorkerName, &worker_main, nullptr);
  return true;
}();

}  // namespace

bool mproc__get_error_body(const char* p, size_t n, std::string* type, std::string* message) {
  uint32_t len = 0;
  if (n < sizeof len) return false;
  std::memcpy(&len, p, sizeof len);
  p += sizeof len;
  n -= sizeof len;
  if (n < len) return false;
  type->assign(p, len);
  p += len;
  n -= len;
  if (n < sizeof len) return false;
  std::memcpy(&len, p, sizeof len);
  p += sizeof len;
  n -= sizeof len;
  if (n < len) return false;
  message->assign(p, len);
  return true;
}

int mproc__status_for_failure_type(const std::string& type) {
  if (type == "mproc::decode_error") return MPROC_E_DECODE;
  if (type == "mproc::encode_error") return MPROC_E_ENCODE;
  return MPROC_E_REMOTE;
}

std::string mproc__worker_config_encode(const mproc__worker_config& c) {
  std::string out;
  auto put_string = [&out](const std::string& s) {
    put<uint64_t>(out, s.size());
    out.append(s);
  };
  put_string(c.pool_name);
  put_string(c.initializer);
  put_string(c.initargs);
  put<uint64_t>(out, c.maxtasks);
  return out;
}

bool mproc__worker_config_decode(const void* data, size_t len, mproc__worker_config* out) {
  const char* p = static_cast<const char*>(data);
  size_t left = data == nullptr ? 0 : len;
  auto get_u64 = [&](uint64_t* v) {
    if (left < sizeof *v) return false;
    std::memcpy(v, p, sizeof *v);
    p += sizeof *v;
    left -= sizeof *v;
    return true;
  };
  auto get_string = [&](std::string* s) {
    uint64_t n = 0;
    if (!get_u64(&n) || n > left) return false;
    s->assign(p, static_cast<size_t>(n));
    p += n;
    left -= static_cast<size_t>(n);
    return true;
  };
  return get_string(&out->pool_name) && get_string(&out->initializer) &&
         get_string(&out->initargs) && get_u64(&out->maxtasks) && left == 0;
}
