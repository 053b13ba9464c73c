// The POSIX backend's robust mutex: its own robust futex shares each thread's robust list with
// glibc's robust pthread mutexes, so the two kinds must interleave on one list in any order, and
// a thread or process that dies holding any mix of them must leave every one reporting its death.
#include <errno.h>
#include <pthread.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <thread>

#include "backends/backend.h"
#include "gtest/gtest.h"

namespace {

// Shared memory holding `n` backend mutexes and `n` robust process-shared pthread mutexes.
struct Mixed {
  static constexpr int kN = 3;
  alignas(64) unsigned char ours[kN][64];
  pthread_mutex_t theirs[kN];
};

Mixed* make_mixed() {
  void* p =
      ::mmap(nullptr, sizeof(Mixed), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return nullptr;
  auto* m = static_cast<Mixed*>(p);
  pthread_mutexattr_t attr;
  pthread_mutexattr_init(&attr);
  pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
  pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST);
  for (int i = 0; i < Mixed::kN; ++i) {
    EXPECT_EQ(mproc__mutex_init(nullptr, m->ours[i], false), MPROC_OK);
    pthread_mutex_init(&m->theirs[i], &attr);
  }
  pthread_mutexattr_destroy(&attr);
  return m;
}

TEST(PosixMutex, FitsTheSpaceTheCoreGivesIt) { EXPECT_LE(mproc__mutex_size(), 64u); }

TEST(PosixMutex, InterleavesWithGlibcRobustMutexesInAnyOrder) {
  Mixed* m = make_mixed();
  ASSERT_NE(m, nullptr);
  // Lock alternately, unlock in several orders: every unlink must keep the shared list intact
  // (a broken one shows up as a crash, or as a mutex that glibc or we can no longer take).
  const int orders[3][6] = {{0, 1, 2, 3, 4, 5}, {5, 4, 3, 2, 1, 0}, {2, 5, 0, 3, 1, 4}};
  for (const auto& order : orders) {
    for (int i = 0; i < Mixed::kN; ++i) {
      ASSERT_EQ(pthread_mutex_lock(&m->theirs[i]), 0);
      ASSERT_EQ(mproc__mutex_lock(mproc__mutex_open(nullptr, m->ours[i]), MPROC_INFINITE),
                MPROC_OK);
    }
    for (int k : order) {
      int i = k / 2;
      if (k % 2 == 0) {
        EXPECT_EQ(pthread_mutex_unlock(&m->theirs[i]), 0);
      } else {
        EXPECT_EQ(mproc__mutex_unlock(mproc__mutex_open(nullptr, m->ours[i])), MPROC_OK);
      }
    }
  }
  for (int i = 0; i < Mixed::kN; ++i) {
    EXPECT_EQ(pthread_mutex_trylock(&m->theirs[i]), 0);
    EXPECT_EQ(pthread_mutex_unlock(&m->theirs[i]), 0);
    EXPECT_EQ(mproc__mutex_lock(mproc__mutex_open(nullptr, m->ours[i]), 0), MPROC_OK);
    EXPECT_EQ(mproc__mutex_unlock(mproc__mutex_open(nullptr, m->ours[i])), MPROC_OK);
  }
  ::munmap(m, sizeof(Mixed));
}

TEST(PosixMutex, AProcessThatDiesHoldingAMixReleasesEveryOneAsOwnerDied) {
  Mixed* m = make_mixed();
  ASSERT_NE(m, nullptr);
  pid_t child = ::fork();
  if (child == 0) {
    // Take all six, give back one of each from the middle of the list, die holding four.
    for (int i = 0; i < Mixed::kN; ++i) {
      if (pthread_mutex_lock(&m->theirs[i]) != 0) ::_exit(2);
      if (mproc__mutex_lock(mproc__mutex_open(nullptr, m->ours[i]), MPROC_INFINITE) != MPROC_OK)
        ::_exit(3);
    }
    if (mproc__mutex_unlock(mproc__mutex_open(nullptr, m->ours[1])) != MPROC_OK) ::_exit(4);
    if (pthread_mutex_unlock(&m->theirs[1]) != 0) ::_exit(5);
    ::_exit(0);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  for (int i = 0; i < Mixed::kN; ++i) {
    bool died = i != 1;
    EXPECT_EQ(mproc__mutex_lock(mproc__mutex_open(nullptr, m->ours[i]), 0),
              died ? MPROC_E_OWNER_DIED : MPROC_OK)
        << i;
    EXPECT_EQ(pthread_mutex_trylock(&m->theirs[i]), died ? EOWNERDEAD : 0) << i;
    if (died) {
      EXPECT_EQ(mproc__mutex_consistent(mproc__mutex_open(nullptr, m->ours[i])), MPROC_OK);
      EXPECT_EQ(pthread_mutex_consistent(&m->theirs[i]), 0);
    }
    EXPECT_EQ(mproc__mutex_unlock(mproc__mutex_open(nullptr, m->ours[i])), MPROC_OK);
    EXPECT_EQ(pthread_mutex_unlock(&m->theirs[i]), 0);
  }
  ::munmap(m, sizeof(Mixed));
}

TEST(PosixMutex, AThreadThatExitsHoldingItWakesAWaiterWithOwnerDied) {
  Mixed* m = make_mixed();
  ASSERT_NE(m, nullptr);
  std::atomic<bool> held{false};
  std::thread holder([&] {
    ASSERT_EQ(mproc__mutex_lock(mproc__mutex_open(nullptr, m->ours[0]), MPROC_INFINITE), MPROC_OK);
    held = true;
    ::usleep(50000);  // lets the main thread go to sleep on the word
  });
  while (!held) std::this_thread::yield();
  EXPECT_EQ(mproc__mutex_lock(mproc__mutex_open(nullptr, m->ours[0]), 20000), MPROC_E_OWNER_DIED);
  holder.join();
  // Released without being marked consistent: unusable, for every later acquire.
  EXPECT_EQ(mproc__mutex_unlock(mproc__mutex_open(nullptr, m->ours[0])), MPROC_OK);
  EXPECT_EQ(mproc__mutex_lock(mproc__mutex_open(nullptr, m->ours[0]), 0), MPROC_E_STATE);
  EXPECT_EQ(mproc__mutex_lock(mproc__mutex_open(nullptr, m->ours[0]), MPROC_INFINITE),
            MPROC_E_STATE);
  ::munmap(m, sizeof(Mixed));
}

TEST(PosixMutex, OwnerRelockNonOwnerUnlockAndTimeouts) {
  Mixed* m = make_mixed();
  ASSERT_NE(m, nullptr);
  ASSERT_EQ(mproc__mutex_lock(mproc__mutex_open(nullptr, m->ours[0]), MPROC_INFINITE), MPROC_OK);
  EXPECT_EQ(mproc__mutex_lock(mproc__mutex_open(nullptr, m->ours[0]), 0), MPROC_E_TIMEOUT);
  EXPECT_EQ(mproc__mutex_lock(mproc__mutex_open(nullptr, m->ours[0]), MPROC_INFINITE),
            MPROC_E_STATE);
  EXPECT_EQ(mproc__mutex_consistent(mproc__mutex_open(nullptr, m->ours[0])), MPROC_E_STATE);
  std::thread other([&] {
    EXPECT_EQ(mproc__mutex_unlock(mproc__mutex_open(nullptr, m->ours[0])), MPROC_E_NOT_OWNER);
    EXPECT_EQ(mproc__mutex_lock(mproc__mutex_open(nullptr, m->ours[0]), 0), MPROC_E_TIMEOUT);
    EXPECT_EQ(mproc__mutex_lock(mproc__mutex_open(nullptr, m->ours[0]), 30), MPROC_E_TIMEOUT);
  });
  other.join();
  EXPECT_EQ(mproc__mutex_unlock(mproc__mutex_open(nullptr, m->ours[0])), MPROC_OK);
  EXPECT_EQ(mproc__mutex_unlock(mproc__mutex_open(nullptr, m->ours[0])), MPROC_E_NOT_OWNER);
  ::munmap(m, sizeof(Mixed));
}

}  // namespace

// The pthread fallback (sync_pthread.cc), which ctest runs this suite's PosixMutex tests on again
// with MPROC_TEST_MUTEX_FALLBACK=1 (posix.mutex_fallback.*): there, a mutex must really be a
// pthread mutex, so that those runs prove the fallback and not the futex again.
TEST(PosixMutex, TheForcedFallbackIsAProcessSharedRobustPthreadMutex) {
  const char* forced = std::getenv("MPROC_TEST_MUTEX_FALLBACK");
  if (forced == nullptr || forced[0] != '1') {
    GTEST_SKIP() << "runs under MPROC_TEST_MUTEX_FALLBACK=1 (ctest: posix.mutex_fallback.unit)";
  }
  alignas(64) unsigned char mem[64] = {};
  ASSERT_EQ(mproc__mutex_init(nullptr, mem, false), MPROC_OK);
  auto* pm = reinterpret_cast<pthread_mutex_t*>(mem);
  // Held through pthread, it is held for mproc__mutex_lock too, and the other way round.
  ASSERT_EQ(pthread_mutex_trylock(pm), 0);
  EXPECT_EQ(mproc__mutex_lock(mproc__mutex_open(nullptr, mem), 0), MPROC_E_TIMEOUT);
  EXPECT_EQ(pthread_mutex_unlock(pm), 0);
  ASSERT_EQ(mproc__mutex_lock(mproc__mutex_open(nullptr, mem), 0), MPROC_OK);
  EXPECT_NE(pthread_mutex_trylock(pm), 0);  // EBUSY, or EDEADLK: this thread holds it
  EXPECT_EQ(mproc__mutex_unlock(mproc__mutex_open(nullptr, mem)), MPROC_OK);
  EXPECT_EQ(pthread_mutex_trylock(pm), 0);
  EXPECT_EQ(pthread_mutex_unlock(pm), 0);
}
