/* mproc/common.h — what every part of the C ABI shares: the export macro, the status type,
 * timeouts, the version.
 *
 * The C ABI names no POSIX or Win32 type: sizes are size_t or fixed-width ints and OS handles
 * cross it as intptr_t. Every function returns an mproc_status (0 = ok, negative = error; see
 * mproc/error.h) unless it cannot fail. */
#ifndef MPROC_COMMON_H
#define MPROC_COMMON_H

#include <stddef.h>
#include <stdint.h>

/* MPROC_API marks the exported C ABI. A DLL exports exactly what it marks dllexport; a program
 * that links the static library (the build defines MPROC_STATIC for it: the CMake target and
 * mproc.pc's Cflags) must not see dllimport. Elsewhere the library is built with hidden
 * visibility and MPROC_API makes the C ABI visible. */
#if defined(_WIN32) && defined(MPROC_STATIC)
#define MPROC_API
#elif defined(_WIN32)
#if defined(MPROC_BUILDING)
#define MPROC_API __declspec(dllexport)
#else
#define MPROC_API __declspec(dllimport)
#endif
#elif defined(__GNUC__)
#define MPROC_API __attribute__((visibility("default")))
#else
#define MPROC_API
#endif

#ifdef __cplusplus
#define MPROC_EXTERN_C_BEGIN extern "C" {
#define MPROC_EXTERN_C_END }
#else
#define MPROC_EXTERN_C_BEGIN
#define MPROC_EXTERN_C_END
#endif

/* The API version. The major number is the SOVERSION: it changes only when a shipped signature
 * would have to change, which the rules forbid (add a _v2 instead). */
#define MPROC_VERSION_MAJOR 1
#define MPROC_VERSION_MINOR 0
#define MPROC_VERSION_PATCH 0
#define MPROC_VERSION_HEX \
  ((MPROC_VERSION_MAJOR << 16) | (MPROC_VERSION_MINOR << 8) | MPROC_VERSION_PATCH)

/* Timeouts are milliseconds: MPROC_INFINITE blocks, 0 polls, any other negative value is
 * rejected with MPROC_E_INVAL. */
#define MPROC_INFINITE ((int64_t)-1)

MPROC_EXTERN_C_BEGIN

/* 0 on success, one of the negative MPROC_E_* codes (mproc/error.h) on failure. */
typedef int mproc_status;

/* The library's version as MPROC_VERSION_HEX of the build that produced it (the header a caller
 * compiled against may be older). Never fails; thread-safe. */
MPROC_API uint32_t mproc_version(void);

/* "1.0.0". Static storage; never NULL; thread-safe. */
MPROC_API const char* mproc_version_string(void);

/* The backend chosen when the library was built: "posix", "win32" or "libuv". Static storage. */
MPROC_API const char* mproc_backend_name(void);

/* Releases memory the library allocated for the caller (e.g. mproc_connection_recv_bytes_alloc).
 * NULL is harmless. Thread-safe. */
MPROC_API void mproc_free(void* p);

MPROC_EXTERN_C_END

#endif /* MPROC_COMMON_H */
