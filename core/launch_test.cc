// Unit tests of the launch record: what crosses from a parent to its child.
#include "core/launch.h"

#include <gtest/gtest.h>

#include "mproc/error.h"

namespace {

mproc__launch sample() {
  mproc__launch l;
  l.fn_name = "ns::work";
  l.process_name = "Process-3";
  l.identity = "1:3";
  l.parent_pid = 4242;
  l.daemon = true;
  l.args = std::string("\0\1\2binary", 9);
  return l;
}

TEST(LaunchRecord, RoundTripsEveryField) {
  std::string bytes = mproc__launch_encode(sample());
  mproc__launch back;
  ASSERT_EQ(mproc__launch_decode(bytes.data(), bytes.size(), &back), MPROC_OK);
  EXPECT_EQ(back.fn_name, "ns::work");
  EXPECT_EQ(back.process_name, "Process-3");
  EXPECT_EQ(back.identity, "1:3");
  EXPECT_EQ(back.parent_pid, 4242);
  EXPECT_TRUE(back.daemon);
  EXPECT_EQ(back.args, std::string("\0\1\2binary", 9));
}

TEST(LaunchRecord, EveryTruncationIsRejected) {
  std::string bytes = mproc__launch_encode(sample());
  for (size_t n = 0; n < bytes.size(); ++n) {
    mproc__launch back;
    EXPECT_EQ(mproc__launch_decode(bytes.data(), n, &back), MPROC_E_DECODE) << n;
  }
}

TEST(LaunchRecord, TrailingBytesAndBadMagicAreRejected) {
  std::string bytes = mproc__launch_encode(sample());
  mproc__launch back;
  std::string longer = bytes + "x";
  EXPECT_EQ(mproc__launch_decode(longer.data(), longer.size(), &back), MPROC_E_DECODE);
  bytes[0] ^= 0x55;
  EXPECT_EQ(mproc__launch_decode(bytes.data(), bytes.size(), &back), MPROC_E_DECODE);
  EXPECT_EQ(mproc__launch_decode(nullptr, 10, &back), MPROC_E_DECODE);
}

}  // namespace
