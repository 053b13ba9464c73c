/* Seed 001's parent/child program once more, in C99 through the C ABI (mproc/mproc.h) alone: what a
 * C program, or a binding for another language, does to run a function in a child process.
 *
 * It shows: mproc_register before mproc_init; an argument block (a struct copied as bytes) handed
 * to the child; start; join with a timeout; the child's return value read back as its exit code;
 * and error handling with status codes, mproc_error_name, mproc_strerror and mproc_last_error, by
 * asking for a function that was never registered.
 *
 *   ./mproc_example_c_api [--start-method fork|spawn|forkserver] */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "mproc/mproc.h"

/* The argument block. Plain data with no pointers: it is copied byte for byte into the child,
 * which may be a new run of the program where an address would mean nothing. */
typedef struct greet_args {
  int32_t a;
  int32_t b;
  char name[32];
} greet_args;

/* Runs in the child. Its return value becomes the child's exit code. */
static int greet_and_add(const void* args, size_t args_len, mproc_call* call, void* userdata) {
  greet_args in;
  (void)userdata;
  if (args_len != sizeof in) {
    /* Reported to the parent (mproc_process_failure) and printed on the child's stderr. */
    mproc_call_fail(call, "bad_arguments", "expected a greet_args block");
    return 1;
  }
  memcpy(&in, args, sizeof in); /* the block is not guaranteed to be aligned for greet_args */
  printf("child: pid %" PRId64 ", parent pid %" PRId64 ", name %s\n", mproc_current_pid(),
         mproc_parent_pid(), mproc_current_name());
  printf("child: Hello %s, %d + %d = %d\n", in.name, (int)in.a, (int)in.b, (int)(in.a + in.b));
  return (int)(in.a + in.b);
}

/* Prints a failed call the way a C program should: the code's name, its fixed text, and the
 * thread's last error message, which names the object and what went wrong. */
static int ok(mproc_status st, const char* what) {
  if (st == MPROC_OK) return 1;
  fprintf(stderr, "%s failed: %s (%d, %s): %s\n", what, mproc_error_name(st), st,
          mproc_strerror(st), mproc_last_error());
  return 0;
}

int main(int argc, char** argv) {
  mproc_process_options opts = MPROC_PROCESS_OPTIONS_INIT;
  mproc_process* p = NULL;
  mproc_process* missing = NULL;
  greet_args args;
  mproc_status st;
  int ended = 0;
  int exitcode = -1;
  int64_t pid = 0;
  int i;

  /* Register first, then mproc_init: a spawned child is a new run of this program and must find
   * the same names before mproc_init runs the function it was started for. */
  if (!ok(mproc_register("greet_and_add", greet_and_add, NULL), "mproc_register")) return 1;
  if (!ok(mproc_init(argc, argv), "mproc_init")) return 1;

  for (i = 1; i < argc; ++i) {
    mproc_start_method m = MPROC_START_DEFAULT;
    if (strcmp(argv[i], "--start-method") == 0 && i + 1 < argc) {
      if (!ok(mproc_start_method_from_name(argv[i + 1], &m), "--start-method")) return 2;
      if (!ok(mproc_set_start_method(m), "mproc_set_start_method")) return 2;
      ++i;
    } else {
      fprintf(stderr, "usage: %s [--start-method fork|spawn|forkserver]\n", argv[0]);
      return 2;
    }
  }

  printf("parent: pid %" PRId64 ", mproc %s, %s backend, start method %s\n", mproc_current_pid(),
         mproc_version_string(), mproc_backend_name(),
         mproc_start_method_name(mproc_get_start_method()));

  memset(&args, 0, sizeof args); /* every byte goes to the child, name's unused tail too */
  args.a = 3;
  args.b = 4;
  strcpy(args.name, "shiyanlou");
  opts.name = "adder";
  if (!ok(mproc_process_create("greet_and_add", &args, sizeof args, &opts, &p),
          "mproc_process_create")) {
    return 1;
  }
  if (!ok(mproc_process_start(p), "mproc_process_start")) {
    mproc_process_destroy(p);
    return 1;
  }

  /* Never wait forever on a child: a bounded join, then terminate if it is still running. */
  st = mproc_process_join(p, 60000);
  if (st == MPROC_E_TIMEOUT) {
    fprintf(stderr, "parent: the child is still running after 60 s; terminating it\n");
    (void)mproc_process_terminate(p);
    st = mproc_process_join(p, 60000);
  }
  if (!ok(st, "mproc_process_join") ||
      !ok(mproc_process_exitcode(p, &ended, &exitcode), "mproc_process_exitcode")) {
    mproc_process_destroy(p);
    return 1;
  }
  (void)mproc_process_pid(p, &pid);
  printf("parent: process %s (pid %" PRId64 ") ended with exit code %d\n", mproc_process_name(p),
         pid, exitcode);
  mproc_process_destroy(p);

  /* A name nothing was registered under is refused in the parent, before anything starts. */
  printf("parent: creating a process for 'no_such_function'...\n");
  st = mproc_process_create("no_such_function", NULL, 0, NULL, &missing);
  printf("parent: status %d, %s: %s\n", st, mproc_error_name(st), mproc_strerror(st));
  printf("parent: mproc_last_error(): %s\n", mproc_last_error());
  mproc_process_destroy(missing); /* NULL after a failed create; destroying NULL is harmless */

  return (exitcode == 7 && st == MPROC_E_NOT_REGISTERED) ? 0 : 1;
}
