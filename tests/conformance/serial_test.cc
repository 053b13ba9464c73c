// Serial ports every platform has: enumeration and opening a port of this machine through
// libserialport. The pty-pair cases (POSIX by nature) are in serial_posix_test.cc.
#include <string>
#include <vector>

#include "support.h"

namespace serial_ports_test {

// Expects fn to throw mproc::error with the code and a message containing every piece of `parts`.
template <class F>
void expect_error(F&& fn, mproc::errc code, const std::vector<std::string>& parts) {
  try {
    fn();
    ADD_FAILURE() << "no error; expected " << mproc_strerror(static_cast<int>(code));
  } catch (const mproc::error& e) {
    EXPECT_EQ(static_cast<mproc::errc>(e.code().value()), code) << e.what();
    for (const auto& p : parts) {
      EXPECT_NE(std::string(e.what()).find(p), std::string::npos)
          << "'" << p << "' not in: " << e.what();
    }
  }
}

// ---- Enumeration and libserialport's own ports --------------------------------------------------

// Ports other than pseudo-terminals, and enumeration, need libserialport: a library built without
// it (MPROC_WITH_SERIAL=OFF) fails them with MPROC_E_NOT_SUPPORTED. False, with its message, then.
inline bool machine_ports_supported(std::string* why) {
  mproc_serial_port_list* list = nullptr;
  const mproc_status st = mproc_serial_list_ports(&list);
  mproc_serial_port_list_destroy(list);
  if (st != MPROC_E_NOT_SUPPORTED) return true;
  *why = mproc_last_error();
  return false;
}

TEST(SerialPorts, EnumerationReturnsWithoutError) {
  std::string why;
  if (!machine_ports_supported(&why)) GTEST_SKIP() << why;
  std::vector<mproc::port_info> ports;
  ASSERT_NO_THROW(ports = mproc::list_ports());
  for (const auto& p : ports) {
    EXPECT_FALSE(p.name.empty());
    if (p.transport == mproc::serial_transport::usb) {
      EXPECT_GE(p.usb_vid, 0) << p.name;
      EXPECT_EQ(p.hwid().rfind("USB VID:PID=", 0), 0u) << p.hwid();
    } else {
      EXPECT_EQ(p.hwid(), "n/a");
    }
  }
  mproc_serial_port_list* list = nullptr;
  ASSERT_EQ(mproc_serial_list_ports(&list), MPROC_OK);
  mproc_serial_port_info info = MPROC_SERIAL_PORT_INFO_INIT;
  const size_t n = mproc_serial_port_list_count(list);
  EXPECT_EQ(n, ports.size());
  EXPECT_EQ(mproc_serial_port_list_get(list, n, &info), MPROC_E_RANGE);
  mproc_serial_port_list_destroy(list);
  mproc_serial_port_list_destroy(nullptr);
}

// A machine port (an on-board UART, a USB adapter) goes through libserialport. Only opened, locked,
// configured and asked for its modem lines: nothing is written to a line no one here owns.
TEST(SerialPorts, AMachinePortOpensThroughLibserialport) {
  std::string why;
  if (!machine_ports_supported(&why)) GTEST_SKIP() << why;
  for (const auto& p : mproc::list_ports()) {
    mproc_serial* raw = nullptr;
    if (mproc_serial_open(p.name.c_str(), nullptr, &raw) != MPROC_OK) continue;
    mproc::SerialPort port(raw);
    EXPECT_FALSE(port.is_pty());
    expect_error([&] { mproc::SerialPort again(p.name); }, mproc::errc::bad_state,
                 {p.name, "already open elsewhere"});
    port.configure({115200, 8, mproc::serial_parity::even, 2});
    EXPECT_EQ(port.options().baudrate, 115200);
    try {
      (void)port.signals();
    } catch (const mproc::error& e) {
      EXPECT_NE(std::string(e.what()).find(p.name), std::string::npos) << e.what();
    }
    return;
  }
  GTEST_SKIP() << "no serial port of this machine can be opened here";
}

}  // namespace serial_ports_test
