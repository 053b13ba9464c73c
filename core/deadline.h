// core/deadline.h — a timeout turned into a deadline, so that a wait that wakes early (spurious
// wake-ups, a value taken by someone else) goes back to sleep for what is left, not the whole
// timeout again.
#ifndef MPROC_CORE_DEADLINE_H
#define MPROC_CORE_DEADLINE_H

#include <chrono>
#include <cstdint>

#include "mproc/common.h"

// Timeouts at or beyond this (a century, in ms) wait as long as this: far enough to be "forever"
// to any caller, near enough that adding it to std::chrono::steady_clock::now() cannot overflow.
inline constexpr int64_t mproc__kForeverMs = int64_t{100} * 365 * 24 * 3600 * 1000;

// timeout_ms + the steady clock's now, saturated at mproc__kForeverMs (callers keep their own
// handling of negative = no deadline).
inline std::chrono::steady_clock::time_point mproc__steady_after(int64_t timeout_ms) {
  return std::chrono::steady_clock::now() +
         std::chrono::milliseconds(timeout_ms < mproc__kForeverMs ? timeout_ms : mproc__kForeverMs);
}

class mproc__deadline {
 public:
  // timeout_ms: MPROC_INFINITE, 0 (poll) or positive. The clock is first read when a wait asks
  // what is left, not here: a call that finds its message or lock at once (the common case) never
  // pays for a clock read (~25-90 ns, more under a hypervisor). The time before that first ask is
  // the call's own few instructions, so the deadline is not noticeably late.
  explicit mproc__deadline(int64_t timeout_ms) : timeout_ms_(timeout_ms) {}

  // Milliseconds left, rounded up so that a wait never ends before the deadline; MPROC_INFINITE
  // for no deadline; 0 once it has passed.
  int64_t remaining_ms() const {
    if (timeout_ms_ <= 0) return timeout_ms_ < 0 ? MPROC_INFINITE : 0;
    const auto now = std::chrono::steady_clock::now();
    if (!started_) {
      started_ = true;
      // Saturated: the clock counts nanoseconds in an int64, so now + 2^43 ms or more would wrap
      // into the past and a long wait would end at once. A century is forever for any caller.
      end_ = now + std::chrono::milliseconds(timeout_ms_ < kForeverMs ? timeout_ms_ : kForeverMs);
      return timeout_ms_;
    }
    auto left = end_ - now;
    if (left <= left.zero()) return 0;
    return std::chrono::ceil<std::chrono::milliseconds>(left).count();
  }

  bool infinite() const { return timeout_ms_ < 0; }
  bool poll() const { return timeout_ms_ == 0; }
  int64_t timeout_ms() const { return timeout_ms_; }
  bool expired() const { return remaining_ms() == 0; }
  // At most `slice_ms` (a sleep that wakes up now and then to look around, e.g. for dead peers).
  int64_t slice_ms(int64_t slice_ms) const {
    int64_t r = remaining_ms();
    return (r < 0 || r > slice_ms) ? slice_ms : r;
  }

 private:
  static constexpr int64_t kForeverMs = mproc__kForeverMs;
  int64_t timeout_ms_;
  mutable bool started_ = false;
  mutable std::chrono::steady_clock::time_point end_{};
};

#endif  // MPROC_CORE_DEADLINE_H
