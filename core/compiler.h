// core/compiler.h — the few compiler-specific hints the hot paths use, spelled once for GCC and
// Clang (MinGW included), MSVC, and anything else (where each is a no-op or the plain form).
// Hints only: none of them changes what the code does, only how it is laid out or inlined.
#ifndef MPROC_CORE_COMPILER_H
#define MPROC_CORE_COMPILER_H

#if defined(_MSC_VER) && !defined(__clang__)
#include <intrin.h>  // _mm_pause, __yield (compiler intrinsics, not an OS header)
#endif

// Branch weights: the unlikely side (an error, a contended lock) is laid out out of line.
#if defined(__GNUC__) || defined(__clang__)
#define MPROC__LIKELY(x) __builtin_expect(!!(x), 1)
#define MPROC__UNLIKELY(x) __builtin_expect(!!(x), 0)
#else
#define MPROC__LIKELY(x) (x)
#define MPROC__UNLIKELY(x) (x)
#endif

// MPROC__NOINLINE keeps a cold path (error text, a slow path) out of its caller, so the fast path
// stays small; MPROC__ALWAYS_INLINE (which implies inline) folds a fast path into each public
// entry point even where the optimiser would not.
#if defined(__GNUC__) || defined(__clang__)
#define MPROC__NOINLINE __attribute__((noinline))
#define MPROC__ALWAYS_INLINE inline __attribute__((always_inline))
#elif defined(_MSC_VER)
#define MPROC__NOINLINE __declspec(noinline)
#define MPROC__ALWAYS_INLINE __forceinline
#else
#define MPROC__NOINLINE
#define MPROC__ALWAYS_INLINE inline
#endif

// One spin-wait pause: tells the CPU this is a busy-wait loop (saves power, yields the core to a
// hyper-thread sibling, avoids a memory-order mis-speculation on exit). Nothing elsewhere.
#if (defined(__GNUC__) || defined(__clang__)) && (defined(__x86_64__) || defined(__i386__))
#define MPROC__CPU_RELAX() __builtin_ia32_pause()
#elif (defined(__GNUC__) || defined(__clang__)) && defined(__aarch64__)
#define MPROC__CPU_RELAX() __asm__ __volatile__("yield")
#elif defined(_MSC_VER) && (defined(_M_X64) || defined(_M_IX86))
#define MPROC__CPU_RELAX() _mm_pause()
#elif defined(_MSC_VER) && defined(_M_ARM64)
#define MPROC__CPU_RELAX() __yield()
#else
#define MPROC__CPU_RELAX() ((void)0)
#endif

#endif  // MPROC_CORE_COMPILER_H
