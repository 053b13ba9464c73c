// core/types.h — naming element types in messages.
#ifndef MPROC_CORE_TYPES_H
#define MPROC_CORE_TYPES_H

#include <cstddef>
#include <cstdint>
#include <string>

#include "mproc/types.h"

// True for the element types mproc knows.
bool mproc__type_valid(uint32_t type_code);

// "'d' (double)"; for records "'s' (24-byte record)".
std::string mproc__type_describe(uint32_t type_code, size_t elem_size);

// True for the integer-like types that atomic operations accept (the integers, bool, char).
bool mproc__type_is_integral(uint32_t type_code);
bool mproc__type_is_signed(uint32_t type_code);

#endif  // MPROC_CORE_TYPES_H
