// core/pool_ring.h — a single-producer single-consumer byte stream in shared memory: how a pool
// and one of its workers exchange tasks and results without a system call per message.
//
// Positions are free-running 32-bit counters (capacity a power of two, so wrap-around arithmetic
// is exact); the producer alone moves `tail`, the consumer alone moves `head`. A side that has to
// wait sleeps on the other side's counter (mproc__word_wait) after raising its `*_sleeping` flag;
// the other side wakes it only when that flag is up, so a busy stream makes no system calls. The
// pool's own thread never sleeps on a word (it waits on a notifier together with the workers'
// sentinels), so the flags are only for the worker side; see core/pool_wire.h.
#ifndef MPROC_CORE_POOL_RING_H
#define MPROC_CORE_POOL_RING_H

#include <cstddef>
#include <cstdint>

#include "mproc/common.h"

struct mproc__shm;

struct alignas(64) mproc__ring_ctl {
  uint32_t head;               // bytes consumed (consumer writes)
  uint32_t consumer_sleeping;  // consumer waits on `tail`
  char pad0[56];
  uint32_t tail;               // bytes published (producer writes)
  uint32_t producer_sleeping;  // producer waits on `head`
  char pad1[56];
};

class mproc__ring {
 public:
  mproc__ring() = default;
  // ctl and data (capacity bytes, a power of two) live in shared memory (this process's mapping
  // shm, through which a sleeping side opens the counter it waits on), zeroed by the creator.
  mproc__ring(mproc__shm* shm, mproc__ring_ctl* ctl, char* data, uint32_t capacity)
      : shm_(shm), ctl_(ctl), data_(data), cap_(capacity) {}

  uint32_t capacity() const { return cap_; }
  // Bytes the consumer may read / the producer may write now.
  uint32_t readable() const;
  uint32_t writable() const;
  uint32_t head() const;  // acquire
  uint32_t tail() const;  // acquire

  // Producer: copies up to n bytes in and publishes them; returns how many. Never blocks.
  size_t write(const void* data, size_t n);
  // Consumer: copies up to n bytes out and frees their space; returns how many. Never blocks.
  size_t read(void* out, size_t n);
  // Consumer: copies n bytes starting `offset` bytes past head without consuming (n + offset must
  // be readable).
  void peek(size_t offset, void* out, size_t n) const;
  // Consumer: frees n readable bytes.
  void consume(size_t n);
  // The 4-byte word at `offset` past head (offset a multiple of 4, the word readable): messages
  // keep a state word there that both sides change with compare-and-swap.
  uint32_t* word_at_head(size_t offset) const;
  uint32_t* word_at(uint32_t position) const;

  // Consumer: sleeps until something is readable or timeout_ms passes (MPROC_OK either way once
  // something is readable; MPROC_E_TIMEOUT otherwise).
  mproc_status wait_readable(int64_t timeout_ms);
  // Producer: sleeps until at least `want` bytes (at most the capacity) are writable.
  mproc_status wait_writable(uint32_t want, int64_t timeout_ms);
  // Producer after write(): wakes a consumer that sleeps. Consumer after read()/consume(): wakes
  // a producer that sleeps. Cheap when nobody sleeps (one load).
  void wake_consumer();
  void wake_producer();

  // The raw counters, for the side that sleeps elsewhere and must know whether to.
  mproc__ring_ctl* ctl() const { return ctl_; }

 private:
  mproc_status wait_on(uint32_t* counter, uint32_t seen, int64_t timeout_ms);
  void wake_on(uint32_t* counter);

  mproc__shm* shm_ = nullptr;
  mproc__ring_ctl* ctl_ = nullptr;
  char* data_ = nullptr;
  uint32_t cap_ = 0;
};

#endif  // MPROC_CORE_POOL_RING_H
