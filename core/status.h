// core/status.h — setting the thread's last error, the one way every part of the library fails.
#ifndef MPROC_CORE_STATUS_H
#define MPROC_CORE_STATUS_H

#include <string>

#include "absl/strings/str_format.h"
#include "mproc/error.h"

// Records message as the thread's last error (mproc_last_error) with no OS error, returns status.
mproc_status mproc__fail(mproc_status status, const std::string& message);

// The same, keeping the native error number (errno / GetLastError) behind an MPROC_E_OS.
mproc_status mproc__fail_os(int os_error, const std::string& message);

template <typename... Args>
mproc_status mproc__failf(mproc_status status, const absl::FormatSpec<Args...>& format,
                          const Args&... args) {
  return mproc__fail(status, absl::StrFormat(format, args...));
}

// Text of a native error number (strerror on POSIX), for messages.
std::string mproc__os_error_text(int os_error);

// Validates a timeout argument: MPROC_INFINITE, 0 or positive.
mproc_status mproc__check_timeout(const char* where, int64_t timeout_ms);

// Validates a caller's count of elements of elem_size bytes (a byte length: elem_size 1). No object
// in memory is larger than PTRDIFF_MAX bytes, so a larger count (SIZE_MAX, a negative number cast
// to size_t) is MPROC_E_INVAL naming `what`, before anything is allocated or read for it.
mproc_status mproc__check_count(const char* where, const char* what, size_t count,
                                size_t elem_size = 1);

// For the catch (...) around an exported function's body, so that no C++ exception crosses the C
// ABI: maps the exception in flight to a status and a message naming `where` — std::bad_alloc:
// MPROC_E_NOMEM; std::length_error / std::invalid_argument / std::out_of_range: MPROC_E_INVAL;
// anything else: MPROC_E_INTERNAL. Never throws.
mproc_status mproc__status_from_exception(const char* where) noexcept;

#endif  // MPROC_CORE_STATUS_H
