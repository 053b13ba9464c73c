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

// ---- Shared memory that grows ----------------------------------------------------------------------
// Queues buffer any amount of data without blocking their producers, so their segment grows while
// other processes hold it. Every process reaches the added bytes through the handle it already has:
// a process that learns (from the object's own state) that the segment grew maps the range again.
// Sizes and offsets given to mproc__shm_map are multiples of MPROC__SHM_ALIGN, which is at least
// the page size on every backend.

constexpr size_t MPROC__SHM_ALIGN = 64 * 1024;

// Grows the memory behind a handle to at least size bytes (never shrinks it; a larger segment is
// left alone). The added bytes read as zero and take memory only once written. MPROC_E_NOMEM (or
// MPROC_E_OS) naming `what` when the segment cannot be that large.
mproc_status mproc__shm_grow(intptr_t handle, uint64_t size, const char* what);

// Maps size bytes of the memory behind a handle, from offset, shared and writable. The handle
// stays the caller's. Released with mproc__shm_unmap.
mproc_status mproc__shm_map(intptr_t handle, uint64_t offset, size_t size, const char* what,
                            void** out);
void mproc__shm_unmap(void* addr, size_t size);

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
// A non-recursive mutex locked again by its owner: MPROC_E_TIMEOUT for timeout 0, MPROC_E_STATE
// otherwise (it would deadlock).

size_t mproc__mutex_size();
// recursive: a backend may refuse it (MPROC_E_NOT_SUPPORTED); the core never asks for it (it counts
// an RLock's depth itself).
mproc_status mproc__mutex_init(void* mem, bool recursive);
// MPROC_OK, MPROC_E_OWNER_DIED (acquired), MPROC_E_TIMEOUT, MPROC_E_STATE (not recoverable).
mproc_status mproc__mutex_lock(void* mem, int64_t timeout_ms);
// MPROC_OK, MPROC_E_NOT_OWNER.
mproc_status mproc__mutex_unlock(void* mem);
// MPROC_OK, MPROC_E_STATE (the mutex is not in the owner-died state, or the caller does not hold it).
mproc_status mproc__mutex_consistent(void* mem);

// ---- Message channels (Pipe connections) -------------------------------------------------------
// A connected pair of OS handles carrying whole messages of any size, in order, without a process
// in between: POSIX an AF_UNIX SOCK_SEQPACKET socketpair (large messages travel as several
// packets, see posix/channel.cc), Win32 a message-mode pipe, libuv a uv_pipe with length-prefixed
// frames. A handle goes to other processes as it is (mproc_process_add_handle); all state lives in
// the OS, which is why these functions take bare handles. Channels are closed with
// mproc__handle_close. `what` names the connection and the call ("mproc_connection_send_bytes:
// Connection 'Pipe-1[0]'") and starts every error message.

// Creates a pair. duplex false: *first can only receive and *second only send (Python's order);
// the OS enforces it, so even a process that opens an end the wrong way cannot reverse it.
mproc_status mproc__channel_pair(bool duplex, const char* what, intptr_t* first, intptr_t* second);

// In a process that received `handle`: checks it is a channel end (MPROC_E_TYPE_MISMATCH when it
// is some other handle) and duplicates it (close-on-exec); the caller keeps its own.
mproc_status mproc__channel_open(intptr_t handle, const char* what, intptr_t* out);

// Sends one message of len bytes. Waits up to timeout_ms for the channel to accept the message's
// start (MPROC_E_TIMEOUT: nothing was sent); a message once started is sent whole, waiting while
// the receiver drains it. Never raises SIGPIPE. MPROC_E_EOF when no process has the other end open
// any more (or this is the receive-only end of a one-way pair).
mproc_status mproc__channel_send(intptr_t handle, const void* data, size_t len, int64_t timeout_ms,
                                 const char* what);

// Where a message being received goes, chosen by the caller once the message's size is known.
class mproc__channel_sink {
 public:
  virtual ~mproc__channel_sink() = default;
  // Where the first bytes may land before the size is known (the caller's buffer), or NULL when
  // the caller has none yet; *cap is its size. Lets one system call receive a small message.
  virtual void* first_room(size_t* cap) = 0;
  // Room for `size` bytes (non-NULL even for 0; returning first_room's pointer means the bytes
  // already there are in place), or NULL to refuse the message with *why:
  // MPROC_E_BUFFER_TOO_SHORT keeps it for a later call (see mproc__channel_held), any other
  // refusal drops it. The backend sets no error text for a refusal: the caller words it.
  virtual void* place(uint64_t size, mproc_status* why) = 0;
};

// A message refused with MPROC_E_BUFFER_TOO_SHORT after the backend had taken its start from the
// channel: the receiving connection keeps it (in this process) and hands it back to the next
// mproc__channel_recv, which delivers it before anything else. Filled and emptied by the backend.
struct mproc__channel_held {
  bool present = false;
  uint64_t size = 0;   // the whole message
  std::string start;   // its first bytes; the rest is still in the channel
  uint64_t sender = 0;  // backend-private (POSIX: the sender's pid)
};

// Receives the next message (the held one first) into the room sink->place gives. Waits up to
// timeout_ms for a message to start (MPROC_E_TIMEOUT); once one has started, waits for the rest
// while its sender lives. *size is the message's size (also when the sink refused it).
// MPROC_E_EOF: no process has the other end open any more, or the sender died mid-message (the
// partial message is dropped, never delivered). MPROC_E_CORRUPT: packets that do not form a
// message, e.g. several processes sending large messages on one end at once.
mproc_status mproc__channel_recv(intptr_t handle, int64_t timeout_ms, mproc__channel_sink* sink,
                                 mproc__channel_held* held, const char* what, uint64_t* size);

// ---- Waiting on several handles -----------------------------------------------------------------
// Readiness is the OS's "readable or hung up": a channel with a message or at its end, a process
// sentinel whose process ended, or any handle a later object (a queue) makes readable when ready.

// Waits up to timeout_ms (MPROC_INFINITE, 0 = poll) until at least one of the n handles is ready.
// Sets ready[i] to 1 or 0 and *count to how many are ready: 0 means the timeout passed. n may be
// 0 (then it only sleeps). MPROC_E_INVAL when a handle is not open, naming its index.
mproc_status mproc__handles_wait(const intptr_t* handles, size_t n, int64_t timeout_ms,
                                 const char* what, uint8_t* ready, size_t* count);

// ---- Who is calling -------------------------------------------------------------------------------
// Locks record their holder on every acquire (to answer "does the caller hold it?" for RLock and
// Condition, and to name a holder that died), so this must cost no more than a thread-local read.

// The calling thread's identity: its process id in the high 32 bits and its thread id (unique
// among the machine's live threads: a Linux tid, a Win32 thread id) in the low 32. Never 0. Cached
// per thread, and refreshed in the child of a fork (same thread, new ids).
uint64_t mproc__thread_identity();

// The backend's per-thread cache of that identity (0 until the thread's first call, and again in
// the child of a fork), declared here so the lock paths read it inline: a call per read was a
// fifth of an uncontended acquire + release. initial-exec: a plain thread-pointer-relative load
// (the library's static TLS is tiny, so the space is always there).
#if defined(__GNUC__)
extern __thread uint64_t mproc__identity_cache
    __attribute__((tls_model("initial-exec"), visibility("hidden")));
#else
extern thread_local uint64_t mproc__identity_cache;
#endif
inline uint64_t mproc__thread_identity_inline() {
  uint64_t id = mproc__identity_cache;
  if (__builtin_expect(id != 0, 1)) return id;
  return mproc__thread_identity();
}

// ---- Notifiers ---------------------------------------------------------------------
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

// A notifier is waited on with mproc__handles_wait, like any other handle.

// ---- Handles ------------------------------------------------------------------------------------

// Duplicates a handle (close-on-exec); MPROC_E_OS naming `what` on failure.
mproc_status mproc__handle_dup(intptr_t handle, const char* what, intptr_t* out);
void mproc__handle_close(intptr_t handle);

// True while a process with this id exists (for owner-died checks outside a mutex).
bool mproc__process_alive(int64_t pid);

// ---- Serial ports: pseudo-terminals and adopted handles ------------------------------------------
// The core opens serial ports through libserialport (a portability library, not an OS header).
// What it cannot do lives here: libserialport refuses pseudo-terminals (its lookup needs a sysfs
// tty entry, its open needs TIOCMGET) and cannot adopt a descriptor received from another process,
// so the POSIX backend drives those with termios itself, as pyserial does. Win32 and libuv have no
// ptys: mproc__serial_classify never says `pseudo`, and the mproc__tty_* functions return
// MPROC_E_NOT_SUPPORTED. `what` ("mproc_serial_open: serial port '/tmp/a'") starts every message.

struct mproc__tty_config {
  int32_t baudrate;   // validated by the core: > 0
  int32_t data_bits;  // 5..8
  int32_t parity;     // mproc_serial_parity
  int32_t stop_bits;  // 1 or 2
  bool xonxoff;
  bool rtscts;
};

// Before opening a port by name: MPROC_OK with *pseudo true when the backend must open it itself
// (a pseudo-terminal), false when libserialport should. Fails, naming the port, when the name does
// not exist (MPROC_E_OS, ENOENT) or is not a character device (MPROC_E_INVAL).
mproc_status mproc__serial_classify(const char* what, const char* name, bool* pseudo);

struct mproc__tty;

// Opens a pseudo-terminal (non-blocking, no controlling tty, close-on-exec) in raw mode.
mproc_status mproc__tty_open(const char* what, const char* name, mproc__tty** out);
// Duplicates a tty handle received from another process. *name_out: the device path if known.
mproc_status mproc__tty_adopt(const char* what, intptr_t handle, mproc__tty** out,
                              std::string* name_out);
mproc_status mproc__tty_configure(mproc__tty* t, const char* what, const mproc__tty_config& c);
// Never block. read: MPROC_OK with *got (0 = nothing there now), MPROC_E_EOF once the peer hung
// up. write: MPROC_OK with *put (0 = no room now), MPROC_E_EOF when the peer hung up.
mproc_status mproc__tty_read(mproc__tty* t, const char* what, void* buf, size_t cap, size_t* got);
mproc_status mproc__tty_write(mproc__tty* t, const char* what, const void* data, size_t n,
                              size_t* put);
mproc_status mproc__tty_drain(mproc__tty* t, const char* what);
mproc_status mproc__tty_flush(mproc__tty* t, const char* what, bool input, bool output);
mproc_status mproc__tty_waiting(mproc__tty* t, const char* what, size_t* input, size_t* output);
// Modem lines: MPROC_E_NOT_SUPPORTED when the device has none (a pty).
mproc_status mproc__tty_get_signals(mproc__tty* t, const char* what, uint32_t* lines);
mproc_status mproc__tty_set_line(mproc__tty* t, const char* what, bool dtr, bool on);
mproc_status mproc__tty_set_break(mproc__tty* t, const char* what, bool on);
intptr_t mproc__tty_handle(const mproc__tty* t);
void mproc__tty_close(mproc__tty* t);  // NULL harmless

// For any port's handle (libserialport's too). Waits up to timeout_ms until it is readable
// (for_write: writable) or hung up: *events is a mix of MPROC__IO_READY and MPROC__IO_HANGUP, 0
// when the time passed. Restarts after signals.
constexpr unsigned MPROC__IO_READY = 1;
constexpr unsigned MPROC__IO_HANGUP = 2;
mproc_status mproc__io_wait(intptr_t handle, const char* what, bool for_write, int64_t timeout_ms,
                            unsigned* events);
// Takes an exclusive advisory lock on an open port (flock LOCK_EX | LOCK_NB, like pyserial's
// exclusive=True): MPROC_E_STATE naming the port when another open file holds it. Win32 opens
// ports exclusively anyway and returns MPROC_OK.
mproc_status mproc__handle_lock_exclusive(intptr_t handle, const char* what);
// Keeps a handle out of programs this process execs (POSIX FD_CLOEXEC; Win32: not inheritable).
// libserialport opens ports inheritable; a spawned child must not hold the port (and its lock)
// unless it was passed on purpose.
mproc_status mproc__handle_keep_private(intptr_t handle, const char* what);

// ---- Facts about this process ---------------------------------------------------------------------

int mproc__cpu_count();
// "SIGKILL" for 9 (the platform's name for a signal number an exit code reported), or "signal N".
std::string mproc__signal_name(int sig);
int64_t mproc__current_pid();
int64_t mproc__os_parent_pid();

#endif  // MPROC_BACKENDS_BACKEND_H
