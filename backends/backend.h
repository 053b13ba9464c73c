// backends/backend.h — the internal contract between the core and one backend.
//
// The core (registry, launch records, process state, children table, error text) is written once
// and never includes an OS header. A backend is a folder that implements the functions below;
// exactly one is compiled into the library (MPROC_BACKEND). backends/README.md maps every function
// onto its POSIX, Win32 and libuv calls.
//
// Conventions: functions return an mproc_status and, on failure, have already set the thread's
// error text through mproc__set_error/mproc__set_os_error (core/status.h). OS handles are intptr_t.
#ifndef MPROC_BACKENDS_BACKEND_H
#define MPROC_BACKENDS_BACKEND_H

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "mproc/mproc.h"

// ---- Capabilities -----------------------------------------------------------------------------

struct mproc__caps {
  bool fork;             // MPROC_START_FORK (and local callables) available
  bool forkserver;       // MPROC_START_FORKSERVER available
  bool shared_memory;    // mappings shared between processes (libuv: no; a manager serves values)
  bool process_locks;    // wait/wake on a word in shared memory (POSIX futex; Win32 kernel objects)
};
const mproc__caps& mproc__backend_caps();
mproc_start_method mproc__default_start_method();

// ---- Starting and watching a child (parent side) ------------------------------------------------

// What the core asks a backend to start. `launch` is the core's encoded launch record: the backend
// carries it to the child unchanged and the child hands it back to mproc__core_run_child().
struct mproc__start_request {
  mproc_start_method method;  // never MPROC_START_DEFAULT
  const void* launch;
  size_t launch_len;
  mproc_fn local_fn;  // FORK only: run this instead of a registered name (else NULL)
  void* local_userdata;
  // OS handles the child must receive (shared objects passed as arguments). In the child,
  // mproc__inherited_handle(i) gives the i-th one, whatever number it got there.
  const intptr_t* handles;
  size_t handle_count;
};

struct mproc__child;  // the backend's record of one started child

// Creates the child. Blocks only while the OS creates it. *out is owned by the core and released
// with mproc__child_release.
mproc_status mproc__child_start(const mproc__start_request* req, mproc__child** out);

// Waits up to timeout_ms (MPROC_INFINITE, 0 = poll) for the child to end and reaps it.
// MPROC_OK with *exitcode (>= 0 exit status, -N killed by signal N) or MPROC_E_TIMEOUT.
mproc_status mproc__child_wait(mproc__child* c, int64_t timeout_ms, int* exitcode);

// Sends terminate (graceful) or kill (immediate). A child that ended already: MPROC_OK.
mproc_status mproc__child_signal(mproc__child* c, bool kill_now);

int64_t mproc__child_pid(const mproc__child* c);

// Readable/signalled once the child has ended. Owned by the child record.
intptr_t mproc__child_sentinel(const mproc__child* c);

// After the child ended: did it reach mproc_init (its bootstrap), and the failure text it
// reported (empty if none). Never blocks.
void mproc__child_report(mproc__child* c, bool* reached_init, std::string* failure);

// Closes the record's handles. Never signals or waits: a child still running keeps running.
void mproc__child_release(mproc__child* c);

// ---- Inside a child -----------------------------------------------------------------------------

// Called by mproc_init. When this process was started by the backend (spawn, or the forkserver
// itself) it never returns: it ends in mproc__core_run_child or the server loop. Otherwise returns.
void mproc__child_bootstrap(int argc, char** argv);

// True when the environment says mproc spawned this program but mproc__child_bootstrap has not run:
// main() forgot mproc_init. The core then refuses to start processes, so a forgotten call cannot
// fork-bomb.
bool mproc__spawned_without_init();

// The i-th handle the parent passed (see mproc__start_request.handles). MPROC_E_RANGE if absent.
mproc_status mproc__inherited_handle(size_t index, intptr_t* out);

// Child-side reports to the parent (at most a few KiB; never blocks).
void mproc__report_reached_init();
void mproc__report_failure(const std::string& text);

// Starts watching the process that asked for this one (its pid from the launch record).
void mproc__parent_watch(int64_t parent_pid);
bool mproc__parent_alive();

// Flushes the C stdio buffers and ends the process at once with the code, running no static
// destructors (the child of a fork must not run the parent's).
[[noreturn]] void mproc__exit(int code);

// Defined by the core, called by the backend in a new child: decodes the launch record, runs the
// function (or local_fn under FORK), reports, joins the child's own children, exits.
[[noreturn]] void mproc__core_run_child(const void* launch, size_t launch_len, mproc_fn local_fn,
                                        void* local_userdata);

// Defined by the core, called by the backend in the child right after a fork: forget the parent's
// children table and per-process state.
void mproc__core_after_fork_child();

// ---- Shared memory -------------------------------------------------------------------------------
// An anonymous mapping shared between processes, reachable only through its handle (POSIX memfd,
// Win32 unnamed file mapping): nothing to leak in a namespace when processes die. The handle is
// what a child receives (mproc_process_add_handle); the child maps the same memory with
// mproc__shm_open. libuv has no shared memory (caps.shared_memory false): its objects are served by
// a manager instead.

struct mproc__shm;

// Creates and maps size bytes, zero-filled. `what` names the object in error messages.
mproc_status mproc__shm_create(size_t size, const char* what, mproc__shm** out);

// Maps the memory behind a handle this process received. The handle is duplicated: the caller
// keeps ownership of its own.
mproc_status mproc__shm_open(intptr_t handle, const char* what, mproc__shm** out);

void* mproc__shm_addr(const mproc__shm* shm);
size_t mproc__shm_size(const mproc__shm* shm);
intptr_t mproc__shm_handle(const mproc__shm* shm);  // owned by shm
void mproc__shm_close(mproc__shm* shm);             // unmaps; NULL harmless

// ---- Waiting on a word in shared memory -----------------------------------------------------------
// The building block of every blocking shared object (futex on Linux; WaitOnAddress is
// process-local on Win32, so that backend pairs each word with a kernel event in the mapping's
// name space).

// Blocks while *word == expected, up to timeout_ms. MPROC_OK when woken or the value differed
// (callers re-check: spurious wake-ups happen), MPROC_E_TIMEOUT.
mproc_status mproc__word_wait(uint32_t* word, uint32_t expected, int64_t timeout_ms);
// Wakes up to count waiters (INT32_MAX: all).
void mproc__word_wake(uint32_t* word, int32_t count);

// ---- Robust process-shared mutex --------------------------------------------------------------
// Lives in shared memory (mproc__mutex_size() bytes, suitably aligned at 64). When its owner dies,
// the next lock succeeds and returns MPROC_E_OWNER_DIED: the caller repairs the state and calls
// mproc__mutex_consistent, or unlocks without it and the mutex becomes unusable (MPROC_E_STATE).

size_t mproc__mutex_size();
mproc_status mproc__mutex_init(void* mem, bool recursive);
// MPROC_OK, MPROC_E_OWNER_DIED (acquired), MPROC_E_TIMEOUT, MPROC_E_STATE (not recoverable).
mproc_status mproc__mutex_lock(void* mem, int64_t timeout_ms);
// MPROC_OK, MPROC_E_NOT_OWNER.
mproc_status mproc__mutex_unlock(void* mem);
mproc_status mproc__mutex_consistent(void* mem);

// ---- Notifiers and waiting on several handles ---------------------------------------------------
// A notifier is an OS handle that any process holding it can make ready (readable / signalled) and
// that its owner waits on together with other handles, such as process sentinels: how a pool's
// result thread sleeps until a worker has news or a worker dies, and the handle an outside event
// loop waits on (POSIX eventfd; Win32 manual-reset event; libuv uv_async on the loop thread).

// Creates a notifier, not ready. Close it with mproc__handle_close. `what` names it in messages.
mproc_status mproc__notifier_create(const char* what, intptr_t* out);
// Makes it ready (stays ready until cleared). Safe from any process and thread; never blocks.
void mproc__notifier_signal(intptr_t notifier);
// Makes it not ready. Never blocks.
void mproc__notifier_clear(intptr_t notifier);

// Waits up to timeout_ms until at least one of the handles is ready (a notifier signalled, a
// sentinel's process ended). MPROC_OK with ready[i] set for each ready one, MPROC_E_TIMEOUT.
mproc_status mproc__wait_handles(const intptr_t* handles, size_t count, int64_t timeout_ms,
                                 bool* ready);

// ---- Handles ------------------------------------------------------------------------------------

// Duplicates a handle (close-on-exec); MPROC_E_OS naming `what` on failure.
mproc_status mproc__handle_dup(intptr_t handle, const char* what, intptr_t* out);
void mproc__handle_close(intptr_t handle);

// True while a process with this id exists (for owner-died checks outside a mutex).
bool mproc__process_alive(int64_t pid);

// ---- Facts about this process ---------------------------------------------------------------------

int mproc__cpu_count();
// "SIGKILL" for 9 (the platform's name for a signal number an exit code reported), or "signal N".
std::string mproc__signal_name(int sig);
int64_t mproc__current_pid();
int64_t mproc__os_parent_pid();

#endif  // MPROC_BACKENDS_BACKEND_H
