// mproc/semaphore.hpp — mproc::Semaphore and mproc::BoundedSemaphore, Python's multiprocessing
// semaphores for C++ (facade of mproc/semaphore.h). Both satisfy Lockable and TimedLockable
// (lock = acquire, unlock = release), so std::lock_guard<mproc::Semaphore> works.
//
//   mproc::Semaphore slots(3);                  // at most 3 processes at once
//   { std::lock_guard<mproc::Semaphore> hold(slots); use_the_resource(); }
//
// A semaphore has no owner: any thread or process may release it. A BoundedSemaphore's release
// above its initial value throws mproc::error(errc::out_of_range) (Python's ValueError). Copies
// share one semaphore; every member is thread-safe.
#ifndef MPROC_SEMAPHORE_HPP
#define MPROC_SEMAPHORE_HPP

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "mproc/codec.hpp"
#include "mproc/error.hpp"
#include "mproc/handles.hpp"
#include "mproc/process.hpp"
#include "mproc/semaphore.h"

namespace mproc {

class Semaphore {
 public:
  // Throws errc::out_of_range for a value below 0 (Python's ValueError) or above
  // MPROC_SEMAPHORE_VALUE_MAX.
  explicit Semaphore(std::int64_t value = 1) : Semaphore(value, std::string(), false) {}
  Semaphore(std::int64_t value, const std::string& name) : Semaphore(value, name, false) {}

  // Opens the Semaphore (or BoundedSemaphore) behind a handle this process received.
  static Semaphore open(std::intptr_t handle) {
    return Semaphore(adopt_tag{}, open_handle(handle));
  }

  // Python's acquire(block=True): true when acquired; with block false, tries once.
  bool acquire(bool block = true) { return acquire_ms(block ? MPROC_INFINITE : 0); }
  // Python's acquire(timeout=...): false when it expired.
  template <typename Rep, typename Period>
  bool acquire(std::chrono::duration<Rep, Period> timeout) {
    return acquire_ms(detail::to_timeout_ms(timeout));
  }
  // Adds n; throws errc::out_of_range when a BoundedSemaphore would exceed its initial value.
  void release(std::int64_t n = 1) { detail::check(mproc_semaphore_release(h_.get(), n)); }
  std::int64_t get_value() const {
    std::int64_t v = 0;
    detail::check(mproc_semaphore_get_value(h_.get(), &v));
    return v;
  }

  // Lockable / TimedLockable. unlock() never throws (it runs in destructors): a release refused
  // by a BoundedSemaphore is ignored there; release() reports it.
  void lock() { acquire(true); }
  void unlock() noexcept { (void)mproc_semaphore_release(h_.get(), 1); }
  bool try_lock() { return acquire(false); }
  template <typename Rep, typename Period>
  bool try_lock_for(const std::chrono::duration<Rep, Period>& timeout) {
    return acquire(timeout);
  }
  template <typename Clock, typename Duration>
  bool try_lock_until(const std::chrono::time_point<Clock, Duration>& deadline) {
    return acquire(deadline - Clock::now());
  }

  bool bounded() const { return mproc_semaphore_is_bounded(h_.get()) != 0; }
  std::string describe() const { return mproc_semaphore_describe(h_.get()); }
  std::intptr_t handle() const {
    std::intptr_t h = -1;
    detail::check(mproc_semaphore_handle(h_.get(), &h));
    return h;
  }
  mproc_semaphore* native_handle() const { return h_.get(); }
  // An OS handle readable while an acquire would not wait (value above 0), for
  // mproc::wait({semaphore, ...}, timeout) and outside event loops (mproc_semaphore_wait_handle).
  std::intptr_t wait_handle() const {
    std::intptr_t h = -1;
    detail::check(mproc_semaphore_wait_handle(h_.get(), &h));
    return h;
  }

 protected:
  Semaphore(std::int64_t value, const std::string& name, bool bounded) {
    mproc_semaphore_options o = MPROC_SEMAPHORE_OPTIONS_INIT;
    o.name = name.empty() ? nullptr : name.c_str();
    o.bounded = bounded ? 1 : 0;
    mproc_semaphore* s = nullptr;
    detail::check(mproc_semaphore_create(value, &o, &s));
    h_.reset(s, &mproc_semaphore_destroy);
  }
  struct adopt_tag {};  // keeps Semaphore(0) from meaning a null handle
  Semaphore(adopt_tag, mproc_semaphore* adopted) : h_(adopted, &mproc_semaphore_destroy) {}

  static mproc_semaphore* open_handle(std::intptr_t handle) {
    mproc_semaphore* s = nullptr;
    detail::check(mproc_semaphore_open(handle, &s));
    return s;
  }

 private:
  bool acquire_ms(std::int64_t timeout_ms) {
    int st = mproc_semaphore_acquire(h_.get(), timeout_ms);
    if (st == MPROC_E_TIMEOUT) return false;
    detail::check(st);
    return true;
  }

  template <class T, class E>
  friend struct ::mproc::codec;  // encoding keeps the shared state alive (see export_handle)
  std::shared_ptr<mproc_semaphore> h_;
};

// Python's BoundedSemaphore(value=1): a release above the initial value throws
// mproc::error(errc::out_of_range) and releases nothing.
class BoundedSemaphore : public Semaphore {
 public:
  explicit BoundedSemaphore(std::int64_t value = 1) : Semaphore(value, std::string(), true) {}
  BoundedSemaphore(std::int64_t value, const std::string& name) : Semaphore(value, name, true) {}

  // Opens the BoundedSemaphore behind a handle; throws errc::type_mismatch for a plain Semaphore.
  static BoundedSemaphore open(std::intptr_t handle) {
    mproc_semaphore* s = open_handle(handle);
    if (mproc_semaphore_is_bounded(s) == 0) {
      std::string what = mproc_semaphore_describe(s);
      mproc_semaphore_destroy(s);
      throw error(errc::type_mismatch, what + " was opened as a BoundedSemaphore");
    }
    return BoundedSemaphore(adopt_tag{}, s);
  }

 private:
  BoundedSemaphore(adopt_tag t, mproc_semaphore* adopted) : Semaphore(t, adopted) {}
};

template <>
struct codec<Semaphore> {
  static void encode(std::string& out, const Semaphore& s) {
    detail::put_u64(out, export_handle(s.handle(), s.describe(), s.h_));
  }
  static Semaphore decode(reader& in) {
    return Semaphore::open(import_handle(detail::get_u64(in, "Semaphore")));
  }
};

template <>
struct codec<BoundedSemaphore> {
  static void encode(std::string& out, const BoundedSemaphore& s) {
    detail::put_u64(out, export_handle(s.handle(), s.describe(), s.h_));
  }
  static BoundedSemaphore decode(reader& in) {
    return BoundedSemaphore::open(import_handle(detail::get_u64(in, "BoundedSemaphore")));
  }
};

}  // namespace mproc

#endif  // MPROC_SEMAPHORE_HPP
