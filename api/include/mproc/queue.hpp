// mproc/queue.hpp — mproc::Queue<T>, mproc::JoinableQueue<T>, mproc::SimpleQueue<T>: Python's
// multiprocessing queues for C++ (facade of mproc/queue.h), carrying values of T through the codec
// (mproc/codec.hpp).
//
//   void producer(mproc::Queue<std::optional<int>> q) {
//     for (int i = 0; i < 10; ++i) q.put(i);
//     q.put(std::nullopt);                       // the sentinel: Python's None
//   }
//   mproc::Queue<std::optional<int>> q;
//   mproc::Process p(mproc::fn<&producer>, q);   // a queue is an ordinary argument
//   p.start();
//   while (auto item = q.get()) std::cout << *item << "\n";
//
// A queue object is a cheap handle: copies share the queue, so it can be passed by value and
// captured, and used from several threads. The queue lives while any process holds it. Semantics
// are mproc/queue.h's: put on an unbounded queue never blocks (a producer may exit before anyone
// reads, unlike CPython); put/get with a timeout throw mproc::error with errc::full / errc::empty
// when it passes, as Python raises queue.Full / queue.Empty; the try_ forms return false /
// std::nullopt instead. A get that meets a message lost with a killed process throws
// errc::message_lost once (lost() counts them); the next get continues with the next message.
// A message that does not decode as T throws errc::decode (the message is consumed).
#ifndef MPROC_QUEUE_HPP
#define MPROC_QUEUE_HPP

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "mproc/codec.hpp"
#include "mproc/error.hpp"
#include "mproc/handles.hpp"
#include "mproc/process.hpp"
#include "mproc/queue.h"

namespace mproc {

struct queue_options {
  std::size_t maxsize = 0;           // most messages held; 0: unbounded
  std::string name;                  // empty: "Queue-N"
  std::size_t max_message_size = 0;  // largest encoded message in bytes; 0: no limit
  std::size_t buffer_size = 0;       // initial shared buffer; 0: 256 KiB (it grows as needed)
};

namespace detail {

// Selects the constructors that open a received handle (a handle is an integer, as is maxsize).
struct queue_handle_tag {};

struct queue_deleter {
  void operator()(mproc_queue* q) const { mproc_queue_destroy(q); }
};

// Per-thread buffers for encoded messages (and for messages that wrap around the end of the ring),
// so that a stream of large messages does not allocate and fault in a fresh buffer for every one.
// A buffer that grew past 16 MiB is let go after use.
class queue_scratch {
 public:
  explicit queue_scratch(std::string& s) : s_(s) {}
  ~queue_scratch() {
    if (s_.capacity() > (std::size_t{16} << 20)) std::string().swap(s_);
  }
  queue_scratch(const queue_scratch&) = delete;
  queue_scratch& operator=(const queue_scratch&) = delete;
  std::string& get() { return s_; }

  static std::string& for_put() {
    static thread_local std::string s;
    return s;
  }
  static std::string& for_get() {
    static thread_local std::string s;
    return s;
  }

 private:
  std::string& s_;
};

inline const char* queue_kind_name(int kind) {
  switch (kind) {
    case MPROC_QUEUE_KIND_SIMPLE: return "SimpleQueue";
    case MPROC_QUEUE_KIND_JOINABLE: return "JoinableQueue";
    default: return "Queue";
  }
}

// What Queue, JoinableQueue and SimpleQueue share: the handle, typed put and get.
template <typename T>
class queue_core {
 public:
  // "Queue 'jobs'": how messages name the queue.
  std::string describe() const {
    return std::string(queue_kind_name(mproc_queue_kind_of(h_.get()))) + " '" +
           mproc_queue_name(h_.get()) + "'";
  }
  std::string name() const { return mproc_queue_name(h_.get()); }
  // The OS handle to pass to a child by hand (passing the object as an argument does it for you).
  std::intptr_t handle() const {
    std::intptr_t out = -1;
    check(mproc_queue_handle(h_.get(), &out));
    return out;
  }
  mproc_queue* native_handle() const { return h_.get(); }

  // An OS handle readable when a get would not wait (a message is there, or the queue was shut
  // down), for mproc::wait({queue, ...}, timeout) and outside event loops (mproc_queue_wait_handle
  // and mproc_wait_handle_rearm in mproc/wait.h: it may be readable spuriously). Owned by the
  // queue.
  std::intptr_t wait_handle() const {
    std::intptr_t out = -1;
    check(mproc_queue_wait_handle(h_.get(), 0, &out));
    return out;
  }

  // Python's close(): this process no longer puts or gets through this queue (any copy of this
  // object); other processes are not affected.
  void close() { check(mproc_queue_close(h_.get())); }

 protected:
  queue_core(int kind, const queue_options& o) {
    mproc_queue_options c = MPROC_QUEUE_OPTIONS_INIT;
    c.name = o.name.empty() ? nullptr : o.name.c_str();
    c.kind = kind;
    c.maxsize = o.maxsize;
    c.max_message_size = o.max_message_size;
    c.buffer_size = o.buffer_size;
    c.type_name = type_name<T>().c_str();
    mproc_queue* q = nullptr;
    check(mproc_queue_create(&c, &q));
    h_.reset(q, queue_deleter());
  }

  queue_core(queue_handle_tag, int kind, std::intptr_t handle) {
    mproc_queue* q = nullptr;
    check(mproc_queue_open(handle, kind, type_name<T>().c_str(), &q));
    h_.reset(q, queue_deleter());
  }

  // MPROC_OK, MPROC_E_FULL, or throws.
  int put_raw(const T& value, std::int64_t timeout_ms) {
    int st;
    if constexpr (is_memcpy_encodable_v<T>) {
      st = mproc_queue_put(h_.get(), &value, sizeof(T), timeout_ms);
    } else if constexpr (is_contiguous_raw<T>::value && uses_builtin_codec<T>::value) {
      // The codec's bytes are a u64 count and the elements: put them from where they are.
      const std::uint64_t count = value.size();
      const mproc_queue_part parts[2] = {
          {&count, sizeof count},
          {value.data(), value.size() * sizeof(typename T::value_type)}};
      st = mproc_queue_putv(h_.get(), parts, 2, timeout_ms);
    } else {
      queue_scratch scratch(queue_scratch::for_put());
      std::string& bytes = scratch.get();
      bytes.clear();
      mproc::encode(bytes, value);
      st = mproc_queue_put(h_.get(), bytes.data(), bytes.size(), timeout_ms);
    }
    if (st != MPROC_E_FULL) check(st);
    return st;
  }

  // The next value, std::nullopt when the queue stayed empty; throws anything else.
  std::optional<T> get_raw(std::int64_t timeout_ms) {
    if constexpr (is_memcpy_encodable_v<T>) {
      alignas(T) unsigned char buf[sizeof(T)];
      std::size_t len = 0;
      int st = mproc_queue_get(h_.get(), buf, sizeof buf, &len, timeout_ms);
      if (st == MPROC_OK) return decode_message(buf, len);
      if (st == MPROC_E_EMPTY) return std::nullopt;
      // Too long to be a T: take it anyway, so that a bad message fails once instead of forever.
      if (st != MPROC_E_BUFFER_TOO_SHORT) check(st);
    }
    // Decoded where it lies in shared memory (one copy, into the value), unless it wraps.
    visit_state state{this, std::nullopt, nullptr};
    std::size_t len = 0;
    int st = mproc_queue_get_visit(h_.get(), &visit_message, &state, &len, timeout_ms);
    if (st == MPROC_E_EMPTY) return std::nullopt;
    check(st);
    if (state.failure) std::rethrow_exception(state.failure);
    return std::move(state.value);
  }

  struct visit_state {
    const queue_core* self;
    std::optional<T> value;
    std::exception_ptr failure;
  };

  static void visit_message(void* userdata, const void* first, std::size_t first_len,
                            const void* second, std::size_t second_len) noexcept {
    auto* state = static_cast<visit_state*>(userdata);
    try {
      if (second_len == 0) {
        state->value.emplace(state->self->decode_message(first, first_len));
      } else {
        queue_scratch scratch(queue_scratch::for_get());
        std::string& bytes = scratch.get();
        bytes.assign(static_cast<const char*>(first), first_len);
        bytes.append(static_cast<const char*>(second), second_len);
        state->value.emplace(state->self->decode_message(bytes.data(), bytes.size()));
      }
    } catch (...) {
      state->failure = std::current_exception();
    }
  }

  T decode_message(const void* data, std::size_t len) const {
    try {
      return from_bytes<T>(data, len);
    } catch (const error& e) {
      rethrow_in_context(e, describe() + ": a message");
    }
  }

  // After put_raw / get_raw reported full / empty: the library's message names the queue.
  [[noreturn]] static void throw_full() { throw_status(MPROC_E_FULL); }
  [[noreturn]] static void throw_empty() { throw_status(MPROC_E_EMPTY); }

  std::shared_ptr<mproc_queue> h_;
};

}  // namespace detail

template <typename T>
class Queue : public detail::queue_core<T> {
  using core = detail::queue_core<T>;

 public:
  // An unbounded queue (Python's Queue()).
  Queue() : Queue(queue_options{}) {}
  // A queue of at most maxsize messages (0: unbounded).
  explicit Queue(std::size_t maxsize) : Queue(options_with(maxsize)) {}
  explicit Queue(const queue_options& o) : core(MPROC_QUEUE_KIND_QUEUE, o) {}

  // Opens a queue from a handle this process received (a JoinableQueue may be opened as a Queue).
  // Throws errc::type_mismatch for another kind of object or another element type.
  static Queue open(std::intptr_t handle) {
    return Queue(detail::queue_handle_tag{}, MPROC_QUEUE_KIND_QUEUE, handle);
  }

  // Blocks while a bounded queue is full.
  void put(const T& value) { core::put_raw(value, MPROC_INFINITE); }
  // Throws mproc::error(errc::full) if the queue is still full after timeout.
  template <typename Rep, typename Period>
  void put(const T& value, std::chrono::duration<Rep, Period> timeout) {
    if (!try_put_for(value, timeout)) core::throw_full();
  }
  // Throws mproc::error(errc::full) at once if the queue is full.
  void put_nowait(const T& value) {
    if (!try_put(value)) core::throw_full();
  }
  bool try_put(const T& value) { return core::put_raw(value, 0) == MPROC_OK; }
  template <typename Rep, typename Period>
  bool try_put_for(const T& value, std::chrono::duration<Rep, Period> timeout) {
    return core::put_raw(value, detail::to_timeout_ms(timeout)) == MPROC_OK;
  }

  // Blocks while the queue is empty.
  T get() { return *core::get_raw(MPROC_INFINITE); }
  // Throws mproc::error(errc::empty) if the queue is still empty after timeout.
  template <typename Rep, typename Period>
  T get(std::chrono::duration<Rep, Period> timeout) {
    std::optional<T> v = core::get_raw(detail::to_timeout_ms(timeout));
    if (!v) core::throw_empty();
    return std::move(*v);
  }
  // Throws mproc::error(errc::empty) at once if the queue is empty.
  T get_nowait() {
    std::optional<T> v = core::get_raw(0);
    if (!v) core::throw_empty();
    return std::move(*v);
  }
  std::optional<T> try_get() { return core::get_raw(0); }
  template <typename Rep, typename Period>
  std::optional<T> try_get_for(std::chrono::duration<Rep, Period> timeout) {
    return core::get_raw(detail::to_timeout_ms(timeout));
  }

  // Approximate while other processes put and get (exact here, unlike macOS's Python).
  std::size_t qsize() const {
    std::size_t n = 0;
    detail::check(mproc_queue_qsize(this->h_.get(), &n));
    return n;
  }
  bool empty() const {
    int e = 0;
    detail::check(mproc_queue_empty(this->h_.get(), &e));
    return e != 0;
  }
  bool full() const {
    int f = 0;
    detail::check(mproc_queue_full(this->h_.get(), &f));
    return f != 0;
  }
  std::size_t maxsize() const { return mproc_queue_maxsize(this->h_.get()); }

  // For a bounded queue: an OS handle readable when a put would not wait for room (or the queue
  // was shut down); wrap it with mproc::waitable::from_handle to wait on it with mproc::wait.
  // Throws errc::invalid_argument for an unbounded queue (a put never waits).
  std::intptr_t wait_handle_for_put() const {
    std::intptr_t out = -1;
    detail::check(mproc_queue_wait_handle(this->h_.get(), 1, &out));
    return out;
  }

  // Python's join_thread() / cancel_join_thread(): there is no feeder thread to join (puts go
  // straight to shared memory), so these do nothing. Kept so that Python code ports unchanged.
  void join_thread() {}
  void cancel_join_thread() {}

  // For every process: puts fail from now on; gets drain what is left, then fail with errc::eof.
  // immediate: drop what is left too. (Python 3.13's queue.Queue.shutdown.)
  void shutdown(bool immediate = false) {
    detail::check(mproc_queue_shutdown(this->h_.get(), immediate ? 1 : 0));
  }

  // Messages lost because a process was killed while putting or getting them (all processes).
  std::uint64_t lost() const {
    std::uint64_t n = 0;
    detail::check(mproc_queue_lost(this->h_.get(), &n));
    return n;
  }

 protected:
  Queue(int kind, const queue_options& o) : core(kind, o) {}
  Queue(detail::queue_handle_tag tag, int kind, std::intptr_t handle) : core(tag, kind, handle) {}

 private:
  static queue_options options_with(std::size_t maxsize) {
    queue_options o;
    o.maxsize = maxsize;
    return o;
  }
};

// A Queue whose consumers report each message done (task_done), so that a producer can wait for
// all of them (join).
template <typename T>
class JoinableQueue : public Queue<T> {
 public:
  JoinableQueue() : JoinableQueue(queue_options{}) {}
  explicit JoinableQueue(std::size_t maxsize) : JoinableQueue(with_maxsize(maxsize)) {}
  explicit JoinableQueue(const queue_options& o) : Queue<T>(MPROC_QUEUE_KIND_JOINABLE, o) {}

  static JoinableQueue open(std::intptr_t handle) {
    return JoinableQueue(detail::queue_handle_tag{}, handle);
  }

  // Throws mproc::error(errc::out_of_range) when called more times than messages were put
  // (Python's ValueError). A get that threw errc::message_lost has already counted its message.
  void task_done() { detail::check(mproc_queue_task_done(this->h_.get())); }

  // Blocks until every message put so far has been marked done.
  void join() { detail::check(mproc_queue_join(this->h_.get(), MPROC_INFINITE)); }
  // Waits at most timeout; true once every message has been marked done.
  template <typename Rep, typename Period>
  bool join(std::chrono::duration<Rep, Period> timeout) {
    int st = mproc_queue_join(this->h_.get(), detail::to_timeout_ms(timeout));
    if (st == MPROC_E_TIMEOUT) return false;
    detail::check(st);
    return true;
  }

 private:
  JoinableQueue(detail::queue_handle_tag tag, std::intptr_t handle)
      : Queue<T>(tag, MPROC_QUEUE_KIND_JOINABLE, handle) {}
  static queue_options with_maxsize(std::size_t maxsize) {
    queue_options o;
    o.maxsize = maxsize;
    return o;
  }
};

// Python's SimpleQueue: unbounded, get/put/empty/close. get(timeout) is an addition (Python's
// blocks without limit).
template <typename T>
class SimpleQueue : public detail::queue_core<T> {
  using core = detail::queue_core<T>;

 public:
  SimpleQueue() : SimpleQueue(std::string()) {}
  explicit SimpleQueue(const std::string& name) : core(MPROC_QUEUE_KIND_SIMPLE, named(name)) {}

  static SimpleQueue open(std::intptr_t handle) {
    return SimpleQueue(detail::queue_handle_tag{}, handle);
  }

  void put(const T& value) { core::put_raw(value, MPROC_INFINITE); }
  T get() { return *core::get_raw(MPROC_INFINITE); }
  // Throws mproc::error(errc::empty) if the queue is still empty after timeout.
  template <typename Rep, typename Period>
  T get(std::chrono::duration<Rep, Period> timeout) {
    std::optional<T> v = core::get_raw(detail::to_timeout_ms(timeout));
    if (!v) core::throw_empty();
    return std::move(*v);
  }
  bool empty() const {
    int e = 0;
    detail::check(mproc_queue_empty(this->h_.get(), &e));
    return e != 0;
  }

 private:
  SimpleQueue(detail::queue_handle_tag tag, std::intptr_t handle)
      : core(tag, MPROC_QUEUE_KIND_SIMPLE, handle) {}
  static queue_options named(const std::string& name) {
    queue_options o;
    o.name = name;
    return o;
  }
};

// Queues travel as arguments of a Process or a pool task: as the index of their handle among the
// handles that go with the arguments.
template <typename T>
struct codec<Queue<T>> {
  static void encode(std::string& out, const Queue<T>& q) {
    detail::put_u64(out, export_handle(q.handle(), q.describe()));
  }
  static Queue<T> decode(reader& in) {
    return Queue<T>::open(import_handle(detail::get_u64(in, "Queue handle index")));
  }
};

template <typename T>
struct codec<JoinableQueue<T>> {
  static void encode(std::string& out, const JoinableQueue<T>& q) {
    detail::put_u64(out, export_handle(q.handle(), q.describe()));
  }
  static JoinableQueue<T> decode(reader& in) {
    return JoinableQueue<T>::open(import_handle(detail::get_u64(in, "JoinableQueue handle index")));
  }
};

template <typename T>
struct codec<SimpleQueue<T>> {
  static void encode(std::string& out, const SimpleQueue<T>& q) {
    detail::put_u64(out, export_handle(q.handle(), q.describe()));
  }
  static SimpleQueue<T> decode(reader& in) {
    return SimpleQueue<T>::open(import_handle(detail::get_u64(in, "SimpleQueue handle index")));
  }
};

}  // namespace mproc

#endif  // MPROC_QUEUE_HPP
