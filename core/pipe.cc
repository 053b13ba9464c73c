// core/pipe.cc — mproc_connection: Python's Pipe and Connection. The backend moves the messages
// (its channel section); this file keeps each end's name, direction, maximum size and open/closed
// state, and words the errors a caller can act on.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>

#include "backends/backend.h"
#include "core/deadline.h"
#include "core/options.h"
#include "core/status.h"
#include "mproc/pipe.h"

struct mproc_connection {
  // -1 once closed. Atomic so that a thread reading it while another closes is a defined race
  // (the API still forbids closing while another thread uses the connection).
  std::atomic<intptr_t> fd{MPROC__NO_HANDLE};
  mproc_connection_mode mode = MPROC_CONNECTION_DUPLEX;
  uint64_t max_message = 0;
  std::string name;
  std::string describe;  // "Connection 'Pipe-1[0]'"
  // Built once: every backend call needs its caller's name for the error text, and a send or
  // receive should not pay for string building.
  std::string send_what, recv_what, recv_alloc_what, poll_what;
  // Sends are serialised among this process's threads (a large message is several packets that
  // must not interleave with another thread's); receives too.
  std::timed_mutex send_mu;
  std::timed_mutex recv_mu;
  // A message refused as too long for the caller's buffer after its start was taken from the
  // channel; delivered first by the next receive. Guarded by recv_mu; has_held mirrors
  // held.present for poll, which does not take recv_mu.
  mproc__channel_held held;
  std::atomic<bool> has_held{false};
};

namespace {

constexpr size_t kMaxPipeName = 60;  // leaves room for "[0]" within an object name's 63 bytes
std::atomic<int> g_pipe_counter{0};
std::atomic<int> g_connection_counter{0};

std::unique_ptr<mproc_connection> make_connection(intptr_t fd, mproc_connection_mode mode,
                                                  uint64_t max, std::string name) {
  auto c = std::make_unique<mproc_connection>();
  c->fd.store(fd);
  c->mode = mode;
  c->max_message = max;
  c->name = std::move(name);
  c->describe = "Connection '" + c->name + "'";
  c->send_what = "mproc_connection_send_bytes: " + c->describe;
  c->recv_what = "mproc_connection_recv_bytes: " + c->describe;
  c->recv_alloc_what = "mproc_connection_recv_bytes_alloc: " + c->describe;
  c->poll_what = "mproc_connection_poll: " + c->describe;
  return c;
}

// The open descriptor, or MPROC_E_CLOSED naming the connection.
mproc_status require_open(const char* where, const mproc_connection* c, intptr_t* fd) {
  if (c == nullptr) return mproc__failf(MPROC_E_INVAL, "%s: connection is NULL", where);
  *fd = c->fd.load(std::memory_order_acquire);
  if (!mproc__handle_valid(*fd)) return mproc__failf(MPROC_E_CLOSED, "%s: %s is closed", where, c->describe);
  return MPROC_OK;
}

mproc_status require_receiver(const char* where, const mproc_connection* c) {
  if (c->mode == MPROC_CONNECTION_SEND_ONLY) {
    return mproc__failf(MPROC_E_STATE,
                        "%s: %s only sends (it is the second end of a one-way Pipe); receive on "
                        "the first end",
                        where, c->describe);
  }
  return MPROC_OK;
}

// Takes mu within timeout_ms; *left is the time that remains for the operation itself.
bool lock_within(std::timed_mutex& mu, int64_t timeout_ms, int64_t* left) {
  *left = timeout_ms;
  if (timeout_ms < 0) {
    mu.lock();
    return true;
  }
  if (mu.try_lock()) return true;
  const auto start = std::chrono::steady_clock::now();
  // try_lock_until with a saturated deadline: try_lock_for adds the timeout to the clock itself,
  // and INT64_MAX ms wraps into the past.
  if (!mu.try_lock_until(mproc__steady_after(timeout_ms))) return false;
  const auto spent = std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::steady_clock::now() - start)
                         .count();
  *left = std::max<int64_t>(0, timeout_ms - spent);
  return true;
}

// Receives into the caller's buffer; a message that does not fit is kept for the next call.
class buffer_sink final : public mproc__channel_sink {
 public:
  buffer_sink(void* buf, size_t cap, uint64_t max) : buf_(buf), cap_(cap), max_(max) {}
  void* first_room(size_t* cap) override {
    *cap = cap_;
    return buf_;
  }
  void* place(uint64_t size, mproc_status* why) override {
    if (max_ != 0 && size > max_) {
      *why = MPROC_E_TOO_BIG;  // could never be received: drop it
      return nullptr;
    }
    if (size > cap_) {
      *why = MPROC_E_BUFFER_TOO_SHORT;
      return nullptr;
    }
    return buf_ != nullptr ? buf_ : &empty_;
  }

 private:
  void* buf_;
  size_t cap_;
  uint64_t max_;
  char empty_ = 0;
};

// Receives into memory allocated once the size is known (released with mproc_free).
class alloc_sink final : public mproc__channel_sink {
 public:
  explicit alloc_sink(uint64_t limit) : limit_(limit) {}
  ~alloc_sink() override { std::free(data_); }
  void* place(uint64_t size, mproc_status* why) override {
    if ((limit_ != 0 && size > limit_) || size > SIZE_MAX - 1) {
      *why = MPROC_E_TOO_BIG;
      return nullptr;
    }
    data_ = std::malloc(size > 0 ? static_cast<size_t>(size) : 1);
    if (data_ == nullptr) *why = MPROC_E_NOMEM;
    return data_;
  }
  void* first_room(size_t* cap) override {
    *cap = 0;
    return nullptr;
  }
  void* release() {
    void* d = data_;
    data_ = nullptr;
    return d;
  }

 private:
  uint64_t limit_;
  void* data_ = nullptr;
};

}  // namespace

extern "C" {

MPROC_API mproc_status mproc_pipe_create(int duplex, const mproc_pipe_options* opts,
                                         mproc_connection** end0, mproc_connection** end1) {
  const char* where = "mproc_pipe_create";
  if (end0 == nullptr || end1 == nullptr) {
    return mproc__failf(MPROC_E_INVAL, "%s: an output (end0 or end1) is NULL", where);
  }
  *end0 = nullptr;
  *end1 = nullptr;
  mproc_pipe_options o;
  mproc_status st = mproc__read_options(where, opts, &o);
  if (st != MPROC_OK) return st;
  std::string name = o.name != nullptr ? std::string(o.name)
                                       : "Pipe-" + std::to_string(++g_pipe_counter);
  if (name.size() > kMaxPipeName) {
    return mproc__failf(MPROC_E_INVAL, "%s: Pipe '%s': a name is at most %d bytes", where, name,
                        kMaxPipeName);
  }
  std::string what = std::string(where) + ": Pipe '" + name + "'";
  intptr_t a = MPROC__NO_HANDLE, b = MPROC__NO_HANDLE;
  st = mproc__channel_pair(duplex != 0, what.c_str(), &a, &b);
  if (st != MPROC_OK) return st;
  *end0 = make_connection(a, duplex ? MPROC_CONNECTION_DUPLEX : MPROC_CONNECTION_RECV_ONLY,
                          o.max_message_size, name + "[0]")
              .release();
  *end1 = make_connection(b, duplex ? MPROC_CONNECTION_DUPLEX : MPROC_CONNECTION_SEND_ONLY,
                          o.max_message_size, name + "[1]")
              .release();
  return MPROC_OK;
}

MPROC_API mproc_status mproc_connection_open(intptr_t handle, const mproc_connection_options* opts,
                                             mproc_connection** out) {
  const char* where = "mproc_connection_open";
  if (out == nullptr) return mproc__failf(MPROC_E_INVAL, "%s: out is NULL", where);
  *out = nullptr;
  mproc_connection_options o;
  mproc_status st = mproc__read_options(where, opts, &o);
  if (st != MPROC_OK) return st;
  // Read as an int: a C caller may have stored any number there, and loading it as the enum
  // would be undefined in C++.
  int mode = 0;
  static_assert(sizeof mode == sizeof o.mode, "mproc_connection_mode is int-sized");
  std::memcpy(&mode, &o.mode, sizeof mode);
  if (mode != MPROC_CONNECTION_DUPLEX && mode != MPROC_CONNECTION_RECV_ONLY &&
      mode != MPROC_CONNECTION_SEND_ONLY) {
    return mproc__failf(MPROC_E_INVAL, "%s: %d is not a connection mode", where, mode);
  }
  std::string name = o.name != nullptr ? std::string(o.name)
                                       : "Connection-" + std::to_string(++g_connection_counter);
  if (name.size() > kMaxPipeName + 3) {
    return mproc__failf(MPROC_E_INVAL, "%s: Connection '%s': a name is at most %d bytes", where,
                        name, kMaxPipeName + 3);
  }
  std::string what = std::string(where) + ": Connection '" + name + "'";
  intptr_t fd = MPROC__NO_HANDLE;
  st = mproc__channel_open(handle, what.c_str(), &fd);
  if (st != MPROC_OK) return st;
  *out = make_connection(fd, o.mode, o.max_message_size, name).release();
  return MPROC_OK;
}

MPROC_API mproc_status mproc_connection_send_bytes(mproc_connection* c, const void* data,
                                                   size_t len, int64_t timeout_ms) {
  const char* where = "mproc_connection_send_bytes";
  intptr_t fd = MPROC__NO_HANDLE;
  mproc_status st = require_open(where, c, &fd);
  if (st != MPROC_OK) return st;
  if (data == nullptr && len > 0) {
    return mproc__failf(MPROC_E_INVAL, "%s: %s: data is NULL but len is %d", where, c->describe,
                        len);
  }
  st = mproc__check_count(where, "len", len);
  if (st == MPROC_OK) st = mproc__check_timeout(where, timeout_ms);
  if (st != MPROC_OK) return st;
  if (c->mode == MPROC_CONNECTION_RECV_ONLY) {
    return mproc__failf(MPROC_E_STATE,
                        "%s: %s only receives (it is the first end of a one-way Pipe); send on "
                        "the second end",
                        where, c->describe);
  }
  if (c->max_message != 0 && len > c->max_message) {
    return mproc__failf(MPROC_E_TOO_BIG,
                        "%s: %s: a message of %d bytes is larger than its maximum of %d bytes; "
                        "nothing was sent",
                        where, c->describe, len, c->max_message);
  }
  int64_t left = timeout_ms;
  if (!lock_within(c->send_mu, timeout_ms, &left)) {
    return mproc__failf(MPROC_E_TIMEOUT,
                        "%s: %s: another thread's send did not finish within %d ms (nothing was "
                        "sent)",
                        where, c->describe, timeout_ms);
  }
  std::lock_guard<std::timed_mutex> lock(c->send_mu, std::adopt_lock);
  return mproc__channel_send(fd, data, len, left, c->send_what.c_str());
}

MPROC_API mproc_status mproc_connection_recv_bytes(mproc_connection* c, void* buf, size_t cap,
                                                   int64_t timeout_ms, size_t* len) {
  const char* where = "mproc_connection_recv_bytes";
  intptr_t fd = MPROC__NO_HANDLE;
  mproc_status st = require_open(where, c, &fd);
  if (st != MPROC_OK) return st;
  if (len == nullptr) return mproc__failf(MPROC_E_INVAL, "%s: %s: len is NULL", where, c->describe);
  *len = 0;
  if (buf == nullptr && cap > 0) {
    return mproc__failf(MPROC_E_INVAL, "%s: %s: buf is NULL but cap is %d", where, c->describe,
                        cap);
  }
  st = mproc__check_timeout(where, timeout_ms);
  if (st != MPROC_OK) return st;
  st = require_receiver(where, c);
  if (st != MPROC_OK) return st;
  int64_t left = timeout_ms;
  if (!lock_within(c->recv_mu, timeout_ms, &left)) {
    return mproc__failf(MPROC_E_TIMEOUT, "%s: %s: another thread's receive held it for %d ms",
                        where, c->describe, timeout_ms);
  }
  std::lock_guard<std::timed_mutex> lock(c->recv_mu, std::adopt_lock);
  buffer_sink sink(buf, cap, c->max_message);
  uint64_t size = 0;
  st = mproc__channel_recv(fd, left, &sink, &c->held, c->recv_what.c_str(), &size);
  c->has_held.store(c->held.present, std::memory_order_release);
  *len = static_cast<size_t>(size);
  if (st == MPROC_E_BUFFER_TOO_SHORT) {
    return mproc__failf(st,
                        "%s: %s: the next message is %d bytes but the buffer holds %d; it is kept: "
                        "receive it again with a buffer of at least %d bytes",
                        where, c->describe, size, cap, size);
  }
  if (st == MPROC_E_TOO_BIG) {
    return mproc__failf(st,
                        "%s: %s: a message of %d bytes arrived, larger than the connection's "
                        "maximum of %d bytes; it was dropped",
                        where, c->describe, size, c->max_message);
  }
  if (st != MPROC_OK) *len = 0;
  return st;
}

MPROC_API mproc_status mproc_connection_recv_bytes_alloc(mproc_connection* c, size_t maxlength,
                                                         int64_t timeout_ms, void** data,
                                                         size_t* len) {
  const char* where = "mproc_connection_recv_bytes_alloc";
  intptr_t fd = MPROC__NO_HANDLE;
  mproc_status st = require_open(where, c, &fd);
  if (st != MPROC_OK) return st;
  if (data == nullptr || len == nullptr) {
    return mproc__failf(MPROC_E_INVAL, "%s: %s: an output (data or len) is NULL", where,
                        c->describe);
  }
  *data = nullptr;
  *len = 0;
  st = mproc__check_timeout(where, timeout_ms);
  if (st != MPROC_OK) return st;
  st = require_receiver(where, c);
  if (st != MPROC_OK) return st;
  int64_t left = timeout_ms;
  if (!lock_within(c->recv_mu, timeout_ms, &left)) {
    return mproc__failf(MPROC_E_TIMEOUT, "%s: %s: another thread's receive held it for %d ms",
                        where, c->describe, timeout_ms);
  }
  std::lock_guard<std::timed_mutex> lock(c->recv_mu, std::adopt_lock);
  uint64_t limit = c->max_message;
  if (maxlength != 0 && (limit == 0 || maxlength < limit)) limit = maxlength;
  alloc_sink sink(limit);
  uint64_t size = 0;
  st = mproc__channel_recv(fd, left, &sink, &c->held, c->recv_alloc_what.c_str(), &size);
  c->has_held.store(c->held.present, std::memory_order_release);
  if (st == MPROC_E_TOO_BIG) {
    *len = static_cast<size_t>(std::min<uint64_t>(size, SIZE_MAX));
    const bool caller_limit = maxlength != 0 && limit == maxlength;
    return mproc__failf(st, "%s: %s: a message of %d bytes arrived, larger than %s of %d bytes; it "
                        "was dropped",
                        where, c->describe, size,
                        caller_limit ? "maxlength" : "the connection's maximum", limit);
  }
  if (st == MPROC_E_NOMEM) {
    return mproc__failf(st, "%s: %s: no memory for a message of %d bytes; it was dropped", where,
                        c->describe, size);
  }
  if (st != MPROC_OK) return st;
  *data = sink.release();
  *len = static_cast<size_t>(size);
  return MPROC_OK;
}

MPROC_API mproc_status mproc_connection_poll(mproc_connection* c, int64_t timeout_ms, int* ready) {
  const char* where = "mproc_connection_poll";
  intptr_t fd = MPROC__NO_HANDLE;
  mproc_status st = require_open(where, c, &fd);
  if (st != MPROC_OK) return st;
  if (ready == nullptr) {
    return mproc__failf(MPROC_E_INVAL, "%s: %s: ready is NULL", where, c->describe);
  }
  *ready = 0;
  st = mproc__check_timeout(where, timeout_ms);
  if (st != MPROC_OK) return st;
  st = require_receiver(where, c);
  if (st != MPROC_OK) return st;
  if (c->has_held.load(std::memory_order_acquire)) {
    *ready = 1;
    return MPROC_OK;
  }
  uint8_t flag = 0;
  size_t count = 0;
  st = mproc__handles_wait(&fd, 1, timeout_ms, c->poll_what.c_str(), &flag, &count);
  if (st != MPROC_OK) return st;
  *ready = count > 0 ? 1 : 0;
  return MPROC_OK;
}

MPROC_API mproc_status mproc_connection_close(mproc_connection* c) {
  if (c == nullptr) return mproc__fail(MPROC_E_INVAL, "mproc_connection_close: connection is NULL");
  intptr_t fd = c->fd.exchange(MPROC__NO_HANDLE, std::memory_order_acq_rel);
  if (mproc__handle_valid(fd)) {
    mproc__handle_close(fd);
    c->held = mproc__channel_held();  // a kept message dies with the connection
    c->has_held.store(false, std::memory_order_release);
  }
  return MPROC_OK;
}

MPROC_API void mproc_connection_destroy(mproc_connection* c) {
  if (c == nullptr) return;
  mproc_connection_close(c);
  delete c;
}

MPROC_API mproc_status mproc_connection_handle(const mproc_connection* c, intptr_t* out) {
  const char* where = "mproc_connection_handle";
  intptr_t fd = MPROC__NO_HANDLE;
  mproc_status st = require_open(where, c, &fd);
  if (st != MPROC_OK) return st;
  if (out == nullptr) return mproc__failf(MPROC_E_INVAL, "%s: %s: out is NULL", where, c->describe);
  *out = fd;
  return MPROC_OK;
}

MPROC_API mproc_status mproc_connection_fileno(const mproc_connection* c, intptr_t* out) {
  const char* where = "mproc_connection_fileno";
  intptr_t fd = MPROC__NO_HANDLE;
  mproc_status st = require_open(where, c, &fd);
  if (st != MPROC_OK) return st;
  if (out == nullptr) return mproc__failf(MPROC_E_INVAL, "%s: %s: out is NULL", where, c->describe);
  *out = fd;
  return MPROC_OK;
}

MPROC_API const char* mproc_connection_name(const mproc_connection* c) {
  return c == nullptr ? "" : c->name.c_str();
}

MPROC_API mproc_connection_mode mproc_connection_get_mode(const mproc_connection* c) {
  return c == nullptr ? MPROC_CONNECTION_DUPLEX : c->mode;
}

MPROC_API uint64_t mproc_connection_max_message_size(const mproc_connection* c) {
  return c == nullptr ? 0 : c->max_message;
}

MPROC_API int mproc_connection_closed(const mproc_connection* c) {
  return (c == nullptr || !mproc__handle_valid(c->fd.load(std::memory_order_acquire))) ? 1 : 0;
}

}  // extern "C"
