// backends/channel.h — the channel facet of the backend contract: message channels (Pipe
// connections).
//
// Part of the internal contract between the core and one backend (backends/backend.h lists the
// facets; backends/README.md maps every function onto POSIX, Win32 and libuv). Functions return an
// mproc_status and, on failure, have already set the thread's error text (core/status.h). OS
// handles are intptr_t and are tested with mproc__handle_valid, never by sign.
#ifndef MPROC_BACKENDS_CHANNEL_H
#define MPROC_BACKENDS_CHANNEL_H

#include <cstddef>
#include <cstdint>
#include <string>

#include "mproc/mproc.h"

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

#endif  // MPROC_BACKENDS_CHANNEL_H
