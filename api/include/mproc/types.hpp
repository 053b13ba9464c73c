// mproc/types.hpp — which mproc_type (mproc/types.h) a C++ type is stored as in a Value or Array.
//
//   bool -> '?'   char -> 'c'   float -> 'f'   double -> 'd'
//   other integers, by size and signedness -> 'b' 'B' 'h' 'H' 'i' 'I' 'q' 'Q'
//   anything else trivially copyable (structs, enums, long double) -> 's', a record of sizeof(T)
//
// Records are told apart by size only: two different structs of the same size open as each other.
#ifndef MPROC_TYPES_HPP
#define MPROC_TYPES_HPP

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "mproc/codec.hpp"
#include "mproc/types.h"

namespace mproc {
namespace detail {

template <typename T>
constexpr mproc_type integer_type() {
  constexpr bool s = std::is_signed_v<T>;
  switch (sizeof(T)) {
    case 1:
      return s ? MPROC_TYPE_I8 : MPROC_TYPE_U8;
    case 2:
      return s ? MPROC_TYPE_I16 : MPROC_TYPE_U16;
    case 4:
      return s ? MPROC_TYPE_I32 : MPROC_TYPE_U32;
    case 8:
      return s ? MPROC_TYPE_I64 : MPROC_TYPE_U64;
    default:
      return MPROC_TYPE_BYTES;
  }
}

template <typename T>
constexpr mproc_type type_of() {
  if constexpr (std::is_same_v<T, bool>) {
    return MPROC_TYPE_BOOL;
  } else if constexpr (std::is_same_v<T, char>) {
    return MPROC_TYPE_CHAR;
  } else if constexpr (std::is_integral_v<T>) {
    return integer_type<T>();
  } else if constexpr (std::is_same_v<T, float> && sizeof(float) == 4) {
    return MPROC_TYPE_F32;
  } else if constexpr (std::is_same_v<T, double> && sizeof(double) == 8) {
    return MPROC_TYPE_F64;
  } else {
    return MPROC_TYPE_BYTES;
  }
}

// What a Value or Array element may be: bytes that mean the same in another process.
template <typename T>
constexpr void check_element_type() {
  static_assert(std::is_trivially_copyable_v<T> && !std::is_const_v<T> && !std::is_volatile_v<T>,
                "mproc::Value / mproc::Array: the element type must be trivially copyable "
                "(its bytes are copied to shared memory)");
  static_assert(!is_pointer_like<T>::value,
                "mproc::Value / mproc::Array: a pointer means nothing in another process; share "
                "the data itself (or an index into a shared Array)");
  static_assert(alignof(T) <= 64, "mproc::Value / mproc::Array: alignment above 64 bytes");
}

// int64_t <-> T for the atomic operations, keeping a uint64_t's bits.
template <typename T>
std::int64_t to_i64(T v) {
  if constexpr (std::is_unsigned_v<T> && sizeof(T) == 8) {
    std::int64_t out;
    std::memcpy(&out, &v, sizeof out);
    return out;
  } else {
    return static_cast<std::int64_t>(v);
  }
}
template <typename T>
T from_i64(std::int64_t v) {
  return static_cast<T>(v);  // modular for unsigned targets; exact for a value that fits
}
template <typename T>
std::int64_t negated_i64(T v) {
  std::int64_t x = to_i64(v);
  std::uint64_t bits;
  std::memcpy(&bits, &x, sizeof bits);
  bits = 0 - bits;
  std::memcpy(&x, &bits, sizeof x);
  return x;
}

}  // namespace detail

// The mproc_type T is stored as, and its element size.
template <typename T>
inline constexpr mproc_type type_code_v = detail::type_of<T>();
template <typename T>
inline constexpr std::size_t type_size_v = sizeof(T);

// Whether T gets the lock-free atomic operations (integers, bool and char; as std::atomic<T>).
template <typename T>
inline constexpr bool is_atomic_element_v = std::is_integral_v<T> && sizeof(T) <= 8;

}  // namespace mproc

#endif  // MPROC_TYPES_HPP
