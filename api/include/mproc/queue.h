/* mproc/queue.h — Python's multiprocessing Queue, SimpleQueue and JoinableQueue: messages of bytes
 * passed between processes through shared memory.
 *
 * A queue is created in one process and passed to others as an argument (its handle travels with
 * mproc_process_add_handle; the child calls mproc_queue_open). Any number of processes put and
 * get; messages from one producer arrive in the order it put them; every message is received by
 * exactly one get. A message is 0 bytes or more, up to the optional max_message_size; the queue's
 * shared buffer grows to hold what is put, so:
 * - put on an unbounded queue (maxsize 0) never blocks: a producer can put any amount and exit
 *   (and be joined) before anyone gets, unlike CPython, whose feeder thread makes the producer
 *   wait at exit until its data has been read;
 * - a queue with maxsize > 0 holds at most maxsize messages (of any size), and put blocks while it
 *   is full, as in Python.
 * The messages live as long as some process holds the queue: a consumer started after the
 * producer exited gets every message.
 *
 * Kinds: a Queue (put/get with timeouts, qsize/empty/full, close); a SimpleQueue (the same engine,
 * unbounded, for Python's SimpleQueue); a JoinableQueue (a Queue plus task_done/join). One C type
 * serves all three; the kind is chosen at creation and checked when a handle is opened.
 *
 * Timeouts follow Python: put fails with MPROC_E_FULL and get with MPROC_E_EMPTY when the timeout
 * passes (0 = put_nowait / get_nowait). "nowait" never waits for room or for a message, but may wait
 * for another process's copy in progress to finish (Python's nowait calls also take internal
 * locks).
 *
 * Processes killed in the middle: internal locks are robust. When a process dies in the middle of
 * a put or get, the next process to use that side of the queue repairs it: a put that had not
 * finished is rolled back, a get that had not finished drops the message it was reading, and in
 * both cases a loss record takes the message's place in the queue. The get that reaches it
 * returns MPROC_E_MESSAGE_LOST once (no message; the next get continues with the following one)
 * and mproc_queue_lost counts it. Nothing else is lost or duplicated. A consumer waiting on an
 * empty queue notices a producer that died mid-put within about 100 ms.
 *
 * Thread-safety: a handle may be used from several threads at once, except that destroy must not
 * race with other calls on the same handle.
 *
 * Resources: the queue is one anonymous shared-memory segment (a memfd on POSIX: nothing appears
 * in /dev/shm, nothing is left behind when processes are killed). It is freed when the last
 * process holding it destroys its handle or exits. Memory taken by growth is kept until then.
 *
 * Testing only: when the environment variable MPROC_TEST_QUEUE_PAUSE is "put:<path>" or
 * "get:<path>" in a process at the time one of its handles makes its first put or get, every put
 * (or get) of that handle stops in the middle of copying its message, with the queue's lock held,
 * creates the file <path>, and sleeps until the process is killed. The conformance suite uses it
 * to kill a process at exactly that point. Never set it otherwise. */
#ifndef MPROC_QUEUE_H
#define MPROC_QUEUE_H

#include "mproc/common.h"

MPROC_EXTERN_C_BEGIN

typedef struct mproc_queue mproc_queue;

typedef enum mproc_queue_kind {
  MPROC_QUEUE_KIND_QUEUE = 1,    /* multiprocessing.Queue */
  MPROC_QUEUE_KIND_SIMPLE = 2,   /* multiprocessing.SimpleQueue */
  MPROC_QUEUE_KIND_JOINABLE = 3  /* multiprocessing.JoinableQueue */
} mproc_queue_kind;

/* The largest initial buffer_size a queue accepts (1 GiB): a start beyond memory is a mistake,
 * and the buffer grows as messages need anyway. */
#define MPROC_QUEUE_MAX_INITIAL_BUFFER ((size_t)1 << 30)

typedef struct mproc_queue_options {
  size_t size;           /* sizeof(mproc_queue_options); set by the _INIT macro */
  const char* name;      /* NULL: "Queue-N" ("SimpleQueue-N", ...); at most 63 bytes */
  int kind;              /* an mproc_queue_kind; 0: MPROC_QUEUE_KIND_QUEUE */
  size_t maxsize;        /* most messages held at once; 0: unbounded (SimpleQueue: must be 0) */
  size_t max_message_size; /* largest message put accepts, in bytes; 0: no limit but memory */
  size_t buffer_size;    /* initial shared buffer in bytes, rounded up to a power of two of at
                            least 64 KiB; 0: 256 KiB; at most MPROC_QUEUE_MAX_INITIAL_BUFFER.
                            It grows as needed. */
  const char* type_name; /* what the messages are (the C++ facade passes the element type), checked
                            by mproc_queue_open; NULL: untyped bytes, never checked */
} mproc_queue_options;

#define MPROC_QUEUE_OPTIONS_INIT \
  { sizeof(mproc_queue_options), NULL, 0, 0, 0, 0, NULL }

/* Creates a queue. opts may be NULL (an unbounded Queue). The caller owns *out and destroys it.
 * Errors: MPROC_E_INVAL (NULL out, unknown kind, a SimpleQueue with maxsize, a name over 63
 * bytes, buffer_size above MPROC_QUEUE_MAX_INITIAL_BUFFER, options too long), MPROC_E_NOMEM /
 * MPROC_E_OS (no shared memory). Does not block. */
MPROC_API mproc_status mproc_queue_create(const mproc_queue_options* opts, mproc_queue** out);

/* In a process that received a queue's handle (mproc_inherited_handle): opens the queue. kind is
 * the kind expected (0: MPROC_QUEUE_KIND_QUEUE, as for mproc_queue_create); a JoinableQueue may be
 * opened as a Queue (it is one, as in Python).
 * type_name, when not NULL, must equal the type_name the queue was created with (a queue created
 * without one accepts any). The handle stays the caller's. The caller owns *out.
 * Errors: MPROC_E_TYPE_MISMATCH (the handle is another kind of object, another kind of queue, a
 * queue of another type, or not an mproc object at all; the message names both sides),
 * MPROC_E_OS (not a valid handle), MPROC_E_INVAL. Does not block. */
MPROC_API mproc_status mproc_queue_open(intptr_t handle, int kind, const char* type_name,
                                        mproc_queue** out);

/* The OS handle to pass to a child with mproc_process_add_handle. Owned by q (valid until
 * destroy). Errors: MPROC_E_INVAL. */
MPROC_API mproc_status mproc_queue_handle(const mproc_queue* q, intptr_t* out);

/* Puts a copy of len bytes (data may be NULL when len is 0). Blocks up to timeout_ms while a
 * bounded queue is full. Errors: MPROC_E_FULL (still full when the timeout passed; 0 = at once),
 * MPROC_E_TOO_BIG (len exceeds max_message_size; the message names the queue and both sizes),
 * MPROC_E_CLOSED (closed in this process, or shut down), MPROC_E_NOMEM (the shared buffer
 * cannot grow), MPROC_E_INVAL. */
MPROC_API mproc_status mproc_queue_put(mproc_queue* q, const void* data, size_t len,
                                       int64_t timeout_ms);

/* One piece of a message for mproc_queue_putv. */
typedef struct mproc_queue_part {
  const void* data; /* may be NULL when len is 0 */
  size_t len;
} mproc_queue_part;

/* Like mproc_queue_put, for a message made of count pieces (a header and a body, say): puts their
 * concatenation as one message, copying each piece once. */
MPROC_API mproc_status mproc_queue_putv(mproc_queue* q, const mproc_queue_part* parts,
                                        size_t count, int64_t timeout_ms);

/* Takes the oldest message, copying it into buf (cap bytes) and setting *len to its size. Blocks up
 * to timeout_ms while the queue is empty.
 * Errors: MPROC_E_EMPTY (still empty when the timeout passed; 0 = at once),
 * MPROC_E_BUFFER_TOO_SHORT (*len is set to the message's size and the message stays in the queue:
 * call again with a larger buffer, though another consumer may take it first),
 * MPROC_E_MESSAGE_LOST (a message was lost when a process died, see above; *len = 0; call again
 * for the next), MPROC_E_EOF (the queue was shut down and is empty), MPROC_E_CLOSED (closed in
 * this process), MPROC_E_INVAL. */
MPROC_API mproc_status mproc_queue_get(mproc_queue* q, void* buf, size_t cap, size_t* len,
                                       int64_t timeout_ms);

/* Returns memory for a message of size bytes, or NULL (allowed when size is 0). Called once per
 * message, with the queue's consumer lock held: it must not use the queue, and must not throw. */
typedef void* (*mproc_queue_alloc_fn)(void* userdata, size_t size);

/* Like mproc_queue_get, for messages of any size: calls alloc(userdata, size) for the message's
 * size and copies the message there. alloc returning NULL for size > 0 fails the call with
 * MPROC_E_NOMEM and leaves the message in the queue. */
MPROC_API mproc_status mproc_queue_get_alloc(mproc_queue* q, mproc_queue_alloc_fn alloc,
                                             void* userdata, size_t* len, int64_t timeout_ms);

/* Sees a message where it lies in shared memory: in one piece, or in two when it wraps around the
 * end of the queue's buffer (then second != NULL). Read-only, valid only during the call, which
 * happens with the queue's consumer lock held: it must not use the queue, and must not throw. */
typedef void (*mproc_queue_visit_fn)(void* userdata, const void* first, size_t first_len,
                                     const void* second, size_t second_len);

/* Like mproc_queue_get without a copy: calls visit(userdata, ...) with the oldest message's bytes,
 * then removes the message (it is taken whatever visit does with it; a process killed during
 * visit loses that message, as one killed in mproc_queue_get would). */
MPROC_API mproc_status mproc_queue_get_visit(mproc_queue* q, mproc_queue_visit_fn visit,
                                             void* userdata, size_t* len, int64_t timeout_ms);

/* The number of messages in the queue (loss records included); approximate while other
 * processes put and get. Never blocks. Errors: MPROC_E_INVAL. */
MPROC_API mproc_status mproc_queue_qsize(const mproc_queue* q, size_t* out);

/* *out = 1 when a get would find nothing right now. Never blocks. Errors: MPROC_E_INVAL. */
MPROC_API mproc_status mproc_queue_empty(const mproc_queue* q, int* out);

/* *out = 1 when a bounded queue holds maxsize messages (never for an unbounded one). */
MPROC_API mproc_status mproc_queue_full(const mproc_queue* q, int* out);

/* An OS handle (POSIX descriptor, Win32 event HANDLE) for mproc_wait or an outside event loop.
 * for_put 0: readable when a get would not wait (a message is there, or the queue was shut down).
 * for_put 1, only for a bounded queue (maxsize > 0): readable when a put would not wait for room
 * (or the queue was shut down). It may also be readable when the queue is not ready: mproc_wait
 * checks and keeps waiting; a loop calls mproc_wait_handle_rearm when it is readable (see
 * mproc/wait.h), then tries the operation with timeout 0. Made on the first call and the same
 * handle after; owned by q, valid until mproc_queue_destroy (do not close it). Costs the queue's
 * producers and consumers nothing until asked for, then one small system call per put (and per get
 * of a bounded queue) for each wait handle watching. At most 16 wait handles watch one queue at
 * once, over all processes: each opened mproc_queue that asked takes one for its get handle and one
 * for its put handle; a process killed while watching frees its own. Never blocks. Thread-safe.
 * Errors: MPROC_E_INVAL (q or out NULL, or for_put on an unbounded queue), MPROC_E_RANGE (16
 * handles already watch the queue), MPROC_E_OS. */
MPROC_API mproc_status mproc_queue_wait_handle(mproc_queue* q, int for_put, intptr_t* out);

/* The maxsize the queue was created with (0: unbounded). */
MPROC_API size_t mproc_queue_maxsize(const mproc_queue* q);

/* Python's close(): this process will neither put nor get through this handle any more; later
 * put and get calls on it fail with MPROC_E_CLOSED naming the queue. Other handles and other
 * processes are not affected, and messages already put stay in the queue (Python: "the
 * background thread will quit once it has flushed all buffered data" — here nothing is buffered
 * in the process). Closing again is harmless. Errors: MPROC_E_INVAL. */
MPROC_API mproc_status mproc_queue_close(mproc_queue* q);

/* Shuts the queue down for every process (Python 3.13's queue.Queue.shutdown): puts fail with
 * MPROC_E_CLOSED from now on; gets return the messages left, then fail with MPROC_E_EOF. With
 * immediate != 0 the messages left are discarded too (and, for a JoinableQueue, counted as done).
 * Wakes every process blocked in put, get or join. Irreversible. May wait for a copy in progress.
 * Errors: MPROC_E_INVAL. */
MPROC_API mproc_status mproc_queue_shutdown(mproc_queue* q, int immediate);

/* JoinableQueue: one message taken by a get has been processed. A get that returned
 * MPROC_E_MESSAGE_LOST has already counted its lost message as done. Never blocks.
 * Errors: MPROC_E_RANGE ("task_done() called too many times", Python's ValueError),
 * MPROC_E_STATE (not a JoinableQueue). */
MPROC_API mproc_status mproc_queue_task_done(mproc_queue* q);

/* JoinableQueue: blocks up to timeout_ms until every message put so far has been marked done.
 * Errors: MPROC_E_TIMEOUT (the message says how many are unfinished), MPROC_E_STATE (not a
 * JoinableQueue), MPROC_E_INVAL. */
MPROC_API mproc_status mproc_queue_join(mproc_queue* q, int64_t timeout_ms);

/* *out = how many messages have been lost because a process died in the middle of putting or
 * getting them, since the queue was created (all processes). Never blocks. */
MPROC_API mproc_status mproc_queue_lost(const mproc_queue* q, uint64_t* out);

/* The queue's name ("Queue-1" unless one was given). Owned by q. */
MPROC_API const char* mproc_queue_name(const mproc_queue* q);

/* The queue's kind (0 for NULL). */
MPROC_API int mproc_queue_kind_of(const mproc_queue* q);

/* Releases this process's handle. The queue and its messages live on while another process holds
 * it. NULL is harmless. Never blocks. */
MPROC_API void mproc_queue_destroy(mproc_queue* q);

MPROC_EXTERN_C_END

#endif /* MPROC_QUEUE_H */
