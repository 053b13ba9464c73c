// Unit tests of reading sized option structs.
#include "core/options.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>

namespace {

struct Opts {
  size_t size;
  int a;
  int b;
};

TEST(Options, NullGivesZeroDefaultsWithTheLibrarySize) {
  Opts out{99, 1, 2};
  ASSERT_EQ(mproc__read_options<Opts>("t", nullptr, &out), MPROC_OK);
  EXPECT_EQ(out.size, sizeof(Opts));
  EXPECT_EQ(out.a, 0);
  EXPECT_EQ(out.b, 0);
}

TEST(Options, ShorterIsZeroFilledAndLongerNeedsAZeroTail) {
  struct Longer {
    Opts o;
    int64_t extra;
  } in;
  std::memset(&in, 0, sizeof in);  // padding too: the tail check reads every byte
  in.o = Opts{offsetof(Opts, b), 5, 6};
  Opts out;
  ASSERT_EQ(mproc__read_options<Opts>("t", &in.o, &out), MPROC_OK);
  EXPECT_EQ(out.a, 5);
  EXPECT_EQ(out.b, 0);
  in.o.size = sizeof in;
  ASSERT_EQ(mproc__read_options<Opts>("t", &in.o, &out), MPROC_OK);
  EXPECT_EQ(out.b, 6);
  in.extra = 1;
  EXPECT_EQ(mproc__read_options<Opts>("t", &in.o, &out), MPROC_E_INVAL);
}

}  // namespace
