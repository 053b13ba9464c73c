/* mproc/serial_channel.h — a message channel over a serial port, with the interface of a Pipe's
 * Connection end: send_bytes / recv_bytes / poll / close / a handle for event loops.
 *
 * Framed mode (the default) keeps message boundaries and any payload bytes intact. A frame on the
 * wire is
 *
 *     0x00  COBS(payload || CRC-32(payload) as 4 bytes little-endian)  0x00
 *
 * COBS (Consistent Overhead Byte Stuffing) leaves no zero byte inside a frame, so 0x00 only
 * delimits; CRC-32 is zlib's (IEEE 802.3; Python: zlib.crc32), so a peer in any language can speak
 * it. The overhead is 6 bytes plus one per 254. A corrupt frame (CRC mismatch), a malformed one,
 * one over the maximum size and one cut off by the end of the stream are dropped and counted
 * (mproc_serial_channel_stats); so is garbage between frames. The channel resynchronises on the
 * next frame: the delimiter in front of every frame ends whatever came before it. By default
 * drops are only counted; with report_corrupt each one also makes one receive fail with
 * MPROC_E_CORRUPT, saying why and how many bytes, after which receiving goes on.
 *
 * Raw mode sends bytes as they are and receives whatever has arrived (no message boundaries), for
 * peers that speak their own protocol.
 *
 * Threads: one thread may send while another receives (each direction has its own lock); close
 * and destroy must not run while another thread uses the channel. */
#ifndef MPROC_SERIAL_CHANNEL_H
#define MPROC_SERIAL_CHANNEL_H

#include "mproc/common.h"
#include "mproc/serial.h"

MPROC_EXTERN_C_BEGIN

typedef struct mproc_serial_channel mproc_serial_channel;

typedef enum mproc_serial_framing {
  MPROC_SERIAL_FRAMED = 0, /* COBS + CRC-32 messages */
  MPROC_SERIAL_RAW = 1     /* bytes as they are */
} mproc_serial_framing;

/* The largest payload when max_message_size is 0. */
#define MPROC_SERIAL_DEFAULT_MAX_MESSAGE 65536u
/* The largest max_message_size accepted (the receiver buffers one frame of that size). */
#define MPROC_SERIAL_MAX_MESSAGE_LIMIT (1u << 30)

typedef struct mproc_serial_channel_options {
  size_t size;                   /* sizeof(mproc_serial_channel_options); set by the _INIT macro */
  int32_t framing;               /* MPROC_SERIAL_FRAMED (default) or MPROC_SERIAL_RAW */
  uint64_t max_message_size;     /* framed: the largest payload sent or accepted; 0: the default
                                    MPROC_SERIAL_DEFAULT_MAX_MESSAGE. Both ends must agree. */
  int report_corrupt;            /* 1: each dropped frame also fails one receive (E_CORRUPT) */
} mproc_serial_channel_options;

#define MPROC_SERIAL_CHANNEL_OPTIONS_INIT \
  { sizeof(mproc_serial_channel_options), MPROC_SERIAL_FRAMED, 0, 0 }

/* Counters since the channel was created. */
typedef struct mproc_serial_channel_stats {
  size_t size;                 /* sizeof(mproc_serial_channel_stats); set by the _INIT macro */
  uint64_t messages_sent;      /* framed: messages; raw: send calls that completed */
  uint64_t messages_received;  /* framed: messages delivered; raw: receive calls that delivered */
  uint64_t bytes_sent;         /* on the wire, framing included */
  uint64_t bytes_received;     /* from the wire, framing and garbage included */
  uint64_t frames_dropped;     /* the sum of the four below */
  uint64_t dropped_crc;        /* CRC mismatch: corrupt bytes, or garbage between frames */
  uint64_t dropped_malformed;  /* invalid COBS, or too short to hold a CRC */
  uint64_t dropped_oversize;   /* over max_message_size */
  uint64_t dropped_truncated;  /* cut off by the end of the stream (the peer hung up) */
  uint64_t bytes_discarded;    /* received bytes that were not part of a delivered message */
} mproc_serial_channel_stats;

#define MPROC_SERIAL_CHANNEL_STATS_INIT \
  { sizeof(mproc_serial_channel_stats), 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 }

/* Makes a channel over an open port. On success the channel OWNS the port (it is closed and
 * destroyed with the channel; do not use or destroy it yourself); on failure the caller still
 * owns it. opts may be NULL (framed, default maximum). The caller owns *out. Errors, naming the
 * port: MPROC_E_INVAL (framing not 0/1, max_message_size above MPROC_SERIAL_MAX_MESSAGE_LIMIT,
 * options too long), MPROC_E_CLOSED (the port is closed). Does not block. */
MPROC_API mproc_status mproc_serial_channel_create(mproc_serial* port,
                                                   const mproc_serial_channel_options* opts,
                                                   mproc_serial_channel** out);

/* mproc_serial_open + mproc_serial_channel_create in one call. Errors of both. */
MPROC_API mproc_status mproc_serial_channel_open(const char* name,
                                                 const mproc_serial_options* port_opts,
                                                 const mproc_serial_channel_options* opts,
                                                 mproc_serial_channel** out);

/* Sends the len bytes at data: framed, as one message (Python's send_bytes); raw, as they are.
 * Waits up to timeout_ms in all while the port's output buffer is full. MPROC_E_TIMEOUT when not
 * all of it went out: a framed message cut short this way is dropped by the receiver (the next
 * frame's delimiter ends it), never delivered in part. Errors: MPROC_E_TOO_BIG (framed, len above
 * max_message_size; nothing sent), MPROC_E_EOF (the peer hung up), MPROC_E_CLOSED,
 * MPROC_E_INVAL (NULL data with len > 0), MPROC_E_OS. */
MPROC_API mproc_status mproc_serial_channel_send_bytes(mproc_serial_channel* c, const void* data,
                                                       size_t len, int64_t timeout_ms);

/* Receives into buf (capacity cap) and sets *len (Python's recv_bytes_into), waiting up to
 * timeout_ms for a whole message (MPROC_E_TIMEOUT; the bytes of a message still arriving are
 * kept for the next call). Framed: the next message; MPROC_E_BUFFER_TOO_SHORT when it is longer
 * than cap: *len is its size and it is NOT consumed (call again with *len bytes of room). Raw:
 * what has arrived, 1 to cap bytes. MPROC_E_CORRUPT (report_corrupt only): a frame was dropped
 * (the message says why and names the port); *len = 0; call again for the next message.
 * MPROC_E_EOF: the peer hung up and every message that arrived whole has been received.
 * Errors: MPROC_E_CLOSED, MPROC_E_INVAL (NULL len, NULL buf with cap > 0), MPROC_E_OS. */
MPROC_API mproc_status mproc_serial_channel_recv_bytes(mproc_serial_channel* c, void* buf,
                                                       size_t cap, int64_t timeout_ms, size_t* len);

/* Waits up to timeout_ms (0: just looks) until a receive would not block: *ready = 1 when a
 * message is waiting (raw: a byte), or a drop is to be reported, or the peer hung up (a receive
 * then fails with MPROC_E_EOF); 0 when the timeout passed. Reads and decodes what arrived while
 * waiting. Python's poll(timeout). Errors: MPROC_E_CLOSED, MPROC_E_OS. */
MPROC_API mproc_status mproc_serial_channel_poll(mproc_serial_channel* c, int64_t timeout_ms,
                                                 int* ready);

/* The counters (its size set by MPROC_SERIAL_CHANNEL_STATS_INIT). Thread-safe with send and
 * receive. Errors: MPROC_E_INVAL. */
MPROC_API mproc_status mproc_serial_channel_stats_get(const mproc_serial_channel* c,
                                                      mproc_serial_channel_stats* out);

/* The port's OS handle for an event loop (Python's fileno()): readable when bytes arrived, which
 * may not yet make a whole message, and messages already decoded do not make it readable. So:
 * when it polls readable, call mproc_serial_channel_poll(c, 0, &ready) and receive while ready.
 * Only receive through the channel. Owned by the channel. Errors: MPROC_E_CLOSED. */
MPROC_API mproc_status mproc_serial_channel_fileno(const mproc_serial_channel* c, intptr_t* out);

/* The port under the channel, for its configuration, modem lines, drain and handle. Reading or
 * writing it directly would break the framing. Owned by the channel. Never NULL for a valid c. */
MPROC_API mproc_serial* mproc_serial_channel_port(mproc_serial_channel* c);

/* The channel's options as in force (the maximum resolved). Errors: MPROC_E_INVAL. */
MPROC_API mproc_status mproc_serial_channel_get_options(const mproc_serial_channel* c,
                                                        mproc_serial_channel_options* out);

/* Closes the port; later calls fail with MPROC_E_CLOSED. Closing again is a no-op. Must not run
 * while another thread uses the channel. */
MPROC_API mproc_status mproc_serial_channel_close(mproc_serial_channel* c);

/* 1 once closed (or for NULL). */
MPROC_API int mproc_serial_channel_closed(const mproc_serial_channel* c);

/* Closes (if open) and releases c and its port. NULL is harmless. */
MPROC_API void mproc_serial_channel_destroy(mproc_serial_channel* c);

MPROC_EXTERN_C_END

#endif /* MPROC_SERIAL_CHANNEL_H */
