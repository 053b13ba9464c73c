// Nothing leaks: creating each kind of synchronisation object or shared value, passing it to a
// child that uses it, and dropping it leaves the named shared memory (/dev/shm) and this
// process's open descriptors or handles as they were, under every start method.
#include <chrono>
#include <filesystem>
#include <functional>
#include <mutex>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "support.h"

namespace sync_leak_test {

void noop() {}
void use_lock(mproc::Lock l) { std::lock_guard<mproc::Lock> hold(l); }
void use_rlock(mproc::RLock l) {
  std::lock_guard<mproc::RLock> hold(l);
  std::lock_guard<mproc::RLock> again(l);
}
void use_semaphore(mproc::Semaphore s) { std::lock_guard<mproc::Semaphore> hold(s); }
void use_bounded(mproc::BoundedSemaphore s) { std::lock_guard<mproc::Semaphore> hold(s); }
void use_event(mproc::Event e) { e.set(); }
void use_condition(mproc::Condition c) {
  std::lock_guard<mproc::Condition> hold(c);
  c.notify_all();
}
void use_barrier(mproc::Barrier b) { b.wait(std::chrono::seconds(60)); }
void use_value(mproc::Value<int> v) {
  std::lock_guard<mproc::RLock> hold(v.get_lock());
  v.set(v.get() + 1);
}
void use_array(mproc::Array<double> a) { a[0] = 1.5; }
void use_raw(mproc::RawValue<long> v, mproc::RawArray<char> a) {
  v.fetch_add(1);
  a.set(0, 'x');
}

}  // namespace sync_leak_test

namespace {

using namespace sync_leak_test;
using mproc_test::kJoinTimeout;
using mproc_test::MethodTest;

struct Snapshot {
  std::set<std::string> shm;
  std::size_t fds = 0;
  std::string fd_names;  // "3 -> /memfd:Lock 'Lock-1' (deleted)": for the failure message
  bool operator==(const Snapshot& o) const { return shm == o.shm && fds == o.fds; }
};

Snapshot snapshot() {
  // Ended children's records (report socket, sentinel) are released when they are reaped.
  (void)mproc::active_children();
  Snapshot s;
  s.shm = mproc_test::platform::shared_memory_names();
  for (const std::string& h : mproc_test::platform::open_handles()) {
    ++s.fds;
    s.fd_names += " " + h;
  }
  return s;
}

std::string describe(const Snapshot& s) {
  std::string out = std::to_string(s.fds) + " fds" + s.fd_names + "; /dev/shm:";
  for (const auto& n : s.shm) out += " " + n;
  return out;
}

class SyncLeakTest : public MethodTest {
 protected:
  // Creates an object, runs a child that uses it, drops both; the snapshot must not change.
  void check(const std::string& kind, const std::function<mproc::Process()>& make) {
    Snapshot before = snapshot();
    {
      mproc::Process p = make();
      p.start();
      ASSERT_TRUE(p.join(kJoinTimeout)) << kind;
      EXPECT_EQ(p.exitcode(), 0) << kind << ": " << p.failure().value_or("");
    }
    Snapshot after = snapshot();
    EXPECT_TRUE(before == after) << kind << " leaked: before " << describe(before) << "; after "
                                 << describe(after);
  }
};

TEST_P(SyncLeakTest, EveryKindOfObjectPassedToAChildLeavesNothingBehind) {
  {  // a first child may start lasting machinery (the forkserver): not a leak
    mproc::Process warm(ctx(), mproc::fn<&noop>);
    warm.start();
    ASSERT_TRUE(warm.join(kJoinTimeout));
  }
  auto c = ctx();
  check("Lock", [&] { return mproc::Process(c, mproc::fn<&use_lock>, mproc::Lock()); });
  check("RLock", [&] { return mproc::Process(c, mproc::fn<&use_rlock>, mproc::RLock()); });
  check("Semaphore",
        [&] { return mproc::Process(c, mproc::fn<&use_semaphore>, mproc::Semaphore(1)); });
  check("BoundedSemaphore",
        [&] { return mproc::Process(c, mproc::fn<&use_bounded>, mproc::BoundedSemaphore(1)); });
  check("Event", [&] { return mproc::Process(c, mproc::fn<&use_event>, mproc::Event()); });
  check("Condition",
        [&] { return mproc::Process(c, mproc::fn<&use_condition>, mproc::Condition()); });
  check("Condition(Lock)", [&] {
    return mproc::Process(c, mproc::fn<&use_condition>, mproc::Condition(mproc::Lock()));
  });
  check("Barrier", [&] { return mproc::Process(c, mproc::fn<&use_barrier>, mproc::Barrier(1)); });
  check("Value", [&] { return mproc::Process(c, mproc::fn<&use_value>, mproc::Value<int>(0)); });
  check("Array", [&] { return mproc::Process(c, mproc::fn<&use_array>, mproc::Array<double>(4)); });
  check("RawValue+RawArray", [&] {
    return mproc::Process(c, mproc::fn<&use_raw>, mproc::RawValue<long>(0),
                          mproc::RawArray<char>(8));
  });
}

MPROC_INSTANTIATE_FOR_METHODS(SyncLeakTest);

TEST(SyncLeak, CreatingAndDroppingObjectsInOneProcessLeavesNothingBehind) {
  Snapshot before = snapshot();
  for (int i = 0; i < 50; ++i) {
    mproc::Lock l;
    mproc::RLock r;
    mproc::Semaphore s(2);
    mproc::BoundedSemaphore b(2);
    mproc::Event e;
    mproc::Condition c(l);
    mproc::Barrier bar(2);
    mproc::Value<int> v(1);
    mproc::Array<int> a(10);
    mproc::RLock of_value = v.get_lock();
    mproc::Lock reopened = mproc::Lock::open(l.handle());
  }
  Snapshot after = snapshot();
  EXPECT_TRUE(before == after) << "before " << describe(before) << "; after " << describe(after);
}

}  // namespace
