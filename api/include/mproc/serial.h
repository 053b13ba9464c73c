/* mproc/serial.h — serial ports as byte streams: open by name with a line configuration, read and
 * write with timeouts, drain and flush, modem lines, and the machine's ports with their metadata.
 * A framed message channel over a port is in mproc/serial_channel.h.
 *
 * Ports are opened through libserialport (LGPL-3.0-or-later, linked dynamically), which knows
 * every platform's serial devices and their USB metadata. Pseudo-terminals are the one exception:
 * libserialport refuses them (its lookup needs a sysfs tty entry and its open needs the TIOCMGET
 * ioctl, which a pty lacks; upstream declined to change that), yet they are what socat pty pairs,
 * network-to-serial bridges and emulators offer. So, as pyserial does, the POSIX backend opens a
 * pseudo-terminal itself with termios. A name is taken for a pseudo-terminal when it resolves
 * (symlinks followed) to a Unix98 pty device: a character device under /dev/pts/ or with a pty
 * major number (136-143 on Linux). Everything else goes to libserialport. On a pseudo-terminal
 * the line settings are accepted and stored but mean nothing, and there are no modem lines
 * (MPROC_E_NOT_SUPPORTED). On backends without termios (win32, libuv) a pty name is
 * MPROC_E_NOT_SUPPORTED.
 *
 * Exclusive use: by default a port is locked with flock(LOCK_EX | LOCK_NB) once open, like
 * pyserial's exclusive=True, so a second mproc (or pyserial exclusive) open of the same device
 * fails with MPROC_E_STATE naming the port. The lock is advisory: a program that does not ask for
 * it (cat, screen, socat) can still open the device. A child that receives the port's handle
 * shares the lock. Set `shared` to skip it.
 *
 * Threads: one thread may read while another writes; everything else on one port must come from
 * one thread at a time. Every error message names the port, e.g.
 * "mproc_serial_open: serial port '/dev/ttyUSB7': no such device". */
#ifndef MPROC_SERIAL_H
#define MPROC_SERIAL_H

#include "mproc/common.h"

MPROC_EXTERN_C_BEGIN

typedef struct mproc_serial mproc_serial;

typedef enum mproc_serial_parity {
  MPROC_SERIAL_PARITY_NONE = 0,
  MPROC_SERIAL_PARITY_ODD = 1,
  MPROC_SERIAL_PARITY_EVEN = 2,
  MPROC_SERIAL_PARITY_MARK = 3,
  MPROC_SERIAL_PARITY_SPACE = 4
} mproc_serial_parity;

/* The line configuration. Zero in a field means its default, so MPROC_SERIAL_OPTIONS_INIT gives
 * 9600 8N1 without flow control, exclusive. */
typedef struct mproc_serial_options {
  size_t size;                /* sizeof(mproc_serial_options); set by the _INIT macro */
  int32_t baudrate;           /* bits per second; 0: 9600 */
  int32_t data_bits;          /* 5, 6, 7 or 8; 0: 8 */
  int32_t parity;             /* MPROC_SERIAL_PARITY_* (an int: any value can be checked) */
  int32_t stop_bits;          /* 1 or 2; 0: 1 */
  int xonxoff;                /* 1: software flow control (XON/XOFF) both ways */
  int rtscts;                 /* 1: hardware flow control (RTS/CTS) */
  int shared;                 /* 1: do not take the exclusive lock (see above) */
} mproc_serial_options;

#define MPROC_SERIAL_OPTIONS_INIT \
  { sizeof(mproc_serial_options), 0, 0, MPROC_SERIAL_PARITY_NONE, 0, 0, 0, 0 }

/* Opens the port called name ("/dev/ttyUSB0", "COM3", a pty or a symlink to one) and applies the
 * configuration. opts may be NULL (defaults). Raw mode: no echo, no line editing, no character
 * translation. The caller owns *out and destroys it. Blocks only while the OS opens the device.
 * Errors, each naming the port: MPROC_E_OS with ENOENT (no such port), MPROC_E_INVAL (the path is
 * not a serial port or tty; a baud rate, data bits, parity or stop bits value out of range),
 * MPROC_E_NOT_SUPPORTED (the device or driver refuses that setting, e.g. a baud rate it does not
 * have), MPROC_E_STATE (already open elsewhere with the exclusive lock), MPROC_E_OS (permission
 * denied and other OS failures; mproc_last_os_error has the errno). A library built without
 * serial port support (MPROC_WITH_SERIAL=OFF, e.g. where libserialport is missing) still opens
 * pseudo-terminals where the backend has them and fails every other port with
 * MPROC_E_NOT_SUPPORTED, whose message says so. */
MPROC_API mproc_status mproc_serial_open(const char* name, const mproc_serial_options* opts,
                                         mproc_serial** out);

/* In a process that received a port's handle (mproc_inherited_handle): opens a port on it. The
 * handle is duplicated (the caller keeps its own); name is only for messages (NULL: the device's
 * path, when the OS can tell). opts, when given, is applied (pass the sender's, from
 * mproc_serial_get_options, to keep mproc_serial_get_options truthful); NULL leaves the device's
 * configuration alone and records the defaults. The receiver drives the port with termios
 * directly (POSIX): libserialport cannot adopt an open descriptor. Never locks (a handle passed
 * from a process that holds the lock shares it). The caller owns *out. Errors: MPROC_E_INVAL (not
 * an open tty handle), MPROC_E_NOT_SUPPORTED (no termios on this backend), MPROC_E_OS. */
MPROC_API mproc_status mproc_serial_open_handle(intptr_t handle, const char* name,
                                                const mproc_serial_options* opts,
                                                mproc_serial** out);

/* Changes the line configuration of an open port (the `shared` field is ignored). On failure the
 * port keeps its previous configuration. Errors as for mproc_serial_open; MPROC_E_CLOSED. */
MPROC_API mproc_status mproc_serial_configure(mproc_serial* s, const mproc_serial_options* opts);

/* The configuration in force (as last set). Errors: MPROC_E_INVAL (NULL). */
MPROC_API mproc_status mproc_serial_get_options(const mproc_serial* s, mproc_serial_options* out);

/* Reads what has arrived, at most cap bytes, waiting up to timeout_ms for the first byte: returns
 * as soon as at least one byte is read (*got >= 1), like read(2). MPROC_E_TIMEOUT (*got = 0) when
 * nothing came. MPROC_E_EOF when the other end hung up (a pty's peer closed, a modem dropped
 * carrier) and no byte is left. Errors: MPROC_E_CLOSED, MPROC_E_INVAL (cap 0, NULL buf or got),
 * MPROC_E_OS (device error, e.g. a USB adapter unplugged; the message names the port). */
MPROC_API mproc_status mproc_serial_read(mproc_serial* s, void* buf, size_t cap, size_t* got,
                                         int64_t timeout_ms);

/* Reads exactly n bytes, waiting up to timeout_ms in all. MPROC_E_TIMEOUT when fewer arrived in
 * time: *got (may be NULL) says how many are in buf, and they are consumed. MPROC_E_EOF likewise
 * when the peer hung up first. Other errors as mproc_serial_read. */
MPROC_API mproc_status mproc_serial_read_exact(mproc_serial* s, void* buf, size_t n, size_t* got,
                                               int64_t timeout_ms);

/* Writes all n bytes, waiting up to timeout_ms in all while the OS buffer is full (flow control
 * or a slow line). MPROC_E_TIMEOUT when not all went out in time: *written (may be NULL) says
 * how many did. Returns once the bytes are with the OS, not on the wire (see drain). Errors:
 * MPROC_E_EOF (the peer hung up), MPROC_E_CLOSED, MPROC_E_OS. Never raises SIGPIPE. */
MPROC_API mproc_status mproc_serial_write(mproc_serial* s, const void* data, size_t n,
                                          size_t* written, int64_t timeout_ms);

/* Waits until every byte written has been transmitted (tcdrain), up to timeout_ms. A pty has no
 * line, so it returns at once. Errors: MPROC_E_TIMEOUT, MPROC_E_CLOSED, MPROC_E_OS. */
MPROC_API mproc_status mproc_serial_drain(mproc_serial* s, int64_t timeout_ms);

/* Which buffers mproc_serial_flush discards. */
#define MPROC_SERIAL_INPUT 1  /* received, not yet read */
#define MPROC_SERIAL_OUTPUT 2 /* written, not yet transmitted */
#define MPROC_SERIAL_BOTH 3

/* DISCARDS the bytes in the given buffers (tcflush; pyserial's reset_input_buffer /
 * reset_output_buffer). Not a file flush: to wait for output to leave, use drain. Never blocks.
 * Errors: MPROC_E_INVAL (which not 1..3), MPROC_E_CLOSED, MPROC_E_OS. */
MPROC_API mproc_status mproc_serial_flush(mproc_serial* s, int which);

/* How many received bytes wait to be read, and how many written bytes wait to be transmitted
 * (either pointer may be NULL). Never blocks. Errors: MPROC_E_CLOSED, MPROC_E_OS. */
MPROC_API mproc_status mproc_serial_waiting(mproc_serial* s, size_t* input, size_t* output);

/* Modem input lines, as bits of mproc_serial_get_signals' result. */
#define MPROC_SERIAL_CTS 1u /* clear to send */
#define MPROC_SERIAL_DSR 2u /* data set ready */
#define MPROC_SERIAL_DCD 4u /* data carrier detect */
#define MPROC_SERIAL_RI 8u  /* ring indicator */

/* Reads the modem input lines. Errors: MPROC_E_NOT_SUPPORTED (a pseudo-terminal or a port without
 * modem lines; the message says which), MPROC_E_CLOSED, MPROC_E_OS. Never blocks. */
MPROC_API mproc_status mproc_serial_get_signals(mproc_serial* s, uint32_t* lines);

/* Drives the DTR / RTS output lines (1 asserted, 0 not). With RTS/CTS flow control the driver
 * owns RTS (MPROC_E_STATE). Errors: MPROC_E_NOT_SUPPORTED (no modem lines), MPROC_E_CLOSED,
 * MPROC_E_OS. Never blocks. */
MPROC_API mproc_status mproc_serial_set_dtr(mproc_serial* s, int on);
MPROC_API mproc_status mproc_serial_set_rts(mproc_serial* s, int on);

/* Starts (on = 1) or ends (on = 0) a break condition on the transmit line. Errors:
 * MPROC_E_NOT_SUPPORTED, MPROC_E_CLOSED, MPROC_E_OS. */
MPROC_API mproc_status mproc_serial_set_break(mproc_serial* s, int on);

/* The OS handle (POSIX fd): for an event loop (readable when bytes arrived), or to pass to a child
 * with mproc_process_add_handle (the child calls mproc_serial_open_handle). Owned by s: do not
 * close it. Errors: MPROC_E_CLOSED. */
MPROC_API mproc_status mproc_serial_handle(const mproc_serial* s, intptr_t* out);

/* The name the port was opened with. Owned by s; never NULL for a valid s. */
MPROC_API const char* mproc_serial_name(const mproc_serial* s);

/* 1 when the port is a pseudo-terminal driven by the backend's termios code (or was adopted from
 * a handle), 0 when libserialport drives it. */
MPROC_API int mproc_serial_is_pty(const mproc_serial* s);

/* Closes the device (the lock goes with it); later calls fail with MPROC_E_CLOSED. Closing again
 * is a no-op. Must not run while another thread uses the port. Never blocks. */
MPROC_API mproc_status mproc_serial_close(mproc_serial* s);

/* 1 once closed (or for NULL). */
MPROC_API int mproc_serial_closed(const mproc_serial* s);

/* Closes (if open) and releases s. NULL is harmless. */
MPROC_API void mproc_serial_destroy(mproc_serial* s);

/* ---- The machine's ports ------------------------------------------------------------------- */

typedef enum mproc_serial_transport {
  MPROC_SERIAL_TRANSPORT_NATIVE = 0,   /* an on-board UART or one the OS cannot place */
  MPROC_SERIAL_TRANSPORT_USB = 1,      /* USB adapter: the usb_* fields are filled in */
  MPROC_SERIAL_TRANSPORT_BLUETOOTH = 2 /* Bluetooth serial; bluetooth_address is filled in */
} mproc_serial_transport;

/* One port's metadata. The strings are owned by the list they came from, NULL when unknown. */
typedef struct mproc_serial_port_info {
  size_t size;               /* sizeof(mproc_serial_port_info); set by the _INIT macro */
  const char* name;          /* what mproc_serial_open takes: "/dev/ttyUSB0", "COM3" */
  const char* description;   /* human-readable, e.g. "FT232R USB UART - FT232R USB UART" */
  mproc_serial_transport transport;
  int usb_bus, usb_address;  /* -1 unless USB */
  int usb_vid, usb_pid;      /* -1 unless USB */
  const char* manufacturer;  /* USB only */
  const char* product;       /* USB only */
  const char* serial_number; /* USB only */
  const char* bluetooth_address;
} mproc_serial_port_info;

#define MPROC_SERIAL_PORT_INFO_INIT \
  { sizeof(mproc_serial_port_info), NULL, NULL, MPROC_SERIAL_TRANSPORT_NATIVE, -1, -1, -1, -1, \
    NULL, NULL, NULL, NULL }

typedef struct mproc_serial_port_list mproc_serial_port_list;

/* Lists the machine's serial ports (libserialport's enumeration; pseudo-terminals are not ports
 * of the machine and are not listed). The caller owns *out and destroys it. An empty list is not
 * an error. Errors: MPROC_E_OS, MPROC_E_NOMEM; MPROC_E_NOT_SUPPORTED from a library built without
 * serial port support (see mproc_serial_open). Blocks while the OS is asked (sysfs, registry). */
MPROC_API mproc_status mproc_serial_list_ports(mproc_serial_port_list** out);

/* The number of ports in the list. */
MPROC_API size_t mproc_serial_port_list_count(const mproc_serial_port_list* list);

/* Fills *info (its size set by MPROC_SERIAL_PORT_INFO_INIT) with the index-th port. The strings
 * stay valid until the list is destroyed. Errors: MPROC_E_RANGE (index >= count), MPROC_E_INVAL. */
MPROC_API mproc_status mproc_serial_port_list_get(const mproc_serial_port_list* list, size_t index,
                                                  mproc_serial_port_info* info);

/* Releases the list and its strings. NULL is harmless. */
MPROC_API void mproc_serial_port_list_destroy(mproc_serial_port_list* list);

MPROC_EXTERN_C_END

#endif /* MPROC_SERIAL_H */
