/* mproc/pipe.h — Python's Pipe(duplex) and its two Connection ends: whole messages of any size,
 * in order, between processes.
 *
 * Life cycle: mproc_pipe_create → pass an end to a child (mproc_connection_handle +
 * mproc_process_add_handle; the child calls mproc_connection_open on what
 * mproc_inherited_handle gives it) → send / receive / poll → close → destroy. Close the ends a
 * process does not use, as in Python: end of file (MPROC_E_EOF) is reported once no process holds
 * the other end open, so a copy left open anywhere (this process included) postpones it.
 *
 * Message boundaries are kept. Messages up to 65520 bytes are delivered atomically even when
 * several processes send on, or receive from, the same end at once; larger messages need one
 * sender and one receiver per end at a time (as in Python), and a receiver that sees two large
 * messages interleaved reports MPROC_E_CORRUPT instead of delivering a mix. Writes never raise
 * SIGPIPE.
 *
 * Threads: sends on one connection are serialised among the threads of a process, and so are
 * receives, so one thread may send while another receives. mproc_connection_close and
 * mproc_connection_destroy must not run while another thread uses the connection. */
#ifndef MPROC_PIPE_H
#define MPROC_PIPE_H

#include "mproc/common.h"

MPROC_EXTERN_C_BEGIN

typedef struct mproc_connection mproc_connection;

typedef struct mproc_pipe_options {
  size_t size;               /* sizeof(mproc_pipe_options); set by the _INIT macro */
  const char* name;          /* NULL: "Pipe-N"; at most 60 bytes. The ends are "<name>[0]" and
                                "<name>[1]" in messages */
  uint64_t max_message_size; /* 0: no limit. Larger messages fail with MPROC_E_TOO_BIG */
} mproc_pipe_options;

#define MPROC_PIPE_OPTIONS_INIT \
  { sizeof(mproc_pipe_options), NULL, 0 }

/* Creates a pipe and its two ends, like Python's Pipe(duplex). duplex != 0: both ends send and
 * receive. duplex == 0: *end0 only receives and *end1 only sends (Python's order); the OS enforces
 * the direction in every process. opts may be NULL. The caller owns both ends and destroys each.
 * Errors: MPROC_E_INVAL (NULL outputs, name too long, options too long), MPROC_E_OS (out of
 * descriptors). Does not block. */
MPROC_API mproc_status mproc_pipe_create(int duplex, const mproc_pipe_options* opts,
                                         mproc_connection** end0, mproc_connection** end1);

/* What an end may do. */
typedef enum mproc_connection_mode {
  MPROC_CONNECTION_DUPLEX = 0,    /* sends and receives */
  MPROC_CONNECTION_RECV_ONLY = 1, /* end0 of a one-way pipe */
  MPROC_CONNECTION_SEND_ONLY = 2  /* end1 of a one-way pipe */
} mproc_connection_mode;

typedef struct mproc_connection_options {
  size_t size;                /* sizeof(mproc_connection_options); set by the _INIT macro */
  const char* name;           /* NULL: "Connection-N" */
  uint64_t max_message_size;  /* 0: no limit; pass the sender's mproc_connection_max_message_size */
  mproc_connection_mode mode; /* pass the sender's mproc_connection_get_mode */
} mproc_connection_options;

#define MPROC_CONNECTION_OPTIONS_INIT \
  { sizeof(mproc_connection_options), NULL, 0, MPROC_CONNECTION_DUPLEX }

/* In a process that received a connection's handle (from mproc_inherited_handle, or any process
 * that passed it): opens a connection on it, like Python's Connection(handle, readable, writable).
 * The handle is duplicated: the caller keeps ownership of its own (an inherited handle stays open
 * until the process ends, so the peer sees end of file only then, even after this connection is
 * closed). The handle does not carry the name, the direction or the maximum size: opts supplies
 * them (the C++ facade sends them along). The caller owns *out. Errors: MPROC_E_TYPE_MISMATCH (the
 * handle is not a connection), MPROC_E_INVAL (not an open handle, bad mode), MPROC_E_OS. */
MPROC_API mproc_status mproc_connection_open(intptr_t handle, const mproc_connection_options* opts,
                                             mproc_connection** out);

/* Sends the len bytes at data as one message (Python's send_bytes); the bytes are copied before
 * the call returns. Blocks while the other end has no room, up to timeout_ms for the start of the
 * message (MPROC_E_TIMEOUT: nothing was sent); a message larger than one packet (65520 bytes) is,
 * once started, sent whole, waiting while the receiver drains it.
 * Errors: MPROC_E_CLOSED (this connection was closed), MPROC_E_STATE (a receive-only end),
 * MPROC_E_TOO_BIG (len above the maximum message size; nothing sent), MPROC_E_EOF (no process has
 * the other end open any more), MPROC_E_INVAL (NULL data with len > 0). */
MPROC_API mproc_status mproc_connection_send_bytes(mproc_connection* c, const void* data,
                                                   size_t len, int64_t timeout_ms);

/* Receives the next message into buf (capacity cap) and sets *len to its size (Python's
 * recv_bytes_into). Waits up to timeout_ms for a message to start (MPROC_E_TIMEOUT); once started,
 * waits for the rest while its sender lives.
 * MPROC_E_BUFFER_TOO_SHORT: the message is larger than cap; *len is its size and the message is
 * NOT lost: this connection keeps it and its next receive delivers it — call again with a buffer
 * of at least *len bytes (until then only mproc_connection_poll, not the OS handle, shows it; it
 * is dropped if the connection is closed). MPROC_E_TOO_BIG: the message is
 * above the connection's maximum; *len is its size and it was dropped. MPROC_E_EOF: no process has
 * the other end open any more and every message sent has been received, or the sender died in the
 * middle of this message (the partial message is dropped, never delivered). Also MPROC_E_CLOSED,
 * MPROC_E_STATE (a send-only end), MPROC_E_INVAL (NULL len, or NULL buf with cap > 0),
 * MPROC_E_CORRUPT (large messages with several receivers or senders at once on one end). */
MPROC_API mproc_status mproc_connection_recv_bytes(mproc_connection* c, void* buf, size_t cap,
                                                   int64_t timeout_ms, size_t* len);

/* Receives the next message into memory it allocates (Python's recv_bytes(maxlength)): *data
 * holds *len bytes (never NULL on success, even for 0 bytes) and is released with mproc_free.
 * maxlength 0: only the connection's maximum applies; otherwise a message above maxlength fails
 * with MPROC_E_TOO_BIG, *len set to its size, and is dropped (Python instead leaves the connection
 * unusable). Waiting and the other errors are those of mproc_connection_recv_bytes; MPROC_E_NOMEM
 * when the memory cannot be had (the message is then dropped). */
MPROC_API mproc_status mproc_connection_recv_bytes_alloc(mproc_connection* c, size_t maxlength,
                                                         int64_t timeout_ms, void** data,
                                                         size_t* len);

/* Waits up to timeout_ms (0: just looks) until there is something to receive: *ready = 1 when a
 * message is waiting or the other end is closed for good (the next receive then fails with
 * MPROC_E_EOF), 0 when the timeout passed. Python's poll(timeout). Errors: MPROC_E_CLOSED,
 * MPROC_E_STATE (a send-only end). */
MPROC_API mproc_status mproc_connection_poll(mproc_connection* c, int64_t timeout_ms, int* ready);

/* Closes this connection's handle; later calls on it fail with MPROC_E_CLOSED. Closing again is
 * a no-op. Other processes' copies of the end stay open. Never blocks. */
MPROC_API mproc_status mproc_connection_close(mproc_connection* c);

/* Closes (if still open) and releases c. NULL is harmless. */
MPROC_API void mproc_connection_destroy(mproc_connection* c);

/* The OS handle to pass to a child with mproc_process_add_handle. Owned by c: do not close it.
 * Errors: MPROC_E_CLOSED. */
MPROC_API mproc_status mproc_connection_handle(const mproc_connection* c, intptr_t* out);

/* The OS handle for an outside event loop or mproc_wait: readable (POSIX fd) when a message is
 * waiting or the other end is closed for good — what mproc_connection_poll reports, except a
 * message kept after MPROC_E_BUFFER_TOO_SHORT. Only receive with the mproc_connection_* calls.
 * Owned by c. Errors: MPROC_E_CLOSED. */
MPROC_API mproc_status mproc_connection_fileno(const mproc_connection* c, intptr_t* out);

/* The connection's name ("<pipe>[0]", "<pipe>[1]" or the name it was opened with). Owned by c. */
MPROC_API const char* mproc_connection_name(const mproc_connection* c);

/* Whether it may receive / send (Python's readable / writable): MPROC_CONNECTION_DUPLEX,
 * _RECV_ONLY or _SEND_ONLY. */
MPROC_API mproc_connection_mode mproc_connection_get_mode(const mproc_connection* c);

/* The largest message it sends or accepts; 0 = no limit. */
MPROC_API uint64_t mproc_connection_max_message_size(const mproc_connection* c);

/* 1 once closed (or for NULL). */
MPROC_API int mproc_connection_closed(const mproc_connection* c);

MPROC_EXTERN_C_END

#endif /* MPROC_PIPE_H */
