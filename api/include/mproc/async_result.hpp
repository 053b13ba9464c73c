// mproc/async_result.hpp — what mproc::Pool and mproc::ThreadPool give back: AsyncResult<R>
// (Python's AsyncResult), the streaming range of imap / imap_unordered, and the exceptions a
// task's failure becomes:
//
//   mproc::remote_error  the function threw (or, for a process pool, its arguments failed to
//                        decode or its result to encode) in the worker: type_name(), message()
//                        (the exception's what()), pid(); code() is errc::remote (or decode /
//                        encode). The worker survives and serves the next task.
//   mproc::worker_lost   the worker process died while running the task (signal, abort, exit):
//                        pid(), exitcode() (-N for signal N), signal().
//   mproc::error         anything else: errc::closed (the pool was terminated or destroyed before
//                        the task finished), errc::child_failed (the pool is broken: its
//                        initializer failed), errc::timeout (get with a timeout).
#ifndef MPROC_ASYNC_RESULT_HPP
#define MPROC_ASYNC_RESULT_HPP

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "mproc/error.hpp"

namespace mproc {

// A task's function failed in the worker (a thrown exception, or mproc_call_fail in C).
class remote_error : public error {
 public:
  remote_error(int code, const std::string& what, std::string type_name, std::string message,
               std::int64_t pid)
      : error(code, what), type_name_(std::move(type_name)), message_(std::move(message)),
        pid_(pid) {}

  // The exception's type as the worker saw it, e.g. "std::runtime_error".
  const std::string& type_name() const noexcept { return type_name_; }
  // The exception's own what().
  const std::string& message() const noexcept { return message_; }
  // The process that ran the task (for a ThreadPool: this process).
  std::int64_t pid() const noexcept { return pid_; }

 private:
  std::string type_name_;
  std::string message_;
  std::int64_t pid_;
};

// The worker process died while it ran the task. The pool has started a replacement; other
// tasks are not affected.
class worker_lost : public error {
 public:
  worker_lost(const std::string& what, std::int64_t pid, int exitcode)
      : error(errc::worker_lost, what), pid_(pid), exitcode_(exitcode) {}

  std::int64_t pid() const noexcept { return pid_; }
  // The worker's exit code, or -N when signal N killed it.
  int exitcode() const noexcept { return exitcode_; }
  // N when signal N killed the worker, else 0.
  int signal() const noexcept { return exitcode_ < 0 ? -exitcode_ : 0; }

 private:
  std::int64_t pid_;
  int exitcode_;
};

namespace detail {

// Throws a copy of a stored task failure. The stored one may be freed by another thread (the one
// that completed the task) while the caller still handles what was thrown, and the reference count
// behind std::exception_ptr lives inside the C++ runtime, where ThreadSanitizer cannot see it.
[[noreturn]] inline void rethrow_copy(const std::exception_ptr& e) {
  try {
    std::rethrow_exception(e);
  } catch (const remote_error& x) {
    throw remote_error(x);
  } catch (const worker_lost& x) {
    throw worker_lost(x);
  } catch (const error& x) {
    throw error(x);
  }
}

// Where an AsyncResult's outcome comes from (a process pool's result handle, or a thread pool's
// shared state).
template <class R>
class result_source {
 public:
  using stored = std::conditional_t<std::is_void_v<R>, bool, R>;
  virtual ~result_source() = default;
  // Waits up to timeout_ms (negative: forever); true once the task has completed.
  virtual bool wait_ms(std::int64_t timeout_ms) = 0;
  // After completion: the value, or throws the task's failure (the same one every time).
  virtual const stored& value() = 0;
  // After completion: whether the task succeeded.
  virtual bool succeeded() = 0;
  // Values computed so far and in all (for a progress bar).
  virtual std::pair<std::size_t, std::size_t> progress() = 0;
  // An OS handle readable once the task has completed (see AsyncResult::wait_handle).
  virtual std::intptr_t wait_handle() = 0;
};

// Waits at least this long (a century, in ms) wait forever: adding more to a clock's now() would
// overflow its nanosecond count and put the deadline in the past.
inline constexpr std::int64_t forever_ms = std::int64_t{100} * 365 * 24 * 3600 * 1000;

// Rounds up; saturates at INT64_MAX (std::chrono::hours::max() would overflow in milliseconds).
template <typename Rep, typename Period>
std::int64_t duration_ms(std::chrono::duration<Rep, Period> d) {
  if (d <= d.zero()) return 0;
  if (std::chrono::duration<double, std::milli>(d).count() >= 9.0e18) return INT64_MAX;
  return std::chrono::ceil<std::chrono::milliseconds>(d).count();
}

}  // namespace detail

// The outcome of apply_async / map_async / starmap_async. Cheap to copy (copies share the task);
// thread-safe. Stays valid after its pool is gone (a task the pool never finished fails with
// errc::closed).
template <class R>
class [[nodiscard]] AsyncResult {
 public:
  using value_type = R;

  AsyncResult() = default;
  explicit AsyncResult(std::shared_ptr<detail::result_source<R>> source)
      : source_(std::move(source)) {}

  // Blocks until the task completes, then returns its value (void for a function returning
  // nothing) or throws its failure (remote_error, worker_lost, error).
  decltype(auto) get() const {
    source().wait_ms(-1);
    return value();
  }

  // The same, but throws error(errc::timeout) if the task has not completed within timeout
  // (Python's get(timeout) raises TimeoutError). The task keeps running.
  template <typename Rep, typename Period>
  decltype(auto) get(std::chrono::duration<Rep, Period> timeout) const {
    if (!source().wait_ms(detail::duration_ms(timeout))) {
      throw error(errc::timeout, "AsyncResult::get: the task did not complete within " +
                                     std::to_string(detail::duration_ms(timeout)) + " ms");
    }
    return value();
  }

  void wait() const { source().wait_ms(-1); }

  // True once the task has completed.
  template <typename Rep, typename Period>
  bool wait(std::chrono::duration<Rep, Period> timeout) const {
    return source().wait_ms(detail::duration_ms(timeout));
  }

  bool ready() const { return source().wait_ms(0); }

  // Whether the completed task succeeded. Throws error(errc::bad_state) before it completed, as
  // Python raises ValueError.
  bool successful() const {
    if (!ready()) {
      throw error(errc::bad_state, "AsyncResult::successful: the task has not completed yet");
    }
    return source().succeeded();
  }

  // {values computed so far, values in all}: 0 or 1 of 1 for apply, up to N of N for a map.
  std::pair<std::size_t, std::size_t> progress() const { return source().progress(); }

  bool valid() const noexcept { return source_ != nullptr; }

  // An OS handle readable once the task has completed, and from then on, so that
  // mproc::wait({result, queue, process}, timeout) and outside event loops can wait on it
  // (mproc_result_wait_handle). Owned by the result. A ThreadPool's result has none (its tasks
  // complete inside this process, with no OS object to signal): error(errc::not_supported).
  std::intptr_t wait_handle() const { return source().wait_handle(); }

 private:
  detail::result_source<R>& source() const {
    if (!source_) throw error(errc::bad_state, "AsyncResult: empty (default-constructed)");
    return *source_;
  }
  decltype(auto) value() const {
    if constexpr (std::is_void_v<R>) {
      source().value();
    } else {
      return static_cast<const R&>(source().value());
    }
  }

  std::shared_ptr<detail::result_source<R>> source_;
};

namespace detail {

// Where an imap range's values come from, a chunk at a time (one virtual call per chunk, not
// per value: a range of 10^5 tiny results would otherwise spend a good part of its time here).
template <class T>
class imap_source {
 public:
  virtual ~imap_source() = default;
  // Appends the next chunk's values to out (at least one); false at the end. Throws a task's
  // failure (the range can go on after it) or the input's own exception, where it happened in
  // the input.
  virtual bool next_chunk(std::vector<T>& out) = 0;
};

}  // namespace detail

// The lazy, streaming range imap and imap_unordered return. Iterate it once (an input range):
// each step may block until the next value is computed, and pulls more input as room frees up,
// so at most a bounded number of chunks is in flight. The range keeps its pool alive.
template <class T>
class [[nodiscard]] ImapRange {
 public:
  class iterator {
   public:
    using iterator_category = std::input_iterator_tag;
    using value_type = T;
    using difference_type = std::ptrdiff_t;
    using pointer = T*;
    using reference = T&;  // the value may be moved out; it is valid until the next ++

    iterator() = default;
    T& operator*() const { return *owner_->current_; }
    T* operator->() const { return &*owner_->current_; }
    iterator& operator++() {
      owner_->advance();
      return *this;
    }
    void operator++(int) { ++*this; }
    friend bool operator==(const iterator& a, const iterator& b) { return a.done() == b.done(); }
    friend bool operator!=(const iterator& a, const iterator& b) { return !(a == b); }

   private:
    friend class ImapRange;
    explicit iterator(ImapRange* owner) : owner_(owner) {}
    bool done() const { return owner_ == nullptr || !owner_->current_.has_value(); }
    ImapRange* owner_ = nullptr;
  };

  explicit ImapRange(std::shared_ptr<detail::imap_source<T>> source) : source_(std::move(source)) {}
  ImapRange(ImapRange&&) noexcept = default;
  ImapRange& operator=(ImapRange&&) noexcept = default;

  // Starts the iteration (computing the first value). Call once.
  iterator begin() {
    if (!started_) {
      started_ = true;
      advance();
    }
    return iterator(this);
  }
  iterator end() { return iterator(); }

  // The next value, or nullopt at the end: the same stream without iterators.
  std::optional<T> next() {
    started_ = true;
    return pull();
  }

 private:
  void advance() {
    current_.reset();  // an exception leaves the range at a step the caller may retry
    current_ = pull();
  }

  std::optional<T> pull() {
    if (pos_ == chunk_.size()) {
      chunk_.clear();
      pos_ = 0;
      if (!source_->next_chunk(chunk_)) return std::nullopt;
    }
    return std::move(chunk_[pos_++]);
  }

  std::shared_ptr<detail::imap_source<T>> source_;
  std::vector<T> chunk_;  // the values of the chunk being yielded
  std::size_t pos_ = 0;
  std::optional<T> current_;
  bool started_ = false;
};

// Wraps arguments for the overloads of apply_async / starmap-style calls that also take a
// callback: pool.apply_async(fn<&f>, mproc::args(1, "x"), on_result, on_error).
template <class... A>
struct args_t {
  std::tuple<A...> values;
};
template <class... A>
args_t<std::decay_t<A>...> args(A&&... a) {
  return {std::tuple<std::decay_t<A>...>(std::forward<A>(a)...)};
}

namespace detail {

template <class T>
struct is_args_t : std::false_type {};
template <class... A>
struct is_args_t<args_t<A...>> : std::true_type {};

// True when a call's first argument after the function is an args_t (the callback overloads).
template <class... A>
struct first_is_args : std::false_type {};
template <class First, class... Rest>
struct first_is_args<First, Rest...> : is_args_t<std::decay_t<First>> {};

}  // namespace detail

// Python's range(first, last): a sized range of consecutive integers, random access, never
// stored (so map(fn, range(0, 1'000'000)) holds no list of its input).
template <class I = long long>
class range_t {
 public:
  class iterator {
   public:
    using iterator_category = std::random_access_iterator_tag;
    using value_type = I;
    using difference_type = std::ptrdiff_t;
    using pointer = const I*;
    using reference = I;
    iterator() = default;
    explicit iterator(I v) : v_(v) {}
    I operator*() const { return v_; }
    I operator[](difference_type n) const { return static_cast<I>(v_ + n); }
    iterator& operator++() { ++v_; return *this; }
    iterator operator++(int) { iterator t = *this; ++v_; return t; }
    iterator& operator--() { --v_; return *this; }
    iterator operator--(int) { iterator t = *this; --v_; return t; }
    iterator& operator+=(difference_type n) { v_ = static_cast<I>(v_ + n); return *this; }
    iterator& operator-=(difference_type n) { v_ = static_cast<I>(v_ - n); return *this; }
    friend iterator operator+(iterator a, difference_type n) { return a += n; }
    friend iterator operator+(difference_type n, iterator a) { return a += n; }
    friend iterator operator-(iterator a, difference_type n) { return a -= n; }
    friend difference_type operator-(iterator a, iterator b) {
      return static_cast<difference_type>(a.v_) - static_cast<difference_type>(b.v_);
    }
    friend bool operator==(iterator a, iterator b) { return a.v_ == b.v_; }
    friend bool operator!=(iterator a, iterator b) { return a.v_ != b.v_; }
    friend bool operator<(iterator a, iterator b) { return a.v_ < b.v_; }
    friend bool operator>(iterator a, iterator b) { return a.v_ > b.v_; }
    friend bool operator<=(iterator a, iterator b) { return a.v_ <= b.v_; }
    friend bool operator>=(iterator a, iterator b) { return a.v_ >= b.v_; }

   private:
    I v_{};
  };

  range_t(I first, I last) : first_(first), last_(last < first ? first : last) {}
  iterator begin() const { return iterator(first_); }
  iterator end() const { return iterator(last_); }
  std::size_t size() const { return static_cast<std::size_t>(last_ - first_); }
  bool empty() const { return first_ == last_; }

 private:
  I first_, last_;
};

// range(n) is 0, 1, ..., n-1; range(a, b) is a, ..., b-1 — as in Python.
template <class I>
range_t<I> range(I last) {
  return range_t<I>(I{}, last);
}
template <class I>
range_t<I> range(I first, I last) {
  return range_t<I>(first, last);
}

namespace detail {

// Python's default map chunk size: ceil(count / (4 * processes)), at least 1.
inline std::size_t default_chunksize(std::size_t count, int processes) {
  const std::size_t per = 4 * static_cast<std::size_t>(processes > 0 ? processes : 1);
  return count == 0 ? 1 : (count + per - 1) / per;
}

// The default bound on imap's chunks in flight: enough to keep every worker busy while the
// caller consumes, small enough that an endless input streams in constant memory.
inline std::size_t default_imap_window(int processes) {
  return 4 * static_cast<std::size_t>(processes > 0 ? processes : 1);
}

template <class T, class = void>
struct has_size : std::false_type {};
template <class T>
struct has_size<T, std::void_t<decltype(std::size(std::declval<const T&>()))>> : std::true_type {};

}  // namespace detail
}  // namespace mproc

#endif  // MPROC_ASYNC_RESULT_HPP
