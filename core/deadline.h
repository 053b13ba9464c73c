// core/deadline.h — a timeout turned into a deadline, so that a wait that wakes early (spurious
// wake-ups, a value taken by someone else) goes back to sleep for what is left, not the whole
// timeout again.
#ifndef MPROC_CORE_DEADLINE_H
#define MPROC_CORE_DEADLINE_H

#include <chrono>
#include <cstdint>

#include "mproc/common.h"

class mproc__deadline {
 public:
  // timeout_ms: MPROC_INFINITE, 0 (poll) or positive.
  explicit mproc__deadline(int64_t timeout_ms) : infinite_(timeout_ms < 0) {
    if (!infinite_) end_ = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  }

  // Milliseconds left, rounded up so that a wait never ends before the deadline; MPROC_INFINITE
  // for no deadline; 0 once it has passed.
  int64_t remaining_ms() const {
    if (infinite_) return MPROC_INFINITE;
    auto left = end_ - std::chrono::steady_clock::now();
    if (left <= left.zero()) return 0;
    return std::chrono::ceil<std::chrono::milliseconds>(left).count();
  }

 private:
  bool infinite_;
  std::chrono::steady_clock::time_point end_{};
};

#endif  // MPROC_CORE_DEADLINE_H
