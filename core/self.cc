// core/self.cc — per-process state, mproc_init, and running a child's function.
#include "core/self.h"

#include <cstdio>
#include <cstdlib>
#include <mutex>

#include "backends/backend.h"
#include "core/children.h"
#include "core/launch.h"
#include "core/registry.h"
#include "core/status.h"

mproc__self_state& mproc__self() {
  static mproc__self_state* s = new mproc__self_state;  // leaked: read from atexit handlers
  return *s;
}

void mproc__next_child_identity(std::string* identity, std::string* default_name) {
  mproc__self_state& self = mproc__self();
  int n = ++self.child_counter;
  *identity = self.identity.empty() ? std::to_string(n) : self.identity + ":" + std::to_string(n);
  *default_name = "Process-" + *identity;
}

mproc_start_method mproc__resolve_method(mproc_start_method method) {
  if (method != MPROC_START_DEFAULT) return method;
  int m = mproc__self().default_method.load();
  return m == MPROC_START_DEFAULT ? mproc__default_start_method()
                                  : static_cast<mproc_start_method>(m);
}

namespace {

void exit_handler() { mproc__children_finish(); }

std::once_flag g_exit_handler_once;

// Writes "Process <name>: <text>" to stderr, as Python prints a child's traceback there.
void print_failure(const std::string& text) {
  std::fflush(stdout);
  std::fprintf(stderr, "Process %s: %s\n", mproc__self().name.c_str(), text.c_str());
  std::fflush(stderr);
}

[[noreturn]] void fail_child(const std::string& text) {
  print_failure(text);
  mproc__report_failure(text);
  mproc__exit(1);
}

}  // namespace

void mproc__ensure_exit_handler() {
  std::call_once(g_exit_handler_once, [] { std::atexit(exit_handler); });
}

void mproc__core_after_fork_child() {
  mproc__children_forget();
  mproc__self().child_counter = 0;
}

void mproc__core_run_child(const void* launch_bytes, size_t launch_len, mproc_fn local_fn,
                           void* local_userdata) {
  mproc__launch launch;
  if (mproc__launch_decode(launch_bytes, launch_len, &launch) != MPROC_OK) {
    fail_child(std::string("mproc: ") + mproc_last_error());
  }
  mproc__self_state& self = mproc__self();
  self.name = launch.process_name;
  self.identity = launch.identity;
  self.parent_pid = launch.parent_pid;
  self.daemon = launch.daemon;
  self.is_child = true;
  self.initialized = true;
  self.child_counter = 0;
  mproc__parent_watch(launch.parent_pid);
  mproc__report_reached_init();

  mproc__registered target{local_fn, local_userdata};
  if (target.fn == nullptr && !mproc__registry_find(launch.fn_name, &target)) {
    fail_child("mproc::error: no function is registered as '" + launch.fn_name +
               "' in the child process; register it before mproc_init() so every process of the "
               "program has it");
  }
  mproc_call call;
  int code = 0;
  try {
    code = target.fn(launch.args.data(), launch.args.size(), &call, target.userdata);
  } catch (...) {
    // A C function cannot throw; a C++ function registered through the C ABI might.
    mproc_call_fail(&call, "unknown exception", "a C++ exception escaped the function");
    code = 1;
  }
  if (call.failed) {
    std::string text = call.fail_type + ": " + call.fail_message;
    print_failure(text);
    mproc__report_failure(text);
    if (code == 0) code = 1;
  }
  mproc__children_finish();
  mproc__exit(code);
}

extern "C" {

MPROC_API mproc_status mproc_init(int argc, char** argv) {
  mproc__self_state& self = mproc__self();
  if (self.initialized) return MPROC_OK;
  mproc__child_bootstrap(argc, argv);  // returns only in a process mproc did not start
  self.initialized = true;
  return MPROC_OK;
}

MPROC_API void mproc_exit(int code) {
  mproc__children_finish();
  mproc__exit(code);
}

MPROC_API mproc_status mproc_set_start_method_v2(mproc_start_method method, int force) {
  const char* where = "mproc_set_start_method";
  if (method < MPROC_START_DEFAULT || method > MPROC_START_FORKSERVER) {
    return mproc__failf(MPROC_E_INVAL, "%s: %d is not a start method", where,
                        static_cast<int>(method));
  }
  if (method != MPROC_START_DEFAULT && !mproc_start_method_supported(method)) {
    return mproc__failf(MPROC_E_NOT_SUPPORTED, "%s: the %s backend has no '%s' start method",
                        where, mproc_backend_name(), mproc_start_method_name(method));
  }
  if (force != 0) {
    mproc__self().default_method.store(method);
    return MPROC_OK;
  }
  int unset = MPROC_START_DEFAULT;
  if (!mproc__self().default_method.compare_exchange_strong(unset, method)) {
    return mproc__failf(MPROC_E_STATE,
                        "%s: the start method is already set to '%s' (set it again with force)",
                        where, mproc_start_method_name(static_cast<mproc_start_method>(unset)));
  }
  return MPROC_OK;
}

MPROC_API mproc_status mproc_set_start_method(mproc_start_method method) {
  return mproc_set_start_method_v2(method, 1);
}

MPROC_API mproc_status mproc_get_all_start_methods(mproc_start_method* out, size_t cap,
                                                   size_t* count) {
  if (count == nullptr || (out == nullptr && cap > 0)) {
    return mproc__fail(MPROC_E_INVAL, "mproc_get_all_start_methods: NULL output");
  }
  const mproc_start_method first = mproc__default_start_method();
  size_t n = 0;
  for (mproc_start_method m : {first, MPROC_START_FORKSERVER, MPROC_START_FORK, MPROC_START_SPAWN}) {
    if (!mproc_start_method_supported(m)) continue;
    if (n > 0 && m == first) continue;
    if (n < cap) out[n] = m;
    ++n;
  }
  *count = n;
  return MPROC_OK;
}

MPROC_API mproc_start_method mproc_get_start_method(void) {
  return mproc__resolve_method(MPROC_START_DEFAULT);
}

MPROC_API int mproc_start_method_supported(mproc_start_method method) {
  const mproc__caps& caps = mproc__backend_caps();
  switch (method) {
    case MPROC_START_DEFAULT:
    case MPROC_START_SPAWN:
      return 1;
    case MPROC_START_FORK:
      return caps.fork ? 1 : 0;
    case MPROC_START_FORKSERVER:
      return caps.forkserver ? 1 : 0;
    default:
      return 0;
  }
}

MPROC_API const char* mproc_start_method_name(mproc_start_method method) {
  switch (method) {
    case MPROC_START_DEFAULT:
      return "default";
    case MPROC_START_FORK:
      return "fork";
    case MPROC_START_SPAWN:
      return "spawn";
    case MPROC_START_FORKSERVER:
      return "forkserver";
    default:
      return "unknown";
  }
}

MPROC_API mproc_status mproc_start_method_from_name(const char* name, mproc_start_method* out) {
  if (name == nullptr || out == nullptr) {
    return mproc__fail(MPROC_E_INVAL, "mproc_start_method_from_name: NULL argument");
  }
  for (mproc_start_method m : {MPROC_START_DEFAULT, MPROC_START_FORK, MPROC_START_SPAWN,
                               MPROC_START_FORKSERVER}) {
    if (std::string(name) == mproc_start_method_name(m)) {
      *out = m;
      return MPROC_OK;
    }
  }
  return mproc__failf(MPROC_E_INVAL,
                      "mproc_start_method_from_name: '%s' is not fork, spawn, forkserver or default",
                      name);
}

MPROC_API int mproc_cpu_count(void) { return mproc__cpu_count(); }
MPROC_API int64_t mproc_current_pid(void) { return mproc__current_pid(); }

MPROC_API int64_t mproc_parent_pid(void) {
  int64_t p = mproc__self().parent_pid;
  return p >= 0 ? p : mproc__os_parent_pid();
}

MPROC_API int mproc_parent_alive(void) { return mproc__parent_alive() ? 1 : 0; }
MPROC_API const char* mproc_current_name(void) { return mproc__self().name.c_str(); }
MPROC_API int mproc_is_child(void) { return mproc__self().is_child ? 1 : 0; }

}  // extern "C"
