// backends/posix/tty.cc — the serial-port work libserialport cannot do: pseudo-terminals
// and descriptors received from another process, driven with termios; waiting on a port's handle.
// (The exclusive lock and close-on-exec of a port's handle are in handle.cc.)
//
// libserialport refuses ptys: sp_get_port_by_name looks the device up in sysfs (a pty has no
// /sys/class/tty entry with a device link) and sp_open calls TIOCMGET, which a pty fails with
// ENOTTY; upstream keeps it that way. pyserial opens ptys with termios, and so does this file.
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <termios.h>
#include <unistd.h>

#include <cstring>
#include <string>

#include "backends/backend.h"
#include "backends/posix/fd.h"
#include "core/status.h"

struct mproc__tty {
  int fd = -1;
};

namespace {

std::string where(const char* what, const char* action) {
  return std::string(what) + ": " + action;
}

// A Unix98 pty slave: under /dev/pts/ (Linux, the BSDs' devfs) or, on Linux, a pty major number
// (UNIX98_PTY_SLAVE_MAJOR 136 .. +7), which also covers a devpts mounted elsewhere.
bool is_pseudo_terminal(const char* resolved, const struct stat& st) {
  if (std::strncmp(resolved, "/dev/pts/", 9) == 0) return true;
#if defined(__linux__)
  const unsigned m = major(st.st_rdev);
  if (m >= 136 && m <= 143) return true;
#else
  (void)st;
#endif
  return false;
}

bool speed_of(int32_t baud, speed_t* out) {
  struct entry {
    int32_t baud;
    speed_t speed;
  };
  static const entry table[] = {
      {50, B50},           {75, B75},           {110, B110},         {134, B134},
      {150, B150},         {200, B200},         {300, B300},         {600, B600},
      {1200, B1200},       {1800, B1800},       {2400, B2400},       {4800, B4800},
      {9600, B9600},       {19200, B19200},     {38400, B38400},     {57600, B57600},
      {115200, B115200},   {230400, B230400},
#ifdef B460800
      {460800, B460800},
#endif
#ifdef B500000
      {500000, B500000},   {576000, B576000},   {921600, B921600},   {1000000, B1000000},
      {1152000, B1152000}, {1500000, B1500000}, {2000000, B2000000}, {2500000, B2500000},
      {3000000, B3000000}, {3500000, B3500000}, {4000000, B4000000},
#endif
  };
  for (const entry& e : table) {
    if (e.baud == baud) {
      *out = e.speed;
      return true;
    }
  }
  return false;
}

// ENOTTY / EINVAL from a modem-line ioctl: the device has no such lines.
mproc_status modem_failure(int e, const char* what, const char* action) {
  if (e == ENOTTY || e == EINVAL) {
    return mproc__failf(MPROC_E_NOT_SUPPORTED,
                        "%s: %s: the device has no modem lines (a pseudo-terminal has none)", what,
                        action);
  }
  return mproc__fail_os(e, where(what, action));
}

mproc_status make_raw(int fd, const char* what) {
  termios t;
  if (::tcgetattr(fd, &t) != 0) return mproc__fail_os(errno, where(what, "tcgetattr"));
  ::cfmakeraw(&t);
  t.c_cflag |= CLOCAL | CREAD;
  t.c_cc[VMIN] = 1;
  t.c_cc[VTIME] = 0;
  if (::tcsetattr(fd, TCSANOW, &t) != 0) return mproc__fail_os(errno, where(what, "tcsetattr"));
  return MPROC_OK;
}

}  // namespace

mproc_status mproc__serial_classify(const char* what, const char* name, bool* pseudo) {
  *pseudo = false;
  struct stat st;
  if (::stat(name, &st) != 0) {
    const int e = errno;
    if (e == ENOENT || e == ENOTDIR) {
      return mproc__fail_os(e, where(what, "no such port"));
    }
    return mproc__fail_os(e, where(what, "stat"));
  }
  if (!S_ISCHR(st.st_mode)) {
    const char* kind = S_ISDIR(st.st_mode)   ? "a directory"
                       : S_ISREG(st.st_mode) ? "a regular file"
                                             : "not a device";
    return mproc__failf(MPROC_E_INVAL, "%s: not a serial port or tty (it is %s)", what, kind);
  }
  char resolved[PATH_MAX];
  if (::realpath(name, resolved) == nullptr) {
    return mproc__fail_os(errno, where(what, "resolving the path"));
  }
  *pseudo = is_pseudo_terminal(resolved, st);
  return MPROC_OK;
}

mproc_status mproc__tty_open(const char* what, const char* name, mproc__tty** out) {
  *out = nullptr;
  mproc_posix::unique_fd fd(::open(name, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC));
  if (!fd) {
    const int e = errno;
    if (e == ENOENT) return mproc__fail_os(e, where(what, "no such port"));
    if (e == EIO) {
      // Linux: a pty slave whose master is already closed (or locked) cannot be opened.
      return mproc__fail_os(e, where(what,
                                     "the pseudo-terminal has no other end (its master is "
                                     "closed or locked)"));
    }
    return mproc__fail_os(e, where(what, "open"));
  }
  if (::isatty(fd.get()) == 0) {
    return mproc__failf(MPROC_E_INVAL, "%s: not a serial port or tty", what);
  }
  mproc_status st = make_raw(fd.get(), what);
  if (st != MPROC_OK) return st;
  *out = new mproc__tty{fd.release()};
  return MPROC_OK;
}

mproc_status mproc__tty_adopt(const char* what, intptr_t handle, mproc__tty** out,
                              std::string* name_out) {
  *out = nullptr;
  mproc_posix::unique_fd fd(::fcntl(static_cast<int>(handle), F_DUPFD_CLOEXEC, 3));
  if (!fd) {
    return mproc__failf(MPROC_E_INVAL, "%s: handle %d is not open (%s)", what,
                        static_cast<int>(handle), mproc__os_error_text(errno));
  }
  if (::isatty(fd.get()) == 0) {
    return mproc__failf(MPROC_E_INVAL, "%s: handle %d is not a serial port or tty", what,
                        static_cast<int>(handle));
  }
  // The duplicate shares the file status flags: the port was opened non-blocking, keep it so.
  const int flags = ::fcntl(fd.get(), F_GETFL);
  if (flags < 0 || ::fcntl(fd.get(), F_SETFL, flags | O_NONBLOCK) != 0) {
    return mproc__fail_os(errno, where(what, "fcntl"));
  }
  if (name_out != nullptr) {
    char path[PATH_MAX];
    if (::ttyname_r(fd.get(), path, sizeof path) == 0) {
      *name_out = path;
    } else {
      *name_out = "fd " + std::to_string(handle);
    }
  }
  *out = new mproc__tty{fd.release()};
  return MPROC_OK;
}

mproc_status mproc__tty_configure(mproc__tty* t, const char* what, const mproc__tty_config& c) {
  termios tio;
  if (::tcgetattr(t->fd, &tio) != 0) return mproc__fail_os(errno, where(what, "tcgetattr"));
  speed_t speed;
  if (!speed_of(c.baudrate, &speed)) {
    return mproc__failf(MPROC_E_NOT_SUPPORTED,
                        "%s: baud rate %d is not one termios can set (standard rates: 50 ... "
                        "115200, 230400, 460800, 921600 ... 4000000)",
                        what, c.baudrate);
  }
  if (::cfsetispeed(&tio, speed) != 0 || ::cfsetospeed(&tio, speed) != 0) {
    return mproc__fail_os(errno, where(what, "setting the baud rate"));
  }
  tio.c_cflag &= ~static_cast<tcflag_t>(CSIZE | PARENB | PARODD | CSTOPB | CRTSCTS);
#ifdef CMSPAR
  tio.c_cflag &= ~static_cast<tcflag_t>(CMSPAR);
#endif
  static const tcflag_t sizes[] = {CS5, CS6, CS7, CS8};
  tio.c_cflag |= sizes[c.data_bits - 5];
  switch (c.parity) {
    case MPROC_SERIAL_PARITY_NONE:
      break;
    case MPROC_SERIAL_PARITY_ODD:
      tio.c_cflag |= PARENB | PARODD;
      break;
    case MPROC_SERIAL_PARITY_EVEN:
      tio.c_cflag |= PARENB;
      break;
#ifdef CMSPAR
    case MPROC_SERIAL_PARITY_MARK:
      tio.c_cflag |= PARENB | PARODD | CMSPAR;
      break;
    case MPROC_SERIAL_PARITY_SPACE:
      tio.c_cflag |= PARENB | CMSPAR;
      break;
#endif
    default:
      return mproc__failf(MPROC_E_NOT_SUPPORTED, "%s: this system's termios has no %s parity", what,
                          c.parity == MPROC_SERIAL_PARITY_MARK ? "mark" : "space");
  }
  if (c.stop_bits == 2) tio.c_cflag |= CSTOPB;
  if (c.rtscts) tio.c_cflag |= CRTSCTS;
  tio.c_iflag &= ~static_cast<tcflag_t>(IXON | IXOFF | IXANY);
  if (c.xonxoff) tio.c_iflag |= IXON | IXOFF;
  // Input parity checking only makes sense with parity on the line.
  tio.c_iflag &= ~static_cast<tcflag_t>(INPCK);
  if (c.parity != MPROC_SERIAL_PARITY_NONE) tio.c_iflag |= INPCK;
  if (::tcsetattr(t->fd, TCSANOW, &tio) != 0) {
    return mproc__fail_os(errno, where(what, "tcsetattr"));
  }
  return MPROC_OK;
}

mproc_status mproc__tty_read(mproc__tty* t, const char* what, void* buf, size_t cap, size_t* got) {
  *got = 0;
  for (;;) {
    const ssize_t r = ::read(t->fd, buf, cap);
    if (r > 0) {
      *got = static_cast<size_t>(r);
      return MPROC_OK;
    }
    // Linux reports a pty whose master closed as end of file, or as EIO on later reads.
    if (r == 0) return mproc__failf(MPROC_E_EOF, "%s: the other end hung up", what);
    const int e = errno;
    if (e == EINTR) continue;
    if (e == EAGAIN || e == EWOULDBLOCK) return MPROC_OK;
    if (e == EIO) return mproc__failf(MPROC_E_EOF, "%s: the other end hung up (EIO)", what);
    return mproc__fail_os(e, where(what, "read"));
  }
}

mproc_status mproc__tty_write(mproc__tty* t, const char* what, const void* data, size_t n,
                              size_t* put) {
  *put = 0;
  for (;;) {
    // A tty never raises SIGPIPE; a pty whose master is gone fails with EIO.
    const ssize_t w = ::write(t->fd, data, n);
    if (w >= 0) {
      *put = static_cast<size_t>(w);
      return MPROC_OK;
    }
    const int e = errno;
    if (e == EINTR) continue;
    if (e == EAGAIN || e == EWOULDBLOCK) return MPROC_OK;
    if (e == EIO || e == EPIPE) {
      return mproc__failf(MPROC_E_EOF, "%s: the other end hung up (%s)", what,
                          mproc__os_error_text(e));
    }
    return mproc__fail_os(e, where(what, "write"));
  }
}

mproc_status mproc__tty_drain(mproc__tty* t, const char* what) {
  while (::tcdrain(t->fd) != 0) {
    if (errno != EINTR) return mproc__fail_os(errno, where(what, "tcdrain"));
  }
  return MPROC_OK;
}

mproc_status mproc__tty_flush(mproc__tty* t, const char* what, bool input, bool output) {
  const int queue = input && output ? TCIOFLUSH : input ? TCIFLUSH : TCOFLUSH;
  if (::tcflush(t->fd, queue) != 0) return mproc__fail_os(errno, where(what, "tcflush"));
  return MPROC_OK;
}

mproc_status mproc__tty_waiting(mproc__tty* t, const char* what, size_t* input, size_t* output) {
  int n = 0;
  if (input != nullptr) {
    if (::ioctl(t->fd, FIONREAD, &n) != 0) return mproc__fail_os(errno, where(what, "FIONREAD"));
    *input = static_cast<size_t>(n);
  }
  if (output != nullptr) {
    if (::ioctl(t->fd, TIOCOUTQ, &n) != 0) return mproc__fail_os(errno, where(what, "TIOCOUTQ"));
    *output = static_cast<size_t>(n);
  }
  return MPROC_OK;
}

mproc_status mproc__tty_get_signals(mproc__tty* t, const char* what, uint32_t* lines) {
  int bits = 0;
  if (::ioctl(t->fd, TIOCMGET, &bits) != 0) {
    return modem_failure(errno, what, "reading the modem lines");
  }
  uint32_t out = 0;
  if ((bits & TIOCM_CTS) != 0) out |= MPROC_SERIAL_CTS;
  if ((bits & TIOCM_DSR) != 0) out |= MPROC_SERIAL_DSR;
  if ((bits & TIOCM_CAR) != 0) out |= MPROC_SERIAL_DCD;
  if ((bits & TIOCM_RNG) != 0) out |= MPROC_SERIAL_RI;
  *lines = out;
  return MPROC_OK;
}

mproc_status mproc__tty_set_line(mproc__tty* t, const char* what, bool dtr, bool on) {
  int bit = dtr ? TIOCM_DTR : TIOCM_RTS;
  if (::ioctl(t->fd, on ? TIOCMBIS : TIOCMBIC, &bit) != 0) {
    return modem_failure(errno, what, dtr ? "setting DTR" : "setting RTS");
  }
  return MPROC_OK;
}

mproc_status mproc__tty_set_break(mproc__tty* t, const char* what, bool on) {
  if (::ioctl(t->fd, on ? TIOCSBRK : TIOCCBRK) != 0) {
    const int e = errno;
    if (e == ENOTTY || e == EINVAL) {
      return mproc__failf(MPROC_E_NOT_SUPPORTED, "%s: the device cannot send a break", what);
    }
    return mproc__fail_os(e, where(what, "break"));
  }
  return MPROC_OK;
}

intptr_t mproc__tty_handle(const mproc__tty* t) { return t->fd; }

void mproc__tty_close(mproc__tty* t) {
  if (t == nullptr) return;
  if (t->fd >= 0) ::close(t->fd);
  delete t;
}

mproc_status mproc__io_wait(intptr_t handle, const char* what, bool for_write, int64_t timeout_ms,
                            unsigned* events) {
  *events = 0;
  const int64_t deadline = timeout_ms < 0 ? -1 : mproc_posix::now_ms() + timeout_ms;
  for (;;) {
    int wait = -1;
    if (deadline >= 0) {
      int64_t left = deadline - mproc_posix::now_ms();
      if (left < 0) left = 0;
      wait = left > INT_MAX ? INT_MAX : static_cast<int>(left);
    }
    pollfd p{static_cast<int>(handle), static_cast<short>(for_write ? POLLOUT : POLLIN), 0};
    const int r = ::poll(&p, 1, wait);
    if (r > 0) {
      if ((p.revents & POLLNVAL) != 0) {
        return mproc__failf(MPROC_E_CLOSED, "%s: the handle was closed", what);
      }
      if ((p.revents & (POLLIN | POLLOUT)) != 0) *events |= MPROC__IO_READY;
      if ((p.revents & (POLLHUP | POLLERR)) != 0) *events |= MPROC__IO_HANGUP;
      return MPROC_OK;
    }
    if (r == 0) {
      if (deadline >= 0 && mproc_posix::now_ms() >= deadline) return MPROC_OK;
      continue;
    }
    if (errno != EINTR) return mproc__fail_os(errno, where(what, "poll"));
  }
}

