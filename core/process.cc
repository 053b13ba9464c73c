// core/process.cc — mproc_process: validation and state; the backend creates and watches the OS
// process.
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "backends/backend.h"
#include "core/children.h"
#include "core/launch.h"
#include "core/options.h"
#include "core/registry.h"
#include "core/self.h"
#include "core/status.h"

struct mproc_process {
  ~mproc_process() {
    for (intptr_t h : handles) mproc__handle_close(h);
  }

  std::string fn_name;  // empty for a local callable
  mproc_fn local_fn = nullptr;
  void* local_userdata = nullptr;
  std::string args;
  std::string name;
  std::string identity;
  bool daemon = false;
  mproc_start_method method = MPROC_START_DEFAULT;
  std::vector<intptr_t> handles;                // duplicates, closed once started (or on destroy)
  std::shared_ptr<mproc__tracked_child> child;  // set by start
  bool closed = false;                          // mproc_process_close succeeded
  mutable std::string failure;                  // copy handed out by mproc_process_failure
};

namespace {

mproc_status create_common(const char* where, const mproc_process_options* opts,
                           mproc_process** out, std::unique_ptr<mproc_process>* p) {
  if (out == nullptr) return mproc__failf(MPROC_E_INVAL, "%s: out is NULL", where);
  *out = nullptr;
  mproc_process_options o;
  mproc_status st = mproc__read_options(where, opts, &o);
  if (st != MPROC_OK) return st;
  if (o.start_method < MPROC_START_DEFAULT || o.start_method > MPROC_START_FORKSERVER) {
    return mproc__failf(MPROC_E_INVAL, "%s: %d is not a start method", where,
                        static_cast<int>(o.start_method));
  }
  mproc_start_method method = mproc__resolve_method(o.start_method);
  if (!mproc_start_method_supported(method)) {
    return mproc__failf(MPROC_E_NOT_SUPPORTED, "%s: the %s backend has no '%s' start method", where,
                        mproc_backend_name(), mproc_start_method_name(method));
  }
  auto proc = std::make_unique<mproc_process>();
  proc->method = method;
  proc->daemon = o.daemon != 0;
  std::string default_name;
  mproc__next_child_identity(&proc->identity, &default_name);
  proc->name = o.name != nullptr ? std::string(o.name) : default_name;
  *p = std::move(proc);
  return MPROC_OK;
}

// The name a message uses for the process: its name and, once known, what it runs.
std::string describe(const mproc_process* p) {
  return p->fn_name.empty() ? "process '" + p->name + "'"
                            : "process '" + p->name + "' (" + p->fn_name + ")";
}

// MPROC_E_CLOSED after mproc_process_close: Python's ValueError("process object is closed").
mproc_status require_open(const char* where, const mproc_process* p) {
  if (p == nullptr) return mproc__failf(MPROC_E_INVAL, "%s: process is NULL", where);
  if (p->closed) return mproc__failf(MPROC_E_CLOSED, "%s: %s is closed", where, describe(p));
  return MPROC_OK;
}

mproc_status require_started(const char* where, const mproc_process* p) {
  mproc_status st = require_open(where, p);
  if (st != MPROC_OK) return st;
  if (!p->child) {
    return mproc__failf(MPROC_E_STATE, "%s: %s has not been started", where, describe(p));
  }
  return MPROC_OK;
}

// After the child ended: a spawned program that never reached mproc_init is the user's error to
// hear about, not a normal exit. A child killed by a signal may have died before reaching it.
mproc_status check_reached_init(const mproc_process* p) {
  const auto& c = p->child;
  if (c->ended() && !c->reached_init() &&
      c->exit_status().kind == mproc__exit_status::exited) {
    return mproc__failf(
        MPROC_E_NO_INIT,
        "mproc_process_join: %s exited with code %d without running its function: the program's "
        "main() must call mproc_init(argc, argv) first (the child is a new run of the program)",
        describe(p), c->exitcode());
  }
  return MPROC_OK;
}

}  // namespace

mproc__exit_status mproc__process_exit_status(const mproc_process* p) {
  if (p == nullptr || p->child == nullptr || !p->child->ended()) return mproc__exit_status{};
  return p->child->exit_status();
}

extern "C" {

MPROC_API mproc_status mproc_process_create(const char* fn_name, const void* args,
                                            size_t args_len, const mproc_process_options* opts,
                                            mproc_process** out) {
  const char* where = "mproc_process_create";
  if (out == nullptr) return mproc__failf(MPROC_E_INVAL, "%s: out is NULL", where);
  *out = nullptr;
  if (fn_name == nullptr) return mproc__failf(MPROC_E_INVAL, "%s: fn_name is NULL", where);
  if (args == nullptr && args_len > 0) {
    return mproc__failf(MPROC_E_INVAL, "%s: args is NULL but args_len is %d", where, args_len);
  }
  if (!mproc_is_registered(fn_name)) {
    return mproc__failf(MPROC_E_NOT_REGISTERED,
                        "%s: no function is registered under the name '%s' (register it with "
                        "mproc_register before mproc_init, or use mproc::fn<&f> in C++)",
                        where, fn_name);
  }
  std::unique_ptr<mproc_process> p;
  mproc_status st = create_common(where, opts, out, &p);
  if (st != MPROC_OK) return st;
  p->fn_name = fn_name;
  if (args_len > 0) p->args.assign(static_cast<const char*>(args), args_len);
  *out = p.release();
  return MPROC_OK;
}

MPROC_API mproc_status mproc_process_create_local(mproc_fn fn, void* userdata,
                                                  const mproc_process_options* opts,
                                                  mproc_process** out) {
  const char* where = "mproc_process_create_local";
  if (fn == nullptr) return mproc__failf(MPROC_E_INVAL, "%s: fn is NULL", where);
  std::unique_ptr<mproc_process> p;
  mproc_status st = create_common(where, opts, out, &p);
  if (st != MPROC_OK) return st;
  if (p->method != MPROC_START_FORK) {
    return mproc__failf(MPROC_E_NOT_SUPPORTED,
                        "%s: only the fork start method can run a function that is not registered "
                        "by name (this process would use '%s')",
                        where, mproc_start_method_name(p->method));
  }
  p->local_fn = fn;
  p->local_userdata = userdata;
  *out = p.release();
  return MPROC_OK;
}

MPROC_API mproc_status mproc_process_set_name(mproc_process* p, const char* name) {
  if (p == nullptr || name == nullptr) {
    return mproc__fail(MPROC_E_INVAL, "mproc_process_set_name: NULL argument");
  }
  if (p->child) {
    return mproc__failf(MPROC_E_STATE, "mproc_process_set_name: %s has already started",
                        describe(p));
  }
  p->name = name;
  return MPROC_OK;
}

MPROC_API mproc_status mproc_process_set_daemon(mproc_process* p, int daemon) {
  if (p == nullptr) return mproc__fail(MPROC_E_INVAL, "mproc_process_set_daemon: process is NULL");
  if (p->child) {
    return mproc__failf(MPROC_E_STATE,
                        "mproc_process_set_daemon: %s has already started; set daemon before start",
                        describe(p));
  }
  p->daemon = daemon != 0;
  return MPROC_OK;
}

MPROC_API mproc_status mproc_process_start(mproc_process* p) {
  const char* where = "mproc_process_start";
  mproc_status open = require_open(where, p);
  if (open != MPROC_OK) return open;
  if (p->child) {
    return mproc__failf(MPROC_E_STATE, "%s: %s was started already; a process starts only once",
                        where, describe(p));
  }
  if (mproc__spawned_without_init()) {
    return mproc__failf(
        MPROC_E_NO_INIT,
        "%s: refusing to start %s: this program was started by mproc as a child process, but its "
        "main() did not call mproc_init(argc, argv) first; add that call at the top of main",
        where, describe(p));
  }
  mproc__self_state& self = mproc__self();
  if (self.daemon) {
    return mproc__failf(MPROC_E_STATE, "%s: daemonic process '%s' may not start children (%s)",
                        where, self.name, describe(p));
  }
  mproc__launch launch;
  launch.fn_name = p->fn_name;
  launch.process_name = p->name;
  launch.identity = p->identity;
  launch.parent_pid = mproc__current_pid();
  launch.daemon = p->daemon;
  launch.args = p->args;
  std::string bytes = mproc__launch_encode(launch);

  mproc__start_request req{};
  req.method = p->method;
  req.launch = bytes.data();
  req.launch_len = bytes.size();
  req.local_fn = p->local_fn;
  req.local_userdata = p->local_userdata;
  req.handles = p->handles.data();
  req.handle_count = p->handles.size();

  if (!self.is_child) mproc__ensure_exit_handler();
  // As Python does before every start: what this process printed so far comes out before
  // anything the child prints, even when stdout is a pipe or a file.
  std::fflush(stdout);
  std::fflush(stderr);
  mproc__child* c = nullptr;
  mproc_status st = mproc__child_start(&req, &c);
  if (st != MPROC_OK) return st;
  p->child = std::make_shared<mproc__tracked_child>(c, p->name, p->daemon);
  mproc__children_add(p->child);
  // The child has its copies now. Ours must not outlive the start: a Pipe end kept open here
  // would hide from its peer that the child closed it or died (no end of file ever).
  for (intptr_t h : p->handles) mproc__handle_close(h);
  p->handles.clear();
  return MPROC_OK;
}

MPROC_API mproc_status mproc_process_add_handle(mproc_process* p, intptr_t handle, size_t* index) {
  const char* where = "mproc_process_add_handle";
  mproc_status open = require_open(where, p);
  if (open != MPROC_OK) return open;
  if (p->child) {
    return mproc__failf(MPROC_E_STATE, "%s: %s has already started; pass handles before start",
                        where, describe(p));
  }
  constexpr size_t kMaxHandles = 240;  // what one SCM_RIGHTS message carries, with room to spare
  if (p->handles.size() >= kMaxHandles) {
    return mproc__failf(MPROC_E_RANGE, "%s: %s already carries %d handles, the most a child can get",
                        where, describe(p), kMaxHandles);
  }
  intptr_t dup = MPROC__NO_HANDLE;
  std::string what = std::string(where) + ": " + describe(p);
  mproc_status st = mproc__handle_dup(handle, what.c_str(), &dup);
  if (st != MPROC_OK) return st;
  p->handles.push_back(dup);
  if (index != nullptr) *index = p->handles.size() - 1;
  return MPROC_OK;
}

MPROC_API mproc_status mproc_inherited_handle_take(size_t index, intptr_t* out) {
  if (out == nullptr) return mproc__fail(MPROC_E_INVAL, "mproc_inherited_handle_take: out is NULL");
  return mproc__inherited_handle_take(index, out);
}

MPROC_API mproc_status mproc_handle_dup(intptr_t handle, intptr_t* out) {
  if (out == nullptr) return mproc__fail(MPROC_E_INVAL, "mproc_handle_dup: out is NULL");
  return mproc__handle_dup(handle, "mproc_handle_dup", out);
}

MPROC_API void mproc_handle_close(intptr_t handle) {
  if (mproc__handle_valid(handle)) mproc__handle_close(handle);
}

MPROC_API mproc_status mproc_inherited_handle(size_t index, intptr_t* out) {
  if (out == nullptr) return mproc__fail(MPROC_E_INVAL, "mproc_inherited_handle: out is NULL");
  return mproc__inherited_handle(index, out);
}

MPROC_API mproc_status mproc_process_join(mproc_process* p, int64_t timeout_ms) {
  const char* where = "mproc_process_join";
  mproc_status st = require_started(where, p);
  if (st != MPROC_OK) return st;
  st = mproc__check_timeout(where, timeout_ms);
  if (st != MPROC_OK) return st;
  st = p->child->wait(timeout_ms);
  if (st == MPROC_E_TIMEOUT) {
    return mproc__failf(MPROC_E_TIMEOUT, "%s: %s still running after %d ms", where, describe(p),
                        timeout_ms);
  }
  if (st != MPROC_OK) return st;
  return check_reached_init(p);
}

MPROC_API mproc_status mproc_process_is_alive(mproc_process* p, int* alive) {
  if (alive == nullptr) return mproc__fail(MPROC_E_INVAL, "mproc_process_is_alive: alive is NULL");
  *alive = 0;
  mproc_status open = require_open("mproc_process_is_alive", p);
  if (open != MPROC_OK) return open;
  if (!p->child) return MPROC_OK;  // Python: a process not yet started is not alive
  mproc_status st = p->child->wait(0);
  if (st == MPROC_E_TIMEOUT) {
    *alive = 1;
    return MPROC_OK;
  }
  return st;
}

MPROC_API mproc_status mproc_process_pid(const mproc_process* p, int64_t* pid) {
  mproc_status st = require_started("mproc_process_pid", p);
  if (st != MPROC_OK) return st;
  if (pid == nullptr) return mproc__fail(MPROC_E_INVAL, "mproc_process_pid: pid is NULL");
  *pid = p->child->pid();
  return MPROC_OK;
}

MPROC_API mproc_status mproc_process_exitcode(mproc_process* p, int* ended, int* exitcode) {
  mproc_status st = require_open("mproc_process_exitcode", p);
  if (st != MPROC_OK) return st;
  if (ended == nullptr || exitcode == nullptr) {
    return mproc__fail(MPROC_E_INVAL, "mproc_process_exitcode: NULL output");
  }
  if (!p->child) {  // Python: None before start
    *ended = 0;
    return MPROC_OK;
  }
  st = p->child->wait(0);
  if (st != MPROC_OK && st != MPROC_E_TIMEOUT) return st;
  *ended = p->child->ended() ? 1 : 0;
  if (*ended) *exitcode = p->child->exitcode();
  return MPROC_OK;
}

MPROC_API mproc_status mproc_process_terminate(mproc_process* p) {
  mproc_status st = require_started("mproc_process_terminate", p);
  return st != MPROC_OK ? st : p->child->signal(/*kill_now=*/false);
}

MPROC_API mproc_status mproc_process_kill(mproc_process* p) {
  mproc_status st = require_started("mproc_process_kill", p);
  return st != MPROC_OK ? st : p->child->signal(/*kill_now=*/true);
}

MPROC_API mproc_status mproc_process_sentinel(const mproc_process* p, intptr_t* handle) {
  mproc_status st = require_started("mproc_process_sentinel", p);
  if (st != MPROC_OK) return st;
  if (handle == nullptr) return mproc__fail(MPROC_E_INVAL, "mproc_process_sentinel: handle is NULL");
  *handle = p->child->sentinel();
  return MPROC_OK;
}

MPROC_API const char* mproc_process_name(const mproc_process* p) {
  return p == nullptr ? "" : p->name.c_str();
}

MPROC_API int mproc_process_daemon(const mproc_process* p) {
  return (p != nullptr && p->daemon) ? 1 : 0;
}

MPROC_API mproc_start_method mproc_process_start_method(const mproc_process* p) {
  return p == nullptr ? MPROC_START_DEFAULT : p->method;
}

MPROC_API const char* mproc_process_failure(const mproc_process* p) {
  if (p == nullptr || !p->child || !p->child->ended()) return nullptr;
  // The text lives in the shared record; the handle keeps a copy so the pointer stays valid.
  p->failure = p->child->failure();
  return p->failure.empty() ? nullptr : p->failure.c_str();
}

MPROC_API mproc_status mproc_process_close(mproc_process* p) {
  const char* where = "mproc_process_close";
  if (p == nullptr) return mproc__failf(MPROC_E_INVAL, "%s: process is NULL", where);
  if (p->closed) return MPROC_OK;
  if (p->child) {
    mproc_status st = p->child->wait(0);
    if (st == MPROC_E_TIMEOUT) {
      return mproc__failf(MPROC_E_STATE,
                          "%s: %s is still running; join, terminate or kill it before closing it",
                          where, describe(p));
    }
    if (st != MPROC_OK) return st;
  }
  for (intptr_t h : p->handles) mproc__handle_close(h);
  p->handles.clear();
  const bool started = p->child != nullptr;
  p->child.reset();  // its sentinel and other handles go with the last reference
  p->closed = true;
  if (started) mproc__children_prune();
  return MPROC_OK;
}

MPROC_API void mproc_process_destroy(mproc_process* p) {
  // The children table keeps the record of a running child: it is reaped by
  // mproc_active_children or at exit (terminated first if daemonic), never leaked. The record of
  // one that was joined goes now, with its descriptors.
  bool joined = p != nullptr && p->child && p->child->ended();
  delete p;
  if (joined) mproc__children_prune();
}

MPROC_API mproc_status mproc_active_children(mproc_child_info* out, size_t cap, size_t* count) {
  if (count == nullptr || (out == nullptr && cap > 0)) {
    return mproc__fail(MPROC_E_INVAL, "mproc_active_children: NULL output");
  }
  auto live = mproc__children_live();
  *count = live.size();
  for (size_t i = 0; i < live.size() && i < cap; ++i) {
    out[i].pid = live[i]->pid();
    const std::string& n = live[i]->name();
    size_t len = n.size() < sizeof out[i].name - 1 ? n.size() : sizeof out[i].name - 1;
    n.copy(out[i].name, len);
    out[i].name[len] = '\0';
  }
  return MPROC_OK;
}

}  // extern "C"
