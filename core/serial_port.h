// core/serial_port.h — the serial port object behind mproc/serial.h, and the byte I/O the framed
// channel (core/serial_channel.cc) builds on.
#ifndef MPROC_CORE_SERIAL_PORT_H
#define MPROC_CORE_SERIAL_PORT_H

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

#include "backends/backend.h"
#include "mproc/serial.h"

struct sp_port;  // libserialport's

// Exactly one of sp (libserialport opened it) and tty (the backend's termios code did) is set
// while open.
struct mproc_serial {
  std::string name;
  std::string label;  // "serial port '/dev/ttyUSB0'"
  sp_port* sp = nullptr;
  mproc__tty* tty = nullptr;
  intptr_t handle = -1;
  mproc_serial_options options{};  // resolved: no zero defaults left
  std::atomic<bool> closed{false};
  bool hung_up = false;  // the read side saw the peer hang up (read side only)
};

// A point in time a timeout_ms from now (negative: never). Timeouts beyond a century count as
// infinite, so that adding them to the clock cannot overflow.
class mproc__serial_deadline {
 public:
  explicit mproc__serial_deadline(int64_t timeout_ms)
      : has_(timeout_ms >= 0 && timeout_ms < kCentury),
        at_(std::chrono::steady_clock::now() + std::chrono::milliseconds(has_ ? timeout_ms : 0)) {}
  // Milliseconds left, never negative; -1 without a deadline.
  int64_t left_ms() const {
    if (!has_) return -1;
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                          at_ - std::chrono::steady_clock::now())
                          .count();
    return left < 0 ? 0 : static_cast<int64_t>(left);
  }

 private:
  static constexpr int64_t kCentury = int64_t{100} * 365 * 24 * 3600 * 1000;
  bool has_;
  std::chrono::steady_clock::time_point at_;
};

// "<where>: serial port '<name>'": how every message about the port starts.
std::string mproc__serial_what(const mproc_serial* s, const char* where);

// Reads 1..cap bytes, waiting up to timeout_ms for the first. MPROC_E_TIMEOUT, MPROC_E_EOF as in
// mproc_serial_read. `where` names the public call in messages.
mproc_status mproc__serial_read_some(mproc_serial* s, const char* where, void* buf, size_t cap,
                                     size_t* got, int64_t timeout_ms);

// Writes all n bytes, waiting up to timeout_ms in all; *written says how many went.
mproc_status mproc__serial_write_all(mproc_serial* s, const char* where, const void* data, size_t n,
                                     size_t* written, int64_t timeout_ms);

#endif  // MPROC_CORE_SERIAL_PORT_H
