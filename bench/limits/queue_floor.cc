// The OS floor for a queue between two processes: a single-producer single-consumer ring in
// shared memory (each side publishes its index and reads the other's only when its cached copy
// says full/empty; a side that finds nothing spins briefly, then futex-sleeps).
// 8-byte slots for queue/8B; 1 MiB slots with a memcpy in and a memcpy out for queue/1MiB.
// Shaped as queue_bench.cc: a forked producer, the benchmark loop consumes, contents checked.
#include <benchmark/benchmark.h>

#include <cstring>
#include <memory>

#include "shm_util.h"

namespace {

struct Ring {
  floor_util::Control control;
  alignas(64) std::atomic<uint32_t> head;  // messages written (producer)
  std::atomic<uint32_t> consumer_sleeping;
  alignas(64) std::atomic<uint32_t> tail;  // messages read (consumer)
  std::atomic<uint32_t> producer_sleeping;
  alignas(64) unsigned char slots[1];
};

// Waits until *index != seen. The index store and the sleeper's flag are both seq_cst (store,
// then load on the other side), so a wake-up is never missed; the 1 ms bound is a safety net.
uint32_t wait_index(std::atomic<uint32_t>* index, uint32_t seen, std::atomic<uint32_t>* sleeping) {
  for (int i = 0; i < 100; ++i) {
    uint32_t v = index->load(std::memory_order_acquire);
    if (v != seen) return v;
    __builtin_ia32_pause();
  }
  for (;;) {
    sleeping->store(1, std::memory_order_seq_cst);
    uint32_t v = index->load(std::memory_order_seq_cst);
    if (v != seen) return v;  // a flag left set costs the other side one wake-up, once
    floor_util::futex_wait(index, seen, 1000000L);
    v = index->load(std::memory_order_acquire);
    if (v != seen) return v;
  }
}

void publish(std::atomic<uint32_t>* index, uint32_t value, std::atomic<uint32_t>* sleeping) {
  index->store(value, std::memory_order_seq_cst);
  // The waker takes the sleeper off: one wake-up per sleep, not one per message.
  if (sleeping->load(std::memory_order_seq_cst) != 0 &&
      sleeping->exchange(0, std::memory_order_seq_cst) != 0) {
    floor_util::futex_wake(index);
  }
}

struct Producer {
  Ring* r;
  size_t slot_size;
  uint32_t slots;
  uint32_t head = 0, tail_seen = 0;
  void put(const void* data) {
    while (head - tail_seen == slots) {
      tail_seen = r->tail.load(std::memory_order_acquire);
      if (head - tail_seen == slots) tail_seen = wait_index(&r->tail, tail_seen, &r->producer_sleeping);
    }
    std::memcpy(r->slots + (head % slots) * slot_size, data, slot_size);
    publish(&r->head, ++head, &r->consumer_sleeping);
  }
};

struct Consumer {
  Ring* r;
  size_t slot_size;
  uint32_t slots;
  uint32_t tail = 0, head_seen = 0;
  void get(void* out) {
    while (tail == head_seen) {
      head_seen = r->head.load(std::memory_order_acquire);
      if (tail == head_seen) head_seen = wait_index(&r->head, head_seen, &r->consumer_sleeping);
    }
    std::memcpy(out, r->slots + (tail % slots) * slot_size, slot_size);
    publish(&r->tail, ++tail, &r->producer_sleeping);
  }
};

void RingThroughput(benchmark::State& state, size_t slot_size, uint32_t slots, int64_t batch) {
  size_t bytes = sizeof(Ring) + slot_size * slots;
  auto* r = static_cast<Ring*>(floor_util::shared_alloc(bytes));
  if (r == nullptr) {
    state.SkipWithError("mmap failed");
    return;
  }
  new (&r->control) floor_util::Control();
  pid_t child = ::fork();
  if (child == 0) {
    Producer p{r, slot_size, slots};
    std::unique_ptr<unsigned char[]> msg(new unsigned char[slot_size]);
    std::memset(msg.get(), 'x', slot_size);
    floor_util::serve(&r->control, [&](int64_t n) {
      for (int64_t i = 1; i <= n; ++i) {
        std::memcpy(msg.get(), &i, sizeof i);
        p.put(msg.get());
      }
    });
  }
  Consumer c{r, slot_size, slots};
  std::unique_ptr<unsigned char[]> out(new unsigned char[slot_size]);
  uint32_t batches = 0;
  bool ok = true;
  while (ok && state.KeepRunningBatch(batch)) {
    floor_util::post(&r->control, batch);
    int64_t sum = 0;
    for (int64_t i = 0; i < batch; ++i) {
      c.get(out.get());
      int64_t v;
      std::memcpy(&v, out.get(), sizeof v);
      sum += v;
    }
    if (sum != batch * (batch + 1) / 2 || out[slot_size - 1] != (slot_size > 8 ? 'x' : out[7])) {
      state.SkipWithError("wrong contents");
      ok = false;
    }
    if (!floor_util::await_done(&r->control, ++batches, child)) ok = false;
  }
  floor_util::finish(&r->control, child);
  if (slot_size == 8) {
    state.SetItemsProcessed(state.iterations());
  } else {
    state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(slot_size));
  }
  ::munmap(r, bytes);
}

// Floor-only row: copying 1 MiB within one process (source and destination 1 MiB each, so both
// stay in cache as a ring slot and the consumer's buffer would): the bound on what any queue can
// move per second with one copy in and one out, on one core.
void Memcpy1MiB(benchmark::State& state) {
  constexpr size_t kSize = size_t{1} << 20;
  std::unique_ptr<unsigned char[]> src(new unsigned char[kSize]);
  std::unique_ptr<unsigned char[]> dst(new unsigned char[kSize]);
  std::memset(src.get(), 'x', kSize);
  for (auto _ : state) {
    std::memcpy(dst.get(), src.get(), kSize);
    benchmark::DoNotOptimize(dst.get());
    benchmark::ClobberMemory();
  }
  if (dst[kSize - 1] != 'x') state.SkipWithError("wrong contents");
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(kSize));
}
BENCHMARK(Memcpy1MiB)->Name("queue/1MiB_memcpy")->UseRealTime();

BENCHMARK_CAPTURE(RingThroughput, 8B, 8, 4096, 100000)->Name("queue/8B")->UseRealTime();
BENCHMARK_CAPTURE(RingThroughput, 1MiB, size_t{1} << 20, 8, 32)
    ->Name("queue/1MiB")->UseRealTime();

}  // namespace
