// mproc/barrier.hpp — mproc::Barrier, Python's multiprocessing.Barrier for C++ (facade of
// mproc/barrier.h).
//
//   void announce() { std::puts("all here"); }
//   mproc::Barrier start(3, mproc::fn<&announce>);   // the last to arrive runs announce()
//   ... in each of 3 processes: std::uint32_t i = start.wait();   // 0, 1, 2 in arrival order
//
// A broken barrier (a wait timed out, the action threw, abort()) makes wait() throw
// mproc::broken_barrier_error (Python's BrokenBarrierError) until reset(). The action is a
// registered function (mproc::fn<&f>, taking no arguments), because the process that arrives last
// runs it, whichever that is. Copies share one barrier; every member is thread-safe.
#ifndef MPROC_BARRIER_HPP
#define MPROC_BARRIER_HPP

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <tuple>

#include "mproc/barrier.h"
#include "mproc/codec.hpp"
#include "mproc/error.hpp"
#include "mproc/function.hpp"
#include "mproc/handles.hpp"
#include "mproc/process.hpp"

namespace mproc {

// Python's threading.BrokenBarrierError.
class broken_barrier_error : public error {
 public:
  explicit broken_barrier_error(const std::string& message) : error(errc::broken, message) {}
};

class Barrier {
 public:
  explicit Barrier(std::uint32_t parties, const std::string& name = std::string())
      : Barrier(parties, nullptr, MPROC_INFINITE, name) {}

  // With an action run by the last to arrive, before any is released.
  template <auto F>
  Barrier(std::uint32_t parties, fn_t<F> action, const std::string& name = std::string())
      : Barrier(parties, action_name(action), MPROC_INFINITE, name) {}

  // With a default timeout for wait() (Python's Barrier(parties, timeout=...)).
  template <typename Rep, typename Period>
  Barrier(std::uint32_t parties, std::chrono::duration<Rep, Period> timeout,
          const std::string& name = std::string())
      : Barrier(parties, nullptr, detail::to_timeout_ms(timeout), name) {}

  template <auto F, typename Rep, typename Period>
  Barrier(std::uint32_t parties, fn_t<F> action, std::chrono::duration<Rep, Period> timeout,
          const std::string& name = std::string())
      : Barrier(parties, action_name(action), detail::to_timeout_ms(timeout), name) {}

  // Opens the Barrier behind a handle this process received.
  static Barrier open(std::intptr_t handle) {
    mproc_barrier* b = nullptr;
    detail::check(mproc_barrier_open(handle, &b));
    return Barrier(adopt_tag{}, b);
  }

  // Waits for every party (at most the default timeout, if the barrier has one); returns this
  // thread's arrival index, 0 to parties() - 1.
  std::uint32_t wait() { return wait_ms(MPROC_BARRIER_DEFAULT_TIMEOUT); }
  // The same with this timeout; running out breaks the barrier (broken_barrier_error for all).
  template <typename Rep, typename Period>
  std::uint32_t wait(std::chrono::duration<Rep, Period> timeout) {
    return wait_ms(detail::to_timeout_ms(timeout));
  }

  void reset() { detail::check(mproc_barrier_reset(h_.get())); }
  void abort() { detail::check(mproc_barrier_abort(h_.get())); }
  std::uint32_t parties() const { return mproc_barrier_parties(h_.get()); }
  std::uint32_t n_waiting() const { return mproc_barrier_n_waiting(h_.get()); }
  bool broken() const { return mproc_barrier_broken(h_.get()) != 0; }

  std::string describe() const { return mproc_barrier_describe(h_.get()); }
  std::intptr_t handle() const {
    std::intptr_t h = -1;
    detail::check(mproc_barrier_handle(h_.get(), &h));
    return h;
  }
  mproc_barrier* native_handle() const { return h_.get(); }

 private:
  template <auto F>
  static const char* action_name(fn_t<F>) {
    static_assert(std::tuple_size_v<typename fn_t<F>::signature::args> == 0,
                  "a Barrier's action takes no arguments");
    return fn_t<F>::name().c_str();
  }

  Barrier(std::uint32_t parties, const char* action, std::int64_t timeout_ms,
          const std::string& name) {
    mproc_barrier_options o = MPROC_BARRIER_OPTIONS_INIT;
    o.name = name.empty() ? nullptr : name.c_str();
    o.action = action;
    o.timeout_ms = timeout_ms;
    mproc_barrier* b = nullptr;
    detail::check(mproc_barrier_create(parties, &o, &b));
    h_.reset(b, &mproc_barrier_destroy);
  }
  struct adopt_tag {};  // keeps Barrier(0) from meaning a null handle
  Barrier(adopt_tag, mproc_barrier* adopted) : h_(adopted, &mproc_barrier_destroy) {}

  std::uint32_t wait_ms(std::int64_t timeout_ms) {
    std::uint32_t index = 0;
    int st = mproc_barrier_wait(h_.get(), timeout_ms, &index);
    if (st == MPROC_E_BROKEN) throw broken_barrier_error(mproc_last_error());
    detail::check(st);
    return index;
  }

  template <class T, class E>
  friend struct ::mproc::codec;  // encoding keeps the shared state alive (see export_handle)
  std::shared_ptr<mproc_barrier> h_;
};

template <>
struct codec<Barrier> {
  static void encode(std::string& out, const Barrier& b) {
    detail::put_u64(out, export_handle(b.handle(), b.describe(), b.h_));
  }
  static Barrier decode(reader& in) {
    return Barrier::open(import_handle(detail::get_u64(in, "Barrier")));
  }
};

}  // namespace mproc

#endif  // MPROC_BARRIER_HPP
