// mproc/init.hpp — program start-up, start methods and facts about this process (C++ facade of
// mproc/init.h).
#ifndef MPROC_INIT_HPP
#define MPROC_INIT_HPP

#include <cstdint>
#include <string>
#include <vector>

#include "mproc/error.hpp"
#include "mproc/init.h"

namespace mproc {

// Call first in main. In a process mproc started it runs the requested function and exits;
// otherwise it returns. C++ functions registered through mproc/function.hpp are registered before
// main, so nothing else needs to come first.
inline void init(int argc, char** argv) { detail::check(mproc_init(argc, argv)); }

enum class start_method {
  fork = MPROC_START_FORK,        // POSIX only; unsafe in a threaded parent
  spawn = MPROC_START_SPAWN,      // the program runs again; every backend has it
  forkserver = MPROC_START_FORKSERVER,  // POSIX default: a single-threaded server forks children
};

inline const char* to_string(start_method m) {
  return mproc_start_method_name(static_cast<mproc_start_method>(m));
}

// Parses "fork", "spawn" or "forkserver"; "default" gives the method in force now.
inline start_method start_method_from_name(const std::string& name) {
  mproc_start_method m = MPROC_START_DEFAULT;
  detail::check(mproc_start_method_from_name(name.c_str(), &m));
  return static_cast<start_method>(m == MPROC_START_DEFAULT ? mproc_get_start_method() : m);
}

inline bool supported(start_method m) {
  return mproc_start_method_supported(static_cast<mproc_start_method>(m)) != 0;
}

// Python's set_start_method(method, force=False): a second call without force throws
// errc::bad_state.
inline void set_start_method(start_method m, bool force = false) {
  detail::check(mproc_set_start_method_v2(static_cast<mproc_start_method>(m), force ? 1 : 0));
}

// The start methods this backend has, the default first (Python's get_all_start_methods()).
inline std::vector<start_method> get_all_start_methods() {
  mproc_start_method methods[4];
  size_t n = 0;
  detail::check(mproc_get_all_start_methods(methods, 4, &n));
  std::vector<start_method> out;
  for (size_t i = 0; i < n && i < 4; ++i) out.push_back(static_cast<start_method>(methods[i]));
  return out;
}

inline start_method get_start_method() {
  return static_cast<start_method>(mproc_get_start_method());
}

// Like multiprocessing.get_context(method): objects created through a context use its method.
// A default-constructed context follows the global start method at the time it is used.
class Context {
 public:
  Context() = default;
  explicit Context(start_method m) : method_(static_cast<mproc_start_method>(m)) {
    if (!supported(m)) {
      throw error(errc::not_supported, std::string("mproc::Context: the ") + mproc_backend_name() +
                                           " backend has no '" + to_string(m) + "' start method");
    }
  }
  start_method method() const {
    return static_cast<start_method>(method_ == MPROC_START_DEFAULT ? mproc_get_start_method()
                                                                     : method_);
  }
  mproc_start_method c_method() const { return method_; }

 private:
  mproc_start_method method_ = MPROC_START_DEFAULT;
};

inline Context get_context(start_method m) { return Context(m); }
inline Context get_context() { return Context(); }

inline int cpu_count() { return mproc_cpu_count(); }
inline std::int64_t current_pid() { return mproc_current_pid(); }
inline std::int64_t parent_pid() { return mproc_parent_pid(); }
inline bool parent_alive() { return mproc_parent_alive() != 0; }
inline std::string current_name() { return mproc_current_name(); }
inline bool is_child() { return mproc_is_child() != 0; }

// Ends this process like the end of a Process target (children finished, stdio flushed, no
// static destructors). The C++ way to give a child an exit code other than 0 or 1.
[[noreturn]] inline void exit(int code) {
  mproc_exit(code);
  throw error(errc::internal, "mproc_exit returned");  // unreachable
}

}  // namespace mproc

#endif  // MPROC_INIT_HPP
