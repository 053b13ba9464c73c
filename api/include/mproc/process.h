/* mproc/process.h — a child process running a registered function (Python's Process).
 *
 * Life cycle: create → (set name / daemon) → start → join (or terminate / kill, then join) →
 * destroy. Handles are not thread-safe: use one from one thread at a time. */
#ifndef MPROC_PROCESS_H
#define MPROC_PROCESS_H

#include "mproc/common.h"
#include "mproc/init.h"
#include "mproc/registry.h"

MPROC_EXTERN_C_BEGIN

typedef struct mproc_process mproc_process;

typedef struct mproc_process_options {
  size_t size;                     /* sizeof(mproc_process_options); set by the _INIT macro */
  const char* name;                /* NULL: "Process-N", N counting from 1 per parent */
  int daemon;                      /* 1: terminated when the parent exits (see below) */
  mproc_start_method start_method; /* MPROC_START_DEFAULT: the global method */
} mproc_process_options;

#define MPROC_PROCESS_OPTIONS_INIT \
  { sizeof(mproc_process_options), NULL, 0, MPROC_START_DEFAULT }

/* Creates a process that will run the function registered under fn_name with a copy of the
 * args_len bytes at args. opts may be NULL (defaults). The caller owns *out and must destroy it.
 * Errors: MPROC_E_INVAL (NULL out or name, args NULL with args_len > 0, options too long),
 * MPROC_E_NOT_REGISTERED (nothing under fn_name here; the message names it),
 * MPROC_E_NOT_SUPPORTED (start method unavailable), MPROC_E_NOMEM. Does not block. */
MPROC_API mproc_status mproc_process_create(const char* fn_name, const void* args,
                                            size_t args_len, const mproc_process_options* opts,
                                            mproc_process** out);

/* Like mproc_process_create, but the child calls fn(NULL, 0, call, userdata) directly. Only the
 * FORK start method can do this (the child shares the parent's memory image): other methods
 * fail with MPROC_E_NOT_SUPPORTED. POSIX only. */
MPROC_API mproc_status mproc_process_create_local(mproc_fn fn, void* userdata,
                                                  const mproc_process_options* opts,
                                                  mproc_process** out);

/* Sets the name before start (copied). Errors: MPROC_E_STATE after start, MPROC_E_INVAL. */
MPROC_API mproc_status mproc_process_set_name(mproc_process* p, const char* name);

/* Sets the daemon flag before start. A daemonic child is terminated (then joined) when its
 * parent exits normally; a non-daemonic one is joined. A daemonic process may not start
 * children of its own (MPROC_E_STATE), as in Python. Errors: MPROC_E_STATE after start. */
MPROC_API mproc_status mproc_process_set_daemon(mproc_process* p, int daemon);

/* Passes an OS handle to the child: a shared object's handle, or any POSIX fd / Win32 HANDLE the
 * child should have. The handle is duplicated now, so the caller keeps ownership of its own.
 * *index (may be NULL) is what the child gives mproc_inherited_handle(): handles are numbered 0, 1,
 * ... in the order added. Before start only. Errors: MPROC_E_STATE after start, MPROC_E_RANGE
 * (more than 240 handles), MPROC_E_OS (not a valid handle). */
MPROC_API mproc_status mproc_process_add_handle(mproc_process* p, intptr_t handle, size_t* index);

/* In a child: the index-th handle its parent passed with mproc_process_add_handle (the number may
 * differ from the parent's). Owned by the library for the life of the process: duplicate it to
 * keep your own. Errors: MPROC_E_RANGE (no such handle; the message says how many there are). */
MPROC_API mproc_status mproc_inherited_handle(size_t index, intptr_t* out);

/* Like mproc_inherited_handle, but the caller takes the handle over: it closes it (with
 * mproc_handle_close) when done, so that closing an object received from the parent really
 * closes it here (a Pipe end's peer then sees EOF while this process lives on). Later calls for
 * the same index fail with MPROC_E_STATE. Errors: MPROC_E_RANGE, MPROC_E_STATE. */
MPROC_API mproc_status mproc_inherited_handle_take(size_t index, intptr_t* out);

/* Duplicates an OS handle (close-on-exec; not inherited by spawned programs unless passed). The
 * caller owns *out and releases it with mproc_handle_close. Errors: MPROC_E_OS (not a valid
 * handle). Thread-safe. */
MPROC_API mproc_status mproc_handle_dup(intptr_t handle, intptr_t* out);

/* Closes an OS handle obtained from mproc_handle_dup. A negative handle is ignored. */
MPROC_API void mproc_handle_close(intptr_t handle);

/* Starts the child. Blocks only while the OS creates it (and, under FORKSERVER, until the
 * server reports the pid). Errors: MPROC_E_STATE (started before, or called in a daemonic
 * child), MPROC_E_NO_INIT (this program was spawned by mproc but main() did not call
 * mproc_init; nothing is started, so a forgotten call cannot fork-bomb), MPROC_E_OS. */
MPROC_API mproc_status mproc_process_start(mproc_process* p);

/* Waits up to timeout_ms for the child to end and reaps it. MPROC_OK once it has ended (read
 * the result with mproc_process_exitcode); MPROC_E_TIMEOUT if it is still running;
 * MPROC_E_NO_INIT if it ended without ever reaching mproc_init() (spawned program whose main
 * lacks the call; mproc_last_error says so). Errors: MPROC_E_STATE (not started),
 * MPROC_E_INVAL (timeout below -1). Joining an ended process again returns at once. */
MPROC_API mproc_status mproc_process_join(mproc_process* p, int64_t timeout_ms);

/* *alive = 1 while started and not ended. Never blocks; reaps a child that has ended. */
MPROC_API mproc_status mproc_process_is_alive(mproc_process* p, int* alive);

/* The child's process id. Errors: MPROC_E_STATE before start. */
MPROC_API mproc_status mproc_process_pid(const mproc_process* p, int64_t* pid);

/* *ended = 0 while the child runs (then *exitcode is left alone). After it ended: *ended = 1 and
 * *exitcode is its exit status (0 success; the function's return value or exit() code; 1 after
 * a failure reported with mproc_call_fail or an uncaught C++ exception), or -N when signal N
 * killed it. Before start: *ended = 0, like Python's None. Does not wait (use join); does check
 * without blocking. */
MPROC_API mproc_status mproc_process_exitcode(mproc_process* p, int* ended, int* exitcode);

/* Python's Process.close(): releases what the process object holds (its record of the child, the
 * sentinel, handles not yet passed). Errors: MPROC_E_STATE while the child runs (join, terminate
 * or kill it first). Closing twice, or closing a process never started, is harmless. Afterwards
 * every call that needs the child (start, join, is_alive, pid, exitcode, terminate, kill,
 * sentinel, add_handle) fails with MPROC_E_CLOSED naming the process; name and daemon still
 * answer; mproc_process_destroy is still needed. Not thread-safe against other calls on p. */
MPROC_API mproc_status mproc_process_close(mproc_process* p);

/* Asks the child to stop (SIGTERM on POSIX; exit code -15) / stops it at once (SIGKILL, -9).
 * No-op on a child that has ended. Errors: MPROC_E_STATE before start. Does not wait. */
MPROC_API mproc_status mproc_process_terminate(mproc_process* p);
MPROC_API mproc_status mproc_process_kill(mproc_process* p);

/* An OS handle that becomes readable (POSIX fd) or signalled (Win32 HANDLE) when the child has
 * ended, for poll/select/WaitForMultipleObjects or an event loop. Owned by p: do not close it;
 * valid until destroy. Errors: MPROC_E_STATE before start. */
MPROC_API mproc_status mproc_process_sentinel(const mproc_process* p, intptr_t* handle);

/* The process's name. Owned by p; valid until the name changes or p is destroyed. */
MPROC_API const char* mproc_process_name(const mproc_process* p);

/* 1 when daemonic. */
MPROC_API int mproc_process_daemon(const mproc_process* p);

/* The start method the process uses (never DEFAULT). */
MPROC_API mproc_start_method mproc_process_start_method(const mproc_process* p);

/* The failure the child reported ("<type>: <message>", e.g. an uncaught exception or an argument
 * that failed to decode), or NULL when it reported none. Available once the child has ended.
 * Owned by p. */
MPROC_API const char* mproc_process_failure(const mproc_process* p);

/* Releases p. A child still running keeps running: a daemonic one is terminated and a
 * non-daemonic one joined when this process exits, as in Python; either is reaped earlier by
 * mproc_active_children(). NULL is harmless. Never blocks. */
MPROC_API void mproc_process_destroy(mproc_process* p);

/* Information on one child that has been started and not yet seen to end. */
typedef struct mproc_child_info {
  int64_t pid;
  char name[64]; /* truncated, NUL-terminated */
} mproc_child_info;

/* Reaps children that have ended, then lists up to cap live ones into out (out may be NULL when
 * cap is 0) and sets *count to how many are alive (possibly more than cap). Thread-safe. */
MPROC_API mproc_status mproc_active_children(mproc_child_info* out, size_t cap, size_t* count);

MPROC_EXTERN_C_END

#endif /* MPROC_PROCESS_H */
