/* mproc/array.h — a fixed-length typed array in shared memory (Python's multiprocessing.Array and
 * RawArray).
 *
 * Like a Value (mproc/value.h) with a length: elements of one mproc_type, an RLock unless created
 * raw, get/set of one element and read/write of a range under the lock, lock-free atomics on
 * integer elements. Indices are checked: MPROC_E_RANGE names the index (or range) and the length.
 *
 * A holder of the lock that dies: get, set, read and write report MPROC_E_OWNER_DIED WITHOUT doing
 * anything, and the calling thread then holds the lock (see mproc/lock.h).
 *
 * Handles are thread-safe. */
#ifndef MPROC_ARRAY_H
#define MPROC_ARRAY_H

#include "mproc/common.h"
#include "mproc/lock.h"
#include "mproc/types.h"

MPROC_EXTERN_C_BEGIN

typedef struct mproc_array mproc_array;

typedef struct mproc_array_options {
  size_t size;      /* sizeof(mproc_array_options); set by the _INIT macro */
  const char* name; /* for messages; NULL: "Array-N". At most 63 bytes; copied */
  int raw;          /* 1: no lock (Python's RawArray, or Array(..., lock=False)) */
} mproc_array_options;

#define MPROC_ARRAY_OPTIONS_INIT \
  { sizeof(mproc_array_options), NULL, 0 }

/* Creates an array of `length` elements of `type` (elem_size as for mproc_value_create; length may
 * be 0). initial: length * elem_size bytes to start with, or NULL for zeros. opts may be NULL. The
 * caller owns *out. Errors: MPROC_E_INVAL (unknown type, bad elem_size, NULL out, name too long),
 * MPROC_E_RANGE (length * elem_size overflows), MPROC_E_OS. Does not block. */
MPROC_API mproc_status mproc_array_create(mproc_type type, size_t elem_size, size_t length,
                                          const void* initial, const mproc_array_options* opts,
                                          mproc_array** out);

/* In a receiving process: opens the Array behind a handle, expecting `type` (and elem_size for
 * MPROC_TYPE_BYTES). Errors: MPROC_E_TYPE_MISMATCH (another kind of object or element type; the
 * message names the array and both types), MPROC_E_INVAL, MPROC_E_OS. */
MPROC_API mproc_status mproc_array_open(intptr_t handle, mproc_type type, size_t elem_size,
                                        mproc_array** out);

MPROC_API mproc_status mproc_array_handle(const mproc_array* a, intptr_t* out);

/* The number of elements (0 for NULL). */
MPROC_API size_t mproc_array_length(const mproc_array* a);

/* Copies element `index` into out (elem_size bytes) / replaces it from in, holding the lock
 * (waiting up to timeout_ms for it). Errors: MPROC_E_RANGE (index >= length), MPROC_E_TIMEOUT,
 * MPROC_E_OWNER_DIED (nothing done; the caller holds the lock), MPROC_E_STATE, MPROC_E_INVAL. */
MPROC_API mproc_status mproc_array_get(mproc_array* a, size_t index, void* out, int64_t timeout_ms);
MPROC_API mproc_status mproc_array_set(mproc_array* a, size_t index, const void* in,
                                       int64_t timeout_ms);

/* Copies count elements from index start into out / from in, in one hold of the lock (a
 * consistent snapshot or update of the range; Python's a[start:start+count]). Errors: as get,
 * MPROC_E_RANGE when the range does not fit in the array. */
MPROC_API mproc_status mproc_array_read(mproc_array* a, size_t start, size_t count, void* out,
                                        int64_t timeout_ms);
MPROC_API mproc_status mproc_array_write(mproc_array* a, size_t start, size_t count, const void* in,
                                         int64_t timeout_ms);

/* A new handle onto the array's lock (an RLock), owned by the caller. Errors: MPROC_E_STATE (a raw
 * array has no lock), MPROC_E_INVAL. */
MPROC_API mproc_status mproc_array_get_lock(const mproc_array* a, mproc_lock** out);

MPROC_API int mproc_array_has_lock(const mproc_array* a);

/* The elements in shared memory (64-byte aligned), for access under the lock or for a raw array.
 * Valid until the handle is destroyed. */
MPROC_API void* mproc_array_data(const mproc_array* a);

MPROC_API mproc_type mproc_array_type(const mproc_array* a);
MPROC_API size_t mproc_array_elem_size(const mproc_array* a);
MPROC_API const char* mproc_array_name(const mproc_array* a);

/* Lock-free atomic operations on element `index`, as mproc_value_atomic_* (mproc/value.h), plus
 * MPROC_E_RANGE for an index out of range. */
MPROC_API mproc_status mproc_array_atomic_load(mproc_array* a, size_t index, int64_t* out);
MPROC_API mproc_status mproc_array_atomic_store(mproc_array* a, size_t index, int64_t value);
MPROC_API mproc_status mproc_array_atomic_exchange(mproc_array* a, size_t index, int64_t value,
                                                   int64_t* previous);
MPROC_API mproc_status mproc_array_atomic_fetch_add(mproc_array* a, size_t index, int64_t delta,
                                                    int64_t* previous);
MPROC_API mproc_status mproc_array_atomic_compare_exchange(mproc_array* a, size_t index,
                                                           int64_t* expected, int64_t desired,
                                                           int* swapped);

/* Releases this handle. NULL is harmless. Never blocks. */
MPROC_API void mproc_array_destroy(mproc_array* a);

MPROC_EXTERN_C_END

#endif /* MPROC_ARRAY_H */
