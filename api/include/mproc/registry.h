/* mproc/registry.h — functions that can run in another process, registered by name.
 *
 * A child process receives the name of the function and its encoded arguments, never a code
 * address, so the same mechanism works under every start method: fork, spawn (re-execution of the
 * program) and forkserver. Every process of a program must register the same names, which holds
 * when registration happens before mproc_init() (C: first lines of main; C++: static
 * registration from mproc/function.hpp). */
#ifndef MPROC_REGISTRY_H
#define MPROC_REGISTRY_H

#include "mproc/common.h"

MPROC_EXTERN_C_BEGIN

/* The running call's context, handed to a registered function. Valid only during the call. */
typedef struct mproc_call mproc_call;

/* A function that can run in another process. `args` is the encoded argument block the parent
 * passed (args_len bytes; may be NULL when args_len is 0), owned by the library for the duration
 * of the call. The return value is the process's exit code when it runs as a Process target
 * (0 = success). A function that fails should call mproc_call_fail() and return non-zero. */
typedef int (*mproc_fn)(const void* args, size_t args_len, mproc_call* call, void* userdata);

/* Registers fn under name (copied; 1 to 255 bytes, no NUL). Registering the same fn and userdata
 * again under the same name is a no-op; anything else already under that name is MPROC_E_EXISTS.
 * Names starting with "mproc." are reserved for the library's own functions (such as the pool's
 * worker loop). Errors: MPROC_E_INVAL (NULL fn, bad or reserved name). Thread-safe; does not
 * block. */
MPROC_API mproc_status mproc_register(const char* name, mproc_fn fn, void* userdata);

/* 1 when a function is registered under name, else 0. Thread-safe. */
MPROC_API int mproc_is_registered(const char* name);

/* Marks the call as failed with an error type name (e.g. "std::runtime_error") and a message;
 * both are copied. For a Process target the text is written to the child's stderr as
 * "Process <name>: <type>: <message>" and reported to the parent (mproc_process_failure()). The
 * function should then return non-zero; returning 0 after a failure still exits with 1. */
MPROC_API mproc_status mproc_call_fail(mproc_call* call, const char* type, const char* message);

/* Sets the call's result bytes (copied). Used by pools; a Process target's result is ignored. */
MPROC_API mproc_status mproc_call_set_result(mproc_call* call, const void* data, size_t len);

MPROC_EXTERN_C_END

#endif /* MPROC_REGISTRY_H */
