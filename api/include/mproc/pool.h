/* mproc/pool.h — a pool of worker processes running registered functions (Python's Pool).
 *
 * A pool starts `processes` workers when it is created (before the first task, so a task never
 * waits for a process to start, and the parent's heap size never slows a task down). A task is a
 * registered function's name and one encoded argument pack (apply) or a batch of them split into
 * chunks (map); a result handle completes with the encoded results, or with the task's failure:
 * - MPROC_E_REMOTE: the function failed in the worker (mproc_call_fail, or an exception through
 *   the C++ facade); mproc_result_error gives the failure's type name, message and the worker pid.
 *   The worker survives and serves the next task.
 * - MPROC_E_WORKER_LOST: the worker died while it ran the task (a signal such as SIGKILL or
 *   SIGSEGV, abort(), exit()); mproc_result_error gives its pid and exit code (-N for signal N).
 *   Only the task the worker was running fails; tasks queued behind it go to other workers, and
 *   the pool starts a replacement.
 * - MPROC_E_DECODE / MPROC_E_ENCODE: the worker could not decode the arguments / encode the
 *   result (failure type names "mproc::decode_error" / "mproc::encode_error", as the C++ facade
 *   reports them). The worker survives.
 * - MPROC_E_NOT_REGISTERED: no function under that name in the worker.
 * - MPROC_E_CLOSED: the pool was terminated (or destroyed) before the task finished.
 * - MPROC_E_CHILD: the pool is broken: its initializer failed, or workers kept dying before they
 *   were ready.
 * - MPROC_E_STATE: a map begun with mproc_pool_map_begin was abandoned before all its parts.
 *
 * Scheduling: tasks run in submission order as workers come free. A worker is sent a few tasks
 * ahead (so that short tasks never wait for the pool between two of them); a worker that goes
 * idle takes back a task still queued behind a busy one, so a long task holds up no one.
 * Results and callbacks are handled by one thread per pool.
 *
 * Encoded batch: the format map takes and result parts give back. A sequence of items, each a
 * uint32_t byte count (native byte order) followed by that many bytes.
 *
 * Thread-safety: every function here may be called from any thread, concurrently, except
 * mproc_pool_destroy (no other call on the pool may run or follow). Result handles are
 * thread-safe too and stay valid after their pool is destroyed.
 *
 * OS handles (shared objects: queues, locks, values, pipe ends, ...) travel with the initializer
 * and with tasks, under every start method. Give them in mproc_pool_options.init_handles, or with
 * the _v2 submission functions; they are duplicated (the caller keeps its own). The function
 * running in the worker reads the i-th one with mproc_inherited_handle(i) (or takes it over with
 * mproc_inherited_handle_take) while it runs, and opens the object on it (mproc_queue_open,
 * mproc_lock_open, ...): inside an initializer or a task, those indices are that call's handles,
 * not the worker's own inherited ones. Handles the call did not take over are closed when it
 * returns; an object opened on one keeps its own duplicate, so it may outlive the call (an
 * initializer typically keeps what it opened in a global for the tasks). Every worker gets the
 * initializer's handles when it starts, replacements (after a death or maxtasksperchild)
 * included. A task's handles are sent (POSIX: SCM_RIGHTS over the worker's control socket; Win32:
 * DuplicateHandle into the worker) to the worker that will run it before the task reaches it, and
 * sent again to another worker if the first one dies before starting it; the pool's duplicates are
 * closed when the task completes. Tasks without handles cost nothing more. */
#ifndef MPROC_POOL_H
#define MPROC_POOL_H

#include "mproc/common.h"
#include "mproc/init.h"

MPROC_EXTERN_C_BEGIN

typedef struct mproc_pool mproc_pool;
typedef struct mproc_result mproc_result;

/* The most workers one pool may have (processes above it: MPROC_E_INVAL, naming the pool and
 * this limit). Each worker is a whole process, and a pool starts them all at creation: a size
 * typed wrong (INT_MAX) would otherwise fork until the machine runs out of memory. ThreadPool
 * (C++) has the same limit. */
#define MPROC_POOL_MAX_PROCESSES 1024

typedef struct mproc_pool_options {
  size_t size;                     /* sizeof(mproc_pool_options); set by the _INIT macro */
  int processes;                   /* workers; 0: mproc_cpu_count(); negative or above
                                      MPROC_POOL_MAX_PROCESSES: MPROC_E_INVAL */
  const char* initializer;         /* registered name each worker runs once before its first
                                      task (Python's initializer); NULL: none */
  const void* initargs;            /* the initializer's encoded arguments (copied) */
  size_t initargs_len;
  int64_t maxtasksperchild;        /* 0: workers live as long as the pool; N > 0: a worker exits
                                      after N tasks and a new one takes its place (a map chunk is
                                      one task, as in Python) */
  mproc_start_method start_method; /* MPROC_START_DEFAULT: the global method */
  const char* name;                /* for messages (copied); NULL: "Pool-N" */
  const intptr_t* init_handles;    /* OS handles the initializer reads with
                                      mproc_inherited_handle(0 .. init_handle_count - 1) in every
                                      worker (duplicated at create: the caller keeps its own and
                                      the pool keeps its duplicates for its life) */
  size_t init_handle_count;        /* at most MPROC_POOL_MAX_INIT_HANDLES */
} mproc_pool_options;

#define MPROC_POOL_OPTIONS_INIT \
  { sizeof(mproc_pool_options), 0, NULL, NULL, 0, 0, MPROC_START_DEFAULT, NULL, NULL, 0 }

/* The most handles mproc_pool_options.init_handles may hold (a worker is an mproc process, which
 * inherits at most 240 handles; the pool uses two). */
#define MPROC_POOL_MAX_INIT_HANDLES 238

/* Creates a pool and starts its workers. opts may be NULL (defaults). Blocks while the workers
 * are created (not until their initializers finish). The caller owns *out.
 * A worker that cannot be started fails the call: the workers already started are killed and
 * reaped, and nothing is left behind.
 * Errors: MPROC_E_INVAL (negative processes or maxtasksperchild, processes above
 * MPROC_POOL_MAX_PROCESSES, NULL out, options too long, NULL init_handles with a count),
 * MPROC_E_RANGE (more than MPROC_POOL_MAX_INIT_HANDLES init_handles), MPROC_E_OS (an init handle
 * is not a valid handle), MPROC_E_NOT_REGISTERED (initializer), MPROC_E_NOT_SUPPORTED (start
 * method), MPROC_E_STATE (called in a daemonic process, e.g. a pool worker), MPROC_E_NO_INIT,
 * MPROC_E_OS. */
MPROC_API mproc_status mproc_pool_create(const mproc_pool_options* opts, mproc_pool** out);

/* Submits fn_name(args) (Python's apply_async). The args_len bytes are copied. Never blocks on
 * the workers. The caller owns *out (mproc_result_destroy); dropping it does not cancel the task.
 * Errors: MPROC_E_CLOSED (after close or terminate), MPROC_E_NOT_REGISTERED (nothing under
 * fn_name in this process), MPROC_E_CHILD (the pool is broken), MPROC_E_INVAL. */
MPROC_API mproc_status mproc_pool_apply_async(mproc_pool* pool, const char* fn_name,
                                              const void* args, size_t args_len,
                                              mproc_result** out);

/* mproc_pool_apply_async with OS handles for the task: in the worker, while fn_name runs,
 * mproc_inherited_handle(i) gives handles[i] (see the top of this file). The handles are
 * duplicated now; the caller keeps its own. handle_count 0 (handles may be NULL) is
 * mproc_pool_apply_async. A task carrying handles is never moved to another idle worker once sent
 * (its handles went to the first); it is sent again, with its handles, only when that worker dies
 * before starting it. Errors: as mproc_pool_apply_async, plus MPROC_E_INVAL (NULL handles with a
 * count), MPROC_E_RANGE (more than 65536 handles), MPROC_E_OS (not a valid handle). The task
 * itself fails (mproc_result_get) when its handles cannot be sent to a worker: MPROC_E_TIMEOUT
 * (the worker's control socket stayed full), MPROC_E_OS (e.g. POSIX's limit of descriptors in
 * flight, RLIMIT_NOFILE). */
MPROC_API mproc_status mproc_pool_apply_async_v2(mproc_pool* pool, const char* fn_name,
                                                 const void* args, size_t args_len,
                                                 const intptr_t* handles, size_t handle_count,
                                                 mproc_result** out);

/* Submits fn_name over each argument pack of an encoded batch (Python's map_async), split into
 * tasks of chunksize packs; chunksize 0 takes Python's default, ceil(count / (4 * processes)).
 * The batch is copied. The result has one value per pack, in order, or the first failure of any
 * chunk. Errors: as mproc_pool_apply_async, plus MPROC_E_DECODE (the batch is malformed: the
 * message gives the offset). */
MPROC_API mproc_status mproc_pool_map_async(mproc_pool* pool, const char* fn_name,
                                            const void* batch, size_t batch_len, size_t chunksize,
                                            mproc_result** out);

/* mproc_pool_map_async with OS handles shared by every argument pack of the batch: each chunk's
 * task carries all of them, and index i means handles[i] in every pack (as
 * mproc_pool_apply_async_v2). Errors: as mproc_pool_map_async and mproc_pool_apply_async_v2. */
MPROC_API mproc_status mproc_pool_map_async_v2(mproc_pool* pool, const char* fn_name,
                                               const void* batch, size_t batch_len,
                                               size_t chunksize, const intptr_t* handles,
                                               size_t handle_count, mproc_result** out);

/* A map whose batch comes in parts, so that the workers start on the first part while the caller
 * still encodes the next, and the whole batch never has to be in memory at once: begin a result
 * of `count` values in `parts` parts (each part is one task), then give the parts in order with
 * mproc_pool_map_part. The result completes like mproc_pool_map_async's once every part is done.
 * A pool that is closed still takes the parts of a map begun before; destroying the result
 * before every part was given fails it (MPROC_E_STATE), as terminating the pool does
 * (MPROC_E_CLOSED). Errors (begin): as mproc_pool_map_async, and MPROC_E_INVAL when the counts do
 * not fit (each part holds at least one value). Errors (part): MPROC_E_DECODE (malformed batch),
 * MPROC_E_INVAL (too many or too few values for what is left), MPROC_E_STATE (all parts given),
 * MPROC_E_CLOSED (terminated). */
MPROC_API mproc_status mproc_pool_map_begin(mproc_pool* pool, const char* fn_name, size_t count,
                                            size_t parts, mproc_result** out);
MPROC_API mproc_status mproc_pool_map_part(mproc_result* r, const void* batch, size_t batch_len);
/* mproc_pool_map_part with OS handles for this part's packs (as mproc_pool_map_async_v2). */
MPROC_API mproc_status mproc_pool_map_part_v2(mproc_result* r, const void* batch, size_t batch_len,
                                              const intptr_t* handles, size_t handle_count);

/* No more tasks may be submitted; the workers exit once every submitted task has completed. */
MPROC_API mproc_status mproc_pool_close(mproc_pool* pool);

/* Stops the workers now (SIGTERM, then SIGKILL after a short grace) and fails every unfinished
 * result with MPROC_E_CLOSED. Blocks until the workers have ended. Errors: MPROC_E_STATE when
 * called from a result callback (which runs on the pool's own thread). */
MPROC_API mproc_status mproc_pool_terminate(mproc_pool* pool);

/* Waits up to timeout_ms for the workers to exit after close (every task done) or terminate.
 * Errors: MPROC_E_STATE (neither close nor terminate was called, as in Python; or called from a
 * callback), MPROC_E_TIMEOUT. */
MPROC_API mproc_status mproc_pool_join(mproc_pool* pool, int64_t timeout_ms);

/* Terminates the pool if it still runs (as Python's `with Pool() as p:` does on leaving the
 * block: call close and join first to let submitted tasks finish), waits for the workers to end,
 * then frees the pool. Results keep working (unfinished ones fail with MPROC_E_CLOSED). NULL is
 * harmless. */
MPROC_API void mproc_pool_destroy(mproc_pool* pool);

/* The number of workers the pool keeps (its `processes`). */
MPROC_API int mproc_pool_processes(const mproc_pool* pool);

/* The pool's name. Owned by the pool. */
MPROC_API const char* mproc_pool_name(const mproc_pool* pool);

/* Lists the pids of the workers running now (up to cap into out) and sets *count to how many
 * there are. Workers change when maxtasksperchild retires them or when one dies. */
MPROC_API mproc_status mproc_pool_worker_pids(mproc_pool* pool, int64_t* out, size_t cap,
                                              size_t* count);

/* An OS handle (POSIX fd, Win32 event HANDLE) that becomes ready (readable / signalled) whenever
 * a result of this pool completes, for an outside event loop: wait on it, call
 * mproc_pool_event_clear, then look at your results with mproc_result_ready. Owned by the pool;
 * do not close it. Clear before you check, or a completion in between is missed. */
MPROC_API mproc_status mproc_pool_event_handle(const mproc_pool* pool, intptr_t* out);
MPROC_API mproc_status mproc_pool_event_clear(mproc_pool* pool);

/* ---- results ---------------------------------------------------------------------------- */

/* Called once when a result completes (before waiters see it ready, as Python's callbacks run
 * before get() returns), on the pool's result thread; or at once, on the calling thread, when the
 * result completed already. `result` is valid during the call only. A callback must return
 * promptly (it holds up every other result of the pool) and must not terminate, join or destroy
 * the pool. */
typedef void (*mproc_result_callback)(mproc_result* result, void* userdata);

/* Sets r's callback (one per result). Errors: MPROC_E_STATE (a callback is set already). */
MPROC_API mproc_status mproc_result_on_ready(mproc_result* r, mproc_result_callback cb,
                                             void* userdata);

/* Waits up to timeout_ms for r to complete (successfully or not). MPROC_OK or MPROC_E_TIMEOUT. */
MPROC_API mproc_status mproc_result_wait(mproc_result* r, int64_t timeout_ms);

/* 1 once r has completed, else 0. Never blocks. */
MPROC_API int mproc_result_ready(const mproc_result* r);

/* An OS handle (POSIX descriptor, Win32 event HANDLE) for mproc_wait or an outside event loop,
 * readable once r has completed (mproc_result_ready 1) and from then on; never before (so it needs
 * no mproc_wait_handle_rearm). Made on the first call and the same handle after; owned by the
 * task's result, valid until mproc_result_destroy (do not close it). Not a shared object: only the
 * process that submitted the task has it. Never blocks. Thread-safe. Errors: MPROC_E_INVAL (NULL
 * argument), MPROC_E_OS. */
MPROC_API mproc_status mproc_result_wait_handle(mproc_result* r, intptr_t* out);

/* Waits up to timeout_ms until one of the results has completed and sets *index to the one that
 * completed first. Errors: MPROC_E_TIMEOUT, MPROC_E_INVAL (count 0 or a NULL entry). */
MPROC_API mproc_status mproc_result_wait_any(mproc_result* const* results, size_t count,
                                             int64_t timeout_ms, size_t* index);

/* Waits up to timeout_ms, then gives the index-th value (its encoded bytes, owned by r and valid
 * until r is destroyed). apply results have one value (index 0); map results one per pack.
 * Errors: MPROC_E_TIMEOUT; the task's failure status (see the top of this file) with
 * mproc_last_error() describing it; MPROC_E_RANGE (index past the values). */
MPROC_API mproc_status mproc_result_get(mproc_result* r, size_t index, int64_t timeout_ms,
                                        const void** data, size_t* len);

/* The number of values r will have (known at submission). */
MPROC_API size_t mproc_result_count(const mproc_result* r);

/* The number of parts (chunks) of r, and one part's values as an encoded batch (owned by r) with
 * their count, in order: the fast way to read a large map. Errors: MPROC_E_STATE (not complete),
 * the task's failure status, MPROC_E_RANGE. */
MPROC_API size_t mproc_result_parts(const mproc_result* r);
MPROC_API mproc_status mproc_result_part(mproc_result* r, size_t part, const void** batch,
                                         size_t* batch_len, size_t* count);

/* How many of r's values have been computed so far, for a progress bar. Never blocks. */
MPROC_API mproc_status mproc_result_progress(const mproc_result* r, size_t* done, size_t* total);

/* Why r failed. status is MPROC_OK when r succeeded; type names the failure ("std::runtime_error"
 * for E_REMOTE, "mproc::worker_lost", "mproc::closed", ...); message is the failure's own text
 * (the exception's what()); pid is the worker's (0 when no worker was involved); exitcode is the
 * lost worker's exit code (-N: signal N). Strings are owned by r. */
typedef struct mproc_task_error {
  size_t size; /* sizeof(mproc_task_error); set by the _INIT macro */
  mproc_status status;
  const char* type;
  const char* message;
  int64_t pid;
  int exitcode;
} mproc_task_error;

#define MPROC_TASK_ERROR_INIT { sizeof(mproc_task_error), 0, NULL, NULL, 0, 0 }

/* Fills *out. Errors: MPROC_E_STATE (r has not completed), MPROC_E_INVAL. */
MPROC_API mproc_status mproc_result_error(const mproc_result* r, mproc_task_error* out);

/* Releases the handle; the task keeps running. NULL is harmless. */
MPROC_API void mproc_result_destroy(mproc_result* r);

MPROC_EXTERN_C_END

#endif /* MPROC_POOL_H */
