/* mproc/types.h — the element types of shared values and arrays, named as Python's typecodes
 * ('i', 'd', ...) name them.
 *
 * A shared Value or Array records its element type, so a process that opens one it received with
 * another type gets MPROC_E_TYPE_MISMATCH naming both ("Value 'counter' holds 'd' (double) but
 * was opened as 'i' (int32)") instead of reading garbage. Each enumerator's value is its typecode
 * character. */
#ifndef MPROC_TYPES_H
#define MPROC_TYPES_H

#include "mproc/common.h"

MPROC_EXTERN_C_BEGIN

typedef enum mproc_type {
  MPROC_TYPE_I8 = 'b',   /* int8_t */
  MPROC_TYPE_U8 = 'B',   /* uint8_t */
  MPROC_TYPE_I16 = 'h',  /* int16_t */
  MPROC_TYPE_U16 = 'H',  /* uint16_t */
  MPROC_TYPE_I32 = 'i',  /* int32_t (Python's 'i', a C int) */
  MPROC_TYPE_U32 = 'I',  /* uint32_t */
  MPROC_TYPE_I64 = 'q',  /* int64_t */
  MPROC_TYPE_U64 = 'Q',  /* uint64_t */
  MPROC_TYPE_F32 = 'f',  /* float */
  MPROC_TYPE_F64 = 'd',  /* double */
  MPROC_TYPE_BOOL = '?', /* one byte, 0 or 1 (C++ bool) */
  MPROC_TYPE_CHAR = 'c', /* char */
  /* An opaque fixed-size record (a trivially copyable C++ struct, a C struct without pointers):
   * the element size is given alongside, and is part of the type (a 24-byte record does not open
   * as a 16-byte one). Not a Python typecode: 's' as in the struct module's bytes. */
  MPROC_TYPE_BYTES = 's'
} mproc_type;

/* The typecode character ('i' for MPROC_TYPE_I32), or 0 when t is not an mproc_type. */
MPROC_API char mproc_type_code(mproc_type t);

/* "int32", "double", "bool", "char", "bytes", ...; "unknown" when t is not an mproc_type. Static
 * storage; never NULL. */
MPROC_API const char* mproc_type_name(mproc_type t);

/* The element size in bytes (1, 2, 4 or 8); 0 for MPROC_TYPE_BYTES (its size is given separately)
 * and for a value that is not an mproc_type. */
MPROC_API size_t mproc_type_size(mproc_type t);

/* The type whose typecode is `code` ('i' -> MPROC_TYPE_I32). Errors: MPROC_E_INVAL (not a
 * typecode mproc knows; the message lists them). */
MPROC_API mproc_status mproc_type_from_code(char code, mproc_type* out);

MPROC_EXTERN_C_END

#endif /* MPROC_TYPES_H */
