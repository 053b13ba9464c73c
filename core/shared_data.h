// core/shared_data.h — what Value and Array share: typed elements in an mproc__object, after an
// optional lock block.
//
// Payload layout: [lock block (mproc__lock_block_size(); zero when raw)] [data header, 64 bytes]
// [elements, 64-byte aligned]. The lock block comes first, so mproc_lock_open finds the lock of a
// Value or Array from its handle, as it finds a Lock's.
#ifndef MPROC_CORE_SHARED_DATA_H
#define MPROC_CORE_SHARED_DATA_H

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "core/lock.h"
#include "core/object.h"
#include "mproc/types.h"

struct mproc__shared_data {
  mproc__shared_data() = default;
  mproc__shared_data(const mproc__shared_data&) = delete;
  mproc__shared_data& operator=(const mproc__shared_data&) = delete;
  ~mproc__shared_data() { mproc_lock_destroy(lock); }

  std::shared_ptr<mproc__object> obj;
  mproc_lock* lock = nullptr;  // NULL when raw
  char* data = nullptr;
  size_t length = 0;
  size_t elem_size = 0;
  mproc_type type = MPROC_TYPE_I32;
  bool integral = false;  // atomics allowed (looked up once: the atomics are a hot path)
  bool is_signed = false;
  std::string what;  // "Value 'v'"
};

mproc_status mproc__data_create(const char* where, uint32_t kind, mproc_type type, size_t elem_size,
                                size_t length, const void* initial, const char* name, bool raw,
                                mproc__shared_data* out);
mproc_status mproc__data_open(const char* where, intptr_t handle, uint32_t kind, mproc_type type,
                              size_t elem_size, mproc__shared_data* out);

// Copy count elements from `start` out of / into the data, under the lock when there is one.
mproc_status mproc__data_read(const char* where, mproc__shared_data* d, size_t start, size_t count,
                              void* out, int64_t timeout_ms);
mproc_status mproc__data_write(const char* where, mproc__shared_data* d, size_t start, size_t count,
                               const void* in, int64_t timeout_ms);

mproc_status mproc__data_get_lock(const char* where, const mproc__shared_data* d, mproc_lock** out);

enum mproc__atomic_op {
  MPROC__ATOMIC_LOAD,
  MPROC__ATOMIC_STORE,
  MPROC__ATOMIC_EXCHANGE,
  MPROC__ATOMIC_FETCH_ADD,
  MPROC__ATOMIC_COMPARE_EXCHANGE,
};

// One atomic operation on element `index`. arg: the value stored, the delta, or (compare-exchange)
// the expected value, which *result receives back; desired: compare-exchange only.
mproc_status mproc__data_atomic(const char* where, mproc__shared_data* d, size_t index,
                                mproc__atomic_op op, int64_t arg, int64_t desired, int64_t* result,
                                int* swapped);

#endif  // MPROC_CORE_SHARED_DATA_H
