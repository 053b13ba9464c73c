// core/status.cc — error text: the status list (mproc_strerror / mproc_error_name) and the
// thread-local last error.
#include "core/status.h"

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <new>
#include <stdexcept>
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

mproc_status mproc__check_count(const char* where, const char* what, size_t count,
                                size_t elem_size) {
  const size_t most = static_cast<size_t>(PTRDIFF_MAX) / (elem_size == 0 ? 1 : elem_size);
  if (count > most) {
    return mproc__failf(MPROC_E_INVAL,
                        "%s: %s is %d, more than any object in memory can hold (at most %d)", where,
                        what, count, most);
  }
  return MPROC_OK;
}

mproc_status mproc__status_from_exception(const char* where) noexcept {
  mproc_status status = MPROC_E_INTERNAL;
  const char* kind = "an unexpected exception";
  std::string detail;
  try {
    try {
      throw;
    } catch (const std::bad_alloc&) {
      status = MPROC_E_NOMEM;
      kind = "out of memory";
    } catch (const std::length_error& e) {
      status = MPROC_E_INVAL;
      kind = "a size beyond what a container can hold";
      detail = e.what();
    } catch (const std::invalid_argument& e) {
      status = MPROC_E_INVAL;
      kind = "an invalid argument";
      detail = e.what();
    } catch (const std::out_of_range& e) {
      status = MPROC_E_INVAL;
      kind = "a value out of range";
      detail = e.what();
    } catch (const std::exception& e) {
      detail = e.what();
    } catch (...) {
    }
    return detail.empty() ? mproc__failf(status, "%s: %s", where, kind)
                          : mproc__failf(status, "%s: %s (%s)", where, kind, detail);
  } catch (...) {
    return status;  // even the message could not be allocated
  }
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
