// mproc/pool_common.hpp — what mproc::Pool (mproc/pool.hpp) and mproc::ThreadPool
// (mproc/thread_pool.hpp) share: running user callbacks, adapting them to one form, and the
// streaming engine behind imap / imap_unordered / istarmap. Implementation detail; include
// mproc/pool.hpp or mproc/thread_pool.hpp instead.
#ifndef MPROC_POOL_COMMON_HPP
#define MPROC_POOL_COMMON_HPP

#include <cstddef>
#include <cstdio>
#include <exception>
#include <functional>
#include <iterator>
#include <type_traits>
#include <typeinfo>
#include <utility>
#include <vector>

#include "mproc/async_result.hpp"
#include "mproc/codec.hpp"
#include "mproc/error.hpp"

namespace mproc {
namespace detail {

// A callback must not throw into the thread that completes results: what it throws is reported
// on stderr (as Python prints it) and otherwise ignored. `pool` is "pool" or "thread pool".
template <class Fn>
void run_callback(const char* pool, const char* which, Fn&& fn) noexcept {
  try {
    fn();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "mproc: a %s %s threw %s: %s\n", pool, which,
                 pretty_type_name(demangle(typeid(e).name())).c_str(), e.what());
  } catch (...) {
    std::fprintf(stderr, "mproc: a %s %s threw a non-std::exception\n", pool, which);
  }
}

// Wraps a user callback taking the value (or nothing, for void) in the form results store:
// void(const stored&). nullptr gives an empty function.
template <class R, class OnResult>
std::function<void(const typename result_source<R>::stored&)> adapt_callback(OnResult&& f) {
  if constexpr (std::is_same_v<std::decay_t<OnResult>, std::nullptr_t>) {
    return {};
  } else if constexpr (std::is_void_v<R>) {
    return [f = std::forward<OnResult>(f)](const bool&) mutable { f(); };
  } else {
    return [f = std::forward<OnResult>(f)](const R& v) mutable { f(v); };
  }
}

template <class OnError>
std::function<void(const error&)> adapt_error_callback(OnError&& f) {
  if constexpr (std::is_same_v<std::decay_t<OnError>, std::nullptr_t>) {
    return {};
  } else {
    return std::function<void(const error&)>(std::forward<OnError>(f));
  }
}

// Holds imap's input: a reference to an lvalue range, or the range itself when it was a
// temporary.
template <class Range>
struct range_holder {
  Range range;
};

// imap's engine, for both pools: keeps up to `window` chunks of `chunksize` elements in flight,
// pulling input only to refill, and yields the values of one completed chunk after another.
// Derived (CRTP) says how a chunk travels:
//   std::size_t in_flight() const       chunks submitted and not yet taken
//   bool submit_chunk()                 pulls one chunk through pull_chunk() and submits it;
//                                       false when the input gave nothing
//   void take_chunk(std::vector<T>& v)  waits for the next chunk (the oldest when ordered(), else
//                                       the first to complete), calls fill() before decoding so
//                                       the workers never wait for this thread, and appends its
//                                       values to v, or throws the chunk's failure
template <class T, class Range, class Derived>
class chunked_imap_source : public imap_source<T> {
 public:
  bool next_chunk(std::vector<T>& out) override {
    const std::size_t had = out.size();
    while (out.size() == had) {
      fill();
      if (self().in_flight() == 0) {
        if (input_error_) {
          std::exception_ptr e = input_error_;
          input_error_ = nullptr;
          std::rethrow_exception(e);
        }
        return false;
      }
      self().take_chunk(out);
    }
    return true;
  }

 protected:
  chunked_imap_source(Range&& range, std::size_t chunksize, std::size_t window, bool ordered)
      : holder_{std::forward<Range>(range)},
        it_(std::begin(holder_.range)),
        end_(std::end(holder_.range)),
        chunksize_(chunksize == 0 ? 1 : chunksize),
        window_(window),
        ordered_(ordered) {}

  bool ordered() const { return ordered_; }

  void fill() {
    while (!input_done_ && self().in_flight() < window_) {
      if (!self().submit_chunk()) break;
    }
  }

  // Calls add(element) for up to chunksize elements of the input; returns how many were added.
  // An exception from the input (or from add, which must then leave its chunk as it was before
  // that element) ends the input and is raised where it happened: after the values before it.
  template <class Add>
  std::size_t pull_chunk(Add&& add) {
    std::size_t n = 0;
    try {
      while (n < chunksize_ && it_ != end_) {
        add(*it_);
        ++it_;
        ++n;
      }
      if (it_ == end_) input_done_ = true;
    } catch (...) {
      input_error_ = std::current_exception();
      input_done_ = true;
    }
    return n;
  }

  std::size_t chunksize() const { return chunksize_; }

 private:
  Derived& self() { return static_cast<Derived&>(*this); }

  range_holder<Range> holder_;
  decltype(std::begin(std::declval<std::remove_reference_t<Range>&>())) it_;
  decltype(std::end(std::declval<std::remove_reference_t<Range>&>())) end_;
  std::size_t chunksize_, window_;
  bool ordered_;
  std::exception_ptr input_error_;
  bool input_done_ = false;
};

}  // namespace detail
}  // namespace mproc

#endif  // MPROC_POOL_COMMON_HPP
