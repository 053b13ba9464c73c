// core/children.h — the children this process started: one record per child shared by its
// mproc_process handle and the table behind mproc_active_children and the exit-time join.
#ifndef MPROC_CORE_CHILDREN_H
#define MPROC_CORE_CHILDREN_H

#include <memory>
#include <string>
#include <vector>

#include "backends/backend.h"
#include "core/mutex.h"

class mproc__tracked_child {
 public:
  mproc__tracked_child(mproc__child* backend, std::string name, bool daemon);
  ~mproc__tracked_child();
  mproc__tracked_child(const mproc__tracked_child&) = delete;
  mproc__tracked_child& operator=(const mproc__tracked_child&) = delete;

  // MPROC_OK once ended (exitcode() is valid), MPROC_E_TIMEOUT while running.
  mproc_status wait(int64_t timeout_ms);
  // Like wait(0), but never waits for another thread that is blocked in wait(): reports "alive".
  bool ended_now();
  mproc_status signal(bool kill_now);

  int64_t pid() const { return pid_; }
  intptr_t sentinel() const { return sentinel_; }
  const std::string& name() const { return name_; }
  bool daemon() const { return daemon_; }
  bool ended() const;
  int exitcode() const;  // Python's convention (mproc__exit_status_code)
  mproc__exit_status exit_status() const;
  bool reached_init() const;
  std::string failure() const;

 private:
  mutable mproc__thread_mutex mu_;
  mproc__child* backend_;  // owned
  const int64_t pid_;
  const intptr_t sentinel_;
  const std::string name_;
  const bool daemon_;
  bool ended_ ABSL_GUARDED_BY(mu_) = false;
  mproc__exit_status status_ ABSL_GUARDED_BY(mu_);
  bool reached_init_ ABSL_GUARDED_BY(mu_) = false;
  std::string failure_ ABSL_GUARDED_BY(mu_);
};

void mproc__children_add(std::shared_ptr<mproc__tracked_child> child);

// Drops the records of children already seen to end (never waits).
void mproc__children_prune();

// Drops the ones that have ended, returns the rest.
std::vector<std::shared_ptr<mproc__tracked_child>> mproc__children_live();

// At exit (and at the end of a child): terminate daemonic children, then join all of them.
void mproc__children_finish();

// In the child of a fork: the table belongs to the parent. Forget it without touching it.
void mproc__children_forget();

// How an ended process ended (core/process.cc); {exited, 0} while it runs or was never started.
struct mproc_process;
mproc__exit_status mproc__process_exit_status(const mproc_process* p);

#endif  // MPROC_CORE_CHILDREN_H
