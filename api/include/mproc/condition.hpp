// mproc/condition.hpp — mproc::Condition, Python's multiprocessing.Condition for C++ (facade of
// mproc/condition.h). Lockable, so std::unique_lock<mproc::Condition> holds its lock.
//
//   mproc::Condition cond;                       // its own RLock (or Condition(some_lock))
//   mproc::Value<int> items(0);
//   // consumer
//   std::unique_lock<mproc::Condition> hold(cond);
//   if (!cond.wait_for([&] { return items.get() > 0; }, std::chrono::seconds(5))) { ... }
//   // producer
//   std::lock_guard<mproc::Condition> hold(cond);
//   items.set(items.get() + 1);
//   cond.notify();
//
// wait() and notify() need the calling thread to hold the lock (mproc::error(errc::not_owner)
// otherwise). notify(n) wakes the n longest waiting; there are no spurious wake-ups. If the lock
// is taken back from a holder that died, wait() throws mproc::owner_died (the lock is held; see
// mproc/lock.hpp). The condition travels to a child with its lock. Copies share one condition;
// every member is thread-safe.
#ifndef MPROC_CONDITION_HPP
#define MPROC_CONDITION_HPP

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>

#include "mproc/codec.hpp"
#include "mproc/condition.h"
#include "mproc/error.hpp"
#include "mproc/handles.hpp"
#include "mproc/lock.hpp"
#include "mproc/process.hpp"

namespace mproc {

class Condition {
 public:
  // With a new RLock of its own (Python's default).
  Condition() : Condition(nullptr, std::string()) {}
  // With `lock`: a Lock, an RLock, or the lock of a Value or Array.
  explicit Condition(const lock_base& lock, const std::string& name = std::string())
      : Condition(lock.native_handle(), name) {}

  // Opens the Condition behind a handle, with its lock (opened from the lock's handle).
  static Condition open(std::intptr_t handle, const lock_base& lock) {
    mproc_condition* c = nullptr;
    detail::check(mproc_condition_open(handle, lock.native_handle(), &c));
    return Condition(adopt_tag{}, c);
  }

  // The lock's acquire / release (mproc/lock.hpp), and Lockable / TimedLockable.
  bool acquire(bool block = true) { return lock_.acquire(block); }
  template <typename Rep, typename Period>
  bool acquire(std::chrono::duration<Rep, Period> timeout) {
    return lock_.acquire(timeout);
  }
  void release() { lock_.release(); }
  void lock() { lock_.lock(); }
  void unlock() noexcept { lock_.unlock(); }
  bool try_lock() { return lock_.try_lock(); }
  template <typename Rep, typename Period>
  bool try_lock_for(const std::chrono::duration<Rep, Period>& timeout) {
    return lock_.try_lock_for(timeout);
  }
  template <typename Clock, typename Duration>
  bool try_lock_until(const std::chrono::time_point<Clock, Duration>& deadline) {
    return lock_.try_lock_until(deadline);
  }

  // Releases the lock, waits for a notify, takes the lock back. Returns true.
  bool wait() { return wait_ms(MPROC_INFINITE); }
  // The same, waiting at most timeout for the notify: false when it expired (the lock is held
  // again either way).
  template <typename Rep, typename Period>
  bool wait(std::chrono::duration<Rep, Period> timeout) {
    return wait_ms(detail::to_timeout_ms(timeout));
  }

  // Python's wait_for(predicate): waits until predicate() is true (checked first, with the lock
  // held). Returns its last result: true.
  template <typename Predicate>
  bool wait_for(Predicate predicate) {
    bool result = static_cast<bool>(predicate());
    while (!result) {
      wait();
      result = static_cast<bool>(predicate());
    }
    return result;
  }
  // Python's wait_for(predicate, timeout): the predicate's last result, false if the time ran out.
  template <typename Predicate, typename Rep, typename Period>
  bool wait_for(Predicate predicate, std::chrono::duration<Rep, Period> timeout) {
    // Beyond a century is forever: the steady clock's nanosecond count would overflow.
    constexpr std::int64_t century_ms = std::int64_t{100} * 365 * 24 * 3600 * 1000;
    if (detail::to_timeout_ms(timeout) >= century_ms) return wait_for(std::move(predicate));
    const auto deadline = std::chrono::steady_clock::now() +
                          std::chrono::ceil<std::chrono::steady_clock::duration>(timeout);
    bool result = static_cast<bool>(predicate());
    while (!result) {
      const auto left = deadline - std::chrono::steady_clock::now();
      if (left <= left.zero()) break;
      wait(left);
      result = static_cast<bool>(predicate());
    }
    return result;
  }

  // Wakes up to n waiting threads (the longest waiting first).
  void notify(std::int64_t n = 1) { detail::check(mproc_condition_notify(h_.get(), n)); }
  void notify_all() { detail::check(mproc_condition_notify_all(h_.get())); }

  // The condition's lock. Valid while this Condition object lives.
  lock_base& get_lock() const { return lock_; }

  std::string describe() const { return mproc_condition_describe(h_.get()); }
  std::intptr_t handle() const {
    std::intptr_t h = -1;
    detail::check(mproc_condition_handle(h_.get(), &h));
    return h;
  }
  mproc_condition* native_handle() const { return h_.get(); }

 private:
  Condition(mproc_lock* lock, const std::string& name) {
    mproc_condition_options o = MPROC_CONDITION_OPTIONS_INIT;
    o.name = name.empty() ? nullptr : name.c_str();
    mproc_condition* c = nullptr;
    detail::check(mproc_condition_create(lock, &o, &c));
    h_.reset(c, &mproc_condition_destroy);
    lock_ = own_lock();
  }
  struct adopt_tag {};
  Condition(adopt_tag, mproc_condition* adopted) : h_(adopted, &mproc_condition_destroy) {
    lock_ = own_lock();
  }

  lock_base own_lock() const {
    mproc_lock* l = nullptr;
    detail::check(mproc_condition_get_lock(h_.get(), &l));
    return lock_base::adopt(l);
  }

  bool wait_ms(std::int64_t timeout_ms) {
    int st = mproc_condition_wait(h_.get(), timeout_ms);
    if (st == MPROC_OK) return true;
    if (st == MPROC_E_TIMEOUT) return false;
    detail::check_locked(st, lock_);
    return true;  // unreachable
  }

  template <class T, class E>
  friend struct ::mproc::codec;  // encoding keeps the shared state alive (see export_handle)
  std::shared_ptr<mproc_condition> h_;
  mutable lock_base lock_ = lock_base::adopt(nullptr);
};

// A Condition travels as two handles: its own and its lock's.
template <>
struct codec<Condition> {
  static void encode(std::string& out, const Condition& c) {
    detail::put_u64(out, export_handle(c.handle(), c.describe(), c.h_));
    detail::put_u64(out, export_handle(c.get_lock().handle(), c.get_lock().describe(), c.lock_.h_));
  }
  static Condition decode(reader& in) {
    std::intptr_t cond = import_handle(detail::get_u64(in, "Condition"));
    std::intptr_t lock = import_handle(detail::get_u64(in, "Condition's lock"));
    mproc_lock* l = nullptr;
    detail::check(mproc_lock_open(lock, &l));
    return Condition::open(cond, lock_base::adopt(l));
  }
};

}  // namespace mproc

#endif  // MPROC_CONDITION_HPP
