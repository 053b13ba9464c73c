// core/shared_data.cc — typed elements in shared memory, for Value and Array.
#include "core/shared_data.h"

#include <cstring>
#include <limits>
#include <type_traits>

#include "core/status.h"
#include "core/types.h"

namespace {

constexpr size_t kDataHeaderSize = 64;

struct data_header {
  uint64_t length;
  uint32_t has_lock;
  uint32_t reserved;
};
static_assert(sizeof(data_header) <= kDataHeaderSize, "the data header fits its 64 bytes");

data_header* header_of(void* payload) {
  return reinterpret_cast<data_header*>(static_cast<char*>(payload) + mproc__lock_block_size());
}
char* elements_of(void* payload) {
  return static_cast<char*>(payload) + mproc__lock_block_size() + kDataHeaderSize;
}

// The element size a (type, elem_size) pair means, or an error naming `what`.
mproc_status resolve_elem_size(const char* where, const std::string& what, mproc_type type,
                               size_t elem_size, size_t* out) {
  auto code = static_cast<uint32_t>(type);
  if (!mproc__type_valid(code)) {
    return mproc__failf(MPROC_E_INVAL, "%s: %s: %d is not an mproc_type (use MPROC_TYPE_I32, ...)",
                        where, what, static_cast<int>(type));
  }
  if (type == MPROC_TYPE_BYTES) {
    if (elem_size == 0 || elem_size > UINT32_MAX) {
      return mproc__failf(MPROC_E_INVAL,
                          "%s: %s: a record type ('s') needs its element size, 1 to 4294967295 "
                          "bytes (got %u)",
                          where, what, elem_size);
    }
    *out = elem_size;
    return MPROC_OK;
  }
  size_t size = mproc_type_size(type);
  if (elem_size != 0 && elem_size != size) {
    return mproc__failf(MPROC_E_INVAL, "%s: %s: %s elements are %u bytes, not %u", where, what,
                        mproc__type_describe(code, 0), size, elem_size);
  }
  *out = size;
  return MPROC_OK;
}

// Element copies between shared memory and the caller's buffer. Elements of 1, 2, 4 or 8 bytes
// (naturally aligned in the mapping) are moved with relaxed atomic accesses, so that a copy under
// the lock and a lock-free atomic operation on the same element are never a data race.
template <typename U>
void copy_in(char* shared, const char* in, size_t count) {
  for (size_t i = 0; i < count; ++i) {
    U v;
    std::memcpy(&v, in + i * sizeof(U), sizeof(U));
    __atomic_store_n(reinterpret_cast<U*>(shared) + i, v, __ATOMIC_RELAXED);
  }
}
template <typename U>
void copy_out(const char* shared, char* out, size_t count) {
  for (size_t i = 0; i < count; ++i) {
    U v = __atomic_load_n(reinterpret_cast<const U*>(shared) + i, __ATOMIC_RELAXED);
    std::memcpy(out + i * sizeof(U), &v, sizeof(U));
  }
}

void copy_elements(const mproc__shared_data* d, size_t start, size_t count, char* out,
                   const char* in) {
  char* shared = d->data + start * d->elem_size;
  switch (d->elem_size) {
    case 1:
      return in ? copy_in<uint8_t>(shared, in, count) : copy_out<uint8_t>(shared, out, count);
    case 2:
      return in ? copy_in<uint16_t>(shared, in, count) : copy_out<uint16_t>(shared, out, count);
    case 4:
      return in ? copy_in<uint32_t>(shared, in, count) : copy_out<uint32_t>(shared, out, count);
    case 8:
      return in ? copy_in<uint64_t>(shared, in, count) : copy_out<uint64_t>(shared, out, count);
    default:
      if (count == 0) return;
      if (in != nullptr) {
        std::memcpy(shared, in, count * d->elem_size);
      } else {
        std::memcpy(out, shared, count * d->elem_size);
      }
  }
}

mproc_status check_range(const char* where, const mproc__shared_data* d, size_t start,
                         size_t count) {
  if (count == 1 && start >= d->length) {
    return mproc__failf(MPROC_E_RANGE, "%s: index %u is out of range for %s of length %u", where,
                        start, d->what, d->length);
  }
  if (start > d->length || count > d->length - start) {
    return mproc__failf(MPROC_E_RANGE, "%s: elements [%u, %u) are out of range for %s of length %u",
                        where, start, start + count, d->what, d->length);
  }
  return MPROC_OK;
}

mproc_status access(const char* where, mproc__shared_data* d, size_t start, size_t count, char* out,
                    const char* in, int64_t timeout_ms) {
  if (d == nullptr) return mproc__failf(MPROC_E_INVAL, "%s: object is NULL", where);
  if ((in == nullptr && out == nullptr) && count > 0) {
    return mproc__failf(MPROC_E_INVAL, "%s: %s: the buffer is NULL", where, d->what);
  }
  mproc_status st = mproc__check_timeout(where, timeout_ms);
  if (st != MPROC_OK) return st;
  st = check_range(where, d, start, count);
  if (st != MPROC_OK) return st;
  if (d->lock == nullptr) {
    copy_elements(d, start, count, out, in);
    return MPROC_OK;
  }
  st = mproc__lock_acquire(d->lock, timeout_ms, where);
  if (st == MPROC_E_OWNER_DIED) {
    return mproc__failf(st, "%s (nothing was %s)", mproc_last_error(),
                        in != nullptr ? "written" : "read");
  }
  if (st != MPROC_OK) return st;
  copy_elements(d, start, count, out, in);
  return mproc__lock_release(d->lock, where);
}

// ---- Atomics ------------------------------------------------------------------------------------

bool fits(uint32_t type, int64_t x) {
  switch (type) {
    case MPROC_TYPE_I8:
      return x >= INT8_MIN && x <= INT8_MAX;
    case MPROC_TYPE_U8:
      return x >= 0 && x <= UINT8_MAX;
    case MPROC_TYPE_I16:
      return x >= INT16_MIN && x <= INT16_MAX;
    case MPROC_TYPE_U16:
      return x >= 0 && x <= UINT16_MAX;
    case MPROC_TYPE_I32:
      return x >= INT32_MIN && x <= INT32_MAX;
    case MPROC_TYPE_U32:
      return x >= 0 && x <= static_cast<int64_t>(UINT32_MAX);
    case MPROC_TYPE_BOOL:
      return x == 0 || x == 1;
    case MPROC_TYPE_CHAR:
      return x >= INT8_MIN && x <= UINT8_MAX;  // char may be either
    default:
      return true;  // I64; U64 as its 64 bits
  }
}

template <typename U>
int64_t widen(U v, bool is_signed) {
  if (is_signed) return static_cast<int64_t>(static_cast<std::make_signed_t<U>>(v));
  uint64_t wide = v;
  int64_t out;
  std::memcpy(&out, &wide, sizeof out);  // a U64 above INT64_MAX keeps its bits
  return out;
}

template <typename U>
U narrow(int64_t x) {
  uint64_t bits;
  std::memcpy(&bits, &x, sizeof bits);
  return static_cast<U>(bits);
}

template <typename U>
void run_atomic(U* p, mproc__atomic_op op, bool is_signed, bool expected_fits, int64_t arg,
                int64_t desired, int64_t* result, int* swapped) {
  switch (op) {
    case MPROC__ATOMIC_LOAD:
      *result = widen(__atomic_load_n(p, __ATOMIC_SEQ_CST), is_signed);
      return;
    case MPROC__ATOMIC_STORE:
      __atomic_store_n(p, narrow<U>(arg), __ATOMIC_SEQ_CST);
      return;
    case MPROC__ATOMIC_EXCHANGE:
      *result = widen(__atomic_exchange_n(p, narrow<U>(arg), __ATOMIC_SEQ_CST), is_signed);
      return;
    case MPROC__ATOMIC_FETCH_ADD:
      *result = widen(__atomic_fetch_add(p, narrow<U>(arg), __ATOMIC_SEQ_CST), is_signed);
      return;
    case MPROC__ATOMIC_COMPARE_EXCHANGE: {
      if (!expected_fits) {  // no element can equal it; report what is there
        *result = widen(__atomic_load_n(p, __ATOMIC_SEQ_CST), is_signed);
        *swapped = 0;
        return;
      }
      U expected = narrow<U>(arg);
      bool ok = __atomic_compare_exchange_n(p, &expected, narrow<U>(desired), false,
                                            __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
      *result = widen(expected, is_signed);
      *swapped = ok ? 1 : 0;
      return;
    }
  }
}

const char* op_name(mproc__atomic_op op) {
  switch (op) {
    case MPROC__ATOMIC_LOAD:
      return "load";
    case MPROC__ATOMIC_STORE:
      return "store";
    case MPROC__ATOMIC_EXCHANGE:
      return "exchange";
    case MPROC__ATOMIC_FETCH_ADD:
      return "fetch_add";
    case MPROC__ATOMIC_COMPARE_EXCHANGE:
      return "compare_exchange";
  }
  return "?";
}

}  // namespace

mproc_status mproc__data_create(const char* where, uint32_t kind, mproc_type type, size_t elem_size,
                                size_t length, const void* initial, const char* name, bool raw,
                                mproc__shared_data* out) {
  const char* kind_name = mproc__object_kind_name(kind);
  size_t size = 0;
  mproc_status st =
      resolve_elem_size(where, std::string("a new ") + kind_name, type, elem_size, &size);
  if (st != MPROC_OK) return st;
  size_t fixed = mproc__lock_block_size() + kDataHeaderSize;
  if (length > (std::numeric_limits<size_t>::max() - fixed) / size) {
    return mproc__failf(MPROC_E_RANGE, "%s: %u elements of %u bytes do not fit in memory", where,
                        length, size);
  }
  mproc__object* raw_obj = nullptr;
  st = mproc__object::create(kind, static_cast<uint32_t>(type), static_cast<uint32_t>(size),
                             fixed + length * size, name, &raw_obj);
  if (st != MPROC_OK) return st;
  out->obj = mproc__lock_holder(raw_obj);
  void* payload = raw_obj->payload();
  if (!raw) {
    st = mproc__lock_block_init(raw_obj->shm(), payload, true);
    if (st != MPROC_OK) return st;
  }
  data_header* h = header_of(payload);
  h->length = length;
  h->has_lock = raw ? 0 : 1;
  out->data = elements_of(payload);
  if (initial != nullptr && length > 0) std::memcpy(out->data, initial, length * size);
  out->length = length;
  out->elem_size = size;
  out->type = type;
  out->integral = mproc__type_is_integral(static_cast<uint32_t>(type));
  out->is_signed = mproc__type_is_signed(static_cast<uint32_t>(type));
  out->what = raw_obj->describe();
  if (!raw) out->lock = mproc__lock_make(out->obj, payload, "the lock of " + out->what);
  return MPROC_OK;
}

mproc_status mproc__data_open(const char* where, intptr_t handle, uint32_t kind, mproc_type type,
                              size_t elem_size, mproc__shared_data* out) {
  const char* kind_name = mproc__object_kind_name(kind);
  size_t size = 0;
  mproc_status st =
      resolve_elem_size(where, std::string("opening a ") + kind_name, type, elem_size, &size);
  if (st != MPROC_OK) return st;
  mproc__object* raw_obj = nullptr;
  st = mproc__object::open(handle, kind, static_cast<uint32_t>(type), &raw_obj);
  if (st != MPROC_OK) return st;
  out->obj = mproc__lock_holder(raw_obj);
  const mproc__object_header* oh = raw_obj->header();
  if (oh->elem_size != size) {
    return mproc__failf(MPROC_E_TYPE_MISMATCH, "%s holds %s but was opened as %s",
                        raw_obj->describe(), mproc__type_describe(oh->type_code, oh->elem_size),
                        mproc__type_describe(static_cast<uint32_t>(type), size));
  }
  void* payload = raw_obj->payload();
  size_t fixed = mproc__lock_block_size() + kDataHeaderSize;
  const data_header* h = header_of(payload);
  if (raw_obj->payload_size() < fixed || h->length > (raw_obj->payload_size() - fixed) / size) {
    return mproc__failf(MPROC_E_TYPE_MISMATCH, "%s: %s is damaged (its length does not fit)", where,
                        raw_obj->describe());
  }
  out->data = elements_of(payload);
  out->length = static_cast<size_t>(h->length);
  out->elem_size = size;
  out->type = type;
  out->integral = mproc__type_is_integral(static_cast<uint32_t>(type));
  out->is_signed = mproc__type_is_signed(static_cast<uint32_t>(type));
  out->what = raw_obj->describe();
  if (h->has_lock != 0) out->lock = mproc__lock_make(out->obj, payload, "the lock of " + out->what);
  return MPROC_OK;
}

mproc_status mproc__data_read(const char* where, mproc__shared_data* d, size_t start, size_t count,
                              void* out, int64_t timeout_ms) {
  return access(where, d, start, count, static_cast<char*>(out), nullptr, timeout_ms);
}

mproc_status mproc__data_write(const char* where, mproc__shared_data* d, size_t start, size_t count,
                               const void* in, int64_t timeout_ms) {
  if (d != nullptr && in == nullptr && count > 0) {
    return mproc__failf(MPROC_E_INVAL, "%s: %s: the buffer is NULL", where, d->what);
  }
  return access(where, d, start, count, nullptr, static_cast<const char*>(in), timeout_ms);
}

mproc_status mproc__data_get_lock(const char* where, const mproc__shared_data* d,
                                  mproc_lock** out) {
  if (d == nullptr || out == nullptr)
    return mproc__failf(MPROC_E_INVAL, "%s: NULL argument", where);
  *out = nullptr;
  if (d->lock == nullptr) {
    return mproc__failf(MPROC_E_STATE, "%s: %s was created without a lock (raw), so it has none",
                        where, d->what);
  }
  *out = mproc__lock_make(d->obj, d->lock->block, d->lock->what);
  return MPROC_OK;
}

mproc_status mproc__data_atomic(const char* where, mproc__shared_data* d, size_t index,
                                mproc__atomic_op op, int64_t arg, int64_t desired, int64_t* result,
                                int* swapped) {
  if (d == nullptr) return mproc__failf(MPROC_E_INVAL, "%s: object is NULL", where);
  const uint32_t type = static_cast<uint32_t>(d->type);
  if (!d->integral || (op == MPROC__ATOMIC_FETCH_ADD && type == MPROC_TYPE_BOOL)) {
    return mproc__failf(MPROC_E_INVAL, "%s: %s holds %s: atomic %s needs an integer type", where,
                        d->what, mproc__type_describe(type, d->elem_size), op_name(op));
  }
  if (index >= d->length) return check_range(where, d, index, 1);
  if ((op == MPROC__ATOMIC_STORE || op == MPROC__ATOMIC_EXCHANGE) && !fits(type, arg)) {
    return mproc__failf(MPROC_E_RANGE, "%s: %d does not fit in %s, which holds %s", where, arg,
                        d->what, mproc__type_describe(type, d->elem_size));
  }
  if (op == MPROC__ATOMIC_COMPARE_EXCHANGE && !fits(type, desired)) {
    return mproc__failf(MPROC_E_RANGE, "%s: %d does not fit in %s, which holds %s", where, desired,
                        d->what, mproc__type_describe(type, d->elem_size));
  }
  const bool is_signed = d->is_signed;
  const bool expected_fits = op != MPROC__ATOMIC_COMPARE_EXCHANGE || fits(type, arg);
  void* p = d->data + index * d->elem_size;
  switch (d->elem_size) {
    case 1:
      run_atomic(static_cast<uint8_t*>(p), op, is_signed, expected_fits, arg, desired, result,
                 swapped);
      break;
    case 2:
      run_atomic(static_cast<uint16_t*>(p), op, is_signed, expected_fits, arg, desired, result,
                 swapped);
      break;
    case 4:
      run_atomic(static_cast<uint32_t*>(p), op, is_signed, expected_fits, arg, desired, result,
                 swapped);
      break;
    default:
      run_atomic(static_cast<uint64_t*>(p), op, is_signed, expected_fits, arg, desired, result,
                 swapped);
      break;
  }
  return MPROC_OK;
}
