// core/status.cc — error text: the status list (mproc_strerror / mproc_error_name) and the
// thread-local last error.
#include "core/status.h"

#include <cstring>
#include <system_error>

namespace {

thread_local std::string t_last_error;
thread_local int t_last_os_error = 0;

}  // namespace

mproc_status mproc__fail(mproc_status status, const std::string& message) {
  t_last_error = message;
  t_last_os_error = 0;
  return status;
}

mproc_status mproc__fail_os(int os_error, const std::string& message) {
  t_last_error = absl::StrFormat("%s: %s", message, mproc__os_error_text(os_error));
  t_last_os_error = os_error;
  return MPROC_E_OS;
}

std::string mproc__os_error_text(int os_error) {
  // std::system_category gives strerror's text portably and thread-safely.
  return std::system_category().message(os_error);
}

mproc_status mproc__check_timeout(const char* where, int64_t timeout_ms) {
  if (timeout_ms < MPROC_INFINITE) {
    return mproc__failf(MPROC_E_INVAL,
                        "%s: timeout %d ms is invalid (use MPROC_INFINITE (-1), 0, or more)", where,
                        timeout_ms);
  }
  return MPROC_OK;
}

extern "C" {

MPROC_API const char* mproc_strerror(mproc_status status) {
  switch (status) {
#define MPROC__ERROR_TEXT(name, num, text) \
  case num:                                \
    return text;
    MPROC_ERROR_MAP(MPROC__ERROR_TEXT)
#undef MPROC__ERROR_TEXT
    default:
      return "unknown mproc status";
  }
}

MPROC_API const char* mproc_error_name(mproc_status status) {
  switch (status) {
#define MPROC__ERROR_NAME(name, num, text) \
  case num:                                \
    return #name;
    MPROC_ERROR_MAP(MPROC__ERROR_NAME)
#undef MPROC__ERROR_NAME
    default:
      return "UNKNOWN";
  }
}

MPROC_API const char* mproc_last_error(void) { return t_last_error.c_str(); }

MPROC_API int mproc_last_os_error(void) { return t_last_os_error; }

}  // extern "C"
