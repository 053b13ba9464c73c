/* A program whose main forgets mproc_init: the conformance suite checks that mproc tells the user
 * what to add, under spawn and forkserver, instead of re-running main without end. */
#include <stdio.h>

#include "mproc/mproc.h"

static int work(const void* args, size_t len, mproc_call* call, void* userdata) {
  (void)args;
  (void)len;
  (void)call;
  (void)userdata;
  puts("work ran");
  return 0;
}

int main(int argc, char** argv) {
  mproc_start_method method = MPROC_START_SPAWN;
  mproc_process_options opts = MPROC_PROCESS_OPTIONS_INIT;
  mproc_process* p = NULL;
  mproc_status st;
  mproc_register("work", work, NULL);
  /* mproc_init(argc, argv) is missing here on purpose. */
  if (argc > 1 && mproc_start_method_from_name(argv[1], &method) != MPROC_OK) return 2;
  opts.start_method = method;
  if (mproc_process_create("work", NULL, 0, &opts, &p) != MPROC_OK) return 2;
  st = mproc_process_start(p);
  if (st != MPROC_OK) {
    printf("start: %s: %s\n", mproc_error_name(st), mproc_last_error());
    mproc_process_destroy(p);
    return 3;
  }
  st = mproc_process_join(p, 60000);
  printf("join: %s: %s\n", mproc_error_name(st), mproc_last_error());
  mproc_process_destroy(p);
  return st == MPROC_E_NO_INIT ? 4 : 0;
}
