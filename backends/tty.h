// backends/tty.h — the tty facet of the backend contract: serial ports the backend drives itself
// (pseudo-terminals, adopted handles).
//
// Part of the internal contract between the core and one backend (backends/backend.h lists the
// facets; backends/README.md maps every function onto POSIX, Win32 and libuv). Functions return an
// mproc_status and, on failure, have already set the thread's error text (core/status.h). OS
// handles are intptr_t and are tested with mproc__handle_valid, never by sign.
#ifndef MPROC_BACKENDS_TTY_H
#define MPROC_BACKENDS_TTY_H

#include <cstddef>
#include <cstdint>
#include <string>

#include "mproc/mproc.h"

// ---- Serial ports: pseudo-terminals and adopted handles ------------------------------------------
// The core opens serial ports through libserialport (a portability library, not an OS header).
// What it cannot do lives here: libserialport refuses pseudo-terminals (its lookup needs a sysfs
// tty entry, its open needs TIOCMGET) and cannot adopt a descriptor received from another process,
// so the POSIX backend drives those with termios itself, as pyserial does. Win32 and libuv have no
// ptys: mproc__serial_classify never says `pseudo`, and the mproc__tty_* functions return
// MPROC_E_NOT_SUPPORTED. `what` ("mproc_serial_open: serial port '/tmp/a'") starts every message.

struct mproc__tty_config {
  int32_t baudrate;   // validated by the core: > 0
  int32_t data_bits;  // 5..8
  int32_t parity;     // mproc_serial_parity
  int32_t stop_bits;  // 1 or 2
  bool xonxoff;
  bool rtscts;
};

// Before opening a port by name: MPROC_OK with *pseudo true when the backend must open it itself
// (a pseudo-terminal), false when libserialport should. Fails, naming the port, when the name does
// not exist (MPROC_E_OS, ENOENT) or is not a character device (MPROC_E_INVAL).
mproc_status mproc__serial_classify(const char* what, const char* name, bool* pseudo);

struct mproc__tty;

// Opens a pseudo-terminal (non-blocking, no controlling tty, close-on-exec) in raw mode.
mproc_status mproc__tty_open(const char* what, const char* name, mproc__tty** out);
// Duplicates a tty handle received from another process. *name_out: the device path if known.
mproc_status mproc__tty_adopt(const char* what, intptr_t handle, mproc__tty** out,
                              std::string* name_out);
mproc_status mproc__tty_configure(mproc__tty* t, const char* what, const mproc__tty_config& c);
// Never block. read: MPROC_OK with *got (0 = nothing there now), MPROC_E_EOF once the peer hung
// up. write: MPROC_OK with *put (0 = no room now), MPROC_E_EOF when the peer hung up.
mproc_status mproc__tty_read(mproc__tty* t, const char* what, void* buf, size_t cap, size_t* got);
mproc_status mproc__tty_write(mproc__tty* t, const char* what, const void* data, size_t n,
                              size_t* put);
mproc_status mproc__tty_drain(mproc__tty* t, const char* what);
mproc_status mproc__tty_flush(mproc__tty* t, const char* what, bool input, bool output);
mproc_status mproc__tty_waiting(mproc__tty* t, const char* what, size_t* input, size_t* output);
// Modem lines: MPROC_E_NOT_SUPPORTED when the device has none (a pty).
mproc_status mproc__tty_get_signals(mproc__tty* t, const char* what, uint32_t* lines);
mproc_status mproc__tty_set_line(mproc__tty* t, const char* what, bool dtr, bool on);
mproc_status mproc__tty_set_break(mproc__tty* t, const char* what, bool on);
intptr_t mproc__tty_handle(const mproc__tty* t);
void mproc__tty_close(mproc__tty* t);  // NULL harmless

// For any port's handle (libserialport's too). Waits up to timeout_ms until it is readable
// (for_write: writable) or hung up: *events is a mix of MPROC__IO_READY and MPROC__IO_HANGUP, 0
// when the time passed. Restarts after signals.
constexpr unsigned MPROC__IO_READY = 1;
constexpr unsigned MPROC__IO_HANGUP = 2;
mproc_status mproc__io_wait(intptr_t handle, const char* what, bool for_write, int64_t timeout_ms,
                            unsigned* events);

#endif  // MPROC_BACKENDS_TTY_H
