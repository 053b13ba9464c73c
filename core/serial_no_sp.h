// core/serial_no_sp.h — what core/serial_port.cc needs of libserialport's API, for a build without
// it (MPROC_WITH_SERIAL=OFF). Only declarations and unreachable bodies.
//
// Why a shim and not #if around every call: without libserialport, mproc_serial_open and
// mproc_serial_list_ports fail with MPROC_E_NOT_SUPPORTED before any sp_* call (see the two
// `!MPROC_WITH_SERIAL` blocks in serial_port.cc), so mproc_serial::sp is never set and no sp_*
// function below is ever called; pseudo-terminals go through the backend's tty facet as always.
// The shim keeps one code path in serial_port.cc instead of two. Each body fails with SP_ERR_SUPP
// all the same, so that a future call that slipped past those blocks reports "not supported".
#ifndef MPROC_CORE_SERIAL_NO_SP_H
#define MPROC_CORE_SERIAL_NO_SP_H

#include <cstddef>

struct sp_port;
struct sp_port_config;
enum sp_return { SP_OK = 0, SP_ERR_ARG = -1, SP_ERR_FAIL = -2, SP_ERR_MEM = -3, SP_ERR_SUPP = -4 };
enum sp_mode { SP_MODE_READ_WRITE = 3 };
enum sp_buffer { SP_BUF_INPUT = 1, SP_BUF_OUTPUT = 2, SP_BUF_BOTH = 3 };
enum sp_parity { SP_PARITY_NONE, SP_PARITY_ODD, SP_PARITY_EVEN, SP_PARITY_MARK, SP_PARITY_SPACE };
enum sp_flowcontrol { SP_FLOWCONTROL_NONE, SP_FLOWCONTROL_RTSCTS };
enum sp_xonxoff { SP_XONXOFF_DISABLED, SP_XONXOFF_INOUT };
enum sp_dtr { SP_DTR_OFF, SP_DTR_ON };
enum sp_rts { SP_RTS_OFF, SP_RTS_ON };
enum sp_signal { SP_SIG_CTS = 1, SP_SIG_DSR = 2, SP_SIG_DCD = 4, SP_SIG_RI = 8 };
enum sp_transport { SP_TRANSPORT_NATIVE, SP_TRANSPORT_USB, SP_TRANSPORT_BLUETOOTH };

inline int sp_last_error_code() { return 0; }
inline sp_return sp_new_config(sp_port_config**) { return SP_ERR_SUPP; }
inline void sp_free_config(sp_port_config*) {}
inline sp_return sp_set_config_baudrate(sp_port_config*, int) { return SP_ERR_SUPP; }
inline sp_return sp_set_config_bits(sp_port_config*, int) { return SP_ERR_SUPP; }
inline sp_return sp_set_config_parity(sp_port_config*, sp_parity) { return SP_ERR_SUPP; }
inline sp_return sp_set_config_stopbits(sp_port_config*, int) { return SP_ERR_SUPP; }
inline sp_return sp_set_config_flowcontrol(sp_port_config*, sp_flowcontrol) { return SP_ERR_SUPP; }
inline sp_return sp_set_config_xon_xoff(sp_port_config*, sp_xonxoff) { return SP_ERR_SUPP; }
inline sp_return sp_set_config(sp_port*, const sp_port_config*) { return SP_ERR_SUPP; }
inline sp_return sp_get_port_by_name(const char*, sp_port**) { return SP_ERR_SUPP; }
inline sp_return sp_open(sp_port*, sp_mode) { return SP_ERR_SUPP; }
inline sp_return sp_close(sp_port*) { return SP_ERR_SUPP; }
inline void sp_free_port(sp_port*) {}
inline sp_return sp_get_port_handle(const sp_port*, void*) { return SP_ERR_SUPP; }
inline int sp_nonblocking_read(sp_port*, void*, size_t) { return SP_ERR_SUPP; }
inline int sp_nonblocking_write(sp_port*, const void*, size_t) { return SP_ERR_SUPP; }
inline int sp_input_waiting(sp_port*) { return SP_ERR_SUPP; }
inline int sp_output_waiting(sp_port*) { return SP_ERR_SUPP; }
inline sp_return sp_drain(sp_port*) { return SP_ERR_SUPP; }
inline sp_return sp_flush(sp_port*, sp_buffer) { return SP_ERR_SUPP; }
inline sp_return sp_get_signals(sp_port*, sp_signal*) { return SP_ERR_SUPP; }
inline sp_return sp_set_dtr(sp_port*, sp_dtr) { return SP_ERR_SUPP; }
inline sp_return sp_set_rts(sp_port*, sp_rts) { return SP_ERR_SUPP; }
inline sp_return sp_start_break(sp_port*) { return SP_ERR_SUPP; }
inline sp_return sp_end_break(sp_port*) { return SP_ERR_SUPP; }
inline sp_return sp_list_ports(sp_port***) { return SP_ERR_SUPP; }
inline void sp_free_port_list(sp_port**) {}
inline const char* sp_get_port_name(const sp_port*) { return nullptr; }
inline const char* sp_get_port_description(const sp_port*) { return nullptr; }
inline sp_transport sp_get_port_transport(const sp_port*) { return SP_TRANSPORT_NATIVE; }
inline sp_return sp_get_port_usb_bus_address(const sp_port*, int*, int*) { return SP_ERR_SUPP; }
inline sp_return sp_get_port_usb_vid_pid(const sp_port*, int*, int*) { return SP_ERR_SUPP; }
inline const char* sp_get_port_usb_manufacturer(const sp_port*) { return nullptr; }
inline const char* sp_get_port_usb_product(const sp_port*) { return nullptr; }
inline const char* sp_get_port_usb_serial(const sp_port*) { return nullptr; }
inline const char* sp_get_port_bluetooth_address(const sp_port*) { return nullptr; }

#endif  // MPROC_CORE_SERIAL_NO_SP_H
