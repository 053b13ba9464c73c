// mproc/pipe.hpp — mproc::Pipe<T> and mproc::Connection<T>, Python's Pipe and Connection for C++
// (facade of mproc/pipe.h).
//
//   void child(mproc::Connection<std::string> conn) { conn.send("hello " + conn.recv()); }
//
//   auto [here, there] = mproc::Pipe<std::string>();
//   mproc::Process p(mproc::fn<&child>, there);
//   p.start();
//   there.close();                     // only the child uses that end now
//   here.send("shiyanlou");
//   std::string reply = here.recv();   // "hello shiyanlou"
//
// send/recv move values of T through mproc/codec.hpp; send_bytes/recv_bytes move raw bytes (the
// two kinds should not be mixed on one pipe, as in Python). A Connection is a cheap handle: copies
// share one connection, and close() closes it for all of them. It can be an argument of a Process
// (or pool task) under every start method: the child gets its own handle on the same end.
//
// Errors throw mproc::error: errc::eof once the other end is closed for good (every process that
// held it closed it or ended) or its sender died mid-message; errc::closed after close();
// errc::bad_state for the wrong direction of a one-way pipe; errc::too_big above the maximum
// message size; errc::decode when the bytes are not a T.
#ifndef MPROC_PIPE_HPP
#define MPROC_PIPE_HPP

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

#include "mproc/codec.hpp"
#include "mproc/error.hpp"
#include "mproc/handles.hpp"
#include "mproc/pipe.h"
#include "mproc/process.hpp"

namespace mproc {

struct pipe_options {
  std::string name;                    // empty: "Pipe-N"; the ends are "<name>[0]", "<name>[1]"
  std::uint64_t max_message_size = 0;  // 0: no limit; larger messages throw errc::too_big
};

template <class T>
class Connection {
 public:
  // An empty handle: every operation throws errc::invalid_argument.
  Connection() = default;
  // Takes ownership of a C connection.
  explicit Connection(mproc_connection* adopted) : handle_(adopted, &mproc_connection_destroy) {}

  // Sends value as one message; blocks while the other end has no room.
  void send(const T& value) {
    const std::string bytes = to_bytes(value);
    send_bytes(bytes);
  }
  // The same, waiting at most timeout for room for the message's start: false (nothing sent) if
  // there was none.
  template <class Rep, class Period>
  bool send(const T& value, std::chrono::duration<Rep, Period> timeout) {
    const std::string bytes = to_bytes(value);
    return send_bytes(bytes, timeout);
  }

  // Receives the next message as a T; blocks until one arrives.
  T recv() { return receive_value(MPROC_INFINITE).value(); }
  // The same, waiting at most timeout: empty if no message started arriving.
  template <class Rep, class Period>
  std::optional<T> recv(std::chrono::duration<Rep, Period> timeout) {
    return receive_value(detail::to_timeout_ms(timeout));
  }

  void send_bytes(const void* data, std::size_t size) {
    detail::check(mproc_connection_send_bytes(handle_.get(), data, size, MPROC_INFINITE));
  }
  void send_bytes(std::string_view bytes) { send_bytes(bytes.data(), bytes.size()); }
  template <class Rep, class Period>
  bool send_bytes(std::string_view bytes, std::chrono::duration<Rep, Period> timeout) {
    const int st = mproc_connection_send_bytes(handle_.get(), bytes.data(), bytes.size(),
                                               detail::to_timeout_ms(timeout));
    if (st == MPROC_E_TIMEOUT) return false;
    detail::check(st);
    return true;
  }

  // The next message's bytes. maxlength 0: only the connection's maximum applies; a longer message
  // throws errc::too_big and is dropped.
  std::string recv_bytes(std::size_t maxlength = 0) {
    return receive_bytes(MPROC_INFINITE, maxlength).value();
  }
  template <class Rep, class Period>
  std::optional<std::string> recv_bytes(std::chrono::duration<Rep, Period> timeout,
                                        std::size_t maxlength = 0) {
    return receive_bytes(detail::to_timeout_ms(timeout), maxlength);
  }

  // Receives the next message into buffer and returns its size. A message larger than capacity
  // throws errc::buffer_too_short (the message says its size) and is kept for the next receive.
  std::size_t recv_bytes_into(void* buffer, std::size_t capacity) {
    std::size_t len = 0;
    detail::check(
        mproc_connection_recv_bytes(handle_.get(), buffer, capacity, MPROC_INFINITE, &len));
    return len;
  }
  // The same without throwing: returns the message's size, also when ec is
  // errc::buffer_too_short (the message is then kept: call again with that much room).
  std::size_t recv_bytes_into(void* buffer, std::size_t capacity, std::error_code& ec) noexcept {
    std::size_t len = 0;
    detail::assign(
        mproc_connection_recv_bytes(handle_.get(), buffer, capacity, MPROC_INFINITE, &len), ec);
    return len;
  }

  // True when a message is waiting or the other end is closed for good (recv would then throw
  // errc::eof). Does not wait.
  bool poll() { return poll_ms(0); }
  // The same, waiting at most timeout.
  template <class Rep, class Period>
  bool poll(std::chrono::duration<Rep, Period> timeout) {
    return poll_ms(detail::to_timeout_ms(timeout));
  }

  // Closes this process's handle on the end (for every copy of this Connection). Idempotent.
  void close() {
    if (handle_) detail::check(mproc_connection_close(handle_.get()));
  }
  bool closed() const { return mproc_connection_closed(handle_.get()) != 0; }

  bool readable() const {
    return handle_ && mproc_connection_get_mode(handle_.get()) != MPROC_CONNECTION_SEND_ONLY;
  }
  bool writable() const {
    return handle_ && mproc_connection_get_mode(handle_.get()) != MPROC_CONNECTION_RECV_ONLY;
  }
  std::uint64_t max_message_size() const {
    return mproc_connection_max_message_size(handle_.get());
  }
  std::string name() const { return mproc_connection_name(handle_.get()); }

  // The OS handle for an event loop or mproc::wait: readable when poll() would say true.
  std::intptr_t fileno() const {
    std::intptr_t h = -1;
    detail::check(mproc_connection_fileno(handle_.get(), &h));
    return h;
  }
  // What mproc::wait uses (see mproc/wait.hpp).
  std::intptr_t wait_handle() const { return fileno(); }

  mproc_connection* native_handle() const { return handle_.get(); }

 private:
  struct malloc_free {
    void operator()(void* p) const { mproc_free(p); }
  };

  // Empty on timeout; throws on any other failure.
  std::optional<std::pair<std::unique_ptr<void, malloc_free>, std::size_t>> receive_raw(
      std::int64_t timeout_ms, std::size_t maxlength) {
    void* data = nullptr;
    std::size_t len = 0;
    const int st =
        mproc_connection_recv_bytes_alloc(handle_.get(), maxlength, timeout_ms, &data, &len);
    if (st == MPROC_E_TIMEOUT) return std::nullopt;
    detail::check(st);
    return std::make_pair(std::unique_ptr<void, malloc_free>(data), len);
  }

  std::optional<T> receive_value(std::int64_t timeout_ms) {
    auto raw = receive_raw(timeout_ms, 0);
    if (!raw) return std::nullopt;
    return from_bytes<T>(raw->first.get(), raw->second);
  }

  std::optional<std::string> receive_bytes(std::int64_t timeout_ms, std::size_t maxlength) {
    auto raw = receive_raw(timeout_ms, maxlength);
    if (!raw) return std::nullopt;
    return std::string(static_cast<const char*>(raw->first.get()), raw->second);
  }

  bool poll_ms(std::int64_t timeout_ms) {
    int ready = 0;
    detail::check(mproc_connection_poll(handle_.get(), timeout_ms, &ready));
    return ready != 0;
  }

  std::shared_ptr<mproc_connection> handle_;
};

// Python's Pipe(duplex): two connected ends. duplex false: the first end only receives and the
// second only sends.
template <class T>
std::pair<Connection<T>, Connection<T>> Pipe(bool duplex = true,
                                             const pipe_options& options = pipe_options()) {
  mproc_pipe_options o = MPROC_PIPE_OPTIONS_INIT;
  o.name = options.name.empty() ? nullptr : options.name.c_str();
  o.max_message_size = options.max_message_size;
  mproc_connection* a = nullptr;
  mproc_connection* b = nullptr;
  detail::check(mproc_pipe_create(duplex ? 1 : 0, &o, &a, &b));
  Connection<T> first(a);
  Connection<T> second(b);
  return {std::move(first), std::move(second)};
}

// A Connection travels as the index of its handle plus its direction, maximum size and name; the
// receiving process opens its own connection on the handle it inherited.
template <class T>
struct codec<Connection<T>> {
  static void encode(std::string& out, const Connection<T>& c) {
    std::intptr_t h = -1;
    detail::check(mproc_connection_handle(c.native_handle(), &h));
    const std::string name = c.name();
    mproc::encode(out, export_handle(h, "Connection '" + name + "'"));
    mproc::encode(out, static_cast<std::int32_t>(mproc_connection_get_mode(c.native_handle())));
    mproc::encode(out, c.max_message_size());
    mproc::encode(out, name);
  }

  static Connection<T> decode(reader& in) {
    const auto index = mproc::decode<std::uint64_t>(in);
    const auto mode = mproc::decode<std::int32_t>(in);
    const auto max = mproc::decode<std::uint64_t>(in);
    const auto name = mproc::decode<std::string>(in);
    mproc_connection_options o = MPROC_CONNECTION_OPTIONS_INIT;
    o.name = name.c_str();
    o.max_message_size = max;
    o.mode = static_cast<mproc_connection_mode>(mode);
    mproc_connection* c = nullptr;
    // Taken over, then closed once the connection holds its own duplicate: a child that closes
    // the received end leaves no copy open, so the peer sees EOF (spawn and forkserver; a forked
    // child also holds copies of all its parent's descriptors, as in Python).
    const std::intptr_t handle = import_handle_owned(index);
    const int st = mproc_connection_open(handle, &o, &c);
    mproc_handle_close(handle);
    detail::check(st);
    return Connection<T>(c);
  }
};

}  // namespace mproc

#endif  // MPROC_PIPE_HPP
