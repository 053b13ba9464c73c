/* Run by tests/build/without_serial.sh against a libmproc built with MPROC_WITH_SERIAL=OFF: the
 * serial ABI is all there, ports and enumeration are MPROC_E_NOT_SUPPORTED with a message that
 * says why, and pseudo-terminals still work (the backend drives them, not libserialport). */
#define _XOPEN_SOURCE 600
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <mproc/mproc.h>

static int failures = 0;

static void expect_not_supported(const char* call, mproc_status st) {
  const char* why = "without serial port support";
  if (st != MPROC_E_NOT_SUPPORTED) {
    fprintf(stderr, "%s: status %s (%s), expected MPROC_E_NOT_SUPPORTED\n", call,
            mproc_error_name(st), mproc_last_error());
    failures++;
  } else if (strstr(mproc_last_error(), why) == NULL) {
    fprintf(stderr, "%s: message '%s' does not say '%s'\n", call, mproc_last_error(), why);
    failures++;
  }
}

int main(int argc, char** argv) {
  mproc_serial_port_list* list = NULL;
  mproc_serial* port = NULL;
  int master;
  const char* slave;
  size_t written = 0;
  char got[8] = {0};
  ssize_t n;

  if (mproc_init(argc, argv) != MPROC_OK) return 1;
  expect_not_supported("mproc_serial_list_ports", mproc_serial_list_ports(&list));
  if (list != NULL) {
    fprintf(stderr, "mproc_serial_list_ports: a list despite the failure\n");
    failures++;
  }
  /* A character device that is not a pseudo-terminal: only libserialport could open it. */
  expect_not_supported("mproc_serial_open(/dev/null)", mproc_serial_open("/dev/null", NULL, &port));

  master = posix_openpt(O_RDWR | O_NOCTTY);
  if (master < 0 || grantpt(master) != 0 || unlockpt(master) != 0 || (slave = ptsname(master)) == NULL) {
    perror("serial_off: posix_openpt");
    return 1;
  }
  if (mproc_serial_open(slave, NULL, &port) != MPROC_OK) {
    fprintf(stderr, "mproc_serial_open(%s): %s\n", slave, mproc_last_error());
    return 1;
  }
  if (!mproc_serial_is_pty(port)) {
    fprintf(stderr, "mproc_serial_is_pty: 0 for %s\n", slave);
    failures++;
  }
  if (mproc_serial_write(port, "mproc", 5, &written, 5000) != MPROC_OK || written != 5) {
    fprintf(stderr, "mproc_serial_write: %s\n", mproc_last_error());
    failures++;
  }
  n = read(master, got, 5);
  if (n != 5 || memcmp(got, "mproc", 5) != 0) {
    fprintf(stderr, "the pty's master read %d bytes '%.5s', expected 'mproc'\n", (int)n, got);
    failures++;
  }
  mproc_serial_destroy(port);
  close(master);
  return failures == 0 ? 0 : 1;
}
