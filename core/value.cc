// core/value.cc — mproc_value: one typed element in shared memory (see core/shared_data.h).
#include "mproc/value.h"

#include <memory>

#include "core/options.h"
#include "core/shared_data.h"
#include "core/status.h"

struct mproc_value {
  mproc__shared_data d;
};

namespace {

mproc_status atomic(const char* where, mproc_value* v, mproc__atomic_op op, int64_t arg,
                    int64_t desired, int64_t* result, int* swapped) {
  if (v == nullptr) return mproc__failf(MPROC_E_INVAL, "%s: value is NULL", where);
  return mproc__data_atomic(where, &v->d, 0, op, arg, desired, result, swapped);
}

}  // namespace

extern "C" {

MPROC_API mproc_status mproc_value_create(mproc_type type, size_t elem_size, const void* initial,
                                          const mproc_value_options* opts, mproc_value** out) {
  const char* where = "mproc_value_create";
  if (out == nullptr) return mproc__failf(MPROC_E_INVAL, "%s: out is NULL", where);
  *out = nullptr;
  mproc_value_options o;
  mproc_status st = mproc__read_options(where, opts, &o);
  if (st != MPROC_OK) return st;
  auto v = std::make_unique<mproc_value>();
  st = mproc__data_create(where, MPROC__OBJ_VALUE, type, elem_size, 1, initial, o.name, o.raw != 0,
                          &v->d);
  if (st != MPROC_OK) return st;
  *out = v.release();
  return MPROC_OK;
}

MPROC_API mproc_status mproc_value_open(intptr_t handle, mproc_type type, size_t elem_size,
                                        mproc_value** out) {
  const char* where = "mproc_value_open";
  if (out == nullptr) return mproc__failf(MPROC_E_INVAL, "%s: out is NULL", where);
  *out = nullptr;
  auto v = std::make_unique<mproc_value>();
  mproc_status st = mproc__data_open(where, handle, MPROC__OBJ_VALUE, type, elem_size, &v->d);
  if (st != MPROC_OK) return st;
  *out = v.release();
  return MPROC_OK;
}

MPROC_API mproc_status mproc_value_handle(const mproc_value* v, intptr_t* out) {
  if (v == nullptr || out == nullptr) {
    return mproc__fail(MPROC_E_INVAL, "mproc_value_handle: NULL argument");
  }
  *out = v->d.obj->handle();
  return MPROC_OK;
}

MPROC_API mproc_status mproc_value_get(mproc_value* v, void* out, int64_t timeout_ms) {
  return mproc__data_read("mproc_value_get", v != nullptr ? &v->d : nullptr, 0, 1, out, timeout_ms);
}

MPROC_API mproc_status mproc_value_set(mproc_value* v, const void* in, int64_t timeout_ms) {
  return mproc__data_write("mproc_value_set", v != nullptr ? &v->d : nullptr, 0, 1, in, timeout_ms);
}

MPROC_API mproc_status mproc_value_get_lock(const mproc_value* v, mproc_lock** out) {
  return mproc__data_get_lock("mproc_value_get_lock", v != nullptr ? &v->d : nullptr, out);
}

MPROC_API int mproc_value_has_lock(const mproc_value* v) {
  return v != nullptr && v->d.lock != nullptr ? 1 : 0;
}

MPROC_API void* mproc_value_data(const mproc_value* v) {
  return v != nullptr ? v->d.data : nullptr;
}

MPROC_API mproc_type mproc_value_type(const mproc_value* v) {
  return v != nullptr ? v->d.type : static_cast<mproc_type>(0);
}

MPROC_API size_t mproc_value_elem_size(const mproc_value* v) {
  return v != nullptr ? v->d.elem_size : 0;
}

MPROC_API const char* mproc_value_name(const mproc_value* v) {
  return v != nullptr ? v->d.obj->name() : "";
}

MPROC_API mproc_status mproc_value_atomic_load(mproc_value* v, int64_t* out) {
  if (out == nullptr) return mproc__fail(MPROC_E_INVAL, "mproc_value_atomic_load: out is NULL");
  return atomic("mproc_value_atomic_load", v, MPROC__ATOMIC_LOAD, 0, 0, out, nullptr);
}

MPROC_API mproc_status mproc_value_atomic_store(mproc_value* v, int64_t value) {
  return atomic("mproc_value_atomic_store", v, MPROC__ATOMIC_STORE, value, 0, nullptr, nullptr);
}

MPROC_API mproc_status mproc_value_atomic_exchange(mproc_value* v, int64_t value,
                                                   int64_t* previous) {
  int64_t ignored = 0;
  return atomic("mproc_value_atomic_exchange", v, MPROC__ATOMIC_EXCHANGE, value, 0,
                previous != nullptr ? previous : &ignored, nullptr);
}

MPROC_API mproc_status mproc_value_atomic_fetch_add(mproc_value* v, int64_t delta,
                                                    int64_t* previous) {
  // The usual shared counter, a 64-bit integer, goes straight to the instruction: the general
  // path dispatches on type and operation, which costs as much again as the atomic add itself.
  // (Signed or not, a 64-bit add wraps the same way.)
  if (v != nullptr && v->d.integral && v->d.elem_size == 8 && v->d.length == 1) {
    uint64_t old = __atomic_fetch_add(reinterpret_cast<uint64_t*>(v->d.data),
                                      static_cast<uint64_t>(delta), __ATOMIC_SEQ_CST);
    if (previous != nullptr) *previous = static_cast<int64_t>(old);
    return MPROC_OK;
  }
  int64_t ignored = 0;
  return atomic("mproc_value_atomic_fetch_add", v, MPROC__ATOMIC_FETCH_ADD, delta, 0,
                previous != nullptr ? previous : &ignored, nullptr);
}

MPROC_API mproc_status mproc_value_atomic_compare_exchange(mproc_value* v, int64_t* expected,
                                                           int64_t desired, int* swapped) {
  if (expected == nullptr || swapped == nullptr) {
    return mproc__fail(MPROC_E_INVAL, "mproc_value_atomic_compare_exchange: NULL argument");
  }
  return atomic("mproc_value_atomic_compare_exchange", v, MPROC__ATOMIC_COMPARE_EXCHANGE, *expected,
                desired, expected, swapped);
}

MPROC_API void mproc_value_destroy(mproc_value* v) { delete v; }

}  // extern "C"
