// core/wait.cc — mproc_wait: Python's multiprocessing.connection.wait over OS handles, so that
// connections, process sentinels and any later waitable object mix in one call.
#include <algorithm>
#include <vector>

#include "backends/backend.h"
#include "core/deadline.h"
#include "core/status.h"
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
  std::vector<uint8_t> flags;
  try {
    flags.resize(count);
  } catch (...) {
    return mproc__status_from_exception(where);
  }
  size_t n = 0;
  // Saturated: a backend adds the timeout to its clock, and INT64_MAX would overflow there.
  st = mproc__handles_wait(handles, count, std::min(timeout_ms, mproc__kForeverMs), where,
                           flags.data(), &n);
  if (st != MPROC_OK) return st;
  for (size_t i = 0; i < count; ++i) {
    if (flags[i] != 0) ready[(*ready_count)++] = i;
  }
  return MPROC_OK;
}

}  // extern "C"
