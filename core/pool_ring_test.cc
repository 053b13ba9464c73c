// Unit tests of the pool's shared-memory byte stream: wrap-around, peeking, claiming words, and a
// producer and a consumer that sleep on each other.
#include "core/pool_ring.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "core/pool_wire.h"
#include "mproc/error.h"

namespace {

struct RingMemory {
  explicit RingMemory(uint32_t cap) : data(cap), ring(nullptr, &ctl, data.data(), cap) {
    std::memset(&ctl, 0, sizeof ctl);
  }
  mproc__ring_ctl ctl{};
  std::vector<char> data;
  mproc__ring ring;
};

TEST(PoolRing, BytesComeOutAsTheyWentInAcrossTheWrap) {
  RingMemory m(64);
  std::string out(64, '\0');
  for (int round = 0; round < 20; ++round) {
    std::string in;
    for (int i = 0; i < 23; ++i) in.push_back(static_cast<char>('a' + (round + i) % 26));
    ASSERT_EQ(m.ring.write(in.data(), in.size()), in.size());
    EXPECT_EQ(m.ring.readable(), in.size());
    ASSERT_EQ(m.ring.read(&out[0], in.size()), in.size());
    EXPECT_EQ(out.substr(0, in.size()), in) << round;
  }
  EXPECT_EQ(m.ring.readable(), 0u);
  EXPECT_EQ(m.ring.writable(), 64u);
}

TEST(PoolRing, WritesStopWhenFullAndReadsWhenEmpty) {
  RingMemory m(16);
  std::string in(40, 'x');
  EXPECT_EQ(m.ring.write(in.data(), in.size()), 16u);
  EXPECT_EQ(m.ring.write(in.data(), 1), 0u);
  char buf[40];
  EXPECT_EQ(m.ring.read(buf, sizeof buf), 16u);
  EXPECT_EQ(m.ring.read(buf, sizeof buf), 0u);
}

TEST(PoolRing, PeekAndConsumeLeaveTheRestInPlace) {
  RingMemory m(32);
  ASSERT_EQ(m.ring.write("0123456789", 10), 10u);
  char buf[4] = {};
  m.ring.peek(3, buf, 4);
  EXPECT_EQ(std::string(buf, 4), "3456");
  m.ring.consume(5);
  EXPECT_EQ(m.ring.readable(), 5u);
  m.ring.peek(0, buf, 2);
  EXPECT_EQ(std::string(buf, 2), "56");
}

TEST(PoolRing, TheStateWordAtAMessagesPositionIsShared) {
  RingMemory m(64);
  mproc__msg_header h{};
  h.type = MPROC__MSG_TASK;
  const uint32_t pos = m.ring.tail();
  ASSERT_EQ(m.ring.write(&h, sizeof h), sizeof h);
  uint32_t expected = MPROC__TASK_PENDING;
  ASSERT_TRUE(__atomic_compare_exchange_n(m.ring.word_at(pos), &expected,
                                          uint32_t{MPROC__TASK_REVOKED}, false, __ATOMIC_SEQ_CST,
                                          __ATOMIC_SEQ_CST));
  // The consumer sees the revocation where it would claim.
  expected = MPROC__TASK_PENDING;
  EXPECT_FALSE(__atomic_compare_exchange_n(m.ring.word_at_head(0), &expected,
                                           uint32_t{MPROC__TASK_CLAIMED}, false,
                                           __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST));
  EXPECT_EQ(expected, uint32_t{MPROC__TASK_REVOKED});
}

TEST(PoolRing, WaitingTimesOutWhenNothingComes) {
  RingMemory m(16);
  EXPECT_EQ(m.ring.wait_readable(20), MPROC_E_TIMEOUT);
  std::string in(16, 'x');
  ASSERT_EQ(m.ring.write(in.data(), in.size()), 16u);
  EXPECT_EQ(m.ring.wait_writable(1, 20), MPROC_E_TIMEOUT);
  EXPECT_EQ(m.ring.wait_readable(20), MPROC_OK);
}

TEST(PoolRing, AProducerAndAConsumerThatSleepOnEachOtherLoseNothing) {
  RingMemory m(256);
  constexpr uint32_t kBytes = 1 << 20;
  std::thread producer([&] {
    char chunk[97];
    uint32_t sent = 0;
    while (sent < kBytes) {
      uint32_t n = std::min<uint32_t>(sizeof chunk, kBytes - sent);
      for (uint32_t i = 0; i < n; ++i) chunk[i] = static_cast<char>((sent + i) * 31u);
      size_t done = 0;
      while (done < n) {
        size_t w = m.ring.write(chunk + done, n - done);
        if (w > 0) m.ring.wake_consumer();
        done += w;
        if (done < n) m.ring.wait_writable(1, 1000);
      }
      sent += n;
    }
  });
  uint32_t got = 0;
  bool intact = true;
  char buf[61];
  while (got < kBytes) {
    size_t n = m.ring.read(buf, sizeof buf);
    if (n == 0) {
      m.ring.wait_readable(1000);
      continue;
    }
    m.ring.wake_producer();
    for (size_t i = 0; i < n; ++i) {
      intact = intact && buf[i] == static_cast<char>((got + i) * 31u);
    }
    got += static_cast<uint32_t>(n);
  }
  producer.join();
  EXPECT_TRUE(intact);
  EXPECT_EQ(got, kBytes);
}

TEST(PoolWire, WorkerConfigRoundTripsAndRejectsTruncation) {
  mproc__worker_config c;
  c.pool_name = "Pool-9";
  c.initializer = "init";
  c.initargs = std::string("\0\1\2", 3);
  c.maxtasks = 7;
  std::string bytes = mproc__worker_config_encode(c);
  mproc__worker_config d;
  ASSERT_TRUE(mproc__worker_config_decode(bytes.data(), bytes.size(), &d));
  EXPECT_EQ(d.pool_name, "Pool-9");
  EXPECT_EQ(d.initializer, "init");
  EXPECT_EQ(d.initargs, c.initargs);
  EXPECT_EQ(d.maxtasks, 7u);
  EXPECT_FALSE(mproc__worker_config_decode(bytes.data(), bytes.size() - 1, &d));
}

TEST(PoolWire, FailureTypesMapToTheirStatuses) {
  EXPECT_EQ(mproc__status_for_failure_type("mproc::decode_error"), MPROC_E_DECODE);
  EXPECT_EQ(mproc__status_for_failure_type("mproc::encode_error"), MPROC_E_ENCODE);
  EXPECT_EQ(mproc__status_for_failure_type("std::runtime_error"), MPROC_E_REMOTE);
  std::string body;
  mproc__put_error_body(body, "T", "message");
  std::string type, message;
  ASSERT_TRUE(mproc__get_error_body(body.data(), body.size(), &type, &message));
  EXPECT_EQ(type, "T");
  EXPECT_EQ(message, "message");
  EXPECT_FALSE(mproc__get_error_body(body.data(), body.size() - 1, &type, &message));
}

}  // namespace
