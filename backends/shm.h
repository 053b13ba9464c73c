// backends/shm.h — the shm facet of the backend contract: anonymous shared memory: create, open,
// grow, map.
//
// Part of the internal contract between the core and one backend (backends/backend.h lists the
// facets; backends/README.md maps every function onto POSIX, Win32 and libuv). Functions return an
// mproc_status and, on failure, have already set the thread's error text (core/status.h). OS
// handles are intptr_t and are tested with mproc__handle_valid, never by sign.
#ifndef MPROC_BACKENDS_SHM_H
#define MPROC_BACKENDS_SHM_H

#include <cstddef>
#include <cstdint>

#include "mproc/mproc.h"

// ---- Shared memory -------------------------------------------------------------------------------
// An anonymous mapping shared between processes, reachable only through its handle (POSIX memfd,
// Win32 unnamed file mapping): nothing to leak in a namespace when processes die. The handle is
// what a child receives (mproc_process_add_handle); the child maps the same memory with
// mproc__shm_open. libuv has no shared memory of its own: its backend takes the OS's shm facet.

struct mproc__shm;

// Creates a segment of `reserve` bytes (0: size; never less than size) of which the first size
// are committed, zero-filled and mapped (mproc__shm_addr). The reservation is what the segment may
// ever grow to (mproc__shm_commit) and is fixed at creation, because a Win32 section cannot grow:
// it is created with SEC_RESERVE at its maximum and pages are committed as the segment grows.
// Reserving costs no memory on any backend (POSIX: a sparse memfd sized as it grows). `what` names
// the object in error messages.
mproc_status mproc__shm_create(size_t size, uint64_t reserve, const char* what, mproc__shm** out);

// Maps the memory behind a handle this process received. The handle is duplicated: the caller
// keeps ownership of its own.
mproc_status mproc__shm_open(intptr_t handle, const char* what, mproc__shm** out);

void* mproc__shm_addr(const mproc__shm* shm);
size_t mproc__shm_size(const mproc__shm* shm);
intptr_t mproc__shm_handle(const mproc__shm* shm);  // owned by shm
void mproc__shm_close(mproc__shm* shm);             // unmaps; NULL harmless

// ---- Shared memory that grows ----------------------------------------------------------------------
// Queues buffer any amount of data without blocking their producers, so their segment grows while
// other processes hold it, within the reservation made at creation. Every process reaches the
// added bytes through the handle it already has: a process that learns (from the object's own
// state) that the segment grew maps the range again.
// Sizes and offsets given to mproc__shm_map are multiples of MPROC__SHM_ALIGN, which is at least
// the page size on every backend.

constexpr size_t MPROC__SHM_ALIGN = 64 * 1024;

// Commits the memory behind a handle up to at least size bytes, which the core keeps within the
// reservation (never shrinks it; a larger segment is left alone). POSIX: ftruncate of the memfd;
// Win32: VirtualAlloc(MEM_COMMIT) through a view. The added bytes read as zero and take memory
// only once written. MPROC_E_NOMEM (or MPROC_E_OS) naming `what` when it cannot be that large.
mproc_status mproc__shm_commit(intptr_t handle, uint64_t size, const char* what);

// Maps size bytes of the memory behind a handle, from offset, shared and writable. The handle
// stays the caller's. Released with mproc__shm_unmap.
mproc_status mproc__shm_map(intptr_t handle, uint64_t offset, size_t size, const char* what,
                            void** out);
void mproc__shm_unmap(void* addr, size_t size);

#endif  // MPROC_BACKENDS_SHM_H
