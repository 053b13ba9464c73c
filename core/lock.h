// core/lock.h — the robust lock that Lock and RLock are, and that every Value and Array with a
// lock embeds at the start of its payload; and the C handle (mproc_lock) onto one.
#ifndef MPROC_CORE_LOCK_H
#define MPROC_CORE_LOCK_H

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "core/object.h"
#include "mproc/lock.h"

// Follows the backend's mutex in the lock block. Only the holder writes owner and count (while it
// holds the mutex), so relaxed accesses suffice: a thread that reads its own identity in owner
// wrote it itself and still holds the lock. Other readers use them for messages only.
struct mproc__lock_tail {
  std::atomic<uint64_t> owner;  // mproc__thread_identity() of the holder; 0 when free
  std::atomic<uint32_t> count;  // acquires not yet released by the holder (RLock depth)
  uint32_t magic;               // kLockMagic once initialised; 0 in a Value without a lock
  uint32_t recursive;           // 1 for an RLock
  uint32_t reserved;
  uint64_t uid;                      // random: lets a Condition check it was given its own lock
  std::atomic<uint64_t> dead_owner;  // the last holder seen to die, for messages
};
static_assert(std::atomic<uint64_t>::is_always_lock_free &&
                  std::atomic<uint32_t>::is_always_lock_free,
              "shared-memory atomics must be lock-free to work between processes");

struct mproc_lock {
  std::shared_ptr<mproc__object> obj;  // keeps the mapping alive (shared with a Value's handle)
  ~mproc_lock() { mproc__mutex_close(mutex); }
  void* block = nullptr;            // the lock block in shared memory
  mproc__mutex* mutex = nullptr;    // its mutex, opened in this process
  mproc__lock_tail* tail = nullptr;
  bool recursive = false;
  std::string what;  // "Lock 'a'", "the lock of Value 'v'"
};

// Bytes a lock block takes (a multiple of 64, so what follows stays 64-byte aligned).
size_t mproc__lock_block_size();

// Initialises a zeroed lock block inside shm.
mproc_status mproc__lock_block_init(mproc__shm* shm, void* block, bool recursive);

// True when the block at the start of a payload was initialised (a Value created with a lock).
bool mproc__lock_block_present(const void* block);

// Owns an object whose payload starts with a lock block. When the last owner in this process goes
// while a thread of this process still holds the lock, the mapping is kept (and its handle with
// it): the backend's robust mutex (POSIX: the kernel's robust futex list, shared with glibc) links
// the mutexes a thread holds through their own memory, so unmapping a held one would crash the
// next unlock of a neighbour. Only a program that drops a
// lock it holds pays this small leak.
std::shared_ptr<mproc__object> mproc__lock_holder(mproc__object* obj);

// A new handle onto the lock block of obj (opens its mutex in this process). Never fails.
mproc_lock* mproc__lock_make(std::shared_ptr<mproc__object> obj, void* block, std::string what);

// mproc_lock_acquire with `where` naming the public call in messages.
mproc_status mproc__lock_acquire(mproc_lock* l, int64_t timeout_ms, const char* where);
mproc_status mproc__lock_release(mproc_lock* l, const char* where);

// For Condition.wait: releases every level the calling thread holds (*depth gets how many), or
// MPROC_E_NOT_OWNER naming `what` and the lock when the caller does not hold it.
mproc_status mproc__lock_release_all(mproc_lock* l, const char* where, const char* what,
                                     uint32_t* depth);
// Takes the lock back with the depth saved, waiting without a limit as Python's Condition does.
// MPROC_OK, MPROC_E_OWNER_DIED (held), or an error (not held).
mproc_status mproc__lock_restore(mproc_lock* l, const char* where, uint32_t depth);

#endif  // MPROC_CORE_LOCK_H
