// mproc/serial.hpp — serial ports for C++: mproc::SerialPort (bytes), mproc::SerialChannel<T>
// (messages, the interface of a Pipe's Connection), mproc::list_ports(). Facade of mproc/serial.h
// and mproc/serial_channel.h; read those for the details (pseudo-terminals, locking, framing).
//
//   mproc::SerialChannel<std::string> ch("/dev/ttyUSB0", {115200});
//   ch.send("ping");
//   if (auto reply = ch.recv(std::chrono::seconds(1))) std::cout << *reply << "\n";
//
// A SerialPort or SerialChannel is a cheap handle: copies share one port, and close() closes it
// for all of them. Both can be arguments of a Process: the child gets its own handle on the same
// device (and shares the exclusive lock). Bytes a channel had read but not yet delivered stay with
// the sender's copy, so hand a channel over before receiving on it.
//
// Errors throw mproc::error: errc::eof once the other end hung up, errc::timeout / empty optional
// when a timed call ran out, errc::too_big for a message over the maximum, errc::corrupt for a
// dropped frame when report_corrupt is set, errc::decode when the bytes are not a T.
#ifndef MPROC_SERIAL_HPP
#define MPROC_SERIAL_HPP

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "mproc/codec.hpp"
#include "mproc/error.hpp"
#include "mproc/handles.hpp"
#include "mproc/process.hpp"
#include "mproc/serial.h"
#include "mproc/serial_channel.h"

namespace mproc {

enum class serial_parity : int {
  none = MPROC_SERIAL_PARITY_NONE,
  odd = MPROC_SERIAL_PARITY_ODD,
  even = MPROC_SERIAL_PARITY_EVEN,
  mark = MPROC_SERIAL_PARITY_MARK,
  space = MPROC_SERIAL_PARITY_SPACE,
};

// The line configuration; the defaults are 9600 8N1, no flow control, exclusive.
struct serial_options {
  int baudrate = 9600;
  int data_bits = 8;
  serial_parity parity = serial_parity::none;
  int stop_bits = 1;
  bool xonxoff = false;
  bool rtscts = false;
  bool exclusive = true;  // flock the port: a second exclusive open fails with errc::bad_state

  mproc_serial_options to_c() const {
    mproc_serial_options o = MPROC_SERIAL_OPTIONS_INIT;
    o.baudrate = baudrate;
    o.data_bits = data_bits;
    o.parity = static_cast<std::int32_t>(parity);
    o.stop_bits = stop_bits;
    o.xonxoff = xonxoff ? 1 : 0;
    o.rtscts = rtscts ? 1 : 0;
    o.shared = exclusive ? 0 : 1;
    return o;
  }
  static serial_options from_c(const mproc_serial_options& o) {
    serial_options s;
    s.baudrate = o.baudrate;
    s.data_bits = o.data_bits;
    s.parity = static_cast<serial_parity>(o.parity);
    s.stop_bits = o.stop_bits;
    s.xonxoff = o.xonxoff != 0;
    s.rtscts = o.rtscts != 0;
    s.exclusive = o.shared == 0;
    return s;
  }
};

enum class serial_transport : int {
  native = MPROC_SERIAL_TRANSPORT_NATIVE,
  usb = MPROC_SERIAL_TRANSPORT_USB,
  bluetooth = MPROC_SERIAL_TRANSPORT_BLUETOOTH,
};

// One of the machine's ports, as list_ports() finds it.
struct port_info {
  std::string name;  // what SerialPort opens
  std::string description;
  serial_transport transport = serial_transport::native;
  int usb_bus = -1, usb_address = -1, usb_vid = -1, usb_pid = -1;
  std::optional<std::string> manufacturer, product, serial_number, bluetooth_address;

  // pyserial's hwid: "USB VID:PID=0403:6001 SER=A12345" for USB, else "n/a".
  std::string hwid() const {
    if (transport != serial_transport::usb || usb_vid < 0) return "n/a";
    char ids[32];
    std::snprintf(ids, sizeof ids, "%04X:%04X", static_cast<unsigned>(usb_vid),
                  static_cast<unsigned>(usb_pid));
    std::string s = std::string("USB VID:PID=") + ids;
    if (serial_number) s += " SER=" + *serial_number;
    return s;
  }
};

// The machine's serial ports (pseudo-terminals are not listed).
inline std::vector<port_info> list_ports() {
  mproc_serial_port_list* raw = nullptr;
  detail::check(mproc_serial_list_ports(&raw));
  std::unique_ptr<mproc_serial_port_list, void (*)(mproc_serial_port_list*)> list(
      raw, &mproc_serial_port_list_destroy);
  const auto opt = [](const char* s) {
    return s != nullptr ? std::optional<std::string>(s) : std::nullopt;
  };
  std::vector<port_info> out;
  for (size_t i = 0; i < mproc_serial_port_list_count(list.get()); ++i) {
    mproc_serial_port_info c = MPROC_SERIAL_PORT_INFO_INIT;
    detail::check(mproc_serial_port_list_get(list.get(), i, &c));
    port_info p;
    p.name = c.name != nullptr ? c.name : "";
    p.description = c.description != nullptr ? c.description : "";
    p.transport = static_cast<serial_transport>(c.transport);
    p.usb_bus = c.usb_bus;
    p.usb_address = c.usb_address;
    p.usb_vid = c.usb_vid;
    p.usb_pid = c.usb_pid;
    p.manufacturer = opt(c.manufacturer);
    p.product = opt(c.product);
    p.serial_number = opt(c.serial_number);
    p.bluetooth_address = opt(c.bluetooth_address);
    out.push_back(std::move(p));
  }
  return out;
}

// Modem input lines (SerialPort::signals()).
struct modem_lines {
  bool cts = false, dsr = false, dcd = false, ri = false;
};

class SerialPort {
 public:
  // An empty handle: every operation throws errc::invalid_argument.
  SerialPort() = default;
  // Opens the port (a device name or a pseudo-terminal) with the configuration.
  explicit SerialPort(const std::string& name, const serial_options& options = serial_options()) {
    const mproc_serial_options o = options.to_c();
    mproc_serial* s = nullptr;
    detail::check(mproc_serial_open(name.c_str(), &o, &s));
    handle_.reset(s, &mproc_serial_destroy);
  }
  // Takes ownership of a C port.
  explicit SerialPort(mproc_serial* adopted) : handle_(adopted, &mproc_serial_destroy) {}
  // Shares a port owned elsewhere (a channel's), keeping `owner` alive.
  SerialPort(std::shared_ptr<void> owner, mproc_serial* port) : handle_(std::move(owner), port) {}

  void configure(const serial_options& options) {
    const mproc_serial_options o = options.to_c();
    detail::check(mproc_serial_configure(get(), &o));
  }
  serial_options options() const {
    mproc_serial_options o = MPROC_SERIAL_OPTIONS_INIT;
    detail::check(mproc_serial_get_options(get(), &o));
    return serial_options::from_c(o);
  }

  // Up to max bytes: blocks until at least one arrives.
  std::string read(std::size_t max) { return read_ms(max, MPROC_INFINITE); }
  // The same, waiting at most timeout: empty if nothing came.
  template <class Rep, class Period>
  std::string read(std::size_t max, std::chrono::duration<Rep, Period> timeout) {
    return read_ms(max, detail::to_timeout_ms(timeout));
  }
  // Exactly n bytes; with a timeout, what arrived in time (pyserial's read(n)).
  std::string read_exact(std::size_t n) { return read_exact_ms(n, MPROC_INFINITE); }
  template <class Rep, class Period>
  std::string read_exact(std::size_t n, std::chrono::duration<Rep, Period> timeout) {
    return read_exact_ms(n, detail::to_timeout_ms(timeout));
  }

  // Writes everything (blocks while the OS buffer is full).
  void write(std::string_view bytes) {
    detail::check(mproc_serial_write(get(), bytes.data(), bytes.size(), nullptr, MPROC_INFINITE));
  }
  // The same, waiting at most timeout in all; returns how many bytes went.
  template <class Rep, class Period>
  std::size_t write(std::string_view bytes, std::chrono::duration<Rep, Period> timeout) {
    std::size_t written = 0;
    const int st = mproc_serial_write(get(), bytes.data(), bytes.size(), &written,
                                      detail::to_timeout_ms(timeout));
    if (st != MPROC_E_TIMEOUT) detail::check(st);
    return written;
  }

  // Waits until everything written has been transmitted.
  void drain() { detail::check(mproc_serial_drain(get(), MPROC_INFINITE)); }
  template <class Rep, class Period>
  bool drain(std::chrono::duration<Rep, Period> timeout) {
    const int st = mproc_serial_drain(get(), detail::to_timeout_ms(timeout));
    if (st == MPROC_E_TIMEOUT) return false;
    detail::check(st);
    return true;
  }
  // Discard received / unsent bytes (pyserial's names).
  void reset_input_buffer() { detail::check(mproc_serial_flush(get(), MPROC_SERIAL_INPUT)); }
  void reset_output_buffer() { detail::check(mproc_serial_flush(get(), MPROC_SERIAL_OUTPUT)); }
  std::size_t in_waiting() const {
    std::size_t n = 0;
    detail::check(mproc_serial_waiting(get(), &n, nullptr));
    return n;
  }
  std::size_t out_waiting() const {
    std::size_t n = 0;
    detail::check(mproc_serial_waiting(get(), nullptr, &n));
    return n;
  }

  // Modem lines; errc::not_supported on a pseudo-terminal.
  modem_lines signals() const {
    std::uint32_t bits = 0;
    detail::check(mproc_serial_get_signals(get(), &bits));
    return {(bits & MPROC_SERIAL_CTS) != 0, (bits & MPROC_SERIAL_DSR) != 0,
            (bits & MPROC_SERIAL_DCD) != 0, (bits & MPROC_SERIAL_RI) != 0};
  }
  void set_dtr(bool on) { detail::check(mproc_serial_set_dtr(get(), on ? 1 : 0)); }
  void set_rts(bool on) { detail::check(mproc_serial_set_rts(get(), on ? 1 : 0)); }
  void set_break(bool on) { detail::check(mproc_serial_set_break(get(), on ? 1 : 0)); }

  void close() {
    if (handle_) detail::check(mproc_serial_close(get()));
  }
  bool closed() const { return mproc_serial_closed(handle_.get()) != 0; }
  std::string name() const { return mproc_serial_name(handle_.get()); }
  bool is_pty() const { return mproc_serial_is_pty(handle_.get()) != 0; }
  // The OS handle, for an event loop (readable when bytes arrived).
  std::intptr_t fileno() const {
    std::intptr_t h = -1;
    detail::check(mproc_serial_handle(get(), &h));
    return h;
  }
  mproc_serial* native_handle() const { return handle_.get(); }

 private:
  mproc_serial* get() const {
    if (!handle_) throw error(errc::invalid_argument, "mproc::SerialPort: empty handle");
    return handle_.get();
  }
  std::string read_ms(std::size_t max, std::int64_t timeout_ms) {
    std::string out(max, '\0');
    std::size_t got = 0;
    const int st = mproc_serial_read(get(), out.data(), out.size(), &got, timeout_ms);
    if (st != MPROC_E_TIMEOUT) detail::check(st);
    out.resize(got);
    return out;
  }
  std::string read_exact_ms(std::size_t n, std::int64_t timeout_ms) {
    std::string out(n, '\0');
    std::size_t got = 0;
    const int st = mproc_serial_read_exact(get(), out.data(), n, &got, timeout_ms);
    if (st != MPROC_E_TIMEOUT) detail::check(st);
    out.resize(got);
    return out;
  }

  std::shared_ptr<mproc_serial> handle_;
};

enum class serial_framing : int { framed = MPROC_SERIAL_FRAMED, raw = MPROC_SERIAL_RAW };

struct channel_options {
  serial_framing framing = serial_framing::framed;
  std::uint64_t max_message_size = 0;  // 0: MPROC_SERIAL_DEFAULT_MAX_MESSAGE (64 KiB)
  bool report_corrupt = false;         // recv throws errc::corrupt once per dropped frame

  mproc_serial_channel_options to_c() const {
    mproc_serial_channel_options o = MPROC_SERIAL_CHANNEL_OPTIONS_INIT;
    o.framing = static_cast<std::int32_t>(framing);
    o.max_message_size = max_message_size;
    o.report_corrupt = report_corrupt ? 1 : 0;
    return o;
  }
};

// A message channel over a serial port, with the interface of mproc::Connection<T>: send/recv
// move values of T through mproc/codec.hpp; send_bytes/recv_bytes move bytes.
template <class T = std::string>
class SerialChannel {
 public:
  SerialChannel() = default;
  // Opens the port and makes a channel over it.
  explicit SerialChannel(const std::string& port, const serial_options& options = serial_options(),
                         const channel_options& channel = channel_options()) {
    const mproc_serial_options po = options.to_c();
    const mproc_serial_channel_options co = channel.to_c();
    mproc_serial_channel* c = nullptr;
    detail::check(mproc_serial_channel_open(port.c_str(), &po, &co, &c));
    handle_.reset(c, &mproc_serial_channel_destroy);
  }
  // Takes ownership of a C channel.
  explicit SerialChannel(mproc_serial_channel* adopted)
      : handle_(adopted, &mproc_serial_channel_destroy) {}

  void send(const T& value) { send_bytes(to_bytes(value)); }
  template <class Rep, class Period>
  bool send(const T& value, std::chrono::duration<Rep, Period> timeout) {
    return send_bytes(to_bytes(value), timeout);
  }

  // Blocks until a message arrives.
  T recv() { return receive_value(MPROC_INFINITE).value(); }
  // Empty if no whole message arrived within timeout.
  template <class Rep, class Period>
  std::optional<T> recv(std::chrono::duration<Rep, Period> timeout) {
    return receive_value(detail::to_timeout_ms(timeout));
  }

  void send_bytes(const void* data, std::size_t size) {
    detail::check(mproc_serial_channel_send_bytes(get(), data, size, MPROC_INFINITE));
  }
  void send_bytes(std::string_view bytes) { send_bytes(bytes.data(), bytes.size()); }
  // False if not all of it went out in time (a cut frame is dropped by the receiver).
  template <class Rep, class Period>
  bool send_bytes(std::string_view bytes, std::chrono::duration<Rep, Period> timeout) {
    const int st = mproc_serial_channel_send_bytes(get(), bytes.data(), bytes.size(),
                                                   detail::to_timeout_ms(timeout));
    if (st == MPROC_E_TIMEOUT) return false;
    detail::check(st);
    return true;
  }

  // The next message (raw mode: what has arrived). maxlength 0: only the channel's maximum
  // applies; a longer message throws errc::too_big and is dropped.
  std::string recv_bytes(std::size_t maxlength = 0) {
    return receive_bytes(MPROC_INFINITE, maxlength).value();
  }
  template <class Rep, class Period>
  std::optional<std::string> recv_bytes(std::chrono::duration<Rep, Period> timeout,
                                        std::size_t maxlength = 0) {
    return receive_bytes(detail::to_timeout_ms(timeout), maxlength);
  }

  // Into buffer; returns the size. A longer message throws errc::buffer_too_short (its size in the
  // text) and stays in the channel.
  std::size_t recv_bytes_into(void* buffer, std::size_t capacity) {
    std::size_t len = 0;
    detail::check(mproc_serial_channel_recv_bytes(get(), buffer, capacity, MPROC_INFINITE, &len));
    return len;
  }
  // The same without throwing: the message's size, also with errc::buffer_too_short.
  std::size_t recv_bytes_into(void* buffer, std::size_t capacity, std::error_code& ec) noexcept {
    std::size_t len = 0;
    if (!handle_) {
      ec = make_error_code(errc::invalid_argument);
      return 0;
    }
    detail::assign(
        mproc_serial_channel_recv_bytes(handle_.get(), buffer, capacity, MPROC_INFINITE, &len), ec);
    return len;
  }

  // True when a receive would not block: a message waits, a drop is to be reported, or the peer
  // hung up (recv then throws errc::eof).
  bool poll() { return poll_ms(0); }
  template <class Rep, class Period>
  bool poll(std::chrono::duration<Rep, Period> timeout) {
    return poll_ms(detail::to_timeout_ms(timeout));
  }

  void close() {
    if (handle_) detail::check(mproc_serial_channel_close(handle_.get()));
  }
  bool closed() const { return mproc_serial_channel_closed(handle_.get()) != 0; }
  std::string name() const { return mproc_serial_name(mproc_serial_channel_port(get())); }
  std::uint64_t max_message_size() const { return options().max_message_size; }
  mproc_serial_channel_options options() const {
    mproc_serial_channel_options o = MPROC_SERIAL_CHANNEL_OPTIONS_INIT;
    detail::check(mproc_serial_channel_get_options(get(), &o));
    return o;
  }
  mproc_serial_channel_stats stats() const {
    mproc_serial_channel_stats s = MPROC_SERIAL_CHANNEL_STATS_INIT;
    detail::check(mproc_serial_channel_stats_get(get(), &s));
    return s;
  }
  // The port underneath (configuration, modem lines, drain); it lives as long as any copy.
  SerialPort port() const { return SerialPort(handle_, mproc_serial_channel_port(get())); }

  // The OS handle for an event loop: readable when bytes arrived (maybe not a whole message; see
  // mproc_serial_channel_fileno): then poll() and recv while it says true.
  std::intptr_t fileno() const {
    std::intptr_t h = -1;
    detail::check(mproc_serial_channel_fileno(get(), &h));
    return h;
  }
  std::intptr_t wait_handle() const { return fileno(); }
  mproc_serial_channel* native_handle() const { return handle_.get(); }

 private:
  mproc_serial_channel* get() const {
    if (!handle_) throw error(errc::invalid_argument, "mproc::SerialChannel: empty handle");
    return handle_.get();
  }

  // Empty on timeout.
  std::optional<std::string> receive_bytes(std::int64_t timeout_ms, std::size_t maxlength) {
    const bool raw = raw_mode();
    std::string buf(raw ? 65536 : 4096, '\0');
    if (raw && maxlength != 0 && buf.size() > maxlength) buf.resize(maxlength);
    std::size_t len = 0;
    int st = mproc_serial_channel_recv_bytes(get(), buf.data(), buf.size(), timeout_ms, &len);
    if (st == MPROC_E_BUFFER_TOO_SHORT) {
      // The message is there whole: fetch it with room enough, without waiting.
      buf.resize(len);
      st = mproc_serial_channel_recv_bytes(get(), buf.data(), buf.size(), 0, &len);
    }
    if (st == MPROC_E_TIMEOUT) return std::nullopt;
    detail::check(st);
    if (maxlength != 0 && len > maxlength) {
      throw error(errc::too_big, "mproc::SerialChannel on '" + name() + "': a message of " +
                                     std::to_string(len) + " bytes is over maxlength " +
                                     std::to_string(maxlength) + " (dropped)");
    }
    buf.resize(len);
    return buf;
  }

  std::optional<T> receive_value(std::int64_t timeout_ms) {
    auto bytes = receive_bytes(timeout_ms, 0);
    if (!bytes) return std::nullopt;
    return from_bytes<T>(bytes->data(), bytes->size());
  }

  bool poll_ms(std::int64_t timeout_ms) {
    int ready = 0;
    detail::check(mproc_serial_channel_poll(get(), timeout_ms, &ready));
    return ready != 0;
  }

  bool raw_mode() const { return options().framing == MPROC_SERIAL_RAW; }

  std::shared_ptr<mproc_serial_channel> handle_;
};

// A SerialPort travels as the index of its handle, its name and its configuration; the receiving
// process opens its own port on the handle it inherited (sharing the exclusive lock).
template <>
struct codec<SerialPort> {
  static void encode(std::string& out, const SerialPort& p) {
    const std::string name = p.name();
    mproc::encode(out, export_handle(p.fileno(), "serial port '" + name + "'"));
    mproc::encode(out, name);
    mproc::encode(out, p.options().to_c());
  }
  static SerialPort decode(reader& in) {
    const auto index = mproc::decode<std::uint64_t>(in);
    const auto name = mproc::decode<std::string>(in);
    const auto options = mproc::decode<mproc_serial_options>(in);
    mproc_serial* s = nullptr;
    detail::check(mproc_serial_open_handle(import_handle(index), name.c_str(), &options, &s));
    return SerialPort(s);
  }
};

// A SerialChannel travels as its port plus its options; the receiver makes a new channel over its
// own handle on the same device.
template <class T>
struct codec<SerialChannel<T>> {
  static void encode(std::string& out, const SerialChannel<T>& c) {
    const SerialPort port = c.port();
    const std::string name = port.name();
    mproc::encode(out, export_handle(port.fileno(), "serial channel on port '" + name + "'"));
    mproc::encode(out, name);
    mproc::encode(out, port.options().to_c());
    mproc::encode(out, c.options());
  }
  static SerialChannel<T> decode(reader& in) {
    const auto index = mproc::decode<std::uint64_t>(in);
    const auto name = mproc::decode<std::string>(in);
    const auto port_options = mproc::decode<mproc_serial_options>(in);
    const auto options = mproc::decode<mproc_serial_channel_options>(in);
    mproc_serial* s = nullptr;
    detail::check(mproc_serial_open_handle(import_handle(index), name.c_str(), &port_options, &s));
    mproc_serial_channel* c = nullptr;
    const int st = mproc_serial_channel_create(s, &options, &c);
    if (st != MPROC_OK) mproc_serial_destroy(s);  // on failure the port is still ours
    detail::check(st);
    return SerialChannel<T>(c);
  }
};

}  // namespace mproc

#endif  // MPROC_SERIAL_HPP
