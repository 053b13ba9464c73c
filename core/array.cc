// core/array.cc — mproc_array: fixed-length typed elements in shared memory (see
// core/shared_data.h).
#include "mproc/array.h"

#include <memory>

#include "core/options.h"
#include "core/shared_data.h"
#include "core/status.h"

struct mproc_array {
  mproc__shared_data d;
};

namespace {

mproc__shared_data* data(mproc_array* a) { return a != nullptr ? &a->d : nullptr; }

mproc_status atomic(const char* where, mproc_array* a, size_t index, mproc__atomic_op op,
                    int64_t arg, int64_t desired, int64_t* result, int* swapped) {
  if (a == nullptr) return mproc__failf(MPROC_E_INVAL, "%s: array is NULL", where);
  return mproc__data_atomic(where, &a->d, index, op, arg, desired, result, swapped);
}

}  // namespace

extern "C" {

MPROC_API mproc_status mproc_array_create(mproc_type type, size_t elem_size, size_t length,
                                          const void* initial, const mproc_array_options* opts,
                                          mproc_array** out) {
  const char* where = "mproc_array_create";
  if (out == nullptr) return mproc__failf(MPROC_E_INVAL, "%s: out is NULL", where);
  *out = nullptr;
  mproc_array_options o;
  mproc_status st = mproc__read_options(where, opts, &o);
  if (st != MPROC_OK) return st;
  auto a = std::make_unique<mproc_array>();
  st = mproc__data_create(where, MPROC__OBJ_ARRAY, type, elem_size, length, initial, o.name,
                          o.raw != 0, &a->d);
  if (st != MPROC_OK) return st;
  *out = a.release();
  return MPROC_OK;
}

MPROC_API mproc_status mproc_array_open(intptr_t handle, mproc_type type, size_t elem_size,
                                        mproc_array** out) {
  const char* where = "mproc_array_open";
  if (out == nullptr) return mproc__failf(MPROC_E_INVAL, "%s: out is NULL", where);
  *out = nullptr;
  auto a = std::make_unique<mproc_array>();
  mproc_status st = mproc__data_open(where, handle, MPROC__OBJ_ARRAY, type, elem_size, &a->d);
  if (st != MPROC_OK) return st;
  *out = a.release();
  return MPROC_OK;
}

MPROC_API mproc_status mproc_array_handle(const mproc_array* a, intptr_t* out) {
  if (a == nullptr || out == nullptr) {
    return mproc__fail(MPROC_E_INVAL, "mproc_array_handle: NULL argument");
  }
  *out = a->d.obj->handle();
  return MPROC_OK;
}

MPROC_API size_t mproc_array_length(const mproc_array* a) { return a != nullptr ? a->d.length : 0; }

MPROC_API mproc_status mproc_array_get(mproc_array* a, size_t index, void* out,
                                       int64_t timeout_ms) {
  return mproc__data_read("mproc_array_get", data(a), index, 1, out, timeout_ms);
}

MPROC_API mproc_status mproc_array_set(mproc_array* a, size_t index, const void* in,
                                       int64_t timeout_ms) {
  return mproc__data_write("mproc_array_set", data(a), index, 1, in, timeout_ms);
}

MPROC_API mproc_status mproc_array_read(mproc_array* a, size_t start, size_t count, void* out,
                                        int64_t timeout_ms) {
  return mproc__data_read("mproc_array_read", data(a), start, count, out, timeout_ms);
}

MPROC_API mproc_status mproc_array_write(mproc_array* a, size_t start, size_t count, const void* in,
                                         int64_t timeout_ms) {
  return mproc__data_write("mproc_array_write", data(a), start, count, in, timeout_ms);
}

MPROC_API mproc_status mproc_array_get_lock(const mproc_array* a, mproc_lock** out) {
  return mproc__data_get_lock("mproc_array_get_lock", a != nullptr ? &a->d : nullptr, out);
}

MPROC_API int mproc_array_has_lock(const mproc_array* a) {
  return a != nullptr && a->d.lock != nullptr ? 1 : 0;
}

MPROC_API void* mproc_array_data(const mproc_array* a) {
  return a != nullptr ? a->d.data : nullptr;
}

MPROC_API mproc_type mproc_array_type(const mproc_array* a) {
  return a != nullptr ? a->d.type : static_cast<mproc_type>(0);
}

MPROC_API size_t mproc_array_elem_size(const mproc_array* a) {
  return a != nullptr ? a->d.elem_size : 0;
}

MPROC_API const char* mproc_array_name(const mproc_array* a) {
  return a != nullptr ? a->d.obj->name() : "";
}

MPROC_API mproc_status mproc_array_atomic_load(mproc_array* a, size_t index, int64_t* out) {
  if (out == nullptr) return mproc__fail(MPROC_E_INVAL, "mproc_array_atomic_load: out is NULL");
  return atomic("mproc_array_atomic_load", a, index, MPROC__ATOMIC_LOAD, 0, 0, out, nullptr);
}

MPROC_API mproc_status mproc_array_atomic_store(mproc_array* a, size_t index, int64_t value) {
  return atomic("mproc_array_atomic_store", a, index, MPROC__ATOMIC_STORE, value, 0, nullptr,
                nullptr);
}

MPROC_API mproc_status mproc_array_atomic_exchange(mproc_array* a, size_t index, int64_t value,
                                                   int64_t* previous) {
  int64_t ignored = 0;
  return atomic("mproc_array_atomic_exchange", a, index, MPROC__ATOMIC_EXCHANGE, value, 0,
                previous != nullptr ? previous : &ignored, nullptr);
}

MPROC_API mproc_status mproc_array_atomic_fetch_add(mproc_array* a, size_t index, int64_t delta,
                                                    int64_t* previous) {
  int64_t ignored = 0;
  return atomic("mproc_array_atomic_fetch_add", a, index, MPROC__ATOMIC_FETCH_ADD, delta, 0,
                previous != nullptr ? previous : &ignored, nullptr);
}

MPROC_API mproc_status mproc_array_atomic_compare_exchange(mproc_array* a, size_t index,
                                                           int64_t* expected, int64_t desired,
                                                           int* swapped) {
  if (expected == nullptr || swapped == nullptr) {
    return mproc__fail(MPROC_E_INVAL, "mproc_array_atomic_compare_exchange: NULL argument");
  }
  return atomic("mproc_array_atomic_compare_exchange", a, index, MPROC__ATOMIC_COMPARE_EXCHANGE,
                *expected, desired, expected, swapped);
}

MPROC_API void mproc_array_destroy(mproc_array* a) { delete a; }

}  // extern "C"
