// ThreadPool: the Pool API over threads of this process — values, errors, callbacks, imap order,
// close / join / terminate, bad input.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "support.h"

namespace thread_pool_test {

int square(int x) { return x * x; }
void throw_runtime(std::string message) { throw std::runtime_error(message); }

}  // namespace thread_pool_test

namespace {

using namespace thread_pool_test;
using std::chrono::milliseconds;
using std::chrono::seconds;

// Lets a test release tasks one by one.
class Gates {
 public:
  void open(int i) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      open_.insert(i);
    }
    cv_.notify_all();
  }
  bool wait(int i) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, seconds(60), [&] { return open_.count(i) != 0; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::set<int> open_;
};

TEST(ThreadPool, MapApplyAsyncAndStarmapGiveTheValuesInOrder) {
  mproc::ThreadPool pool(2);
  EXPECT_EQ(pool.map(mproc::fn<&square>, mproc::range(10)),
            (std::vector<int>{0, 1, 4, 9, 16, 25, 36, 49, 64, 81}));
  EXPECT_EQ(pool.apply_async(mproc::fn<&square>, 2).get(seconds(60)), 4);
  EXPECT_EQ(pool.apply([](int a, int b) { return a * b; }, 6, 7), 42);
  auto s = pool.starmap_async([](int a, int b) { return a + b; },
                              std::vector<std::pair<int, int>>{{1, 1}, {2, 2}});
  EXPECT_EQ(s.get(seconds(60)), (std::vector<int>{2, 4}));
  EXPECT_EQ(pool.map(mproc::fn<&square>, std::vector<int>{}), std::vector<int>{});
  std::atomic<int> calls{0};
  pool.map([&](int) { ++calls; }, mproc::range(7), 2);
  EXPECT_EQ(calls.load(), 7);
}

TEST(ThreadPool, AnExceptionIsARemoteErrorWithTypeMessageAndThisPid) {
  mproc::ThreadPool pool(2);
  try {
    pool.apply(mproc::fn<&throw_runtime>, std::string("thread boom"));
    FAIL() << "no exception";
  } catch (const mproc::remote_error& e) {
    EXPECT_EQ(e.code(), mproc::errc::remote);
    EXPECT_EQ(e.type_name(), "std::runtime_error");
    EXPECT_EQ(e.message(), "thread boom");
    EXPECT_EQ(e.pid(), mproc::current_pid());
  }
  auto m = pool.map_async([](int x) {
    if (x == 3) throw std::logic_error("three");
    return x;
  }, mproc::range(8), 1);
  EXPECT_TRUE(m.wait(seconds(60)));
  EXPECT_FALSE(m.successful());
  EXPECT_THROW(m.get(), mproc::remote_error);
  EXPECT_EQ(pool.apply(mproc::fn<&square>, 5), 25) << "the pool still serves";
}

TEST(ThreadPool, CallbacksRunBeforeTheResultIsReady) {
  mproc::ThreadPool pool(2);
  std::atomic<int> got{0};
  std::atomic<bool> failed{false};
  auto ok = pool.apply_async(mproc::fn<&square>, mproc::args(9), [&](int v) { got = v; });
  auto bad = pool.apply_async(mproc::fn<&throw_runtime>, mproc::args(std::string("x")), nullptr,
                              [&](const mproc::error& e) {
                                failed = dynamic_cast<const mproc::remote_error*>(&e) != nullptr;
                              });
  EXPECT_EQ(ok.get(seconds(60)), 81);
  EXPECT_EQ(got.load(), 81);
  EXPECT_TRUE(bad.wait(seconds(60)));
  EXPECT_TRUE(failed.load());
}

TEST(ThreadPool, ImapKeepsOrderAndImapUnorderedYieldsInCompletionOrder) {
  mproc::ThreadPool pool(3);
  Gates gates;
  auto task = [&gates](int i) {
    if (!gates.wait(i)) throw std::runtime_error("never released");
    return i;
  };
  {
    auto results = pool.imap(task, mproc::range(3));
    for (int i = 2; i >= 0; --i) gates.open(i);
    EXPECT_EQ(std::vector<int>(results.begin(), results.end()), (std::vector<int>{0, 1, 2}));
  }
  Gates second;
  auto task2 = [&second](int i) {
    if (!second.wait(i)) throw std::runtime_error("never released");
    return i;
  };
  auto results = pool.imap_unordered(task2, mproc::range(3));
  second.open(2);
  auto it = results.begin();
  ASSERT_NE(it, results.end());
  EXPECT_EQ(*it, 2);
  second.open(1);
  ++it;
  EXPECT_EQ(*it, 1);
  second.open(0);
  ++it;
  EXPECT_EQ(*it, 0);
  ++it;
  EXPECT_EQ(it, results.end());
}

// An endless input that throws at its fifth element.
struct BrokenInput {
  struct iterator {
    using iterator_category = std::input_iterator_tag;
    using value_type = int;
    using difference_type = std::ptrdiff_t;
    using pointer = const int*;
    using reference = int;
    int i = 0;
    int operator*() const {
      if (i == 4) throw std::runtime_error("input broke");
      return i;
    }
    iterator& operator++() {
      ++i;
      return *this;
    }
    bool operator==(const iterator& o) const { return i == o.i; }
    bool operator!=(const iterator& o) const { return i != o.i; }
  };
  iterator begin() const { return {0}; }
  iterator end() const { return {100}; }
};

TEST(ThreadPool, AnExceptionFromTheInputIsRaisedWhereItHappened) {
  mproc::ThreadPool pool(2);
  std::vector<int> got;
  try {
    for (int v : pool.imap(mproc::fn<&square>, BrokenInput{}, 3)) got.push_back(v);
    FAIL() << "the input's exception was lost";
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "input broke");
  }
  EXPECT_EQ(got, (std::vector<int>{0, 1, 4, 9}));
}

TEST(ThreadPool, TerminateFailsQueuedTasksAndCloseJoinWaitsForTheRest) {
  mproc::ThreadPool pool(1);
  Gates gates;
  auto running = pool.apply_async([&gates] {
    gates.open(100);  // started
    return gates.wait(0) ? 1 : 0;
  });
  auto queued = pool.apply_async(mproc::fn<&square>, 3);
  ASSERT_TRUE(gates.wait(100));
  std::thread opener([&] {
    std::this_thread::sleep_for(milliseconds(20));
    gates.open(0);
  });
  pool.terminate();  // waits for the running task: a thread cannot be stopped
  opener.join();
  EXPECT_EQ(running.get(seconds(60)), 1);
  try {
    queued.get(seconds(60));
    FAIL() << "a queued task ran after terminate";
  } catch (const mproc::error& e) {
    EXPECT_EQ(e.code(), mproc::errc::closed);
  }
  EXPECT_THROW((void)pool.apply_async(mproc::fn<&square>, 1), mproc::error);

  mproc::ThreadPool second(2);
  EXPECT_THROW(second.join(), mproc::error) << "join before close";
  auto r = second.map_async(mproc::fn<&square>, mproc::range(50), 3);
  second.close();
  EXPECT_TRUE(second.join(seconds(60)));
  EXPECT_TRUE(r.ready());
  EXPECT_EQ(r.get().size(), 50u);
}

TEST(ThreadPool, TheInitializerRunsOncePerThread) {
  std::atomic<int> inits{0};
  mproc::ThreadPool pool(3, [&inits](int add) { inits += add; }, 1);
  (void)pool.map(mproc::fn<&square>, mproc::range(20));
  pool.close();
  ASSERT_TRUE(pool.join(seconds(60)));
  EXPECT_EQ(inits.load(), 3);
}

TEST(ThreadPool, ZeroOrNegativeThreadsAreRefused) {
  for (int n : {0, -2}) {
    try {
      mproc::ThreadPool pool(n);
      FAIL() << n;
    } catch (const mproc::error& e) {
      EXPECT_EQ(e.code(), mproc::errc::invalid_argument);
    }
  }
}

}  // namespace
