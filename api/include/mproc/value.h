/* mproc/value.h — one typed value in shared memory (Python's multiprocessing.Value and RawValue).
 *
 * A Value holds one element of an mproc_type (mproc/types.h) and, unless created raw, an RLock
 * (mproc_value_get_lock). Pass it to a child with mproc_value_handle + mproc_process_add_handle;
 * the child opens it with mproc_value_open and the same type (MPROC_E_TYPE_MISMATCH naming both
 * types otherwise).
 *
 * Three ways to use it, as in Python and better:
 * - mproc_value_get / mproc_value_set copy the value under its lock (a consistent copy even for a
 *   record or a double). `get, then set` is two steps: another process can change the value in
 *   between, so `v = v + 1` this way loses updates. Hold the lock around both for that:
 * - mproc_value_get_lock, then acquire / get / set / release: the lock is an RLock, so get and
 *   set inside it just count a level.
 * - For integer types (and bool, char): lock-free atomic operations (mproc_value_atomic_*), which
 *   never take the lock: `fetch_add(v, 1)` is the fast, correct counter.
 *
 * A holder of the lock that dies: get and set report MPROC_E_OWNER_DIED WITHOUT doing anything, and
 * the calling thread then holds the lock (see mproc/lock.h): repair the value (mproc_value_data),
 * mproc_lock_consistent on mproc_value_get_lock's lock, release it.
 *
 * Handles are thread-safe. */
#ifndef MPROC_VALUE_H
#define MPROC_VALUE_H

#include "mproc/common.h"
#include "mproc/lock.h"
#include "mproc/types.h"

MPROC_EXTERN_C_BEGIN

typedef struct mproc_value mproc_value;

typedef struct mproc_value_options {
  size_t size;      /* sizeof(mproc_value_options); set by the _INIT macro */
  const char* name; /* for messages; NULL: "Value-N". At most 63 bytes; copied */
  int raw;          /* 1: no lock (Python's RawValue, or Value(..., lock=False)) */
} mproc_value_options;

#define MPROC_VALUE_OPTIONS_INIT \
  { sizeof(mproc_value_options), NULL, 0 }

/* Creates a value of `type`. elem_size: the record size for MPROC_TYPE_BYTES (1 to 2^32-1);
 * for the other types 0 or their size. initial: elem_size bytes to start with, or NULL for
 * zero. opts may be NULL. The caller owns *out. Errors: MPROC_E_INVAL (unknown type, bad
 * elem_size, NULL out, name too long), MPROC_E_OS. Does not block. */
MPROC_API mproc_status mproc_value_create(mproc_type type, size_t elem_size, const void* initial,
                                          const mproc_value_options* opts, mproc_value** out);

/* In a receiving process: opens the Value behind a handle, expecting `type` (and elem_size for
 * MPROC_TYPE_BYTES). The handle stays the caller's; the caller owns *out. Errors:
 * MPROC_E_TYPE_MISMATCH (another kind of object, or another element type: the message names the
 * value and both types, e.g. "Value 'counter' holds 'd' (double) but was opened as 'i' (int32)"),
 * MPROC_E_INVAL, MPROC_E_OS. */
MPROC_API mproc_status mproc_value_open(intptr_t handle, mproc_type type, size_t elem_size,
                                        mproc_value** out);

/* The OS handle to pass to a child. Owned by the value. Errors: MPROC_E_INVAL. */
MPROC_API mproc_status mproc_value_handle(const mproc_value* v, intptr_t* out);

/* Copies the value into out (elem_size bytes), holding the lock (waiting up to timeout_ms for it;
 * a raw value is read at once). Errors: MPROC_E_TIMEOUT, MPROC_E_OWNER_DIED (nothing copied; the
 * caller holds the lock: see the top of this file), MPROC_E_STATE (lock unusable), MPROC_E_INVAL.
 */
MPROC_API mproc_status mproc_value_get(mproc_value* v, void* out, int64_t timeout_ms);

/* Replaces the value with elem_size bytes from in, holding the lock. Errors: as mproc_value_get. */
MPROC_API mproc_status mproc_value_set(mproc_value* v, const void* in, int64_t timeout_ms);

/* A new handle onto the value's lock (an RLock), owned by the caller (mproc_lock_destroy); it keeps
 * the value's memory alive. Errors: MPROC_E_STATE (a raw value has no lock), MPROC_E_INVAL. */
MPROC_API mproc_status mproc_value_get_lock(const mproc_value* v, mproc_lock** out);

/* 1 when the value has a lock (not raw). */
MPROC_API int mproc_value_has_lock(const mproc_value* v);

/* The value's bytes in shared memory (64-byte aligned), for access under the lock or for a raw
 * value. Valid until the handle is destroyed. NULL for NULL. */
MPROC_API void* mproc_value_data(const mproc_value* v);

MPROC_API mproc_type mproc_value_type(const mproc_value* v);
MPROC_API size_t mproc_value_elem_size(const mproc_value* v);
/* The name given at creation (or "Value-N"). Owned by the value. */
MPROC_API const char* mproc_value_name(const mproc_value* v);

/* Lock-free atomic operations for the integer types (I8 ... U64, BOOL and CHAR; fetch_add not on
 * BOOL), sequentially consistent, never taking the lock. Values cross as int64_t: signed types
 * sign-extended, unsigned zero-extended; a U64 value above INT64_MAX comes as the int64_t with the
 * same 64 bits (convert it back to uint64_t). A value stored must fit the type (MPROC_E_RANGE
 * naming it and the type); fetch_add wraps around modulo the type's width, as C unsigned
 * arithmetic does. Errors: MPROC_E_INVAL (not an integer type; NULL arguments). Never block;
 * thread-safe. */
MPROC_API mproc_status mproc_value_atomic_load(mproc_value* v, int64_t* out);
MPROC_API mproc_status mproc_value_atomic_store(mproc_value* v, int64_t value);
MPROC_API mproc_status mproc_value_atomic_exchange(mproc_value* v, int64_t value,
                                                   int64_t* previous);
MPROC_API mproc_status mproc_value_atomic_fetch_add(mproc_value* v, int64_t delta,
                                                    int64_t* previous);
/* If the value equals *expected, replaces it with desired and sets *swapped = 1; otherwise sets
 * *expected to the value found and *swapped = 0. */
MPROC_API mproc_status mproc_value_atomic_compare_exchange(mproc_value* v, int64_t* expected,
                                                           int64_t desired, int* swapped);

/* Releases this handle. NULL is harmless. Never blocks. */
MPROC_API void mproc_value_destroy(mproc_value* v);

MPROC_EXTERN_C_END

#endif /* MPROC_VALUE_H */
