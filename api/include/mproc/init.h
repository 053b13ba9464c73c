/* mproc/init.h — program start-up, start methods, and facts about the current process.
 *
 * mproc_init(argc, argv) at the top of main is the counterpart of Python's
 * `if __name__ == '__main__':`. In a process that mproc started (spawn, or the forkserver) it
 * runs the requested registered function and exits, never returning; in any other process it
 * returns MPROC_OK at once. */
#ifndef MPROC_INIT_H
#define MPROC_INIT_H

#include "mproc/common.h"

MPROC_EXTERN_C_BEGIN

/* How a child process is created.
 * - FORK: the child is a copy of the parent (POSIX only). Fast, but forking a parent that runs
 *   other threads copies locks they hold: unsafe in threaded programs.
 * - SPAWN: the program is executed again and mproc_init() runs the function. Slowest start;
 *   the child inherits nothing but what is passed.
 * - FORKSERVER: a single-threaded server process, spawned on first use, forks each child.
 *   Safe in threaded parents and nearly as fast as fork.
 * The default is FORKSERVER on POSIX (the choice CPython 3.14 made for Linux, for the same
 * reason: forking a threaded parent is unsafe) and SPAWN on Win32 and libuv. */
typedef enum mproc_start_method {
  MPROC_START_DEFAULT = 0, /* the global method, see mproc_set_start_method() */
  MPROC_START_FORK = 1,
  MPROC_START_SPAWN = 2,
  MPROC_START_FORKSERVER = 3,
  MPROC__START_METHOD_MAX_ = 0x7fffffff /* keeps the enum int-sized on every compiler */
} mproc_start_method;

/* Call first in main, before starting threads, after registering functions (C). In a child
 * process this runs the function and exits with its code; otherwise it records argv[0] and
 * returns MPROC_OK. argv may be NULL. Calling it twice is harmless. Not thread-safe. */
MPROC_API mproc_status mproc_init(int argc, char** argv);

/* Sets the start method used when a process asks for MPROC_START_DEFAULT, as Python's
 * set_start_method(method, force): once the method has been set, setting it again without force
 * fails with MPROC_E_STATE (the message names the method in force), even to the same method;
 * force != 0 replaces it, and MPROC_START_DEFAULT with force goes back to the backend's default
 * (which counts as unset again). Other errors: MPROC_E_INVAL (not a method),
 * MPROC_E_NOT_SUPPORTED (not on this backend). Thread-safe. */
MPROC_API mproc_status mproc_set_start_method_v2(mproc_start_method method, int force);

/* The first version: mproc_set_start_method_v2(method, 1), which never refuses a second call. */
MPROC_API mproc_status mproc_set_start_method(mproc_start_method method);

/* The start methods this backend has, the default first (Python's get_all_start_methods()):
 * writes up to cap of them to out and their number to *count (at most 3; out may be NULL when
 * cap is 0, to ask for the number). Errors: MPROC_E_INVAL (count NULL, or out NULL with cap > 0).
 * Thread-safe. */
MPROC_API mproc_status mproc_get_all_start_methods(mproc_start_method* out, size_t cap,
                                                   size_t* count);

/* The method MPROC_START_DEFAULT stands for right now. Never fails; thread-safe. */
MPROC_API mproc_start_method mproc_get_start_method(void);

/* 1 when the backend supports the method, else 0. */
MPROC_API int mproc_start_method_supported(mproc_start_method method);

/* "fork", "spawn", "forkserver", "default"; "unknown" otherwise. Static storage. */
MPROC_API const char* mproc_start_method_name(mproc_start_method method);

/* Parses a name as printed above. Errors: MPROC_E_INVAL naming the text. */
MPROC_API mproc_status mproc_start_method_from_name(const char* name, mproc_start_method* out);

/* The number of CPUs this process may run on (its affinity mask), at least 1. Thread-safe. */
MPROC_API int mproc_cpu_count(void);

/* The calling process's id. */
MPROC_API int64_t mproc_current_pid(void);

/* The id of the process that started this one through mproc (for a forkserver child: the
 * process that asked for it, not the server); the OS parent id otherwise. */
MPROC_API int64_t mproc_parent_pid(void);

/* 1 while the process that started this one is alive, 0 once it has exited. A process not
 * started by mproc asks about its OS parent. Does not block. */
MPROC_API int mproc_parent_alive(void);

/* The calling process's name: "MainProcess" in a program's first process, the Process's name in
 * a child. Static storage for the life of the process. */
MPROC_API const char* mproc_current_name(void);

/* Ends the calling process with code the way a Process target ends: its own children are
 * finished as at a normal exit (daemonic ones terminated, then all joined), C stdio is flushed,
 * and no static destructors or atexit handlers run (the child of a fork must not run the
 * parent's). Never returns. */
MPROC_API void mproc_exit(int code);

/* 1 in a process that mproc started, else 0. */
MPROC_API int mproc_is_child(void);

MPROC_EXTERN_C_END

#endif /* MPROC_INIT_H */
