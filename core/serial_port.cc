// core/serial_port.cc — mproc_serial: serial ports through libserialport, backend-independent.
// libserialport is the portability library here (it is not an OS header). Pseudo-terminals and
// adopted handles go to the backend's termios code (mproc__tty_*, see backends/backend.h).
// Built without libserialport (MPROC_WITH_SERIAL=0), only those remain: see core/serial_no_sp.h.
#include "core/serial_port.h"

#if MPROC_WITH_SERIAL
#include <libserialport.h>
#else
#include "core/serial_no_sp.h"
#endif

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "core/options.h"
#include "core/status.h"

namespace {

std::string label_of(const std::string& name) { return "serial port '" + name + "'"; }

std::string what_of(const char* where, const std::string& label) {
  return std::string(where) + ": " + label;
}

// A libserialport failure as a status. SP_ERR_FAIL keeps the OS error libserialport saw.
mproc_status sp_failure(sp_return r, const std::string& what, const char* action) {
  switch (r) {
    case SP_ERR_ARG:
      return mproc__failf(MPROC_E_INVAL, "%s: %s: libserialport rejected the arguments", what,
                          action);
    case SP_ERR_MEM:
      return mproc__failf(MPROC_E_NOMEM, "%s: %s: out of memory", what, action);
    case SP_ERR_SUPP:
      return mproc__failf(MPROC_E_NOT_SUPPORTED, "%s: %s: not supported by the device or driver",
                          what, action);
    case SP_ERR_FAIL:
    default: {
      const int code = sp_last_error_code();
      return mproc__fail_os(code, what + ": " + action);
    }
  }
}

// Fills the zero defaults and checks ranges; MPROC_E_INVAL naming the port and the field.
mproc_status resolve(const std::string& what, const mproc_serial_options& in,
                     mproc_serial_options* out) {
  *out = in;
  if (out->baudrate == 0) out->baudrate = 9600;
  if (out->data_bits == 0) out->data_bits = 8;
  if (out->stop_bits == 0) out->stop_bits = 1;
  if (out->baudrate < 0) {
    return mproc__failf(MPROC_E_INVAL, "%s: baud rate %d is not valid", what, out->baudrate);
  }
  if (out->data_bits < 5 || out->data_bits > 8) {
    return mproc__failf(MPROC_E_INVAL, "%s: %d data bits are not supported (5, 6, 7 or 8)", what,
                        out->data_bits);
  }
  if (out->parity < MPROC_SERIAL_PARITY_NONE || out->parity > MPROC_SERIAL_PARITY_SPACE) {
    return mproc__failf(MPROC_E_INVAL,
                        "%s: parity %d is not supported (none, odd, even, mark or space: "
                        "MPROC_SERIAL_PARITY_*)",
                        what, out->parity);
  }
  if (out->stop_bits != 1 && out->stop_bits != 2) {
    return mproc__failf(MPROC_E_INVAL, "%s: %d stop bits are not supported (1 or 2)", what,
                        out->stop_bits);
  }
  out->xonxoff = out->xonxoff != 0 ? 1 : 0;
  out->rtscts = out->rtscts != 0 ? 1 : 0;
  out->shared = out->shared != 0 ? 1 : 0;
  return MPROC_OK;
}

mproc_status apply_sp(mproc_serial* s, const std::string& what, const mproc_serial_options& o) {
  sp_port_config* raw = nullptr;
  if (sp_new_config(&raw) != SP_OK) return mproc__failf(MPROC_E_NOMEM, "%s: configuration", what);
  std::unique_ptr<sp_port_config, void (*)(sp_port_config*)> cfg(raw, &sp_free_config);
  static const sp_parity parities[] = {SP_PARITY_NONE, SP_PARITY_ODD, SP_PARITY_EVEN,
                                       SP_PARITY_MARK, SP_PARITY_SPACE};
  sp_return r = sp_set_config_baudrate(cfg.get(), o.baudrate);
  if (r == SP_OK) r = sp_set_config_bits(cfg.get(), o.data_bits);
  if (r == SP_OK) r = sp_set_config_parity(cfg.get(), parities[o.parity]);
  if (r == SP_OK) r = sp_set_config_stopbits(cfg.get(), o.stop_bits);
  if (r == SP_OK) {
    r = sp_set_config_flowcontrol(cfg.get(),
                                  o.rtscts != 0 ? SP_FLOWCONTROL_RTSCTS : SP_FLOWCONTROL_NONE);
  }
  if (r == SP_OK) {
    r = sp_set_config_xon_xoff(cfg.get(), o.xonxoff != 0 ? SP_XONXOFF_INOUT : SP_XONXOFF_DISABLED);
  }
  if (r != SP_OK) return sp_failure(r, what, "building the configuration");
  r = sp_set_config(s->sp, cfg.get());
  if (r == SP_OK) return MPROC_OK;
  if (r == SP_ERR_ARG || r == SP_ERR_SUPP) {
    return mproc__failf(MPROC_E_NOT_SUPPORTED,
                        "%s: the device refuses %d baud, %d data bits, parity %d, %d stop bits%s%s",
                        what, o.baudrate, o.data_bits, o.parity, o.stop_bits,
                        o.xonxoff != 0 ? ", XON/XOFF" : "", o.rtscts != 0 ? ", RTS/CTS" : "");
  }
  return sp_failure(r, what, "applying the configuration");
}

mproc_status apply(mproc_serial* s, const std::string& what, const mproc_serial_options& o) {
  if (s->sp != nullptr) return apply_sp(s, what, o);
  mproc__tty_config c{o.baudrate,  o.data_bits,    o.parity,
                      o.stop_bits, o.xonxoff != 0, o.rtscts != 0};
  return mproc__tty_configure(s->tty, what.c_str(), c);
}

void release(mproc_serial* s) {
  if (s->sp != nullptr) {
    sp_close(s->sp);
    sp_free_port(s->sp);
    s->sp = nullptr;
  }
  mproc__tty_close(s->tty);
  s->tty = nullptr;
  s->handle = MPROC__NO_HANDLE;
}

mproc_status open_sp(mproc_serial* s, const std::string& what) {
#if !MPROC_WITH_SERIAL
  (void)s;
  return mproc__failf(MPROC_E_NOT_SUPPORTED,
                      "%s: mproc was built without serial port support (MPROC_WITH_SERIAL=OFF, no "
                      "libserialport); only pseudo-terminals can be opened",
                      what);
#else
  sp_port* port = nullptr;
  if (sp_get_port_by_name(s->name.c_str(), &port) != SP_OK) {
    // The backend already checked that the name is a character device: libserialport not knowing
    // it means it is some other kind of device (/dev/null, a console, ...).
    return mproc__failf(MPROC_E_INVAL,
                        "%s: not a serial port (libserialport finds no serial device of that name)",
                        what);
  }
  s->sp = port;
  const sp_return r = sp_open(port, SP_MODE_READ_WRITE);
  if (r != SP_OK) {
    const int code = sp_last_error_code();
    sp_free_port(port);
    s->sp = nullptr;
    if (r == SP_ERR_FAIL && (code == ENOTTY || code == ENXIO)) {
      return mproc__failf(MPROC_E_INVAL, "%s: not a serial port (%s)", what,
                          mproc__os_error_text(code));
    }
    return sp_failure(r, what, "open");
  }
#if defined(_WIN32)
  void* h = nullptr;
#else
  int h = -1;
#endif
  if (sp_get_port_handle(port, &h) != SP_OK) return sp_failure(SP_ERR_FAIL, what, "handle");
#if defined(_WIN32)
  s->handle = reinterpret_cast<intptr_t>(h);
#else
  s->handle = static_cast<intptr_t>(h);
#endif
  return MPROC_OK;
#endif  // MPROC_WITH_SERIAL
}

mproc_status require_open(const char* where, const mproc_serial* s) {
  if (s == nullptr) return mproc__failf(MPROC_E_INVAL, "%s: serial port is NULL", where);
  if (s->closed.load()) {
    return mproc__failf(MPROC_E_CLOSED, "%s: %s is closed", where, s->label);
  }
  return MPROC_OK;
}

// A libserialport call that returns a count or a negative error.
mproc_status sp_count(int r, const std::string& what, const char* action, size_t* out) {
  if (r < 0) return sp_failure(static_cast<sp_return>(r), what, action);
  *out = static_cast<size_t>(r);
  return MPROC_OK;
}

mproc_status read_now(mproc_serial* s, const std::string& what, void* buf, size_t cap,
                      size_t* got) {
  if (s->tty != nullptr) return mproc__tty_read(s->tty, what.c_str(), buf, cap, got);
  return sp_count(sp_nonblocking_read(s->sp, buf, cap), what, "read", got);
}

mproc_status write_now(mproc_serial* s, const std::string& what, const void* data, size_t n,
                       size_t* put) {
  if (s->tty != nullptr) return mproc__tty_write(s->tty, what.c_str(), data, n, put);
  return sp_count(sp_nonblocking_write(s->sp, data, n), what, "write", put);
}

mproc_status output_waiting(mproc_serial* s, const std::string& what, size_t* out) {
  if (s->tty != nullptr) return mproc__tty_waiting(s->tty, what.c_str(), nullptr, out);
  return sp_count(sp_output_waiting(s->sp), what, "output queue", out);
}

}  // namespace

std::string mproc__serial_what(const mproc_serial* s, const char* where) {
  return what_of(where, s->label);
}

mproc_status mproc__serial_read_some(mproc_serial* s, const char* where, void* buf, size_t cap,
                                     size_t* got, int64_t timeout_ms) {
  *got = 0;
  const std::string what = mproc__serial_what(s, where);
  const mproc__serial_deadline deadline(timeout_ms);
  for (;;) {
    mproc_status st = read_now(s, what, buf, cap, got);
    if (st != MPROC_OK) {
      if (st == MPROC_E_EOF) s->hung_up = true;
      return st;
    }
    if (*got > 0) return MPROC_OK;
    // Readable with nothing to read after a hang-up: the peer is gone and its bytes are all read.
    if (s->hung_up) return mproc__failf(MPROC_E_EOF, "%s: the other end hung up", what);
    unsigned events = 0;
    st = mproc__io_wait(s->handle, what.c_str(), false, deadline.left_ms(), &events);
    if (st != MPROC_OK) return st;
    if ((events & MPROC__IO_HANGUP) != 0) s->hung_up = true;
    if (events == 0) {
      return mproc__failf(MPROC_E_TIMEOUT, "%s: nothing arrived within %d ms", what, timeout_ms);
    }
  }
}

mproc_status mproc__serial_write_all(mproc_serial* s, const char* where, const void* data, size_t n,
                                     size_t* written, int64_t timeout_ms) {
  *written = 0;
  const std::string what = mproc__serial_what(s, where);
  const mproc__serial_deadline deadline(timeout_ms);
  const auto* p = static_cast<const char*>(data);
  while (*written < n) {
    size_t put = 0;
    mproc_status st = write_now(s, what, p + *written, n - *written, &put);
    if (st != MPROC_OK) return st;
    *written += put;
    if (*written == n) break;
    if (put > 0) continue;
    unsigned events = 0;
    st = mproc__io_wait(s->handle, what.c_str(), true, deadline.left_ms(), &events);
    if (st != MPROC_OK) return st;
    if (events == MPROC__IO_HANGUP) {
      // Writable or not, a hung-up device takes nothing more; the write below reports how.
      st = write_now(s, what, p + *written, n - *written, &put);
      if (st != MPROC_OK) return st;
      if (put == 0) return mproc__failf(MPROC_E_EOF, "%s: the other end hung up", what);
      *written += put;
      continue;
    }
    if (events == 0) {
      return mproc__failf(MPROC_E_TIMEOUT, "%s: wrote %d of %d bytes within %d ms", what, *written,
                          n, timeout_ms);
    }
  }
  return MPROC_OK;
}

extern "C" {

MPROC_API mproc_status mproc_serial_open(const char* name, const mproc_serial_options* opts,
                                         mproc_serial** out) {
  const char* where = "mproc_serial_open";
  if (out == nullptr) return mproc__failf(MPROC_E_INVAL, "%s: out is NULL", where);
  *out = nullptr;
  if (name == nullptr || *name == '\0') {
    return mproc__failf(MPROC_E_INVAL, "%s: the port name is NULL or empty", where);
  }
  auto s = std::make_unique<mproc_serial>();
  s->name = name;
  s->label = label_of(s->name);
  const std::string what = what_of(where, s->label);
  mproc_serial_options given;
  mproc_status st = mproc__read_options(what.c_str(), opts, &given);
  if (st != MPROC_OK) return st;
  st = resolve(what, given, &s->options);
  if (st != MPROC_OK) return st;
  bool pseudo = false;
  st = mproc__serial_classify(what.c_str(), name, &pseudo);
  if (st != MPROC_OK) return st;
  if (pseudo) {
    st = mproc__tty_open(what.c_str(), name, &s->tty);
    if (st != MPROC_OK) return st;
    s->handle = mproc__tty_handle(s->tty);
  } else {
    st = open_sp(s.get(), what);
    if (st != MPROC_OK) return st;
  }
  st = mproc__handle_keep_private(s->handle, what.c_str());
  // Locked before configuring, so that a second opener never changes the line under the first.
  if (st == MPROC_OK && s->options.shared == 0) {
    st = mproc__handle_lock_exclusive(s->handle, what.c_str());
  }
  if (st == MPROC_OK) st = apply(s.get(), what, s->options);
  if (st != MPROC_OK) {
    release(s.get());
    return st;
  }
  *out = s.release();
  return MPROC_OK;
}

MPROC_API mproc_status mproc_serial_open_handle(intptr_t handle, const char* name,
                                                const mproc_serial_options* opts,
                                                mproc_serial** out) {
  const char* where = "mproc_serial_open_handle";
  if (out == nullptr) return mproc__failf(MPROC_E_INVAL, "%s: out is NULL", where);
  *out = nullptr;
  auto s = std::make_unique<mproc_serial>();
  s->name = name != nullptr ? name : "handle " + std::to_string(handle);
  s->label = label_of(s->name);
  std::string what = what_of(where, s->label);
  std::string device;
  mproc_status st = mproc__tty_adopt(what.c_str(), handle, &s->tty, &device);
  if (st != MPROC_OK) return st;
  s->handle = mproc__tty_handle(s->tty);
  if (name == nullptr) {
    s->name = device;
    s->label = label_of(s->name);
    what = what_of(where, s->label);
  }
  // The sender's configuration is in the device; these are the defaults unless opts says more.
  mproc_serial_options given = MPROC_SERIAL_OPTIONS_INIT;
  if (opts != nullptr) {
    st = mproc__read_options(what.c_str(), opts, &given);
    if (st == MPROC_OK) st = resolve(what, given, &s->options);
    if (st == MPROC_OK) st = apply(s.get(), what, s->options);
  } else {
    st = resolve(what, given, &s->options);
  }
  if (st != MPROC_OK) {
    release(s.get());
    return st;
  }
  *out = s.release();
  return MPROC_OK;
}

MPROC_API mproc_status mproc_serial_configure(mproc_serial* s, const mproc_serial_options* opts) {
  const char* where = "mproc_serial_configure";
  mproc_status st = require_open(where, s);
  if (st != MPROC_OK) return st;
  const std::string what = mproc__serial_what(s, where);
  mproc_serial_options given;
  st = mproc__read_options(what.c_str(), opts, &given);
  if (st != MPROC_OK) return st;
  mproc_serial_options resolved;
  st = resolve(what, given, &resolved);
  if (st != MPROC_OK) return st;
  resolved.shared = s->options.shared;
  st = apply(s, what, resolved);
  if (st != MPROC_OK) {
    const std::string message = mproc_last_error();
    apply(s, what, s->options);  // best effort: a partly applied change is undone
    return mproc__fail(st, message);
  }
  s->options = resolved;
  return MPROC_OK;
}

MPROC_API mproc_status mproc_serial_get_options(const mproc_serial* s, mproc_serial_options* out) {
  if (s == nullptr || out == nullptr) {
    return mproc__fail(MPROC_E_INVAL, "mproc_serial_get_options: NULL argument");
  }
  // Copy no more than the caller's struct holds.
  const size_t size = out->size < sizeof(mproc_serial_options) ? out->size : sizeof(*out);
  if (size < sizeof(size_t)) {
    return mproc__fail(MPROC_E_INVAL,
                       "mproc_serial_get_options: set out->size (MPROC_SERIAL_OPTIONS_INIT)");
  }
  std::memcpy(static_cast<void*>(out), &s->options, size);
  out->size = size;
  return MPROC_OK;
}

MPROC_API mproc_status mproc_serial_read(mproc_serial* s, void* buf, size_t cap, size_t* got,
                                         int64_t timeout_ms) {
  const char* where = "mproc_serial_read";
  mproc_status st = require_open(where, s);
  if (st != MPROC_OK) return st;
  if (got == nullptr || buf == nullptr || cap == 0) {
    return mproc__failf(MPROC_E_INVAL, "%s: NULL buffer or count, or a capacity of 0",
                        mproc__serial_what(s, where));
  }
  *got = 0;
  st = mproc__check_timeout(where, timeout_ms);
  if (st != MPROC_OK) return st;
  return mproc__serial_read_some(s, where, buf, cap, got, timeout_ms);
}

MPROC_API mproc_status mproc_serial_read_exact(mproc_serial* s, void* buf, size_t n, size_t* got,
                                               int64_t timeout_ms) {
  const char* where = "mproc_serial_read_exact";
  size_t local = 0;
  if (got == nullptr) got = &local;
  *got = 0;
  mproc_status st = require_open(where, s);
  if (st != MPROC_OK) return st;
  if (buf == nullptr && n > 0) {
    return mproc__failf(MPROC_E_INVAL, "%s: NULL buffer", mproc__serial_what(s, where));
  }
  st = mproc__check_timeout(where, timeout_ms);
  if (st != MPROC_OK) return st;
  const mproc__serial_deadline deadline(timeout_ms);
  auto* p = static_cast<char*>(buf);
  while (*got < n) {
    size_t part = 0;
    st = mproc__serial_read_some(s, where, p + *got, n - *got, &part, deadline.left_ms());
    *got += part;
    if (st == MPROC_E_TIMEOUT) {
      return mproc__failf(MPROC_E_TIMEOUT, "%s: %d of %d bytes arrived within %d ms",
                          mproc__serial_what(s, where), *got, n, timeout_ms);
    }
    if (st != MPROC_OK) return st;
  }
  return MPROC_OK;
}

MPROC_API mproc_status mproc_serial_write(mproc_serial* s, const void* data, size_t n,
                                          size_t* written, int64_t timeout_ms) {
  const char* where = "mproc_serial_write";
  size_t local = 0;
  if (written == nullptr) written = &local;
  *written = 0;
  mproc_status st = require_open(where, s);
  if (st != MPROC_OK) return st;
  if (data == nullptr && n > 0) {
    return mproc__failf(MPROC_E_INVAL, "%s: NULL data", mproc__serial_what(s, where));
  }
  st = mproc__check_timeout(where, timeout_ms);
  if (st != MPROC_OK) return st;
  return mproc__serial_write_all(s, where, data, n, written, timeout_ms);
}

MPROC_API mproc_status mproc_serial_drain(mproc_serial* s, int64_t timeout_ms) {
  const char* where = "mproc_serial_drain";
  mproc_status st = require_open(where, s);
  if (st != MPROC_OK) return st;
  st = mproc__check_timeout(where, timeout_ms);
  if (st != MPROC_OK) return st;
  const std::string what = mproc__serial_what(s, where);
  if (timeout_ms >= 0) {
    // tcdrain has no timeout: watch the output queue empty first, then tcdrain waits at most for
    // the character in the transmitter.
    const mproc__serial_deadline deadline(timeout_ms);
    for (;;) {
      size_t queued = 0;
      st = output_waiting(s, what, &queued);
      if (st != MPROC_OK) return st;
      if (queued == 0) break;
      const int64_t left = deadline.left_ms();
      if (left == 0) {
        return mproc__failf(MPROC_E_TIMEOUT, "%s: %d bytes still queued after %d ms", what, queued,
                            timeout_ms);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(left < 0 || left > 2 ? 2 : left));
    }
  }
  if (s->tty != nullptr) return mproc__tty_drain(s->tty, what.c_str());
  const sp_return r = sp_drain(s->sp);
  return r == SP_OK ? MPROC_OK : sp_failure(r, what, "drain");
}

MPROC_API mproc_status mproc_serial_flush(mproc_serial* s, int which) {
  const char* where = "mproc_serial_flush";
  mproc_status st = require_open(where, s);
  if (st != MPROC_OK) return st;
  const std::string what = mproc__serial_what(s, where);
  if (which < MPROC_SERIAL_INPUT || which > MPROC_SERIAL_BOTH) {
    return mproc__failf(MPROC_E_INVAL,
                        "%s: which is %d; use MPROC_SERIAL_INPUT, MPROC_SERIAL_OUTPUT or "
                        "MPROC_SERIAL_BOTH",
                        what, which);
  }
  const bool input = (which & MPROC_SERIAL_INPUT) != 0;
  const bool output = (which & MPROC_SERIAL_OUTPUT) != 0;
  if (s->tty != nullptr) return mproc__tty_flush(s->tty, what.c_str(), input, output);
  const sp_buffer b = input && output ? SP_BUF_BOTH : input ? SP_BUF_INPUT : SP_BUF_OUTPUT;
  const sp_return r = sp_flush(s->sp, b);
  return r == SP_OK ? MPROC_OK : sp_failure(r, what, "flush");
}

MPROC_API mproc_status mproc_serial_waiting(mproc_serial* s, size_t* input, size_t* output) {
  const char* where = "mproc_serial_waiting";
  mproc_status st = require_open(where, s);
  if (st != MPROC_OK) return st;
  const std::string what = mproc__serial_what(s, where);
  if (s->tty != nullptr) return mproc__tty_waiting(s->tty, what.c_str(), input, output);
  if (input != nullptr) {
    st = sp_count(sp_input_waiting(s->sp), what, "input queue", input);
    if (st != MPROC_OK) return st;
  }
  if (output != nullptr) return output_waiting(s, what, output);
  return MPROC_OK;
}

MPROC_API mproc_status mproc_serial_get_signals(mproc_serial* s, uint32_t* lines) {
  const char* where = "mproc_serial_get_signals";
  mproc_status st = require_open(where, s);
  if (st != MPROC_OK) return st;
  const std::string what = mproc__serial_what(s, where);
  if (lines == nullptr) return mproc__failf(MPROC_E_INVAL, "%s: lines is NULL", what);
  if (s->tty != nullptr) return mproc__tty_get_signals(s->tty, what.c_str(), lines);
  sp_signal mask{};
  const sp_return r = sp_get_signals(s->sp, &mask);
  if (r != SP_OK) return sp_failure(r, what, "reading the modem lines");
  uint32_t out = 0;
  if ((mask & SP_SIG_CTS) != 0) out |= MPROC_SERIAL_CTS;
  if ((mask & SP_SIG_DSR) != 0) out |= MPROC_SERIAL_DSR;
  if ((mask & SP_SIG_DCD) != 0) out |= MPROC_SERIAL_DCD;
  if ((mask & SP_SIG_RI) != 0) out |= MPROC_SERIAL_RI;
  *lines = out;
  return MPROC_OK;
}

namespace {

mproc_status set_line(mproc_serial* s, const char* where, bool dtr, int on) {
  mproc_status st = require_open(where, s);
  if (st != MPROC_OK) return st;
  const std::string what = mproc__serial_what(s, where);
  if (!dtr && s->options.rtscts != 0) {
    return mproc__failf(MPROC_E_STATE,
                        "%s: RTS/CTS flow control is on, so the driver drives RTS; turn it off "
                        "with mproc_serial_configure first",
                        what);
  }
  if (s->tty != nullptr) return mproc__tty_set_line(s->tty, what.c_str(), dtr, on != 0);
  const sp_return r = dtr ? sp_set_dtr(s->sp, on != 0 ? SP_DTR_ON : SP_DTR_OFF)
                          : sp_set_rts(s->sp, on != 0 ? SP_RTS_ON : SP_RTS_OFF);
  return r == SP_OK ? MPROC_OK : sp_failure(r, what, dtr ? "setting DTR" : "setting RTS");
}

}  // namespace

MPROC_API mproc_status mproc_serial_set_dtr(mproc_serial* s, int on) {
  return set_line(s, "mproc_serial_set_dtr", true, on);
}

MPROC_API mproc_status mproc_serial_set_rts(mproc_serial* s, int on) {
  return set_line(s, "mproc_serial_set_rts", false, on);
}

MPROC_API mproc_status mproc_serial_set_break(mproc_serial* s, int on) {
  const char* where = "mproc_serial_set_break";
  mproc_status st = require_open(where, s);
  if (st != MPROC_OK) return st;
  const std::string what = mproc__serial_what(s, where);
  if (s->tty != nullptr) return mproc__tty_set_break(s->tty, what.c_str(), on != 0);
  const sp_return r = on != 0 ? sp_start_break(s->sp) : sp_end_break(s->sp);
  return r == SP_OK ? MPROC_OK : sp_failure(r, what, "break");
}

MPROC_API mproc_status mproc_serial_handle(const mproc_serial* s, intptr_t* out) {
  const char* where = "mproc_serial_handle";
  mproc_status st = require_open(where, s);
  if (st != MPROC_OK) return st;
  if (out == nullptr) return mproc__failf(MPROC_E_INVAL, "%s: out is NULL", where);
  *out = s->handle;
  return MPROC_OK;
}

MPROC_API const char* mproc_serial_name(const mproc_serial* s) {
  return s != nullptr ? s->name.c_str() : "";
}

MPROC_API int mproc_serial_is_pty(const mproc_serial* s) {
  return s != nullptr && s->sp == nullptr ? 1 : 0;
}

MPROC_API mproc_status mproc_serial_close(mproc_serial* s) {
  if (s == nullptr) return mproc__fail(MPROC_E_INVAL, "mproc_serial_close: serial port is NULL");
  if (s->closed.exchange(true)) return MPROC_OK;
  release(s);
  return MPROC_OK;
}

MPROC_API int mproc_serial_closed(const mproc_serial* s) {
  return s == nullptr || s->closed.load() ? 1 : 0;
}

MPROC_API void mproc_serial_destroy(mproc_serial* s) {
  if (s == nullptr) return;
  mproc_serial_close(s);
  delete s;
}

}  // extern "C"

// ---- Enumeration ---------------------------------------------------------------------------------

struct mproc_serial_port_list {
  struct entry {
    std::string name, description, manufacturer, product, serial_number, bluetooth_address;
    bool has_manufacturer = false, has_product = false, has_serial = false, has_bt = false;
    mproc_serial_transport transport = MPROC_SERIAL_TRANSPORT_NATIVE;
    int usb_bus = -1, usb_address = -1, usb_vid = -1, usb_pid = -1;
  };
  std::vector<entry> ports;
};

namespace {

[[maybe_unused]] bool take(const char* s, std::string* out) {  // unused without libserialport
  if (s == nullptr) return false;
  *out = s;
  return true;
}

}  // namespace

extern "C" {

MPROC_API mproc_status mproc_serial_list_ports(mproc_serial_port_list** out) {
  const char* where = "mproc_serial_list_ports";
  if (out == nullptr) return mproc__failf(MPROC_E_INVAL, "%s: out is NULL", where);
  *out = nullptr;
#if !MPROC_WITH_SERIAL
  return mproc__failf(MPROC_E_NOT_SUPPORTED,
                      "%s: mproc was built without serial port support (MPROC_WITH_SERIAL=OFF, no "
                      "libserialport)",
                      where);
#else
  sp_port** ports = nullptr;
  const sp_return r = sp_list_ports(&ports);
  if (r != SP_OK) return sp_failure(r, where, "listing the serial ports");
  auto list = std::make_unique<mproc_serial_port_list>();
  for (sp_port** p = ports; *p != nullptr; ++p) {
    mproc_serial_port_list::entry e;
    take(sp_get_port_name(*p), &e.name);
    take(sp_get_port_description(*p), &e.description);
    switch (sp_get_port_transport(*p)) {
      case SP_TRANSPORT_USB:
        e.transport = MPROC_SERIAL_TRANSPORT_USB;
        sp_get_port_usb_bus_address(*p, &e.usb_bus, &e.usb_address);
        sp_get_port_usb_vid_pid(*p, &e.usb_vid, &e.usb_pid);
        e.has_manufacturer = take(sp_get_port_usb_manufacturer(*p), &e.manufacturer);
        e.has_product = take(sp_get_port_usb_product(*p), &e.product);
        e.has_serial = take(sp_get_port_usb_serial(*p), &e.serial_number);
        break;
      case SP_TRANSPORT_BLUETOOTH:
        e.transport = MPROC_SERIAL_TRANSPORT_BLUETOOTH;
        e.has_bt = take(sp_get_port_bluetooth_address(*p), &e.bluetooth_address);
        break;
      case SP_TRANSPORT_NATIVE:
      default:
        break;
    }
    list->ports.push_back(std::move(e));
  }
  sp_free_port_list(ports);
  *out = list.release();
  return MPROC_OK;
#endif  // MPROC_WITH_SERIAL
}

MPROC_API size_t mproc_serial_port_list_count(const mproc_serial_port_list* list) {
  return list != nullptr ? list->ports.size() : 0;
}

MPROC_API mproc_status mproc_serial_port_list_get(const mproc_serial_port_list* list, size_t index,
                                                  mproc_serial_port_info* info) {
  const char* where = "mproc_serial_port_list_get";
  if (list == nullptr || info == nullptr) {
    return mproc__failf(MPROC_E_INVAL, "%s: NULL argument", where);
  }
  if (info->size < sizeof(size_t)) {
    return mproc__failf(MPROC_E_INVAL, "%s: set info->size (MPROC_SERIAL_PORT_INFO_INIT)", where);
  }
  if (index >= list->ports.size()) {
    return mproc__failf(MPROC_E_RANGE, "%s: index %d, but the list holds %d ports", where, index,
                        list->ports.size());
  }
  const auto& e = list->ports[index];
  mproc_serial_port_info full = MPROC_SERIAL_PORT_INFO_INIT;
  full.name = e.name.c_str();
  full.description = e.description.c_str();
  full.transport = e.transport;
  full.usb_bus = e.usb_bus;
  full.usb_address = e.usb_address;
  full.usb_vid = e.usb_vid;
  full.usb_pid = e.usb_pid;
  full.manufacturer = e.has_manufacturer ? e.manufacturer.c_str() : nullptr;
  full.product = e.has_product ? e.product.c_str() : nullptr;
  full.serial_number = e.has_serial ? e.serial_number.c_str() : nullptr;
  full.bluetooth_address = e.has_bt ? e.bluetooth_address.c_str() : nullptr;
  // An older caller's shorter struct gets the fields it knows.
  const size_t size = std::min(info->size, sizeof full);
  std::memcpy(static_cast<void*>(info), &full, size);
  info->size = size;
  return MPROC_OK;
}

MPROC_API void mproc_serial_port_list_destroy(mproc_serial_port_list* list) { delete list; }

}  // extern "C"
