// core/serial_channel.cc — mproc_serial_channel: messages over a serial port, framed by
// core/frame.h (COBS + CRC-32), or raw bytes.
#include "mproc/serial_channel.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "core/frame.h"
#include "core/mutex.h"
#include "core/options.h"
#include "core/serial_port.h"
#include "core/status.h"

namespace {

// What one read from the port takes at most: enough for a fast line, small enough for the stack
// of work a poll(0) does.
constexpr size_t kReadChunk = 64 * 1024;

// A message, or (report_corrupt) a drop to report, in arrival order.
struct arrival {
  bool dropped = false;
  mproc_frame::drop_reason why = mproc_frame::drop_reason::crc;
  size_t bytes = 0;
  std::string payload;
};

}  // namespace

struct mproc_serial_channel {
  mproc_serial_channel(mproc_serial* p, const mproc_serial_channel_options& o)
      : port(p), options(o), decoder(static_cast<size_t>(o.max_message_size)) {}
  ~mproc_serial_channel() { mproc_serial_destroy(port); }

  std::string what(const char* where) const {
    return std::string(where) + ": channel on " + port->label;
  }

  mproc_serial* port;
  const mproc_serial_channel_options options;  // resolved
  std::atomic<bool> closed{false};

  mproc__thread_mutex send_mu;
  std::string wire ABSL_GUARDED_BY(send_mu);

  mproc__thread_mutex recv_mu;
  mproc_frame::decoder decoder ABSL_GUARDED_BY(recv_mu);
  std::deque<arrival> pending ABSL_GUARDED_BY(recv_mu);
  std::string raw ABSL_GUARDED_BY(recv_mu);  // raw mode: bytes read by poll, not yet received
  size_t raw_at ABSL_GUARDED_BY(recv_mu) = 0;
  bool eof ABSL_GUARDED_BY(recv_mu) = false;
  std::vector<char> buffer ABSL_GUARDED_BY(recv_mu);

  mutable mproc__thread_mutex stats_mu;
  mproc_serial_channel_stats stats ABSL_GUARDED_BY(stats_mu) = MPROC_SERIAL_CHANNEL_STATS_INIT;
};

namespace {

class arrivals final : public mproc_frame::decoder::sink {
 public:
  explicit arrivals(mproc_serial_channel* c) : c_(c) {}
  void frame(const char* data, size_t n) override ABSL_NO_THREAD_SAFETY_ANALYSIS {
    arrival a;
    a.payload.assign(data, n);
    c_->pending.push_back(std::move(a));
  }
  void drop(mproc_frame::drop_reason why, size_t bytes) override ABSL_NO_THREAD_SAFETY_ANALYSIS {
    {
      mproc__thread_lock l(&c_->stats_mu);
      mproc_serial_channel_stats& s = c_->stats;
      ++s.frames_dropped;
      s.bytes_discarded += bytes;
      switch (why) {
        case mproc_frame::drop_reason::crc:
          ++s.dropped_crc;
          break;
        case mproc_frame::drop_reason::malformed:
          ++s.dropped_malformed;
          break;
        case mproc_frame::drop_reason::oversize:
          ++s.dropped_oversize;
          break;
        case mproc_frame::drop_reason::truncated:
          ++s.dropped_truncated;
          break;
      }
    }
    if (c_->options.report_corrupt != 0) {
      arrival a;
      a.dropped = true;
      a.why = why;
      a.bytes = bytes;
      c_->pending.push_back(std::move(a));
    }
  }

 private:
  mproc_serial_channel* c_;
};

bool has_arrival(mproc_serial_channel* c) ABSL_EXCLUSIVE_LOCKS_REQUIRED(c->recv_mu) {
  if (c->options.framing == MPROC_SERIAL_RAW) return c->raw_at < c->raw.size();
  return !c->pending.empty();
}

// Reads and decodes until something can be received (or the peer hung up), up to timeout_ms.
// MPROC_OK then (check c->eof), MPROC_E_TIMEOUT, or the port's error.
mproc_status fill(mproc_serial_channel* c, const char* where, int64_t timeout_ms)
    ABSL_EXCLUSIVE_LOCKS_REQUIRED(c->recv_mu) {
  const mproc__serial_deadline deadline(timeout_ms);
  if (c->buffer.empty()) c->buffer.resize(kReadChunk);
  arrivals sink(c);
  while (!has_arrival(c) && !c->eof) {
    const int64_t left = deadline.left_ms();
    size_t got = 0;
    const mproc_status st =
        mproc__serial_read_some(c->port, where, c->buffer.data(), c->buffer.size(), &got, left);
    if (st == MPROC_E_EOF) {
      c->eof = true;
      c->decoder.finish(&sink);
      break;
    }
    if (st == MPROC_E_TIMEOUT) {
      return mproc__failf(MPROC_E_TIMEOUT, "%s: no %s arrived within %d ms", c->what(where),
                          c->options.framing == MPROC_SERIAL_RAW ? "bytes" : "whole message",
                          timeout_ms);
    }
    if (st != MPROC_OK) return st;
    {
      mproc__thread_lock l(&c->stats_mu);
      c->stats.bytes_received += got;
    }
    if (c->options.framing == MPROC_SERIAL_RAW) {
      if (c->raw_at == c->raw.size()) {
        c->raw.clear();
        c->raw_at = 0;
      }
      c->raw.append(c->buffer.data(), got);
    } else {
      c->decoder.feed(c->buffer.data(), got, &sink);
    }
  }
  return MPROC_OK;
}

mproc_status require_open(const char* where, const mproc_serial_channel* c) {
  if (c == nullptr) return mproc__failf(MPROC_E_INVAL, "%s: channel is NULL", where);
  if (c->closed.load()) return mproc__failf(MPROC_E_CLOSED, "%s is closed", c->what(where));
  return MPROC_OK;
}

mproc_status eof_status(const mproc_serial_channel* c, const char* where) {
  return mproc__failf(MPROC_E_EOF, "%s: the other end hung up", c->what(where));
}

}  // namespace

extern "C" {

MPROC_API mproc_status mproc_serial_channel_create(mproc_serial* port,
                                                   const mproc_serial_channel_options* opts,
                                                   mproc_serial_channel** out) {
  const char* where = "mproc_serial_channel_create";
  if (out == nullptr) return mproc__failf(MPROC_E_INVAL, "%s: out is NULL", where);
  *out = nullptr;
  if (port == nullptr) return mproc__failf(MPROC_E_INVAL, "%s: port is NULL", where);
  const std::string what = mproc__serial_what(port, where);
  if (port->closed.load()) return mproc__failf(MPROC_E_CLOSED, "%s is closed", what);
  mproc_serial_channel_options o;
  mproc_status st = mproc__read_options(what.c_str(), opts, &o);
  if (st != MPROC_OK) return st;
  if (o.framing != MPROC_SERIAL_FRAMED && o.framing != MPROC_SERIAL_RAW) {
    return mproc__failf(MPROC_E_INVAL,
                        "%s: framing %d is not MPROC_SERIAL_FRAMED (0) or MPROC_SERIAL_RAW (1)",
                        what, o.framing);
  }
  if (o.max_message_size == 0) o.max_message_size = MPROC_SERIAL_DEFAULT_MAX_MESSAGE;
  if (o.max_message_size > MPROC_SERIAL_MAX_MESSAGE_LIMIT) {
    return mproc__failf(MPROC_E_INVAL,
                        "%s: a maximum message size of %d bytes is over the limit of %d (the "
                        "receiver buffers one whole frame)",
                        what, o.max_message_size, MPROC_SERIAL_MAX_MESSAGE_LIMIT);
  }
  o.report_corrupt = o.report_corrupt != 0 ? 1 : 0;
  *out = new mproc_serial_channel(port, o);
  return MPROC_OK;
}

MPROC_API mproc_status mproc_serial_channel_open(const char* name,
                                                 const mproc_serial_options* port_opts,
                                                 const mproc_serial_channel_options* opts,
                                                 mproc_serial_channel** out) {
  if (out == nullptr) return mproc__fail(MPROC_E_INVAL, "mproc_serial_channel_open: out is NULL");
  *out = nullptr;
  mproc_serial* port = nullptr;
  mproc_status st = mproc_serial_open(name, port_opts, &port);
  if (st != MPROC_OK) return st;
  st = mproc_serial_channel_create(port, opts, out);
  if (st != MPROC_OK) mproc_serial_destroy(port);
  return st;
}

MPROC_API mproc_status mproc_serial_channel_send_bytes(mproc_serial_channel* c, const void* data,
                                                       size_t len, int64_t timeout_ms) {
  const char* where = "mproc_serial_channel_send_bytes";
  mproc_status st = require_open(where, c);
  if (st != MPROC_OK) return st;
  if (data == nullptr && len > 0) {
    return mproc__failf(MPROC_E_INVAL, "%s: data is NULL", c->what(where));
  }
  st = mproc__check_timeout(where, timeout_ms);
  if (st != MPROC_OK) return st;
  mproc__thread_lock l(&c->send_mu);
  const void* out = data;
  size_t n = len;
  if (c->options.framing == MPROC_SERIAL_FRAMED) {
    if (len > c->options.max_message_size) {
      return mproc__failf(MPROC_E_TOO_BIG,
                          "%s: a message of %d bytes is over the maximum of %d (nothing sent)",
                          c->what(where), len, c->options.max_message_size);
    }
    c->wire.clear();
    mproc_frame::encode(data, len, &c->wire);
    out = c->wire.data();
    n = c->wire.size();
  }
  size_t written = 0;
  st = mproc__serial_write_all(c->port, where, out, n, &written, timeout_ms);
  {
    mproc__thread_lock s(&c->stats_mu);
    c->stats.bytes_sent += written;
    if (st == MPROC_OK) ++c->stats.messages_sent;
  }
  if (st == MPROC_E_TIMEOUT && c->options.framing == MPROC_SERIAL_FRAMED) {
    return mproc__failf(MPROC_E_TIMEOUT,
                        "%s: only %d of the frame's %d bytes went out within %d ms; the receiver "
                        "drops the partial frame",
                        c->what(where), written, n, timeout_ms);
  }
  return st;
}

MPROC_API mproc_status mproc_serial_channel_recv_bytes(mproc_serial_channel* c, void* buf,
                                                       size_t cap, int64_t timeout_ms,
                                                       size_t* len) {
  const char* where = "mproc_serial_channel_recv_bytes";
  mproc_status st = require_open(where, c);
  if (st != MPROC_OK) return st;
  if (len == nullptr) return mproc__failf(MPROC_E_INVAL, "%s: len is NULL", c->what(where));
  *len = 0;
  if (buf == nullptr && cap > 0) {
    return mproc__failf(MPROC_E_INVAL, "%s: buf is NULL", c->what(where));
  }
  st = mproc__check_timeout(where, timeout_ms);
  if (st != MPROC_OK) return st;
  mproc__thread_lock l(&c->recv_mu);
  if (c->options.framing == MPROC_SERIAL_RAW) {
    if (cap == 0) return mproc__failf(MPROC_E_INVAL, "%s: a capacity of 0", c->what(where));
    if (c->raw_at == c->raw.size() && !c->eof) {
      // Nothing buffered by poll: read straight into the caller's buffer.
      size_t got = 0;
      st = mproc__serial_read_some(c->port, where, buf, cap, &got, timeout_ms);
      if (st == MPROC_E_EOF) {
        c->eof = true;
        return eof_status(c, where);
      }
      if (st != MPROC_OK) return st;
      mproc__thread_lock s(&c->stats_mu);
      c->stats.bytes_received += got;
      ++c->stats.messages_received;
      *len = got;
      return MPROC_OK;
    }
    if (c->raw_at == c->raw.size()) return eof_status(c, where);
    const size_t n = std::min(cap, c->raw.size() - c->raw_at);
    std::memcpy(buf, c->raw.data() + c->raw_at, n);
    c->raw_at += n;
    *len = n;
    mproc__thread_lock s(&c->stats_mu);
    ++c->stats.messages_received;
    return MPROC_OK;
  }
  st = fill(c, where, timeout_ms);
  if (st != MPROC_OK) return st;
  if (c->pending.empty()) return eof_status(c, where);
  arrival& next = c->pending.front();
  if (next.dropped) {
    const std::string reason = mproc_frame::drop_reason_name(next.why);
    const size_t bytes = next.bytes;
    c->pending.pop_front();
    uint64_t total = 0;
    {
      mproc__thread_lock s(&c->stats_mu);
      total = c->stats.frames_dropped;
    }
    return mproc__failf(MPROC_E_CORRUPT,
                        "%s: dropped %d received bytes (%s); %d frames dropped so far",
                        c->what(where), bytes, reason, total);
  }
  *len = next.payload.size();
  if (next.payload.size() > cap) {
    return mproc__failf(MPROC_E_BUFFER_TOO_SHORT,
                        "%s: the message is %d bytes, the buffer %d (the message is kept)",
                        c->what(where), next.payload.size(), cap);
  }
  if (!next.payload.empty()) std::memcpy(buf, next.payload.data(), next.payload.size());
  c->pending.pop_front();
  mproc__thread_lock s(&c->stats_mu);
  ++c->stats.messages_received;
  return MPROC_OK;
}

MPROC_API mproc_status mproc_serial_channel_poll(mproc_serial_channel* c, int64_t timeout_ms,
                                                 int* ready) {
  const char* where = "mproc_serial_channel_poll";
  mproc_status st = require_open(where, c);
  if (st != MPROC_OK) return st;
  if (ready == nullptr) return mproc__failf(MPROC_E_INVAL, "%s: ready is NULL", c->what(where));
  *ready = 0;
  st = mproc__check_timeout(where, timeout_ms);
  if (st != MPROC_OK) return st;
  mproc__thread_lock l(&c->recv_mu);
  st = fill(c, where, timeout_ms);
  if (st == MPROC_E_TIMEOUT) return MPROC_OK;
  if (st != MPROC_OK) return st;
  *ready = 1;
  return MPROC_OK;
}

MPROC_API mproc_status mproc_serial_channel_stats_get(const mproc_serial_channel* c,
                                                      mproc_serial_channel_stats* out) {
  const char* where = "mproc_serial_channel_stats_get";
  if (c == nullptr || out == nullptr) {
    return mproc__failf(MPROC_E_INVAL, "%s: NULL argument", where);
  }
  if (out->size < sizeof(size_t)) {
    return mproc__failf(MPROC_E_INVAL, "%s: set out->size (MPROC_SERIAL_CHANNEL_STATS_INIT)",
                        where);
  }
  mproc_serial_channel_stats copy;
  {
    mproc__thread_lock l(&c->stats_mu);
    copy = c->stats;
  }
  const size_t size = std::min(out->size, sizeof copy);
  std::memcpy(static_cast<void*>(out), &copy, size);
  out->size = size;
  return MPROC_OK;
}

MPROC_API mproc_status mproc_serial_channel_fileno(const mproc_serial_channel* c, intptr_t* out) {
  const char* where = "mproc_serial_channel_fileno";
  mproc_status st = require_open(where, c);
  if (st != MPROC_OK) return st;
  return mproc_serial_handle(c->port, out);
}

MPROC_API mproc_serial* mproc_serial_channel_port(mproc_serial_channel* c) {
  return c != nullptr ? c->port : nullptr;
}

MPROC_API mproc_status mproc_serial_channel_get_options(const mproc_serial_channel* c,
                                                        mproc_serial_channel_options* out) {
  const char* where = "mproc_serial_channel_get_options";
  if (c == nullptr || out == nullptr) {
    return mproc__failf(MPROC_E_INVAL, "%s: NULL argument", where);
  }
  if (out->size < sizeof(size_t)) {
    return mproc__failf(MPROC_E_INVAL, "%s: set out->size (MPROC_SERIAL_CHANNEL_OPTIONS_INIT)",
                        where);
  }
  const size_t size = std::min(out->size, sizeof c->options);
  std::memcpy(static_cast<void*>(out), &c->options, size);
  out->size = size;
  return MPROC_OK;
}

MPROC_API mproc_status mproc_serial_channel_close(mproc_serial_channel* c) {
  if (c == nullptr) {
    return mproc__fail(MPROC_E_INVAL, "mproc_serial_channel_close: channel is NULL");
  }
  if (c->closed.exchange(true)) return MPROC_OK;
  return mproc_serial_close(c->port);
}

MPROC_API int mproc_serial_channel_closed(const mproc_serial_channel* c) {
  return c == nullptr || c->closed.load() ? 1 : 0;
}

MPROC_API void mproc_serial_channel_destroy(mproc_serial_channel* c) { delete c; }

}  // extern "C"
