/* A C99 program built against an installed mproc through pkg-config (tests/consumer/run.sh):
 * it needs only mproc/mproc.h and -lmproc. */
#include <stdio.h>
#include <string.h>

#include <mproc/mproc.h>

int main(int argc, char** argv) {
  const char* timeout_text;
  if (mproc_init(argc, argv) != MPROC_OK) {
    fprintf(stderr, "consumer.c: mproc_init: %s\n", mproc_last_error());
    return 1;
  }
  printf("mproc %s, %s backend\n", mproc_version_string(), mproc_backend_name());
  /* The installed header and library come from the same build. */
  if (mproc_version() != (uint32_t)MPROC_VERSION_HEX) {
    fprintf(stderr, "consumer.c: library version %#x, header version %#x\n",
            (unsigned)mproc_version(), (unsigned)MPROC_VERSION_HEX);
    return 1;
  }
  timeout_text = mproc_strerror(MPROC_E_TIMEOUT);
  if (timeout_text == NULL || strlen(timeout_text) == 0) {
    fprintf(stderr, "consumer.c: mproc_strerror(MPROC_E_TIMEOUT) is empty\n");
    return 1;
  }
  return 0;
}
