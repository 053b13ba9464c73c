// core/pool_ring.cc — the shared-memory byte stream between a pool and a worker.
#include "core/pool_ring.h"

#include <cstring>

#include "backends/backend.h"

namespace {

uint32_t load_acquire(const uint32_t* w) { return __atomic_load_n(w, __ATOMIC_ACQUIRE); }

}  // namespace

uint32_t mproc__ring::head() const { return load_acquire(&ctl_->head); }
uint32_t mproc__ring::tail() const { return load_acquire(&ctl_->tail); }

uint32_t mproc__ring::readable() const {
  // The consumer's own head needs no ordering; the producer's tail must be acquired so the bytes
  // behind it are visible.
  return load_acquire(&ctl_->tail) - __atomic_load_n(&ctl_->head, __ATOMIC_RELAXED);
}

uint32_t mproc__ring::writable() const {
  return cap_ - (__atomic_load_n(&ctl_->tail, __ATOMIC_RELAXED) - load_acquire(&ctl_->head));
}

size_t mproc__ring::write(const void* data, size_t n) {
  uint32_t free = writable();
  if (n > free) n = free;
  if (n == 0) return 0;
  uint32_t tail = __atomic_load_n(&ctl_->tail, __ATOMIC_RELAXED);
  uint32_t at = tail & (cap_ - 1);
  size_t first = n < cap_ - at ? n : cap_ - at;
  std::memcpy(data_ + at, data, first);
  if (n > first) std::memcpy(data_, static_cast<const char*>(data) + first, n - first);
  // seq_cst rather than release: the wake-up check that follows must not be ordered before it
  // (the sleeper raises its flag, then re-reads this counter).
  __atomic_store_n(&ctl_->tail, tail + static_cast<uint32_t>(n), __ATOMIC_SEQ_CST);
  return n;
}

void mproc__ring::peek(size_t offset, void* out, size_t n) const {
  uint32_t at =
      (__atomic_load_n(&ctl_->head, __ATOMIC_RELAXED) + static_cast<uint32_t>(offset)) & (cap_ - 1);
  size_t first = n < cap_ - at ? n : cap_ - at;
  std::memcpy(out, data_ + at, first);
  if (n > first) std::memcpy(static_cast<char*>(out) + first, data_, n - first);
}

void mproc__ring::consume(size_t n) {
  uint32_t head = __atomic_load_n(&ctl_->head, __ATOMIC_RELAXED);
  __atomic_store_n(&ctl_->head, head + static_cast<uint32_t>(n), __ATOMIC_SEQ_CST);
}

size_t mproc__ring::read(void* out, size_t n) {
  uint32_t avail = readable();
  if (n > avail) n = avail;
  if (n == 0) return 0;
  peek(0, out, n);
  consume(n);
  return n;
}

uint32_t* mproc__ring::word_at_head(size_t offset) const {
  return word_at(__atomic_load_n(&ctl_->head, __ATOMIC_RELAXED) + static_cast<uint32_t>(offset));
}

uint32_t* mproc__ring::word_at(uint32_t position) const {
  return reinterpret_cast<uint32_t*>(data_ + (position & (cap_ - 1)));
}

// The counters are opened as wait words only around a sleep or a wake: both are slow paths.
mproc_status mproc__ring::wait_on(uint32_t* counter, uint32_t seen, int64_t timeout_ms) {
  mproc__word* w = mproc__word_open(shm_, counter);
  mproc_status st = mproc__word_wait(w, seen, timeout_ms);
  mproc__word_close(w);
  return st;
}

void mproc__ring::wake_on(uint32_t* counter) {
  mproc__word* w = mproc__word_open(shm_, counter);
  mproc__word_wake(w, 1);
  mproc__word_close(w);
}

mproc_status mproc__ring::wait_readable(int64_t timeout_ms) {
  uint32_t head = __atomic_load_n(&ctl_->head, __ATOMIC_RELAXED);
  uint32_t tail = load_acquire(&ctl_->tail);
  if (tail != head) return MPROC_OK;
  __atomic_store_n(&ctl_->consumer_sleeping, 1u, __ATOMIC_SEQ_CST);
  tail = __atomic_load_n(&ctl_->tail, __ATOMIC_SEQ_CST);
  mproc_status st = MPROC_OK;
  if (tail == head) st = wait_on(&ctl_->tail, tail, timeout_ms);
  __atomic_store_n(&ctl_->consumer_sleeping, 0u, __ATOMIC_RELAXED);
  if (readable() != 0) return MPROC_OK;
  return st == MPROC_OK ? MPROC_E_TIMEOUT : st;
}

mproc_status mproc__ring::wait_writable(uint32_t want, int64_t timeout_ms) {
  if (want > cap_) want = cap_;
  if (writable() >= want) return MPROC_OK;
  __atomic_store_n(&ctl_->producer_sleeping, 1u, __ATOMIC_SEQ_CST);
  uint32_t head = __atomic_load_n(&ctl_->head, __ATOMIC_SEQ_CST);
  mproc_status st = MPROC_OK;
  if (writable() < want) st = wait_on(&ctl_->head, head, timeout_ms);
  __atomic_store_n(&ctl_->producer_sleeping, 0u, __ATOMIC_RELAXED);
  if (writable() >= want) return MPROC_OK;
  return st == MPROC_OK ? MPROC_E_TIMEOUT : st;
}

void mproc__ring::wake_consumer() {
  if (__atomic_load_n(&ctl_->consumer_sleeping, __ATOMIC_SEQ_CST) != 0 &&
      __atomic_exchange_n(&ctl_->consumer_sleeping, 0u, __ATOMIC_SEQ_CST) != 0) {
    wake_on(&ctl_->tail);
  }
}

void mproc__ring::wake_producer() {
  if (__atomic_load_n(&ctl_->producer_sleeping, __ATOMIC_SEQ_CST) != 0 &&
      __atomic_exchange_n(&ctl_->producer_sleeping, 0u, __ATOMIC_SEQ_CST) != 0) {
    wake_on(&ctl_->head);
  }
}
