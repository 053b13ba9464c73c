// core/children.cc — tracking started children until they are seen to end.
#include "core/children.h"

#include <algorithm>

mproc__tracked_child::mproc__tracked_child(mproc__child* backend, std::string name, bool daemon)
    : backend_(backend),
      pid_(mproc__child_pid(backend)),
      sentinel_(mproc__child_sentinel(backend)),
      name_(std::move(name)),
      daemon_(daemon) {}

mproc__tracked_child::~mproc__tracked_child() { mproc__child_release(backend_); }

mproc_status mproc__tracked_child::wait(int64_t timeout_ms) {
  mproc__thread_lock lock(&mu_);
  if (ended_) return MPROC_OK;
  mproc__exit_status status;
  mproc_status st = mproc__child_wait(backend_, timeout_ms, &status);
  if (st != MPROC_OK) return st;
  ended_ = true;
  status_ = status;
  mproc__child_report(backend_, &reached_init_, &failure_);
  return MPROC_OK;
}

bool mproc__tracked_child::ended_now() {
  if (!mu_.TryLock()) return false;
  bool done = ended_;
  if (!done) {
    mproc__exit_status status;
    if (mproc__child_wait(backend_, 0, &status) == MPROC_OK) {
      ended_ = done = true;
      status_ = status;
      mproc__child_report(backend_, &reached_init_, &failure_);
    }
  }
  mu_.Unlock();
  return done;
}

mproc_status mproc__tracked_child::signal(bool kill_now) {
  // Not under mu_: terminate must reach a child another thread is blocked joining. The backend
  // signals through a handle that cannot name a recycled pid (pidfd / process HANDLE).
  {
    mproc__thread_lock lock(&mu_);
    if (ended_) return MPROC_OK;
  }
  return mproc__child_signal(backend_, kill_now);
}

bool mproc__tracked_child::ended() const {
  mproc__thread_lock lock(&mu_);
  return ended_;
}
int mproc__tracked_child::exitcode() const {
  mproc__thread_lock lock(&mu_);
  return mproc__exit_status_code(status_);
}
mproc__exit_status mproc__tracked_child::exit_status() const {
  mproc__thread_lock lock(&mu_);
  return status_;
}
bool mproc__tracked_child::reached_init() const {
  mproc__thread_lock lock(&mu_);
  return reached_init_;
}
std::string mproc__tracked_child::failure() const {
  mproc__thread_lock lock(&mu_);
  return failure_;
}

namespace {

struct Table {
  mproc__thread_mutex mu;
  std::vector<std::shared_ptr<mproc__tracked_child>> live ABSL_GUARDED_BY(mu);
};

// Leaked on purpose: the exit-time join runs from atexit, after static destructors may have run.
Table* g_table = new Table;

}  // namespace

namespace {

// Children already seen to end (joined through their handle) leave the table, so a program that
// starts and joins processes in a loop holds no descriptors of finished ones.
void prune_ended(std::vector<std::shared_ptr<mproc__tracked_child>>& live) {
  live.erase(std::remove_if(live.begin(), live.end(), [](const auto& c) { return c->ended(); }),
             live.end());
}

}  // namespace

void mproc__children_add(std::shared_ptr<mproc__tracked_child> child) {
  mproc__thread_lock lock(&g_table->mu);
  prune_ended(g_table->live);
  g_table->live.push_back(std::move(child));
}

void mproc__children_prune() {
  mproc__thread_lock lock(&g_table->mu);
  prune_ended(g_table->live);
}

std::vector<std::shared_ptr<mproc__tracked_child>> mproc__children_live() {
  std::vector<std::shared_ptr<mproc__tracked_child>> snapshot;
  {
    mproc__thread_lock lock(&g_table->mu);
    snapshot = g_table->live;
  }
  std::vector<std::shared_ptr<mproc__tracked_child>> alive;
  for (auto& c : snapshot) {
    if (!c->ended_now()) alive.push_back(c);
  }
  mproc__thread_lock lock(&g_table->mu);
  auto& live = g_table->live;
  live.erase(std::remove_if(live.begin(), live.end(), [](const auto& c) { return c->ended(); }),
             live.end());
  return alive;
}

void mproc__children_finish() {
  std::vector<std::shared_ptr<mproc__tracked_child>> all;
  {
    mproc__thread_lock lock(&g_table->mu);
    all.swap(g_table->live);
  }
  for (auto& c : all) {
    if (c->daemon()) c->signal(/*kill_now=*/false);
  }
  for (auto& c : all) c->wait(MPROC_INFINITE);
}

void mproc__children_forget() {
  // Another thread of the parent may have held the table's lock at the fork: never lock it.
  g_table = new Table;
}
