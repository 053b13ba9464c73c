// The conformance suite's main: mproc::init first, so that the suite's own binary can be re-run
// as a spawned child or as the forkserver, exactly as a user's program is.
#include <gtest/gtest.h>

#include "mproc/mproc.hpp"

int main(int argc, char** argv) {
  mproc::init(argc, argv);
  testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
