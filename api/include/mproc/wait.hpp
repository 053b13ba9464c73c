// mproc/wait.hpp — mproc::wait, Python's multiprocessing.connection.wait for C++ (facade of
// mproc/wait.h).
//
//   auto ready = mproc::wait({conn_a, conn_b, process}, std::chrono::seconds(1));
//   for (std::size_t i : ready) ...     // indices into the list, ascending; empty on timeout
//
// A waitable is anything that gives an OS handle that is readable when it is ready, through one of
// these members (the first found is used):
//   std::intptr_t wait_handle() const;   // e.g. mproc::Connection: a message or end of file waits
//   std::intptr_t fileno() const;        // the Python spelling
//   std::intptr_t sentinel() const;      // mproc::Process: the process has ended
// Waitables: Connection (a message or end of file), Process (ended), Queue/SimpleQueue/
// JoinableQueue (a get would not wait), Event (set), Semaphore/BoundedSemaphore (an acquire would
// not wait), Lock/RLock (free), AsyncResult of a process Pool (done). A bounded queue's "room to
// put" handle is mproc::waitable::from_handle(q.wait_handle_for_put()); any raw handle is wrapped
// that way. Barrier and Condition have no wait handle (mproc/barrier.h, mproc/condition.h say
// why). An object's wait handle may turn readable spuriously (another process took the message
// first): mproc_wait re-checks the object and reports it only when it is ready, so the indices
// returned are exact at the moment of the check.
#ifndef MPROC_WAIT_HPP
#define MPROC_WAIT_HPP

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <type_traits>
#include <utility>
#include <vector>

#include "mproc/error.hpp"
#include "mproc/process.hpp"
#include "mproc/wait.h"

namespace mproc {
namespace detail {

template <class W, class = void>
struct has_wait_handle : std::false_type {};
template <class W>
struct has_wait_handle<W, std::void_t<decltype(std::declval<const W&>().wait_handle())>>
    : std::is_convertible<decltype(std::declval<const W&>().wait_handle()), std::intptr_t> {};

template <class W, class = void>
struct has_fileno : std::false_type {};
template <class W>
struct has_fileno<W, std::void_t<decltype(std::declval<const W&>().fileno())>>
    : std::is_convertible<decltype(std::declval<const W&>().fileno()), std::intptr_t> {};

template <class W, class = void>
struct has_sentinel : std::false_type {};
template <class W>
struct has_sentinel<W, std::void_t<decltype(std::declval<const W&>().sentinel())>>
    : std::is_convertible<decltype(std::declval<const W&>().sentinel()), std::intptr_t> {};

template <class W>
inline constexpr bool is_waitable_v =
    has_wait_handle<W>::value || has_fileno<W>::value || has_sentinel<W>::value;

template <class W>
std::intptr_t wait_handle_of(const W& object) {
  if constexpr (has_wait_handle<W>::value) {
    return object.wait_handle();
  } else if constexpr (has_fileno<W>::value) {
    return object.fileno();
  } else {
    return object.sentinel();
  }
}

}  // namespace detail

// One object in a wait list: the OS handle of a waitable, taken when the list is built.
class waitable {
 public:
  template <class W, std::enable_if_t<detail::is_waitable_v<W>, int> = 0>
  waitable(const W& object)  // NOLINT(google-explicit-constructor): lists read as Python's
      : handle_(detail::wait_handle_of(object)) {}

  static waitable from_handle(std::intptr_t handle) { return waitable(handle, 0); }

  std::intptr_t handle() const noexcept { return handle_; }

 private:
  waitable(std::intptr_t handle, int) : handle_(handle) {}
  std::intptr_t handle_;
};

namespace detail {

inline std::vector<std::size_t> wait_ms(const std::vector<waitable>& objects,
                                        std::int64_t timeout_ms) {
  std::vector<std::intptr_t> handles;
  handles.reserve(objects.size());
  for (const waitable& w : objects) handles.push_back(w.handle());
  std::vector<std::size_t> ready(objects.size());
  std::size_t count = 0;
  check(mproc_wait(handles.data(), handles.size(), timeout_ms, ready.data(), &count));
  ready.resize(count);
  return ready;
}

}  // namespace detail

// Blocks until at least one object is ready; returns the indices of all that are.
inline std::vector<std::size_t> wait(const std::vector<waitable>& objects) {
  return detail::wait_ms(objects, MPROC_INFINITE);
}

// Waits at most timeout; returns the indices of the ready objects (empty: the timeout passed).
template <class Rep, class Period>
std::vector<std::size_t> wait(const std::vector<waitable>& objects,
                              std::chrono::duration<Rep, Period> timeout) {
  return detail::wait_ms(objects, detail::to_timeout_ms(timeout));
}

}  // namespace mproc

#endif  // MPROC_WAIT_HPP
