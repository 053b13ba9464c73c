// Unit tests of shared objects' common header: create, reopen by handle, type checks.
#include "core/object.h"

#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <string>

namespace {

struct Closer {
  void operator()(mproc__object* o) const { delete o; }
};
using Obj = std::unique_ptr<mproc__object, Closer>;

TEST(SharedObject, ReopenedByHandleSeesTheSameMemory) {
  mproc__object* raw = nullptr;
  ASSERT_EQ(mproc__object::create(MPROC__OBJ_VALUE, 7, 8, 8, "counter", &raw), MPROC_OK);
  Obj a(raw);
  std::memcpy(a->payload(), "12345678", 8);
  ASSERT_EQ(mproc__object::open(a->handle(), MPROC__OBJ_VALUE, 7, &raw), MPROC_OK);
  Obj b(raw);
  EXPECT_EQ(std::string(static_cast<char*>(b->payload()), 8), "12345678");
  EXPECT_EQ(b->describe(), "Value 'counter'");
  EXPECT_EQ(b->payload_size(), 8u);
  EXPECT_EQ(b->header()->elem_size, 8u);
}

TEST(SharedObject, DefaultNamesCountPerKind) {
  mproc__object* raw = nullptr;
  ASSERT_EQ(mproc__object::create(MPROC__OBJ_LOCK, 0, 0, 64, nullptr, &raw), MPROC_OK);
  Obj a(raw);
  EXPECT_EQ(std::string(a->name()).rfind("Lock-", 0), 0u) << a->name();
}

TEST(SharedObject, WrongKindOrElementTypeIsAMismatchNamingBoth) {
  mproc__object* raw = nullptr;
  ASSERT_EQ(mproc__object::create(MPROC__OBJ_ARRAY, 3, 4, 40, "arr", &raw), MPROC_OK);
  Obj a(raw);
  EXPECT_EQ(mproc__object::open(a->handle(), MPROC__OBJ_QUEUE, 0, &raw), MPROC_E_TYPE_MISMATCH);
  EXPECT_NE(std::string(mproc_last_error()).find("Array 'arr' was opened as a Queue"),
            std::string::npos)
      << mproc_last_error();
  EXPECT_EQ(mproc__object::open(a->handle(), MPROC__OBJ_ARRAY, 5, &raw), MPROC_E_TYPE_MISMATCH);
  EXPECT_EQ(mproc__object::open(a->handle(), MPROC__OBJ_ARRAY, 0, &raw), MPROC_OK);
  delete raw;
}

TEST(SharedObject, BadNamesAndHandlesAreRefused) {
  mproc__object* raw = nullptr;
  EXPECT_EQ(mproc__object::create(MPROC__OBJ_LOCK, 0, 0, 64, std::string(64, 'n').c_str(), &raw),
            MPROC_E_INVAL);
  EXPECT_NE(mproc__object::open(-1, MPROC__OBJ_LOCK, 0, &raw), MPROC_OK);
  EXPECT_NE(mproc__object::open(0, MPROC__OBJ_LOCK, 0, &raw), MPROC_OK);  // stdin: not an object
}

}  // namespace
