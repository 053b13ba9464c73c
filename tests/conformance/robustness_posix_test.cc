// POSIX specifics of issue 15 item 13: the shared memory behind mproc objects is the owner's only
// (mode 0600), not memfd_create's default 0777, so that a process of another user that is handed
// the descriptor (or reaches it through /proc/<pid>/fd) cannot open it for writing.
#include <sys/stat.h>

#include <cstdint>

#include "support.h"

namespace robustness_posix_test {

unsigned mode_of(intptr_t handle) {
  struct stat st {};
  if (::fstat(static_cast<int>(handle), &st) != 0) return 07777;
  return static_cast<unsigned>(st.st_mode) & 0777u;
}

TEST(SharedMemoryMode, QueueValueAndArraySegmentsAreMode0600) {
  mproc_queue* q = nullptr;
  ASSERT_EQ(mproc_queue_create(nullptr, &q), MPROC_OK) << mproc_last_error();
  intptr_t h = -1;
  ASSERT_EQ(mproc_queue_handle(q, &h), MPROC_OK);
  EXPECT_EQ(mode_of(h), 0600u);
  mproc_queue_destroy(q);

  mproc_value* v = nullptr;
  ASSERT_EQ(mproc_value_create(MPROC_TYPE_I64, 8, nullptr, nullptr, &v), MPROC_OK)
      << mproc_last_error();
  ASSERT_EQ(mproc_value_handle(v, &h), MPROC_OK);
  EXPECT_EQ(mode_of(h), 0600u);
  mproc_value_destroy(v);

  mproc_array* a = nullptr;
  ASSERT_EQ(mproc_array_create(MPROC_TYPE_I64, 8, 16, nullptr, nullptr, &a), MPROC_OK)
      << mproc_last_error();
  ASSERT_EQ(mproc_array_handle(a, &h), MPROC_OK);
  EXPECT_EQ(mode_of(h), 0600u);
  mproc_array_destroy(a);
}

}  // namespace robustness_posix_test
