// core/pool_wire.h — what a pool and its workers share: the worker segment's layout and the
// messages on its two streams. Parent and worker run the same build, so native layout is fine.
//
// One shared segment per worker (an mproc__object of kind MPROC__OBJ_POOL_WORKER):
//   mproc__worker_ctl | task stream control | result stream control | task bytes | result bytes
// A fresh segment is made for every worker started, so a replacement never sees what its dead
// predecessor left half-written.
//
// A message on either stream is a mproc__msg_header followed by `size` body bytes, padded to a
// multiple of 8 so that every header, and the state word it starts with, is 8-byte aligned.
//
// Claiming: a task's header starts with a state word. The worker compare-and-swaps it from
// PENDING to CLAIMED before it consumes the header; the pool may compare-and-swap it from PENDING
// to REVOKED while the header is still unconsumed (to give the task to an idle worker instead),
// and the worker then skips the task. Whoever wins, both agree on whether the task ran.
#ifndef MPROC_CORE_POOL_WIRE_H
#define MPROC_CORE_POOL_WIRE_H

#include <cstddef>
#include <cstdint>
#include <string>

#include "core/pool_ring.h"

struct alignas(64) mproc__worker_ctl {
  uint32_t parent_sleeping;  // the pool's thread sleeps on the notifier: signal it on progress
  uint32_t state;            // mproc__worker_state
  uint32_t task_cap;         // stream capacities, set by the pool before the worker starts
  uint32_t result_cap;
  int64_t pid;
  uint64_t current_seq;      // the last task the worker claimed (it is running or has run it)
  uint64_t tasks_done;
  char pad[24];
};

enum mproc__worker_state : uint32_t {
  MPROC__WORKER_STARTING = 0,
  MPROC__WORKER_READY = 1,        // initializer done, serving tasks
  MPROC__WORKER_INIT_FAILED = 2,  // initializer failed; an INIT_FAILED message says why
};

enum mproc__msg_type : uint32_t {
  MPROC__MSG_TASK = 1,         // pool -> worker: body = mproc__task_body
  MPROC__MSG_QUIT = 2,         // pool -> worker: finish and exit 0
  MPROC__MSG_RESULT = 3,       // worker -> pool: body = results or an error
  MPROC__MSG_INIT_FAILED = 4,  // worker -> pool: body = error
};

enum mproc__task_state : uint32_t {
  MPROC__TASK_PENDING = 0,
  MPROC__TASK_CLAIMED = 1,
  MPROC__TASK_REVOKED = 2,
};

struct mproc__msg_header {
  uint32_t state;   // tasks: mproc__task_state; results: 0
  uint32_t type;    // mproc__msg_type
  uint64_t seq;     // the task's number on this worker's stream (results: the task's)
  uint64_t size;    // body bytes (the padding after them is not counted)
  int32_t status;   // results: MPROC_OK or the failure's status; tasks: the number of handles
                    // the task carries (0 for most: the body then has no token)
  uint32_t count;   // items in the body's batch
};
static_assert(sizeof(mproc__msg_header) == 32, "header size is part of the layout");

// TASK body: u32 name length, the registered name, padding to 8, then (only when the header's
// status, the handle count, is > 0) the u64 token of the first of the task's handles, which the
// pool exported to this worker before it wrote the task (mproc__handle_export: the others follow
// it, token + 1, ...), then the encoded batch of `count` argument packs (each a u32 byte count and
// the bytes). While the task runs, the worker gives its i-th handle to mproc_inherited_handle(i).
// RESULT body when status is MPROC_OK: the encoded batch of `count` results.
// RESULT / INIT_FAILED body otherwise: u32 type length, type, u32 message length, message.

constexpr size_t mproc__pad8(size_t n) { return (n + 7) & ~size_t{7}; }

struct mproc__worker_layout {
  size_t ctl = 0, task_ctl = 0, result_ctl = 0, task_data = 0, result_data = 0, total = 0;
  uint32_t task_cap = 0, result_cap = 0;
};

inline mproc__worker_layout mproc__worker_layout_for(uint32_t task_cap, uint32_t result_cap) {
  mproc__worker_layout l;
  l.task_cap = task_cap;
  l.result_cap = result_cap;
  l.ctl = 0;
  l.task_ctl = l.ctl + sizeof(mproc__worker_ctl);
  l.result_ctl = l.task_ctl + sizeof(mproc__ring_ctl);
  l.task_data = l.result_ctl + sizeof(mproc__ring_ctl);
  l.result_data = l.task_data + task_cap;
  l.total = l.result_data + result_cap;
  return l;
}

// Appends an error body.
inline void mproc__put_error_body(std::string& out, const std::string& type,
                                  const std::string& message) {
  uint32_t n = static_cast<uint32_t>(type.size());
  out.append(reinterpret_cast<const char*>(&n), sizeof n);
  out.append(type);
  n = static_cast<uint32_t>(message.size());
  out.append(reinterpret_cast<const char*>(&n), sizeof n);
  out.append(message);
}

// Reads an error body; false when malformed.
bool mproc__get_error_body(const char* p, size_t n, std::string* type, std::string* message);

// How a worker's failure type maps to a status: the facade reports argument decoding and result
// encoding failures under these type names (mproc/function.hpp).
int mproc__status_for_failure_type(const std::string& type);

// The worker function's registered name (the `mproc.` prefix is reserved for the library).
constexpr const char* kMprocPoolWorkerName = "mproc.pool.worker";

// What a worker is told at start (its launch record's arguments).
struct mproc__worker_config {
  std::string pool_name;
  std::string initializer;  // registered name, empty for none
  std::string initargs;
  uint64_t maxtasks = 0;    // 0: unlimited
  uint64_t init_handles = 0;  // the initializer's handles: inherited from kPoolFirstInitHandle on
};

// A worker's inherited handles: its segment (0), the pool's notifier (1), then the initializer's.
constexpr size_t kPoolFirstInitHandle = 2;

// How long a worker waits for a task's handles to reach it. They are sent before the task is
// written, so they are normally there already; the wait only bounds a broken pool.
constexpr int64_t kPoolHandleImportTimeoutMs = 30000;
std::string mproc__worker_config_encode(const mproc__worker_config& c);
bool mproc__worker_config_decode(const void* data, size_t len, mproc__worker_config* out);

#endif  // MPROC_CORE_POOL_WIRE_H
