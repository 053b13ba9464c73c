// mproc/process.hpp — mproc::Process, Python's Process for C++ (facade of mproc/process.h).
//
//   mproc::Process p(mproc::fn<&hello>, std::string("shiyanlou"));
//   p.start();
//   p.join();
//
// The destructor never blocks and never leaks: a child still running is finished when this
// process exits (daemonic children terminated, others joined), as Python does.
#ifndef MPROC_PROCESS_HPP
#define MPROC_PROCESS_HPP

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "mproc/codec.hpp"
#include "mproc/error.hpp"
#include "mproc/function.hpp"
#include "mproc/handles.hpp"
#include "mproc/init.hpp"
#include "mproc/process.h"

namespace mproc {
namespace detail {

template <typename T>
struct is_fn_t : std::false_type {};
template <auto F>
struct is_fn_t<fn_t<F>> : std::true_type {};

// Rounds up, so that a short positive timeout waits instead of becoming a poll.
template <typename Rep, typename Period>
std::int64_t to_timeout_ms(std::chrono::duration<Rep, Period> d) {
  if (d <= d.zero()) return 0;
  return std::chrono::ceil<std::chrono::milliseconds>(d).count();
}

}  // namespace detail

class Process {
 public:
  // Runs F(args...) in a child started with the global start method.
  template <auto F, typename... A>
  explicit Process(fn_t<F> f, A&&... args) : Process(Context(), f, std::forward<A>(args)...) {}

  // Runs F(args...) in a child started with ctx's start method.
  template <auto F, typename... A>
  Process(const Context& ctx, fn_t<F>, A&&... args) {
    detail::handle_sink sink;  // shared objects among the arguments add their handles here
    std::string bytes = fn_t<F>::encode(std::forward<A>(args)...);
    mproc_process_options o = MPROC_PROCESS_OPTIONS_INIT;
    o.start_method = ctx.c_method();
    mproc_process* p = nullptr;
    detail::check(mproc_process_create(fn_t<F>::name().c_str(), bytes.data(), bytes.size(), &o, &p));
    handle_.reset(p);
    for (std::intptr_t h : sink.handles()) {
      detail::check(mproc_process_add_handle(p, h, nullptr));
    }
  }

  // Runs any callable in a child of the FORK start method: POSIX only, since only a forked child
  // shares this process's memory. Other methods throw mproc::error(errc::not_supported).
  template <typename C, typename = std::enable_if_t<!detail::is_fn_t<std::decay_t<C>>::value &&
                                                    std::is_invocable_v<std::decay_t<C>&>>>
  Process(const Context& ctx, C&& callable)
      : local_(std::make_unique<std::function<void()>>(std::forward<C>(callable))) {
    mproc_process_options o = MPROC_PROCESS_OPTIONS_INIT;
    o.start_method = ctx.c_method();
    mproc_process* p = nullptr;
    detail::check(mproc_process_create_local(&run_local, local_.get(), &o, &p));
    handle_.reset(p);
  }

  Process(Process&&) noexcept = default;
  Process& operator=(Process&&) noexcept = default;

  // Before start: the name the child sees as mproc::current_name(); daemon flag.
  Process& name(const std::string& n) {
    detail::check(mproc_process_set_name(handle_.get(), n.c_str()));
    return *this;
  }
  Process& daemon(bool d) {
    detail::check(mproc_process_set_daemon(handle_.get(), d ? 1 : 0));
    return *this;
  }
  std::string name() const { return mproc_process_name(handle_.get()); }
  bool daemon() const { return mproc_process_daemon(handle_.get()) != 0; }
  start_method method() const {
    return static_cast<start_method>(mproc_process_start_method(handle_.get()));
  }

  void start() { detail::check(mproc_process_start(handle_.get())); }

  // Blocks until the child ends. Throws mproc::error(errc::no_init) if it was a spawned program
  // that never reached mproc::init.
  void join() { detail::check(mproc_process_join(handle_.get(), MPROC_INFINITE)); }

  // Waits at most timeout; true once the child has ended.
  template <typename Rep, typename Period>
  bool join(std::chrono::duration<Rep, Period> timeout) {
    int st = mproc_process_join(handle_.get(), detail::to_timeout_ms(timeout));
    if (st == MPROC_E_TIMEOUT) return false;
    detail::check(st);
    return true;
  }

  bool is_alive() {
    int alive = 0;
    detail::check(mproc_process_is_alive(handle_.get(), &alive));
    return alive != 0;
  }

  std::int64_t pid() const {
    std::int64_t id = 0;
    detail::check(mproc_process_pid(handle_.get(), &id));
    return id;
  }

  // Empty before start and while running (Python's None); the exit status once ended (-N:
  // killed by signal N).
  std::optional<int> exitcode() {
    int ended = 0, code = 0;
    detail::check(mproc_process_exitcode(handle_.get(), &ended, &code));
    return ended ? std::optional<int>(code) : std::nullopt;
  }

  void terminate() { detail::check(mproc_process_terminate(handle_.get())); }

  // Python's Process.close(): releases the child's record and handles. Throws errc::bad_state
  // while it runs; afterwards the calls that need the child throw errc::closed.
  void close() { detail::check(mproc_process_close(handle_.get())); }
  void kill() { detail::check(mproc_process_kill(handle_.get())); }

  // Readable (POSIX) / signalled (Win32) once the child ended; owned by this object.
  std::intptr_t sentinel() const {
    std::intptr_t h = 0;
    detail::check(mproc_process_sentinel(handle_.get(), &h));
    return h;
  }

  // What the child reported when it failed ("<type>: <message>"), once it has ended.
  std::optional<std::string> failure() const {
    const char* f = mproc_process_failure(handle_.get());
    return f != nullptr ? std::optional<std::string>(f) : std::nullopt;
  }

  mproc_process* native_handle() const { return handle_.get(); }

 private:
  static int run_local(const void*, size_t, mproc_call* call, void* userdata) {
    try {
      (*static_cast<std::function<void()>*>(userdata))();
      return 0;
    } catch (const std::exception& e) {
      mproc_call_fail(call, detail::pretty_type_name(detail::demangle(typeid(e).name())).c_str(),
                      e.what());
    } catch (...) {
      mproc_call_fail(call, "unknown exception", "a non-std::exception was thrown");
    }
    return 1;
  }

  struct deleter {
    void operator()(mproc_process* p) const { mproc_process_destroy(p); }
  };
  std::unique_ptr<std::function<void()>> local_;  // FORK callables; must outlive the handle
  std::unique_ptr<mproc_process, deleter> handle_;
};

struct child_info {
  std::int64_t pid;
  std::string name;
};

// Children started and not yet seen to end (reaps those that ended), like
// multiprocessing.active_children().
inline std::vector<child_info> active_children() {
  std::vector<mproc_child_info> raw(16);
  size_t count = 0;
  for (;;) {
    detail::check(mproc_active_children(raw.data(), raw.size(), &count));
    if (count <= raw.size()) break;
    raw.resize(count * 2);
  }
  std::vector<child_info> out;
  for (size_t i = 0; i < count; ++i) out.push_back({raw[i].pid, raw[i].name});
  return out;
}

}  // namespace mproc

#endif  // MPROC_PROCESS_HPP
