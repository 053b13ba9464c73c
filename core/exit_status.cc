// core/exit_status.cc — Python's exitcode and the words for how a process ended, from the
// backend's three-kind exit status (backends/process.h).
#include <cstdint>
#include <cstdio>
#include <string>

#include "backends/process.h"
#include "backends/system.h"

int mproc__exit_status_code(const mproc__exit_status& s) {
  switch (s.kind) {
    case mproc__exit_status::signaled:
      return -static_cast<int>(s.code);
    case mproc__exit_status::crashed: {
      // NTSTATUS errors are 0xC0000000 and up: as a signed 32-bit int, -2^30 and up to -1. Real
      // crash codes sit near the bottom of that range (facility 0: below -2^30 + 2^24); one that
      // would read as a signal or a small negative status is reported as INT_MIN instead.
      const int32_t v = static_cast<int32_t>(s.code);
      return v < -255 ? static_cast<int>(v) : INT32_MIN;
    }
    case mproc__exit_status::exited:
      break;
  }
  // Win32 exit codes are DWORDs: one that is not a crash but has the top bit set still reads as
  // the same 32 bits, like the crash codes, and like them stays clear of -1..-64.
  return static_cast<int>(static_cast<int32_t>(s.code));
}

std::string mproc__exit_status_describe(const mproc__exit_status& s) {
  switch (s.kind) {
    case mproc__exit_status::signaled:
      return "killed by signal " + std::to_string(s.code) + " (" +
             mproc__signal_name(static_cast<int>(s.code)) + ")";
    case mproc__exit_status::crashed: {
      char hex[16];
      std::snprintf(hex, sizeof hex, "0x%08X", static_cast<unsigned>(s.code));
      std::string name = mproc__crash_name(s.code);
      return std::string("crashed with code ") + hex + (name.empty() ? "" : " (" + name + ")");
    }
    case mproc__exit_status::exited:
      break;
  }
  return "exited with code " + std::to_string(mproc__exit_status_code(s));
}
