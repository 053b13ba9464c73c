// backends/posix/channel.cc — message channels (Pipe connections) and waiting on several handles.
//
// Why SOCK_SEQPACKET rather than length-prefixed frames over SOCK_STREAM: a packet reaches exactly
// one reader whole, so several processes may send (or receive) on one end at once without a
// cross-process lock — the seeds' three-process Pipe does exactly that — and a sender that dies
// cannot leave half a frame in front of the next message. The price is that one packet must fit in
// the socket's send buffer (about 200 KiB by default, less on some systems; EMSGSIZE beyond), so a
// message larger than one packet travels as a first packet and continuation packets, each led by
// a 16-byte header:
//   first packet:  kFirst, the sender's pid, the message's total size, then its first bytes;
//   continuation:  kMore,  the sender's pid, the offset of the bytes that follow.
// Every packet is at least a header, so a zero-byte read can only mean end of file.
// Messages up to one packet are atomic among concurrent senders and receivers; larger ones need
// one sender and one receiver per end at a time (as in Python), and a receiver that finds two
// messages' packets interleaved reports MPROC_E_CORRUPT rather than delivering a mix. The pid lets
// a receiver waiting for the rest of a message notice that its sender died even while another
// process still holds the sending end open: a partial message then ends in MPROC_E_EOF, not a hang.
// sendmsg gathers header and payload and recvmsg scatters them, so user space copies nothing on
// the way except the first packet of a message received without a caller's buffer. A receive
// takes one system call for a message that fits; one found too long for the caller's buffer is
// handed to the connection to keep (mproc__channel_held) rather than peeked at first, which would
// cost a system call on every receive.
//
// Descriptors stay in blocking mode (the mode is shared with every process holding the end);
// timeouts come from poll() and MSG_DONTWAIT. A user who sets O_NONBLOCK for an event loop is
// tolerated: EAGAIN always leads back to poll().
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <climits>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "backends/backend.h"
#include "backends/posix/fd.h"
#include "core/status.h"

namespace {

constexpr uint32_t kFirst = 0x314d504d;  // "MPM1"
constexpr uint32_t kMore = 0x2b4d504d;   // "MPM+"

struct packet_header {
  uint32_t tag;
  uint32_t pid;
  uint64_t value;  // kFirst: the message's size; kMore: offset of this packet's bytes
};
static_assert(sizeof(packet_header) == 16, "the header is part of the wire format");

constexpr size_t kHeader = sizeof(packet_header);
// 64 KiB packets: large enough that a 64 MiB message costs ~1000 system calls a side, small
// enough to fit the default send buffer three times over (so the sender rarely waits per packet).
constexpr size_t kMaxPayload = 64 * 1024 - kHeader;
constexpr size_t kMinPayload = 2048;
// Asked of the kernel for each end (it clamps to net.core.wmem_max, often 208 KiB, giving twice
// that): a process may send a burst of messages before anyone receives, and the default buffer
// holds only three full packets.
constexpr int kSendBuffer = 1 << 20;
// While waiting for the rest of a message, how often to check that its sender still lives.
constexpr int64_t kLivenessCheckMs = 100;

// Shrinks (never grows) when the kernel says a packet is too large for this system's buffers.
std::atomic<size_t> g_payload{kMaxPayload};

// Where received bytes nobody wants (and first packets of unknown size) land.
char* scratch() {
  thread_local std::unique_ptr<char[]> buffer;
  if (!buffer) buffer.reset(new char[kMaxPayload]);
  return buffer.get();
}

int64_t remaining(int64_t deadline) {
  if (deadline < 0) return -1;
  int64_t left = deadline - mproc_posix::now_ms();
  return left < 0 ? 0 : left;
}

// Waits for events on fd: 1 ready (or hung up / error), 0 timeout, -1 error with errno.
int wait_fd(int fd, short events, int64_t timeout_ms) {
  const int64_t deadline = mproc_posix::deadline_ms(timeout_ms);
  for (;;) {
    int64_t left = remaining(deadline);
    int wait = left < 0 ? -1 : static_cast<int>(std::min<int64_t>(left, INT_MAX));
    pollfd p{fd, events, 0};
    int r = ::poll(&p, 1, wait);
    if (r > 0) {
      if (p.revents & POLLNVAL) {
        errno = EBADF;
        return -1;
      }
      return 1;
    }
    if (r == 0) {
      if (deadline >= 0 && mproc_posix::now_ms() >= deadline) return 0;
      continue;
    }
    if (errno != EINTR) return -1;
  }
}

ssize_t recv_packet(int fd, packet_header* h, void* data, size_t cap, int flags, int* msg_flags) {
  iovec iov[2] = {{h, kHeader}, {data, cap}};
  msghdr m{};
  m.msg_iov = iov;
  m.msg_iovlen = cap > 0 ? 2 : 1;
  ssize_t r;
  do {
    r = ::recvmsg(fd, &m, flags);
  } while (r < 0 && errno == EINTR);
  *msg_flags = m.msg_flags;
  return r;
}

mproc_status fail_eof(const char* what) {
  return mproc__failf(MPROC_E_EOF,
                      "%s: end of file: the other end is closed (every process that held it "
                      "closed it or ended)",
                      what);
}

mproc_status fail_partial(const char* what, uint64_t got, uint64_t size, const char* why) {
  return mproc__failf(MPROC_E_EOF,
                      "%s: end of file in the middle of a message (%d of %d bytes arrived): %s; the "
                      "partial message was dropped",
                      what, got, size, why);
}

mproc_status fail_corrupt(const char* what, const std::string& detail) {
  return mproc__failf(MPROC_E_CORRUPT,
                      "%s: %s (were several processes sending or receiving messages larger than "
                      "%d bytes on one end at once?)",
                      what, detail, kMaxPayload);
}

// Drops continuation packets that are waiting without a first packet before them (the rest of a
// message already reported corrupt), without waiting for more.
void drop_strays(int fd) {
  for (;;) {
    packet_header h{};
    int mf = 0;
    ssize_t r = recv_packet(fd, &h, nullptr, 0, MSG_PEEK | MSG_DONTWAIT, &mf);
    if (r < static_cast<ssize_t>(kHeader) || h.tag == kFirst) return;
    recv_packet(fd, &h, nullptr, 0, MSG_DONTWAIT, &mf);
  }
}

// Receives the continuation packets of a message into dest (NULL: drops them) until `size` bytes
// have arrived, `got` of which did already.
mproc_status read_rest(int fd, char* dest, uint64_t got, uint64_t size, uint32_t sender,
                       const char* what) {
  while (got < size) {
    packet_header h{};
    const uint64_t want = size - got;
    char* into = dest != nullptr ? dest + got : scratch();
    const size_t cap = dest != nullptr ? static_cast<size_t>(want) : kMaxPayload;
    int mf = 0;
    ssize_t r = recv_packet(fd, &h, into, cap, MSG_DONTWAIT, &mf);
    if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      int w = wait_fd(fd, POLLIN, kLivenessCheckMs);
      if (w < 0) return mproc__fail_os(errno, std::string(what) + ": poll");
      if (w == 0 && !mproc__process_alive(sender)) {
        return fail_partial(what, got, size,
                            ("its sender, pid " + std::to_string(sender) + ", died").c_str());
      }
      continue;
    }
    if (r < 0 && errno == ECONNRESET) {
      return fail_partial(what, got, size, "the sending end was closed");
    }
    if (r < 0) return mproc__fail_os(errno, std::string(what) + ": recvmsg");
    if (r == 0) return fail_partial(what, got, size, "the sending end was closed (its process ended?)");
    if (static_cast<size_t>(r) < kHeader || (mf & MSG_TRUNC) != 0 || h.tag != kMore ||
        h.value != got || static_cast<size_t>(r) == kHeader ||
        static_cast<uint64_t>(r) - kHeader > want) {
      std::string detail =
          h.tag == kFirst
              ? "a new message began before the " + std::to_string(size) +
                    "-byte message being received was complete"
              : "a packet that does not continue the " + std::to_string(size) +
                    "-byte message being received (at byte " + std::to_string(got) + ")";
      if (h.tag == kFirst) {
        // The interleaved message is broken too: drop what is left of it.
        drop_strays(fd);
      }
      return fail_corrupt(what, detail);
    }
    got += static_cast<uint64_t>(r) - kHeader;
  }
  return MPROC_OK;
}

// After a first receive that did not yield a first packet (r bytes; errno e when r < 0). A bad
// packet has been consumed already.
mproc_status first_packet_error(int fd, ssize_t r, int e, const char* what) {
  if (r == 0 || (r < 0 && e == ECONNRESET)) return fail_eof(what);
  if (r < 0) return mproc__fail_os(e, std::string(what) + ": recvmsg");
  drop_strays(fd);
  return fail_corrupt(what, "found a packet that does not start a message; dropped it");
}

}  // namespace

mproc_status mproc__channel_pair(bool duplex, const char* what, intptr_t* first, intptr_t* second) {
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) {
    return mproc__fail_os(errno, std::string(what) + ": socketpair");
  }
  for (int fd : sv) {
    int size = kSendBuffer;
    ::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);  // a hint: failure is harmless
  }
  // One way: the kernel makes sv[0] unable to send, and so sv[1] unable to receive (reads there
  // see end of file), whoever holds them.
  if (!duplex && ::shutdown(sv[0], SHUT_WR) != 0) {
    int e = errno;
    ::close(sv[0]);
    ::close(sv[1]);
    return mproc__fail_os(e, std::string(what) + ": shutdown");
  }
  *first = sv[0];
  *second = sv[1];
  return MPROC_OK;
}

mproc_status mproc__channel_open(intptr_t handle, const char* what, intptr_t* out) {
  if (handle < 0 || handle > INT_MAX) {
    return mproc__failf(MPROC_E_INVAL, "%s: %d is not a handle", what, handle);
  }
  const int fd = static_cast<int>(handle);
  int type = 0, domain = 0;
  socklen_t len = sizeof type;
  if (::getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0) {
    if (errno == EBADF) {
      return mproc__failf(MPROC_E_INVAL, "%s: handle %d is not open", what, fd);
    }
    return mproc__failf(MPROC_E_TYPE_MISMATCH, "%s: handle %d is not a Pipe connection (%s)", what,
                        fd, mproc__os_error_text(errno));
  }
  len = sizeof domain;
  if (::getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) != 0 || domain != AF_UNIX ||
      type != SOCK_SEQPACKET) {
    return mproc__failf(MPROC_E_TYPE_MISMATCH,
                        "%s: handle %d is a socket but not a Pipe connection (not an AF_UNIX "
                        "SOCK_SEQPACKET socket)",
                        what, fd);
  }
  int dup = ::fcntl(fd, F_DUPFD_CLOEXEC, 3);
  if (dup < 0) return mproc__fail_os(errno, std::string(what) + ": duplicating handle " + std::to_string(fd));
  *out = dup;
  return MPROC_OK;
}

mproc_status mproc__channel_send(intptr_t handle, const void* data, size_t len, int64_t timeout_ms,
                                 const char* what) {
  const int fd = static_cast<int>(handle);
  const char* bytes = static_cast<const char*>(data);
  // The cached identity, not getpid(): glibc no longer caches the pid, and a system call here
  // was a third of the calls in a small message's round trip (two of six).
  const uint32_t pid = static_cast<uint32_t>(mproc__thread_identity() >> 32);
  const int64_t deadline = mproc_posix::deadline_ms(timeout_ms);
  size_t off = 0;
  bool first = true;
  while (first || off < len) {
    const size_t payload = g_payload.load(std::memory_order_relaxed);
    const size_t n = std::min(len - off, payload);
    packet_header h{first ? kFirst : kMore, pid, first ? uint64_t{len} : uint64_t{off}};
    iovec iov[2] = {{&h, kHeader}, {const_cast<char*>(bytes + off), n}};
    msghdr m{};
    m.msg_iov = iov;
    m.msg_iovlen = n > 0 ? 2 : 1;
    // Only the start of a message may time out: a message once begun is finished, or the receiver
    // would be left holding half of it.
    const int flags = MSG_NOSIGNAL | (first && timeout_ms >= 0 ? MSG_DONTWAIT : 0);
    ssize_t r = ::sendmsg(fd, &m, flags);
    if (r >= 0) {
      off += n;
      first = false;
      continue;
    }
    const int e = errno;
    if (e == EINTR) continue;
    if (e == EAGAIN || e == EWOULDBLOCK) {
      int w = wait_fd(fd, POLLOUT, first ? remaining(deadline) : -1);
      if (w < 0) return mproc__fail_os(errno, std::string(what) + ": poll");
      if (w == 0) {
        return mproc__failf(MPROC_E_TIMEOUT,
                            "%s: the other end did not make room for the message within %d ms "
                            "(nothing was sent)",
                            what, timeout_ms);
      }
      continue;
    }
    if (e == EMSGSIZE && payload > kMinPayload && n > kMinPayload) {
      size_t expected = payload;
      g_payload.compare_exchange_strong(expected, payload / 2);
      continue;
    }
    if (e == EPIPE || e == ECONNRESET) {
      if (first) {
        return mproc__failf(MPROC_E_EOF,
                            "%s: end of file: the other end is closed (every process that held it "
                            "closed it or ended), or this end only receives",
                            what);
      }
      return mproc__failf(MPROC_E_EOF,
                          "%s: the other end was closed after %d of the message's %d bytes were "
                          "sent",
                          what, off, len);
    }
    return mproc__fail_os(e, std::string(what) + ": sendmsg");
  }
  return MPROC_OK;
}

mproc_status mproc__channel_recv(intptr_t handle, int64_t timeout_ms, mproc__channel_sink* sink,
                                 mproc__channel_held* held, const char* what, uint64_t* size) {
  const int fd = static_cast<int>(handle);
  *size = 0;
  if (held->present) {
    *size = held->size;
    mproc_status why = MPROC_OK;
    char* dest = static_cast<char*>(sink->place(held->size, &why));
    if (dest == nullptr && why == MPROC_E_BUFFER_TOO_SHORT) return why;
    std::string start;
    start.swap(held->start);
    held->present = false;
    if (dest != nullptr && !start.empty()) std::memcpy(dest, start.data(), start.size());
    mproc_status st = read_rest(fd, dest, start.size(), held->size,
                                static_cast<uint32_t>(held->sender), what);
    return dest == nullptr && st == MPROC_OK ? why : st;
  }

  // The first packet lands in the caller's buffer as far as it reaches, the rest in scratch: one
  // system call receives a message that fits, and one that does not is not lost (it is held).
  size_t cap = 0;
  char* room = static_cast<char*>(sink->first_room(&cap));
  const size_t direct = room != nullptr ? std::min(cap, kMaxPayload) : 0;
  const int64_t deadline = mproc_posix::deadline_ms(timeout_ms);
  // Blocking forever needs no poll: the receive itself waits. With a timeout, try first and poll
  // only when nothing is there.
  const int flags = timeout_ms < 0 ? 0 : MSG_DONTWAIT;
  packet_header h{};
  ssize_t r;
  int mf = 0;
  for (;;) {
    iovec iov[3] = {{&h, kHeader}, {room, direct}, {scratch(), kMaxPayload - direct}};
    msghdr m{};
    m.msg_iov = iov;
    m.msg_iovlen = 3;
    do {
      r = ::recvmsg(fd, &m, flags);
    } while (r < 0 && errno == EINTR);
    mf = m.msg_flags;
    if (r >= 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) break;
    // Nothing yet (or another receiver was faster, or the descriptor is non-blocking).
    int w = wait_fd(fd, POLLIN, remaining(deadline));
    if (w < 0) return mproc__fail_os(errno, std::string(what) + ": poll");
    if (w == 0) {
      return mproc__failf(MPROC_E_TIMEOUT, "%s: no message arrived within %d ms", what,
                          timeout_ms);
    }
  }
  if (r < static_cast<ssize_t>(kHeader) || h.tag != kFirst || (mf & MSG_TRUNC) != 0) {
    return first_packet_error(fd, r, errno, what);
  }
  const size_t part = static_cast<size_t>(r) - kHeader;
  if (part > h.value) return fail_corrupt(what, "a first packet longer than its message");
  const size_t in_room = std::min(part, direct);
  const size_t in_scratch = part - in_room;
  *size = h.value;
  mproc_status why = MPROC_OK;
  char* dest = static_cast<char*>(sink->place(h.value, &why));
  if (dest == nullptr) {
    if (why == MPROC_E_BUFFER_TOO_SHORT) {
      held->start.assign(room != nullptr ? room : "", in_room);
      held->start.append(scratch(), in_scratch);
      held->size = h.value;
      held->sender = h.pid;
      held->present = true;
      return why;
    }
    mproc_status st = read_rest(fd, nullptr, part, h.value, h.pid, what);
    return st == MPROC_OK ? why : st;
  }
  if (dest != room && in_room > 0) std::memcpy(dest, room, in_room);
  if (in_scratch > 0) std::memcpy(dest + in_room, scratch(), in_scratch);
  return read_rest(fd, dest, part, h.value, h.pid, what);
}

mproc_status mproc__handles_wait(const intptr_t* handles, size_t n, int64_t timeout_ms,
                                 const char* what, uint8_t* ready, size_t* count) {
  *count = 0;
  // A few handles (the usual case: poll on one connection) need no allocation.
  pollfd few[8];
  std::vector<pollfd> many;
  pollfd* p = few;
  if (n > sizeof few / sizeof few[0]) {
    many.resize(n);
    p = many.data();
  }
  for (size_t i = 0; i < n; ++i) {
    if (handles[i] < 0 || handles[i] > INT_MAX) {
      return mproc__failf(MPROC_E_INVAL, "%s: handle %d (at index %d) is not a handle", what,
                          handles[i], i);
    }
    p[i] = pollfd{static_cast<int>(handles[i]), POLLIN, 0};
    ready[i] = 0;
  }
  // No clock read for a poll (timeout 0) or an endless wait: a busy poll loop pays for poll only.
  const int64_t deadline = timeout_ms <= 0 ? -1 : mproc_posix::deadline_ms(timeout_ms);
  for (;;) {
    int wait = 0;
    if (timeout_ms < 0) {
      wait = -1;
    } else if (timeout_ms > 0) {
      wait = static_cast<int>(std::min<int64_t>(remaining(deadline), INT_MAX));
    }
    int r = ::poll(p, static_cast<nfds_t>(n), wait);
    if (r < 0) {
      if (errno == EINTR) continue;
      return mproc__fail_os(errno, std::string(what) + ": poll");
    }
    if (r == 0) {
      if (timeout_ms == 0 || (deadline >= 0 && mproc_posix::now_ms() >= deadline)) return MPROC_OK;
      continue;
    }
    for (size_t i = 0; i < n; ++i) {
      if (p[i].revents & POLLNVAL) {
        return mproc__failf(MPROC_E_INVAL, "%s: handle %d (at index %d) is not open", what,
                            handles[i], i);
      }
      if (p[i].revents & (POLLIN | POLLHUP | POLLERR)) {
        ready[i] = 1;
        ++*count;
      }
    }
    return MPROC_OK;
  }
}
