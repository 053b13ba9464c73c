// mproc/error.hpp — the C++ facade's error type: mproc::error, a std::system_error whose code is
// in the "mproc" category (the numbers are the C ABI's MPROC_E_* codes).
#ifndef MPROC_ERROR_HPP
#define MPROC_ERROR_HPP

#include <string>
#include <system_error>

#include "mproc/error.h"

namespace mproc {

// The C ABI's codes as a scoped enum, for comparisons such as `e.code() == mproc::errc::timeout`.
enum class errc : int {
  invalid_argument = MPROC_E_INVAL,
  out_of_memory = MPROC_E_NOMEM,
  os_error = MPROC_E_OS,
  bad_state = MPROC_E_STATE,
  timeout = MPROC_E_TIMEOUT,
  not_registered = MPROC_E_NOT_REGISTERED,
  exists = MPROC_E_EXISTS,
  not_supported = MPROC_E_NOT_SUPPORTED,
  no_init = MPROC_E_NO_INIT,
  decode = MPROC_E_DECODE,
  encode = MPROC_E_ENCODE,
  child_failed = MPROC_E_CHILD,
  closed = MPROC_E_CLOSED,
  empty = MPROC_E_EMPTY,
  full = MPROC_E_FULL,
  eof = MPROC_E_EOF,
  buffer_too_short = MPROC_E_BUFFER_TOO_SHORT,
  too_big = MPROC_E_TOO_BIG,
  owner_died = MPROC_E_OWNER_DIED,
  not_owner = MPROC_E_NOT_OWNER,
  broken = MPROC_E_BROKEN,
  out_of_range = MPROC_E_RANGE,
  type_mismatch = MPROC_E_TYPE_MISMATCH,
  worker_lost = MPROC_E_WORKER_LOST,
  remote = MPROC_E_REMOTE,
  message_lost = MPROC_E_MESSAGE_LOST,
  corrupt = MPROC_E_CORRUPT,
  internal = MPROC_E_INTERNAL,
};

class error_category_impl final : public std::error_category {
 public:
  const char* name() const noexcept override { return "mproc"; }
  std::string message(int code) const override { return mproc_strerror(code); }
};

inline const std::error_category& error_category() noexcept {
  static const error_category_impl instance;
  return instance;
}

inline std::error_code make_error_code(errc e) noexcept {
  return {static_cast<int>(e), error_category()};
}

// Everything the facade throws. what() carries the library's message, which names the object.
class error : public std::system_error {
 public:
  error(int status, const std::string& message)
      : std::system_error(status, error_category(), message) {}
  error(errc e, const std::string& message) : error(static_cast<int>(e), message) {}
};

namespace detail {

// Turns a failed C status into an exception carrying the thread's last error text.
[[noreturn]] inline void throw_status(int status) {
  const char* text = mproc_last_error();
  throw error(status, (text != nullptr && *text != '\0') ? text : mproc_strerror(status));
}

inline void check(int status) {
  if (status < 0) throw_status(status);
}

// For the std::error_code& overloads: records the failure instead of throwing.
inline bool assign(int status, std::error_code& ec) noexcept {
  ec = status < 0 ? std::error_code(status, error_category()) : std::error_code();
  return status >= 0;
}

}  // namespace detail
}  // namespace mproc

template <>
struct std::is_error_code_enum<mproc::errc> : std::true_type {};

#endif  // MPROC_ERROR_HPP
