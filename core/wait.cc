// core/wait.cc — mproc_wait: Python's multiprocessing.connection.wait over OS handles, so that
// connections, process sentinels and any later waitable object mix in one call.
#include <algorithm>
#include <vector>

#include "backends/backend.h"
#include "core/deadline.h"
#include "core/status.h"
#include "core/watch.h"
#include "mproc/wait.h"

extern "C" {

MPROC_API mproc_status mproc_wait(const intptr_t* handles, size_t count, int64_t timeout_ms,
                                  size_t* ready, size_t* ready_count) {
  const char* where = "mproc_wait";
  if (ready_count == nullptr) return mproc__failf(MPROC_E_INVAL, "%s: ready_count is NULL", where);
  *ready_count = 0;
  if (count > 0 && (handles == nullptr || ready == nullptr)) {
    return mproc__failf(MPROC_E_INVAL, "%s: %d handles, but %s is NULL", where, count,
                        handles == nullptr ? "handles" : "ready");
  }
  mproc_status st = mproc__check_count(where, "count", count, sizeof(intptr_t));
  if (st == MPROC_OK) st = mproc__check_timeout(where, timeout_ms);
  if (st != MPROC_OK) return st;
  if (count == 0 && timeout_ms == MPROC_INFINITE) {
    return mproc__failf(MPROC_E_INVAL,
                        "%s: no handles and no timeout: the call would never return", where);
  }
  // An object's wait handle (core/watch.h) may be readable while its object is not ready: such a
  // handle is re-checked (and drained) and the wait goes on until the deadline. Other handles are
  // taken at their word.
  // 1: an object's handle; 2: one that needs looking at now and then (core/watch.h).
  std::vector<uint8_t> is_object, flags, polled;
  try {
    is_object.resize(count);
    flags.resize(count);
    polled.resize(count);
  } catch (...) {
    return mproc__status_from_exception(where);
  }
  bool any_ready = false, any_recheck = false;
  for (size_t i = 0; i < count; ++i) {
    bool r = false, recheck = false;
    if (mproc__watch_rearm(handles[i], &r, &recheck)) {
      is_object[i] = recheck ? 2 : 1;
      any_recheck = any_recheck || recheck;
      flags[i] = r ? 1 : 0;
      any_ready = any_ready || r;
    }
  }
  mproc__deadline d(timeout_ms);
  for (;;) {
    size_t n = 0;
    // Once an object is ready, only look at the rest (timeout 0).
    int64_t wait_ms = any_ready ? 0
                      : any_recheck ? d.slice_ms(MPROC__WATCH_RECHECK_MS)
                                    : d.remaining_ms();
    // Saturated: a backend adds the timeout to its clock, and INT64_MAX would overflow there.
    st = mproc__handles_wait(handles, count, std::min(wait_ms, mproc__kForeverMs), where,
                             polled.data(), &n);
    if (st != MPROC_OK) return st;
    for (size_t i = 0; i < count; ++i) {
      if ((polled[i] == 0 && is_object[i] != 2) || flags[i] != 0) continue;
      bool r = polled[i] != 0;
      if (is_object[i] != 0) mproc__watch_rearm(handles[i], &r);
      flags[i] = r ? 1 : 0;
      any_ready = any_ready || r;
    }
    if (any_ready || d.expired()) break;
  }
  for (size_t i = 0; i < count; ++i) {
    if (flags[i] != 0) ready[(*ready_count)++] = i;
  }
  return MPROC_OK;
}

MPROC_API mproc_status mproc_wait_handle_rearm(intptr_t handle, int* ready) {
  const char* where = "mproc_wait_handle_rearm";
  if (ready == nullptr) return mproc__failf(MPROC_E_INVAL, "%s: ready is NULL", where);
  *ready = 0;
  bool r = false;
  if (!mproc__watch_rearm(handle, &r)) {
    return mproc__failf(MPROC_E_INVAL,
                        "%s: handle %d is not the wait handle of an object open in this process",
                        where, handle);
  }
  *ready = r ? 1 : 0;
  return MPROC_OK;
}

}  // extern "C"
