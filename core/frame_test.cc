// Unit tests of the serial framing: COBS + CRC-32 round trips, resynchronisation, drop reasons.
#include "core/frame.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <utility>
#include <vector>

namespace {

using mproc_frame::decoder;
using mproc_frame::drop_reason;

struct Collect : decoder::sink {
  std::vector<std::string> frames;
  std::vector<std::pair<drop_reason, size_t>> drops;
  void frame(const char* data, size_t n) override { frames.emplace_back(data, n); }
  void drop(drop_reason why, size_t bytes) override { drops.emplace_back(why, bytes); }
};

std::string frame_of(const std::string& payload) {
  std::string out;
  mproc_frame::encode(payload.data(), payload.size(), &out);
  return out;
}

std::string random_bytes(std::mt19937& rng, size_t n) {
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>(rng() & 0xFF);
  return s;
}

TEST(Frame, Crc32MatchesTheZlibCheckValue) {
  // The standard check value of CRC-32/ISO-HDLC (zlib.crc32(b"123456789")).
  EXPECT_EQ(mproc_frame::crc32("123456789", 9), 0xCBF43926u);
  EXPECT_EQ(mproc_frame::crc32("", 0), 0u);
  EXPECT_EQ(mproc_frame::crc32("6789", 4, mproc_frame::crc32("12345", 5)), 0xCBF43926u);
}

TEST(Frame, EncodingHasZerosOnlyAsDelimiters) {
  const std::string payload("\0\0a\0b\0\0", 7);
  const std::string f = frame_of(payload);
  ASSERT_GE(f.size(), 2u);
  EXPECT_EQ(f.front(), '\0');
  EXPECT_EQ(f.back(), '\0');
  EXPECT_EQ(f.find('\0', 1), f.size() - 1);
  EXPECT_LE(f.size(), mproc_frame::max_encoded_size(payload.size()));
}

TEST(Frame, KnownVectorMatchesCobsAndLittleEndianCrc) {
  // Payload 11 00 22: body 11 00 22 + CRC (LE), COBS-stuffed.
  const std::string payload("\x11\x00\x22", 3);
  const uint32_t crc = mproc_frame::crc32(payload.data(), payload.size());
  std::string raw = payload;
  for (int i = 0; i < 4; ++i) raw.push_back(static_cast<char>((crc >> (8 * i)) & 0xFF));
  ASSERT_EQ(raw.find('\0', 2), std::string::npos) << "test vector assumes a CRC without zeros";
  std::string expected("\0\x02\x11", 3);
  expected.push_back(static_cast<char>(1 + 1 + 4));
  expected += raw.substr(2);
  expected.push_back('\0');
  EXPECT_EQ(frame_of(payload), expected);
}

TEST(Frame, RoundTripsEverySizeAroundTheCobsBlockLength) {
  std::mt19937 rng(1);
  for (size_t n : {0, 1, 2, 249, 250, 251, 252, 253, 254, 255, 256, 507, 508, 509, 1000, 70000}) {
    for (int zeros = 0; zeros < 2; ++zeros) {
      std::string payload = zeros != 0 ? std::string(n, '\0') : random_bytes(rng, n);
      if (zeros == 0) {
        for (auto& c : payload) c = c == 0 ? 1 : c;  // long zero-free runs hit the 0xFF code
      }
      decoder d(100000);
      Collect got;
      const std::string f = frame_of(payload);
      EXPECT_LE(f.size(), mproc_frame::max_encoded_size(n));
      d.feed(f.data(), f.size(), &got);
      ASSERT_EQ(got.frames.size(), 1u) << "size " << n;
      EXPECT_EQ(got.frames[0], payload) << "size " << n;
      EXPECT_TRUE(got.drops.empty());
      EXPECT_FALSE(d.in_frame());
    }
  }
}

TEST(Frame, ByteAtATimeFeedingGivesTheSameFrames) {
  std::mt19937 rng(2);
  std::string stream;
  std::vector<std::string> sent;
  for (int i = 0; i < 200; ++i) {
    sent.push_back(random_bytes(rng, rng() % 600));
    stream += frame_of(sent.back());
  }
  decoder d(1000);
  Collect got;
  for (char c : stream) d.feed(&c, 1, &got);
  EXPECT_EQ(got.frames, sent);
  EXPECT_TRUE(got.drops.empty());
  EXPECT_EQ(d.stats().frames, 200u);
}

TEST(Frame, GarbageBetweenFramesIsDroppedAndCounted) {
  std::mt19937 rng(3);
  decoder d(1000);
  Collect got;
  std::string stream = frame_of("first") + "garbage without a delimiter" + frame_of("second");
  stream += std::string("\x01\x02\0\x05junk\0", 9) + frame_of("third");
  d.feed(stream.data(), stream.size(), &got);
  EXPECT_EQ(got.frames, (std::vector<std::string>{"first", "second", "third"}));
  ASSERT_EQ(got.drops.size(), 3u);
  EXPECT_EQ(d.stats().dropped_total(), 3u);
  EXPECT_EQ(d.stats().bytes_discarded, 27u + 2u + 5u);
}

TEST(Frame, StartingMidFrameResynchronisesOnTheNextFrame) {
  const std::string a = frame_of("a message that is cut");
  const std::string stream = a.substr(7) + frame_of("whole");
  decoder d(100);
  Collect got;
  d.feed(stream.data(), stream.size(), &got);
  EXPECT_EQ(got.frames, std::vector<std::string>{"whole"});
  EXPECT_EQ(got.drops.size(), 1u);
}

TEST(Frame, EveryFlippedBitIsDetected) {
  std::mt19937 rng(4);
  const std::string payload = random_bytes(rng, 300);
  const std::string f = frame_of(payload);
  for (size_t byte = 0; byte < f.size(); ++byte) {
    for (int bit = 0; bit < 8; ++bit) {
      std::string bad = f;
      bad[byte] = static_cast<char>(bad[byte] ^ (1 << bit));
      decoder d(1000);
      Collect got;
      d.feed(bad.data(), bad.size(), &got);
      d.finish(&got);
      // A flipped delimiter merges the frame with what precedes or follows it; either way no
      // wrong payload may come out, and the intact one only if the damage missed the frame.
      for (const auto& fr : got.frames) EXPECT_EQ(fr, payload) << byte << ":" << bit;
      if (byte != 0 && byte != f.size() - 1) {
        EXPECT_TRUE(got.frames.empty()) << byte << ":" << bit;
        EXPECT_FALSE(got.drops.empty()) << byte << ":" << bit;
      }
    }
  }
}

TEST(Frame, CrcMismatchIsReportedAsSuch) {
  std::string f = frame_of("hello");
  f[2] = static_cast<char>(f[2] ^ 0x01);  // a data byte, not a COBS code
  decoder d(100);
  Collect got;
  d.feed(f.data(), f.size(), &got);
  ASSERT_EQ(got.drops.size(), 1u);
  EXPECT_EQ(got.drops[0].first, drop_reason::crc);
  EXPECT_EQ(d.stats().dropped[static_cast<int>(drop_reason::crc)], 1u);
}

TEST(Frame, MalformedCobsAndRuntsAreDropped) {
  decoder d(100);
  Collect got;
  // Code 9 promises 8 bytes but only 2 follow; a body of 3 bytes decodes shorter than a CRC.
  const std::string stream =
      std::string("\0\x09", 2) + std::string("ab\0\0\x04", 5) + std::string("xyz\0", 4);
  d.feed(stream.data(), stream.size(), &got);
  ASSERT_EQ(got.drops.size(), 2u);
  EXPECT_EQ(got.drops[0].first, drop_reason::malformed);
  EXPECT_EQ(got.drops[1].first, drop_reason::malformed);
  EXPECT_TRUE(got.frames.empty());
}

TEST(Frame, OversizeFrameIsDiscardedWithBoundedMemoryThenResyncs) {
  decoder d(16);
  Collect got;
  const std::string big = frame_of(std::string(5000, 'x'));
  d.feed(big.data(), big.size(), &got);
  const std::string ok = frame_of("fits");
  d.feed(ok.data(), ok.size(), &got);
  ASSERT_EQ(got.drops.size(), 1u);
  EXPECT_EQ(got.drops[0].first, drop_reason::oversize);
  EXPECT_EQ(got.drops[0].second, big.size() - 2);
  EXPECT_EQ(got.frames, std::vector<std::string>{"fits"});
}

TEST(Frame, PayloadJustOverTheMaximumIsOversize) {
  decoder d(16);
  Collect got;
  const std::string f = frame_of(std::string(17, 'y'));  // fits the COBS bound, not the maximum
  d.feed(f.data(), f.size(), &got);
  ASSERT_EQ(got.drops.size(), 1u);
  EXPECT_EQ(got.drops[0].first, drop_reason::oversize);
  const std::string g = frame_of(std::string(16, 'y'));
  d.feed(g.data(), g.size(), &got);
  EXPECT_EQ(got.frames.size(), 1u);
}

TEST(Frame, FinishDropsAPartialFrameAsTruncated) {
  const std::string f = frame_of("never finished");
  decoder d(100);
  Collect got;
  d.feed(f.data(), f.size() - 3, &got);
  EXPECT_TRUE(d.in_frame());
  d.finish(&got);
  ASSERT_EQ(got.drops.size(), 1u);
  EXPECT_EQ(got.drops[0].first, drop_reason::truncated);
  EXPECT_FALSE(d.in_frame());
  d.finish(&got);  // nothing held: nothing more to report
  EXPECT_EQ(got.drops.size(), 1u);
}

TEST(Frame, IdleDelimitersAreNotDrops) {
  decoder d(100);
  Collect got;
  const std::string zeros(50, '\0');
  d.feed(zeros.data(), zeros.size(), &got);
  EXPECT_TRUE(got.drops.empty());
  EXPECT_TRUE(got.frames.empty());
}

}  // namespace
