// backends/process.h — the process facet of the backend contract: starting and watching children;
// what runs inside a child.
//
// Part of the internal contract between the core and one backend (backends/backend.h lists the
// facets; backends/README.md maps every function onto POSIX, Win32 and libuv). Functions return an
// mproc_status and, on failure, have already set the thread's error text (core/status.h). OS
// handles are intptr_t and are tested with mproc__handle_valid, never by sign.
#ifndef MPROC_BACKENDS_PROCESS_H
#define MPROC_BACKENDS_PROCESS_H

#include <cstddef>
#include <cstdint>
#include <string>

#include "mproc/mproc.h"
#include "backends/caps.h"

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

// How a process ended. Three kinds, because one int cannot tell them apart on every platform: a
// Win32 crash code such as STATUS_ACCESS_VIOLATION (0xC0000005) is a negative int too, and Win32
// has no signals. The core derives Python's exitcode from it (mproc__exit_status_code).
struct mproc__exit_status {
  enum kind_t : uint32_t {
    exited = 0,    // code: the exit status (POSIX 0..255; Win32 any DWORD that is not a crash)
    signaled = 1,  // code: the signal number (POSIX only)
    crashed = 2,   // code: the OS's crash code (Win32 NTSTATUS with the error bits set)
  };
  kind_t kind = exited;
  uint32_t code = 0;
};

// Python's exitcode for a status: exited → code; signaled → -signal; crashed → the 32-bit code as
// a signed int (an NTSTATUS error such as 0xC0000005 reads as about -2^30), or INT_MIN for a code
// that would read as -1..-255: a crash never collides with -signal.
int mproc__exit_status_code(const mproc__exit_status& s);
// "exited with code 3", "killed by signal 9 (SIGKILL)", "crashed with code 0xC0000005
// (STATUS_ACCESS_VIOLATION)": for messages (names from mproc__exit_name).
std::string mproc__exit_status_describe(const mproc__exit_status& s);

// Waits up to timeout_ms (MPROC_INFINITE, 0 = poll) for the child to end and reaps it.
// MPROC_OK with *status, or MPROC_E_TIMEOUT.
mproc_status mproc__child_wait(mproc__child* c, int64_t timeout_ms, mproc__exit_status* status);

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
// The same, handing ownership to the caller; the slot is then empty (MPROC_E_STATE afterwards).
mproc_status mproc__inherited_handle_take(size_t index, intptr_t* out);

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

#endif  // MPROC_BACKENDS_PROCESS_H
