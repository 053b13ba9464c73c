// mproc/lock.hpp — mproc::Lock and mproc::RLock, Python's multiprocessing locks for C++ (facade of
// mproc/lock.h), usable with std::lock_guard, std::unique_lock and std::scoped_lock.
//
//   mproc::Lock lock;
//   mproc::Value<int> total(0);
//   mproc::Process p(mproc::fn<&work>, lock, total);   // travels to the child
//   { std::lock_guard<mproc::Lock> hold(lock); total.set(total.get() + 1); }
//
// A holder that dies does not leave the lock stuck: the next acquire gets the lock and throws
// mproc::owner_died (the caller then HOLDS the lock). Repair what the lock protects, call
// e.mark_consistent(), and go on; e.lock() is the lock, for releasing it. std::lock_guard does
// not release a lock whose lock() threw, so the lock stays with the code that caught the
// exception. Released without mark_consistent(), the lock becomes unusable: every later acquire
// throws mproc::error(errc::bad_state) at once. The std::error_code overloads report owner death
// without throwing.
//
// Copies share one lock (a std::shared_ptr to the C handle); the lock itself is held by a thread,
// not by an object. Every member is thread-safe.
#ifndef MPROC_LOCK_HPP
#define MPROC_LOCK_HPP

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <system_error>
#include <utility>

#include "mproc/codec.hpp"
#include "mproc/error.hpp"
#include "mproc/handles.hpp"
#include "mproc/lock.h"
#include "mproc/process.hpp"

namespace mproc {

// What Lock, RLock and the lock of a Value or Array (get_lock()) share. Satisfies the standard's
// Lockable and TimedLockable requirements.
class lock_base {
 public:
  // Python's acquire(block=True): waits until acquired; with block false, tries once. True when
  // acquired. Throws mproc::owner_died (acquired; see the top of this file) and mproc::error
  // (errc::bad_state: a Lock already held by this thread with block true, or a lock left unusable).
  bool acquire(bool block = true) { return acquire_ms(block ? MPROC_INFINITE : 0); }

  // Python's acquire(timeout=...): waits at most timeout; false when it expired.
  template <typename Rep, typename Period>
  bool acquire(std::chrono::duration<Rep, Period> timeout) {
    return acquire_ms(detail::to_timeout_ms(timeout));
  }

  // Never throws: true when acquired, and then ec is errc::owner_died if the previous holder died
  // holding it (else clear); false with ec set otherwise (errc::timeout when it expired).
  template <typename Rep, typename Period>
  bool acquire(std::chrono::duration<Rep, Period> timeout, std::error_code& ec) noexcept {
    int st = mproc_lock_acquire(h_.get(), detail::to_timeout_ms(timeout));
    detail::assign(st, ec);
    return st == MPROC_OK || st == MPROC_E_OWNER_DIED;
  }

  // Throws mproc::error(errc::not_owner) when the calling thread does not hold the lock.
  void release() { detail::check(mproc_lock_release(h_.get())); }

  // After owner_died: the state is repaired, the lock works as before.
  void mark_consistent() { detail::check(mproc_lock_consistent(h_.get())); }

  // Lockable / TimedLockable. unlock() never throws, as the standard requires (std::lock_guard
  // calls it from a destructor): a release that fails — the caller does not hold the lock, e.g.
  // because a wait could not take back a lock that became unusable — is ignored; release()
  // reports it.
  void lock() { acquire(true); }
  void unlock() noexcept { (void)mproc_lock_release(h_.get()); }
  bool try_lock() { return acquire(false); }
  template <typename Rep, typename Period>
  bool try_lock_for(const std::chrono::duration<Rep, Period>& timeout) {
    return acquire(timeout);
  }
  template <typename Clock, typename Duration>
  bool try_lock_until(const std::chrono::time_point<Clock, Duration>& deadline) {
    return acquire(deadline - Clock::now());
  }

  // True when the calling thread holds the lock.
  bool held_by_caller() const { return mproc_lock_held_by_caller(h_.get()) != 0; }
  bool recursive() const { return mproc_lock_is_recursive(h_.get()) != 0; }
  // "Lock 'jobs'", "the lock of Value 'counter'".
  std::string describe() const { return mproc_lock_describe(h_.get()); }

  // The OS handle a child receives (owned by the lock).
  std::intptr_t handle() const {
    std::intptr_t h = -1;
    detail::check(mproc_lock_handle(h_.get(), &h));
    return h;
  }
  mproc_lock* native_handle() const { return h_.get(); }
  // An OS handle readable when the lock is free (or its holder died), for
  // mproc::wait({lock, ...}, timeout) and outside event loops (mproc_lock_wait_handle).
  std::intptr_t wait_handle() const {
    std::intptr_t h = -1;
    detail::check(mproc_lock_wait_handle(h_.get(), &h));
    return h;
  }

  // Takes ownership of a C handle onto any lock (Lock, RLock, or a Value's or Array's).
  static lock_base adopt(mproc_lock* handle) { return lock_base(handle); }

  friend bool operator==(const lock_base& a, const lock_base& b) { return a.h_ == b.h_; }
  friend bool operator!=(const lock_base& a, const lock_base& b) { return a.h_ != b.h_; }

 protected:
  lock_base() = default;
  explicit lock_base(mproc_lock* adopted) : h_(adopted, &mproc_lock_destroy) {}

  static mproc_lock* create(const std::string& name, bool recursive) {
    mproc_lock_options o = MPROC_LOCK_OPTIONS_INIT;
    o.name = name.empty() ? nullptr : name.c_str();
    o.recursive = recursive ? 1 : 0;
    mproc_lock* l = nullptr;
    detail::check(mproc_lock_create(&o, &l));
    return l;
  }

  static mproc_lock* open(std::intptr_t handle, bool recursive) {
    mproc_lock* l = nullptr;
    detail::check(mproc_lock_open(handle, &l));
    if ((mproc_lock_is_recursive(l) != 0) != recursive) {
      std::string what = mproc_lock_describe(l);
      mproc_lock_destroy(l);
      throw error(errc::type_mismatch,
                  what + (recursive ? " is not recursive but was opened as an RLock"
                                    : " is recursive but was opened as a Lock"));
    }
    return l;
  }

  inline bool acquire_ms(std::int64_t timeout_ms);

 private:
  template <class T, class E>
  friend struct ::mproc::codec;  // encoding keeps the shared state alive (see export_handle)
  std::shared_ptr<mproc_lock> h_;
};

// Thrown by an acquire (of a Lock, an RLock, or the lock of a Value or Array, also inside their
// accessors) that got the lock after its previous holder died holding it. The thread that caught
// it holds the lock: repair what the lock protects, call mark_consistent(), then release it (or
// keep it). lock() is that lock.
class owner_died : public error {
 public:
  owner_died(const std::string& message, lock_base lock)
      : error(errc::owner_died, message), lock_(std::move(lock)) {}
  // A handle onto the lock (copies share it), so that a `const owner_died&` can release it.
  lock_base lock() const { return lock_; }
  void mark_consistent() const { lock().mark_consistent(); }

 private:
  lock_base lock_;
};

namespace detail {

// For every call that may take a lock: turns MPROC_E_OWNER_DIED into mproc::owner_died carrying
// `lock`, anything else negative into mproc::error.
inline void check_locked(int status, const lock_base& lock) {
  if (status == MPROC_E_OWNER_DIED) throw owner_died(mproc_last_error(), lock);
  check(status);
}

}  // namespace detail

inline bool lock_base::acquire_ms(std::int64_t timeout_ms) {
  int st = mproc_lock_acquire(h_.get(), timeout_ms);
  if (st == MPROC_OK) return true;
  if (st == MPROC_E_TIMEOUT) return false;
  detail::check_locked(st, *this);
  return true;  // unreachable: check_locked throws for every other status
}

// Python's multiprocessing.Lock: not recursive; the holder acquiring again with a wait is a
// deadlock, reported as mproc::error(errc::bad_state); try_lock()/acquire(false) returns false.
class Lock : public lock_base {
 public:
  Lock() : lock_base(create(std::string(), false)) {}
  // name: how messages name it ("Lock 'jobs'"); at most 63 bytes.
  explicit Lock(const std::string& name) : lock_base(create(name, false)) {}

  // Opens the Lock behind a handle this process received (codecs do this for you).
  static Lock open(std::intptr_t handle) { return Lock(lock_base::open(handle, false)); }
  // Takes ownership of a C handle (it must be a Lock, not an RLock).
  static Lock adopt(mproc_lock* handle) { return Lock(handle); }

 private:
  explicit Lock(mproc_lock* adopted) : lock_base(adopted) {}
};

// Python's multiprocessing.RLock: the holding thread may acquire again; released when every
// acquire has been released.
class RLock : public lock_base {
 public:
  RLock() : lock_base(create(std::string(), true)) {}
  explicit RLock(const std::string& name) : lock_base(create(name, true)) {}

  // Opens the RLock behind a handle (also the lock of a Value or Array, from its handle).
  static RLock open(std::intptr_t handle) { return RLock(lock_base::open(handle, true)); }
  static RLock adopt(mproc_lock* handle) { return RLock(handle); }

 private:
  explicit RLock(mproc_lock* adopted) : lock_base(adopted) {}
};

// Locks travel to another process as their handle.
template <>
struct codec<Lock> {
  static void encode(std::string& out, const Lock& l) {
    detail::put_u64(out, export_handle(l.handle(), l.describe(), l.h_));
  }
  static Lock decode(reader& in) { return Lock::open(import_handle(detail::get_u64(in, "Lock"))); }
};

template <>
struct codec<RLock> {
  static void encode(std::string& out, const RLock& l) {
    detail::put_u64(out, export_handle(l.handle(), l.describe(), l.h_));
  }
  static RLock decode(reader& in) {
    return RLock::open(import_handle(detail::get_u64(in, "RLock")));
  }
};

}  // namespace mproc

#endif  // MPROC_LOCK_HPP
