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

#endif  // MPROC_CORE_STATUS_H
