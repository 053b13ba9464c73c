// Value, Array, RawValue, RawArray: shared typed memory under every start method — the seeds'
// programs, element-type checks, bounds, atomics, and a lock holder that dies.

#include <cstring>
#include <mutex>
#include <string>
#include <vector>

#include "support.h"

namespace value_test {

struct Point {
  double x;
  double y;
  int tag;
};

// Seed 000 / the Python docs: the child negates a Value('d') and an Array('i').
void negate(mproc::Value<double> num, mproc::Array<int> arr) {
  num.set(-num.get());
  for (std::size_t i = 0; i < arr.size(); ++i) arr[i] = -arr[i];
}

// Seed 001: 50 increments, unlocked (racy, as in the seed) or under the value's lock.
void increment_unlocked(mproc::Value<int> v) {
  for (int i = 0; i < 50; ++i) v.set(v.get() + 1);
}
void increment_locked(mproc::Value<int> v) {
  for (int i = 0; i < 50; ++i) {
    std::lock_guard<mproc::RLock> hold(v.get_lock());
    v.set(v.get() + 1);
  }
}
void increment_with_lock(mproc::Value<int> v, mproc::Lock lock) {
  for (int i = 0; i < 50; ++i) {
    std::lock_guard<mproc::Lock> hold(lock);
    v.set(v.get() + 1);
  }
}
void increment_atomic(mproc::Value<std::int64_t> v, mproc::Array<std::uint32_t> a, int n) {
  for (int i = 0; i < n; ++i) {
    v.fetch_add(1);
    a.fetch_add(static_cast<std::size_t>(i % 3), 2);
  }
}

// A bare OS handle as an argument, for opening it through the C ABI in the child.
struct Passed {
  std::intptr_t handle;
};

void open_as_int(Passed p) {
  mproc_value* v = nullptr;
  int st = mproc_value_open(p.handle, MPROC_TYPE_I32, 0, &v);
  bool ok = st == MPROC_E_TYPE_MISMATCH &&
            std::string(mproc_last_error())
                    .find("Value 'counter' holds 'd' (double) but was opened as 'i' (int32)") !=
                std::string::npos;
  mproc::exit(ok ? 0 : 3);
}

void move_point(mproc::Value<Point> p, mproc::RawArray<Point> raw) {
  Point q = p.get();
  q.x += 1;
  q.tag = 7;
  p.set(q);
  raw.set(1, q);
}

void die_holding_value_lock(mproc::Value<int> v, mproc::Array<int> a) {
  v.get_lock().acquire();
  v.set(123);  // half of an update the parent will not trust
  a.get_lock().acquire();
  mproc_test::platform::die_now();
}

}  // namespace value_test

template <>
struct mproc::codec<value_test::Passed> {
  static void encode(std::string& out, const value_test::Passed& p) {
    detail::put_u64(out, export_handle(p.handle, "a handle"));
  }
  static value_test::Passed decode(reader& in) {
    return {import_handle(detail::get_u64(in, "handle"))};
  }
};

namespace {

using namespace value_test;
using mproc_test::kJoinTimeout;
using mproc_test::MethodTest;

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

class ValueTest : public MethodTest {};

TEST_P(ValueTest, ChildNegatesAValueAndAnArrayAndTheParentSeesIt) {
  mproc::Value<double> num(1.0);
  mproc::Array<int> arr{1, 2, 3};
  mproc::Process p(ctx(), mproc::fn<&negate>, num, arr);
  p.start();
  ASSERT_TRUE(p.join(kJoinTimeout));
  ASSERT_EQ(p.exitcode(), 0) << p.failure().value_or("");
  EXPECT_EQ(num.get(), -1.0);
  EXPECT_EQ(arr.read(), (std::vector<int>{-1, -2, -3}));
}

TEST_P(ValueTest, TenProcessesTimesFiftyIncrementsUnderTheLockMakeFiveHundred) {
  for (auto fn : {0, 1}) {
    mproc::Value<int> locked(0), unlocked(0);
    mproc::Lock lock;
    std::vector<mproc::Process> ps;
    for (int i = 0; i < 10; ++i) {
      if (fn == 0) {
        ps.emplace_back(ctx(), mproc::fn<&increment_locked>, locked);
      } else {
        ps.emplace_back(ctx(), mproc::fn<&increment_with_lock>, locked, lock);
      }
      ps.emplace_back(ctx(), mproc::fn<&increment_unlocked>, unlocked);
    }
    for (auto& p : ps) p.start();
    for (auto& p : ps) {
      ASSERT_TRUE(p.join(kJoinTimeout));
      EXPECT_EQ(p.exitcode(), 0) << p.failure().value_or("");
    }
    EXPECT_EQ(locked.get(), 500);
    // The unlocked version may lose updates (that is the seed's point); it never invents any.
    EXPECT_LE(unlocked.get(), 500);
    EXPECT_GT(unlocked.get(), 0);
  }
}

TEST_P(ValueTest, AtomicIncrementsFromSeveralProcessesAreNeverLost) {
  mproc::Value<std::int64_t> v(0);
  mproc::Array<std::uint32_t> a(3);
  std::vector<mproc::Process> ps;
  for (int i = 0; i < 4; ++i) ps.emplace_back(ctx(), mproc::fn<&increment_atomic>, v, a, 3000);
  for (auto& p : ps) p.start();
  for (auto& p : ps) ASSERT_TRUE(p.join(kJoinTimeout));
  EXPECT_EQ(v.load(), 12000);
  EXPECT_EQ(a.read(), (std::vector<std::uint32_t>{8000, 8000, 8000}));
}

TEST_P(ValueTest, OpeningWithTheWrongElementTypeInAChildNamesTheValueAndBothTypes) {
  mproc::Value<double> counter(2.5, "counter");
  mproc::Process p(ctx(), mproc::fn<&open_as_int>, Passed{counter.handle()});
  p.start();
  ASSERT_TRUE(p.join(kJoinTimeout));
  EXPECT_EQ(p.exitcode(), 0) << "the child's open did not fail with the expected message";
}

TEST_P(ValueTest, RecordsTravelAsBytesOfTheirSize) {
  mproc::Value<Point> p({1.5, 2.5, 0});
  mproc::RawArray<Point> raw(2);
  mproc::Process c(ctx(), mproc::fn<&move_point>, p, raw);
  c.start();
  ASSERT_TRUE(c.join(kJoinTimeout));
  ASSERT_EQ(c.exitcode(), 0) << c.failure().value_or("");
  Point q = p.get();
  EXPECT_EQ(q.x, 2.5);
  EXPECT_EQ(q.y, 2.5);
  EXPECT_EQ(q.tag, 7);
  EXPECT_EQ(raw.get(1).tag, 7);
  EXPECT_EQ(raw.get(0).tag, 0);
}

TEST_P(ValueTest, AccessorsReportAHolderThatDiedWithoutTouchingTheValue) {
  mproc::Value<int> v(5, "balance");
  mproc::Array<int> a{1, 2};
  mproc::Process p(ctx(), mproc::fn<&die_holding_value_lock>, v, a);
  p.start();
  ASSERT_TRUE(p.join(kJoinTimeout));
  ASSERT_EQ(p.exitcode(), mproc::exitcode_killed);
  try {
    (void)v.get();
    FAIL() << "get() after the lock's holder died did not report it";
  } catch (const mproc::owner_died& e) {
    EXPECT_TRUE(contains(e.what(), "the lock of Value 'balance'")) << e.what();
    EXPECT_TRUE(contains(e.what(), "nothing was read")) << e.what();
    EXPECT_TRUE(e.lock().held_by_caller());
    // Repair under the lock, declare it consistent, release.
    EXPECT_EQ(*v.data(), 123);
    *v.data() = 5;
    e.mark_consistent();
    e.lock().release();
  }
  EXPECT_EQ(v.get(), 5);
  v.set(6);
  EXPECT_EQ(v.get(), 6);

  // The array's lock, through get_lock() and a timed acquire, and the C status.
  mproc::RLock lock = a.get_lock();
  std::error_code ec;
  ASSERT_TRUE(lock.acquire(std::chrono::seconds(20), ec));
  EXPECT_EQ(ec, mproc::errc::owner_died);
  lock.mark_consistent();
  a[0] = 10;  // the holder's own access is a recursion level
  lock.release();
  EXPECT_EQ(a.read(), (std::vector<int>{10, 2}));
}

MPROC_INSTANTIATE_FOR_METHODS(ValueTest);

// ---- Within one process -------------------------------------------------------------------------

TEST(Value, WrongElementTypeIsAMismatchNamingBothTypes) {
  mproc::Value<double> counter(2.5, "counter");
  try {
    mproc::Value<int>::open(counter.handle());
    FAIL();
  } catch (const mproc::error& e) {
    EXPECT_EQ(e.code(), mproc::errc::type_mismatch);
    EXPECT_TRUE(
        contains(e.what(), "Value 'counter' holds 'd' (double) but was opened as 'i' (int32)"))
        << e.what();
  }
  mproc::Value<Point> rec(Point{}, "rec");
  mproc_value* raw = nullptr;
  EXPECT_EQ(mproc_value_open(rec.handle(), MPROC_TYPE_BYTES, 16, &raw), MPROC_E_TYPE_MISMATCH);
  EXPECT_TRUE(
      contains(mproc_last_error(),
               "Value 'rec' holds 's' (24-byte record) but was opened as 's' (16-byte record)"))
      << mproc_last_error();
  mproc::Array<int> arr(2, "arr");
  try {
    mproc::Value<int>::open(arr.handle());
    FAIL();
  } catch (const mproc::error& e) {
    EXPECT_TRUE(contains(e.what(), "Array 'arr' was opened as a Value")) << e.what();
  }
  mproc::RawValue<int> rv(0, "rv");
  EXPECT_THROW(mproc::Value<int>::open(rv.handle()), mproc::error) << "a raw value has no lock";
  EXPECT_EQ(mproc::RawValue<int>::open(mproc::Value<int>(3).handle()).get(), 3)
      << "a Value opens raw, ignoring its lock";
}

TEST(Value, CTypesAreNamedAsPythonTypecodes) {
  EXPECT_EQ(mproc_type_code(MPROC_TYPE_I32), 'i');
  EXPECT_STREQ(mproc_type_name(MPROC_TYPE_F64), "double");
  EXPECT_STREQ(mproc_type_name(static_cast<mproc_type>('z')), "unknown");
  EXPECT_EQ(mproc_type_size(MPROC_TYPE_U16), 2u);
  EXPECT_EQ(mproc_type_size(MPROC_TYPE_BYTES), 0u);
  mproc_type t;
  ASSERT_EQ(mproc_type_from_code('Q', &t), MPROC_OK);
  EXPECT_EQ(t, MPROC_TYPE_U64);
  EXPECT_EQ(mproc_type_from_code('x', &t), MPROC_E_INVAL);
  EXPECT_TRUE(contains(mproc_last_error(), "'x' is not a typecode")) << mproc_last_error();
  static_assert(mproc::type_code_v<int> == MPROC_TYPE_I32);
  static_assert(mproc::type_code_v<long long> == MPROC_TYPE_I64);
  static_assert(mproc::type_code_v<unsigned char> == MPROC_TYPE_U8);
  static_assert(mproc::type_code_v<char> == MPROC_TYPE_CHAR);
  static_assert(mproc::type_code_v<bool> == MPROC_TYPE_BOOL);
  static_assert(mproc::type_code_v<float> == MPROC_TYPE_F32);
  static_assert(mproc::type_code_v<Point> == MPROC_TYPE_BYTES);
}

TEST(Value, CAbiValidatesTypesSizesAndArguments) {
  mproc_value* v = nullptr;
  EXPECT_EQ(mproc_value_create(static_cast<mproc_type>('z'), 0, nullptr, nullptr, &v),
            MPROC_E_INVAL);
  EXPECT_EQ(mproc_value_create(MPROC_TYPE_I32, 8, nullptr, nullptr, &v), MPROC_E_INVAL);
  EXPECT_TRUE(contains(mproc_last_error(), "'i' (int32) elements are 4 bytes, not 8"))
      << mproc_last_error();
  EXPECT_EQ(mproc_value_create(MPROC_TYPE_BYTES, 0, nullptr, nullptr, &v), MPROC_E_INVAL);
  int32_t init = 41;
  ASSERT_EQ(mproc_value_create(MPROC_TYPE_I32, 0, &init, nullptr, &v), MPROC_OK);
  int32_t got = 0;
  EXPECT_EQ(mproc_value_get(v, &got, MPROC_INFINITE), MPROC_OK);
  EXPECT_EQ(got, 41);
  EXPECT_EQ(mproc_value_get(v, nullptr, 0), MPROC_E_INVAL);
  EXPECT_EQ(mproc_value_get(v, &got, -5), MPROC_E_INVAL);
  EXPECT_EQ(mproc_value_has_lock(v), 1);
  EXPECT_EQ(mproc_value_type(v), MPROC_TYPE_I32);
  EXPECT_EQ(mproc_value_elem_size(v), 4u);
  EXPECT_EQ(std::string(mproc_value_name(v)).rfind("Value-", 0), 0u);
  mproc_value_destroy(v);
  mproc_value_destroy(nullptr);

  mproc_value_options o = MPROC_VALUE_OPTIONS_INIT;
  o.raw = 1;
  ASSERT_EQ(mproc_value_create(MPROC_TYPE_F64, 0, nullptr, &o, &v), MPROC_OK);
  mproc_lock* l = nullptr;
  EXPECT_EQ(mproc_value_get_lock(v, &l), MPROC_E_STATE);
  EXPECT_TRUE(contains(mproc_last_error(), "created without a lock")) << mproc_last_error();
  int64_t x = 0;
  EXPECT_EQ(mproc_value_atomic_load(v, &x), MPROC_E_INVAL);
  EXPECT_TRUE(contains(mproc_last_error(), "holds 'd' (double): atomic load needs an integer type"))
      << mproc_last_error();
  mproc_value_destroy(v);
}

TEST(Value, AtomicsKeepTheTypesRangeAndWrap) {
  mproc::Value<std::int8_t> small(120, "small");
  EXPECT_EQ(small.fetch_add(10), 120);
  EXPECT_EQ(small.load(), static_cast<std::int8_t>(-126)) << "wraps as the 8-bit type";
  EXPECT_EQ(small.fetch_sub(2), -126);
  EXPECT_EQ(mproc_value_atomic_store(small.native_handle(), 300), MPROC_E_RANGE);
  EXPECT_TRUE(
      contains(mproc_last_error(), "300 does not fit in Value 'small', which holds 'b' (int8)"))
      << mproc_last_error();
  std::int8_t expected = 0;
  EXPECT_FALSE(small.compare_exchange(expected, 1));
  EXPECT_EQ(expected, -128);
  EXPECT_TRUE(small.compare_exchange(expected, 1));
  EXPECT_EQ(small.exchange(9), 1);
  EXPECT_EQ(small.get(), 9);

  mproc::Value<std::uint64_t> big(UINT64_MAX - 1);
  EXPECT_EQ(big.fetch_add(1), UINT64_MAX - 1);
  EXPECT_EQ(big.load(), UINT64_MAX);
  big.store(UINT64_MAX / 3);
  EXPECT_EQ(big.get(), UINT64_MAX / 3);
  EXPECT_EQ(big.fetch_sub(1), UINT64_MAX / 3);

  mproc::RawValue<bool> flag(false);
  EXPECT_FALSE(flag.exchange(true));
  EXPECT_TRUE(flag.load());
}

TEST(Array, IndicesAreCheckedAndNamedWithTheLength) {
  mproc::Array<int> a({1, 2, 3}, "arr");
  EXPECT_EQ(a.size(), 3u);
  try {
    (void)a.get(7);
    FAIL();
  } catch (const mproc::error& e) {
    EXPECT_EQ(e.code(), mproc::errc::out_of_range);
    EXPECT_TRUE(contains(e.what(), "index 7 is out of range for Array 'arr' of length 3"))
        << e.what();
  }
  EXPECT_THROW(a[3] = 1, mproc::error);
  EXPECT_THROW(a.read(2, 2), mproc::error);
  EXPECT_TRUE(contains(mproc_last_error(), "elements [2, 4) are out of range"))
      << mproc_last_error();
  EXPECT_THROW(a.fetch_add(3, 1), mproc::error);
  a.write(1, {20, 30});
  EXPECT_EQ(a.read(), (std::vector<int>{1, 20, 30}));
  EXPECT_EQ(a.read(1, 0), std::vector<int>{});
  a[0] = a[2];
  const mproc::Array<int>& ca = a;
  EXPECT_EQ(ca[0], 30);
  {
    std::lock_guard<mproc::RLock> hold(a.get_lock());
    a.data()[1] = 99;  // direct access under the lock
  }
  EXPECT_EQ(a.get(1), 99);
}

TEST(Array, LengthsAndInitialisersFollowStdVector) {
  mproc::Array<int> five(5);
  EXPECT_EQ(five.read(), std::vector<int>(5, 0));
  mproc::Array<int> one{5};
  EXPECT_EQ(one.read(), std::vector<int>{5});
  mproc::Array<int> none(0);
  EXPECT_TRUE(none.empty());
  mproc::Array<bool> bits(std::vector<bool>{true, false, true});
  EXPECT_EQ(bits.read(), (std::vector<bool>{true, false, true}));
  bits.write(0, std::vector<bool>{false});
  EXPECT_FALSE(bits.get(0));
  mproc::RawArray<double> raw{0.5, 1.5};
  raw[1] = 2.5;
  EXPECT_EQ(raw.read(), (std::vector<double>{0.5, 2.5}));
  mproc_array* ca = nullptr;
  EXPECT_EQ(mproc_array_create(MPROC_TYPE_I64, 0, SIZE_MAX / 2, nullptr, nullptr, &ca),
            MPROC_E_RANGE);
}

}  // namespace
